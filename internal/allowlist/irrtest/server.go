package irrtest

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Behaviour makes the server misbehave on purpose.
type Behaviour string

const (
	Normal   Behaviour = ""
	Empty    Behaviour = "empty"    // no entries / D for every query
	Truncate Behaviour = "truncate" // close the connection halfway through the data
	Fail     Behaviour = "error"    // "%% ERROR" / "F" for every data query
	Hang     Behaviour = "hang"     // accept, read, never answer
	Garbage  Behaviour = "garbage"  // answer with text that is neither RPSL nor IRRd framing
	Poisoned Behaviour = "poison"   // add an over-broad registration (Poison) by the right maintainer
	Shrink   Behaviour = "shrink"   // drop ShrinkBlocks (about half the IPv4 space)
	NoAnchor Behaviour = "noanchor" // drop everything inside AnchorBlock
	BogonsB  Behaviour = "bogons"   // add Bogons, registered by Meta's maintainer
	OnlyBog  Behaviour = "onlybogons"
	Unusabl  Behaviour = "unusable" // add Unusable: host bits set, IPv4-mapped IPv6
	GrowthB  Behaviour = "growth"   // add 114 third-party /13s (Growth)
	Hostile  Behaviour = "hostile"  // terminal escapes in source, maintainer and error text
)

// HostileText carries ESC, OSC 52 (clipboard), BEL and CSI erase-line: the
// "hostile" behaviour puts it into source names, maintainers and messages.
const HostileText = "EVIL\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2K"

// Behaviours lists every behaviour by name.
var Behaviours = []Behaviour{Normal, Empty, Truncate, Fail, Hang, Garbage, Poisoned, Shrink, NoAnchor, BogonsB, OnlyBog, Unusabl, GrowthB, Hostile}

// Server is a running fake WHOIS/IRRd server.
type Server struct {
	Addr string // 127.0.0.1:port

	ln        net.Listener
	data      Dataset
	behaviour Behaviour
	wg        sync.WaitGroup
	done      chan struct{}

	mu      sync.Mutex
	cache   map[string]string // rendered answers, so benchmarks time clients, not this server
	queries []string
	conns   map[net.Conn]bool

	open, maxOpen, total atomic.Int64
	latency              atomic.Int64 // nanoseconds added before each read from a client
}

// SetLatency makes the server wait d before each read from a client's
// socket, which emulates the network's delay per round trip: commands a
// client pipelines arrive in one read and pay it once, commands sent one
// after another's answer pay it each time.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

type slowReader struct {
	c net.Conn
	s *Server
}

func (r slowReader) Read(p []byte) (int, error) {
	if d := time.Duration(r.s.latency.Load()); d > 0 {
		time.Sleep(d)
	}
	return r.c.Read(p)
}

// Start listens on a random loopback port and serves data.
func Start(data Dataset, b Behaviour) (*Server, error) {
	if !slices.Contains(Behaviours, b) {
		return nil, fmt.Errorf("unknown behaviour %q", b)
	}
	switch b {
	case Poisoned:
		data = data.With(Object{Prefix: netip.MustParsePrefix(Poison), Origin: "AS32934", Source: "RADB",
			Maintainers: []string{"MAINT-AS32934"}, Descr: "Facebook, Inc."})
	case Shrink:
		data = data.Without(ShrinkBlocks...)
	case NoAnchor:
		data = data.Without(AnchorBlock)
	case BogonsB, OnlyBog:
		if b == OnlyBog {
			data.Objects = nil
		}
		for _, p := range Bogons {
			data = data.With(Object{Prefix: netip.MustParsePrefix(p), Origin: "AS32934", Source: "RADB",
				Maintainers: []string{"MAINT-AS32934"}, Descr: "not global unicast"})
		}
	case Unusabl:
		for _, p := range Unusable {
			data = data.With(Object{Prefix: netip.MustParsePrefix(p), Origin: "AS32934", Source: "RADB",
				Maintainers: []string{"MAINT-AS32934"}, Descr: "unusable"})
		}
	case GrowthB:
		for _, p := range Growth(114) {
			data = data.With(Object{Prefix: p, Origin: "AS32934", Source: "RADB", Maintainers: []string{"EVIL-MNT"}, Descr: "growth"})
		}
	case Hostile:
		esc := HostileText
		data.AllSources = append(slices.Clone(data.AllSources), esc)
		data.DefaultSources = append(slices.Clone(data.DefaultSources), esc)
		data = data.With(Object{Prefix: netip.MustParsePrefix(Poison), Origin: "AS32934", Source: esc,
			Maintainers: []string{esc}, Descr: esc})
		data = data.With(Object{Prefix: netip.MustParsePrefix("127.0.0.0/16"), Origin: "AS32934", Source: "RADB",
			Maintainers: []string{esc}, Descr: esc})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, data: data, behaviour: b, done: make(chan struct{}), conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Close stops the server and waits for its connections to end.
func (s *Server) Close() {
	close(s.done)
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Queries returns every query line received, in order.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

// MaxConcurrent is the largest number of connections open at once.
func (s *Server) MaxConcurrent() int { return int(s.maxOpen.Load()) }

// Connections is the number of connections accepted.
func (s *Server) Connections() int { return int(s.total.Load()) }

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.total.Add(1)
		n := s.open.Add(1)
		for {
			m := s.maxOpen.Load()
			if n <= m || s.maxOpen.CompareAndSwap(m, n) {
				break
			}
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.open.Add(-1)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.serve(c)
		}()
	}
}

func (s *Server) serve(c net.Conn) {
	r := bufio.NewReader(slowReader{c, s})
	w := bufio.NewWriter(c)
	defer w.Flush()
	multi := false
	sources := slices.Clone(s.data.DefaultSources)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.queries = append(s.queries, line)
		s.mu.Unlock()
		if s.behaviour == Hang {
			<-s.done
			return
		}
		if s.behaviour == Garbage {
			w.WriteString("<html><body>503 Service Unavailable</body></html>\n")
			return
		}
		if !strings.HasPrefix(line, "!") {
			keep := s.ripe(w, line)
			if !keep {
				return
			}
			w.Flush()
			continue
		}
		if line == "!!" {
			multi = true
			continue
		}
		if line == "!q" {
			return
		}
		if !s.irrd(w, line, &sources) {
			return
		}
		if !multi {
			return
		}
		if err := w.Flush(); err != nil {
			return
		}
	}
}

func (s *Server) cached(key string, render func() string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil {
		s.cache = map[string]string{}
	}
	v, ok := s.cache[key]
	if !ok {
		v = render()
		s.cache[key] = v
	}
	return v
}

// irrd answers one "!" command; false means close the connection now.
func (s *Server) irrd(w *bufio.Writer, cmd string, sources *[]string) bool {
	answer := func(data string) {
		fmt.Fprintf(w, "A%d\n%s\nC\n", len(data)+1, data)
	}
	switch {
	case strings.HasPrefix(cmd, "!n"), strings.HasPrefix(cmd, "!t"):
		w.WriteString("C\n")
	case cmd == "!v":
		answer("IRRd -- version 4.5.3 (wa-hooks test server)")
	case cmd == "!s-lc":
		answer(strings.Join(*sources, ","))
	case strings.HasPrefix(cmd, "!s"):
		list := strings.Split(strings.ToUpper(cmd[2:]), ",")
		for _, src := range list {
			if !slices.Contains(s.data.AllSources, src) {
				fmt.Fprintf(w, "F Unknown source(s): %s\n", src)
				return true
			}
		}
		*sources = list
		w.WriteString("C\n")
	case strings.HasPrefix(cmd, "!g"), strings.HasPrefix(cmd, "!6"):
		asn := strings.ToUpper(cmd[2:])
		if !strings.HasPrefix(asn, "AS") {
			fmt.Fprintf(w, "F Invalid AS number %s\n", cmd[2:])
			return true
		}
		switch s.behaviour {
		case Empty:
			w.WriteString("D\n")
			return true
		case Fail:
			w.WriteString("F database temporarily unavailable\n")
			return true
		}
		data := s.cached(fmt.Sprint(cmd[:2], asn, *sources), func() string {
			return strings.Join(Distinct(s.data.Select(asn, *sources, cmd[1] == 'g', cmd[1] == '6')), " ")
		})
		if data == "" {
			w.WriteString("D\n")
			return true
		}
		if s.behaviour == Truncate {
			fmt.Fprintf(w, "A%d\n%s", len(data)+1, data[:len(data)/2])
			return false
		}
		answer(data)
	default:
		fmt.Fprintf(w, "F Unrecognized command %q\n", cmd)
	}
	return true
}

// ripe answers a RIPE-style query; it returns whether to keep the
// connection open (-k).
func (s *Server) ripe(w *bufio.Writer, q string) bool {
	fields := strings.Fields(q)
	var sources []string
	types := []string{"route", "route6"}
	origin, keep := "", false
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		next := func() string {
			if i+1 < len(fields) {
				i++
				return fields[i]
			}
			return ""
		}
		switch f {
		case "-s":
			sources = strings.Split(strings.ToUpper(next()), ",")
		case "-T":
			types = strings.Split(strings.ToLower(next()), ",")
		case "-V":
			next()
		case "-k":
			keep = true
		case "-i":
			if attr := strings.ToLower(next()); attr != "origin" {
				fmt.Fprintf(w, "%%%% ERROR: Inverse lookup on %s is not supported\n\n\n", attr)
				return keep
			}
			origin = strings.ToUpper(next())
			// IRRd stops reading the query after "-i attr value".
			i = len(fields)
		default:
			fmt.Fprintf(w, "%%%% ERROR: Unrecognised flag/search: %s\n\n\n", strings.TrimPrefix(f, "-"))
			return keep
		}
	}
	if origin == "" {
		w.WriteString("%% ERROR: this test server only answers -i origin queries\n\n\n")
		return keep
	}
	for _, src := range sources {
		if !slices.Contains(s.data.AllSources, src) {
			fmt.Fprintf(w, "%%%% ERROR: Unknown source(s): %s\n\n\n", src)
			return keep
		}
	}
	switch s.behaviour {
	case Empty:
		w.WriteString("%  No entries found for the selected source(s).\n\n\n")
		return keep
	case Fail:
		w.WriteString("%% ERROR: database temporarily unavailable\n\n\n")
		return keep
	}
	text := s.cached(fmt.Sprint("rpsl", origin, sources, types), func() string {
		return RPSL(s.data.Select(origin, sources, slices.Contains(types, "route"), slices.Contains(types, "route6")))
	})
	if text == "\n" {
		w.WriteString("%  No entries found for the selected source(s).\n\n\n")
		return keep
	}
	if s.behaviour == Truncate {
		// Cut inside an object, the way a reset mid-answer does.
		cut := len(text) / 2
		for cut < len(text) && text[cut] != ':' {
			cut++
		}
		w.WriteString(text[:cut])
		return false
	}
	w.WriteString(text)
	return keep
}
