package irr

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// Query styles.
const (
	ModeRPSL = "rpsl" // RIPE-style "-i origin ASn", answered in RPSL
	ModeIRRd = "irrd" // IRRd-style "!gASn" / "!6ASn", A<len> framing
)

// Options control one fetch.
type Options struct {
	Server string // host:port; ":43" is added when the port is missing
	ASN    string // "AS32934" (see NormalizeASN)
	Mode   string // ModeRPSL or ModeIRRd
	V4, V6 bool   // families to ask for; at least one
	// Sources restricts the IRR sources on the server ("-s"/"!s"); empty
	// means the server's default selection.
	Sources []string
	// IncludeRPKI keeps RPKI pseudo-objects. In irrd mode, when Sources is
	// empty and IncludeRPKI is false, the server's default source list is
	// read with "!s-lc" and RPKI is removed from it, since !g answers carry
	// no source to filter on afterwards.
	IncludeRPKI bool

	ConnectTimeout time.Duration // per connection attempt
	Timeout        time.Duration // whole exchange, per attempt
	MaxBytes       int           // bound on the bytes read per attempt
	Retries        int           // extra attempts after a network failure or a truncated answer
	Backoff        time.Duration // first wait between attempts; doubles, with jitter
	ClientName     string        // sent with !n (irrd mode) so the server operator can identify us

	// Logf, when set, receives progress lines (attempts, queries, waits).
	Logf func(format string, args ...any)
	// Sleep waits between attempts; tests may replace it. It must return
	// early with ctx's error when ctx is done.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Route is one route or route6 registration from the answer.
type Route struct {
	Key    string       // the registered prefix as the server wrote it
	Prefix netip.Prefix // parsed Key; invalid when Err is set
	Err    error        // why Key is not a usable prefix
	Origin string       // upper-cased, e.g. "AS32934"
	// The fields below are only known in rpsl mode.
	Source      string   // upper-cased source, e.g. "RADB", "RIPE", "RPKI"
	Maintainers []string // mnt-by values
	RPKIState   string   // rpki-ov-state: valid, invalid, not_found
}

// Answer is what a fetch produced.
type Answer struct {
	Server   string
	Mode     string
	Query    string // the commands sent, for headers and messages
	Routes   []Route
	Bytes    int      // bytes read from the server
	Attempts int      // connections made
	Messages []string // the server's "%" lines (rpsl mode)
	Sources  []string // the source selection actually used (irrd mode)
}

// ErrorKind classifies a failed fetch so the caller can pick an exit code.
type ErrorKind int

const (
	// Network: could not connect, reset, timed out. Worth retrying later.
	Network ErrorKind = iota + 1
	// Truncated: the answer stopped early (possibly a reset mid-answer).
	Truncated
	// Empty: the server answered but had no registrations for the query.
	Empty
	// Malformed: the answer is not in the expected format.
	Malformed
	// ServerError: the server rejected the query (%% ERROR, F).
	ServerError
	// TooLarge: the answer exceeded MaxBytes.
	TooLarge
)

// Error is a failed fetch.
type Error struct {
	Kind ErrorKind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a fetch error, or 0.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// NormalizeASN accepts "32934", "AS32934" or "as32934" and returns "AS32934".
func NormalizeASN(s string) (string, error) {
	t := strings.TrimSpace(s)
	if len(t) > 2 && strings.EqualFold(t[:2], "AS") {
		t = t[2:]
	}
	n, err := strconv.ParseUint(t, 10, 32)
	if err != nil || t == "" || t[0] == '+' || (len(t) > 1 && t[0] == '0') {
		return "", fmt.Errorf("%q is not an AS number: use the form AS32934", s)
	}
	return "AS" + strconv.FormatUint(n, 10), nil
}

// NormalizeServer adds the WHOIS port when server has none.
func NormalizeServer(server string) (string, error) {
	if server == "" {
		return "", errors.New("no IRR server given: set --server host[:port]")
	}
	if _, _, err := net.SplitHostPort(server); err == nil {
		return server, nil
	}
	if a, err := netip.ParseAddr(server); err == nil && a.Is6() {
		return net.JoinHostPort(server, "43"), nil // bare IPv6 address
	}
	if strings.Contains(server, ":") {
		return "", fmt.Errorf("bad --server %q: use host:port, e.g. whois.radb.net:43", server)
	}
	return net.JoinHostPort(server, "43"), nil
}

// Fetch asks the server for the origin's route registrations, retrying
// network failures and truncated answers with exponential backoff and
// jitter. Only one connection is open at any time: RADB rate-limits per
// source address and resets connections beyond its limits.
func Fetch(ctx context.Context, o Options) (*Answer, error) {
	if o.Mode != ModeRPSL && o.Mode != ModeIRRd {
		return nil, fmt.Errorf("unknown query style %q: use rpsl or irrd", o.Mode)
	}
	if !o.V4 && !o.V6 {
		o.V4, o.V6 = true, true
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 16 << 20
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var lastErr error
	for attempt := 0; attempt <= o.Retries; attempt++ {
		if attempt > 0 {
			wait := backoff(o.Backoff, attempt)
			logf("attempt %d failed (%v); retrying in %s", attempt, lastErr, wait.Round(time.Millisecond))
			if err := o.Sleep(ctx, wait); err != nil {
				return nil, err
			}
		}
		ans, err := fetchOnce(ctx, o)
		if err == nil {
			ans.Attempts = attempt + 1
			return ans, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		lastErr = err
		if k := KindOf(err); k != Network && k != Truncated {
			return nil, err
		}
	}
	if o.Retries > 0 {
		var e *Error
		if errors.As(lastErr, &e) {
			return nil, &Error{Kind: e.Kind, Msg: fmt.Sprintf("%s (after %d attempts)", e.Error(), o.Retries+1), Err: e.Err}
		}
	}
	return nil, lastErr
}

// backoff is base·2^(attempt-1), capped at 30s, scaled by a random factor in
// [0.5, 1.5) so that many cron jobs started at the same minute spread out.
func backoff(base time.Duration, attempt int) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base << (attempt - 1)
	if d > 30*time.Second || d <= 0 {
		d = 30 * time.Second
	}
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// Sleep waits d, or returns ctx's error as soon as ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func fetchOnce(ctx context.Context, o Options) (*Answer, error) {
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	d := net.Dialer{Timeout: o.ConnectTimeout}
	conn, err := d.DialContext(ctx, "tcp", o.Server)
	if err != nil {
		return nil, netError(o.Server, "connect to", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Closing the connection is the only way to interrupt a blocked read
	// when the context is cancelled (SIGINT, overall timeout).
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var ans *Answer
	if o.Mode == ModeRPSL {
		ans, err = fetchRPSL(conn, o)
	} else {
		ans, err = fetchIRRd(conn, o)
	}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.EPIPE) {
			return nil, netError(o.Server, "read from", err)
		}
		return nil, err
	}
	ans.Server, ans.Mode = o.Server, o.Mode
	return ans, nil
}

// netError explains a network failure in one line.
func netError(server, verb string, err error) error {
	why := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		why = "connection refused (is the server up and the port right?)"
	case errors.Is(err, syscall.ECONNRESET):
		why = "connection reset by the server (RADB resets clients over its rate limits)"
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		why = "timed out (raise --timeout, or check the firewall allows outgoing TCP port 43)"
	default:
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			why = "cannot resolve " + dnsErr.Name
		}
	}
	return &Error{Kind: Network, Msg: fmt.Sprintf("cannot %s %s: %s", verb, server, why), Err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// RPSLQuery is the RIPE-style query line for o (without CR LF).
func RPSLQuery(o Options) string {
	var b strings.Builder
	if len(o.Sources) > 0 {
		b.WriteString("-s " + strings.Join(o.Sources, ",") + " ")
	}
	switch {
	case o.V4 && !o.V6:
		b.WriteString("-T route ")
	case o.V6 && !o.V4:
		b.WriteString("-T route6 ")
	default:
		b.WriteString("-T route,route6 ")
	}
	b.WriteString("-i origin " + o.ASN)
	return b.String()
}

func fetchRPSL(conn net.Conn, o Options) (*Answer, error) {
	q := RPSLQuery(o)
	if o.Logf != nil {
		o.Logf("query %s: %s", o.Server, q)
	}
	if _, err := io.WriteString(conn, q+"\r\n"); err != nil {
		return nil, err
	}
	return readRPSL(conn, o, q)
}

// readRPSL parses the answer while it arrives and builds the routes
// straight from the parser's buffers: Meta's answer is close to a megabyte,
// and holding it whole, then its objects, then the routes made from them
// was most of a run's time and memory. The outcome is the one of reading
// everything first: a read error, an answer over MaxBytes or a reset decide
// before what the parser thought of the bytes it saw.
func readRPSL(r io.Reader, o Options, q string) (*Answer, error) {
	lim := &countingReader{r: io.LimitReader(r, int64(o.MaxBytes)+1)}
	br := bufio.NewReaderSize(lim, 64<<10)
	rc := newRouteCollector()
	p := newRPSLParser(routeAttr, rc.object)
	var parseErr, readErr error
	var long []byte // a line longer than br's buffer, gathered
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && err != io.EOF {
			readErr = err
			break
		}
		if parseErr == nil && len(line) > 0 {
			if err == nil {
				parseErr = p.line(line[:len(line)-1], false)
			} else {
				parseErr = p.line(line, true)
			}
		}
		if err == io.EOF {
			break
		}
	}
	n := lim.n
	if readErr != nil && !(errors.Is(readErr, syscall.ECONNRESET) && n > 0) {
		return nil, readErr
	}
	if n > o.MaxBytes {
		return nil, &Error{Kind: TooLarge, Msg: fmt.Sprintf("answer from %s is larger than %d bytes (--max-bytes); refusing it", o.Server, o.MaxBytes)}
	}
	if readErr != nil {
		// Reset after some data: treat as a truncated answer.
		return nil, &Error{Kind: Truncated, Msg: fmt.Sprintf("answer from %s truncated: connection reset after %d bytes", o.Server, n), Err: readErr}
	}
	ans := &Answer{Query: q, Bytes: n}
	if !p.nonBlank {
		return nil, &Error{Kind: Empty, Msg: fmt.Sprintf("empty answer from %s for %q", o.Server, q)}
	}
	if parseErr == nil {
		parseErr = p.end()
	}
	if parseErr != nil {
		var pe *ParseError
		if errors.As(parseErr, &pe) && pe.Truncated {
			return nil, &Error{Kind: Truncated, Msg: fmt.Sprintf("answer from %s truncated after %d bytes: %s", o.Server, n, pe.Msg), Err: parseErr}
		}
		return nil, &Error{Kind: Malformed, Msg: fmt.Sprintf("answer from %s is not RPSL: %v", o.Server, parseErr), Err: parseErr}
	}
	ans.Messages = p.messages
	if p.serverError != "" {
		return nil, &Error{Kind: ServerError, Msg: fmt.Sprintf("%s rejected the query %q: %s", o.Server, q, termsafe.Line(clipS(p.serverError)))}
	}
	ans.Routes = rc.routes
	if len(ans.Routes) == 0 {
		msg := fmt.Sprintf("%s has no route objects for %q", o.Server, q)
		if p.noEntries {
			msg = fmt.Sprintf("%s found no entries for %q", o.Server, q)
		}
		return nil, &Error{Kind: Empty, Msg: msg}
	}
	return ans, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

// routeCollector turns each route or route6 object into a Route as the
// parser finishes it. The same few origins, sources, states and maintainer
// lists repeat in every object, so each distinct raw value is converted and
// allocated once and shared.
type routeCollector struct {
	routes []Route

	origin, source, state interned
	lists                 map[string][]string // raw mnt-by values, "\n"-joined → the List of them
	lastList              []string
	lastListRaw           []byte
	scratch               []byte
}

// routeRoom is the room made for routes up front. Growing a slice of these
// large structs by appending would copy and allocate about twice what it
// keeps; a large allocation comes from fresh pages, and the ones no route
// is written to are never touched (no page faults), so spare room costs
// address space, not time. Meta has a few thousand registrations. The room
// still counts towards the heap the collector paces itself by, so it stays
// well below the 4 MB that would set off a collection in a short run.
const routeRoom = 4096

func newRouteCollector() *routeCollector {
	return &routeCollector{
		routes: make([]Route, 0, routeRoom),
		origin: interned{m: map[string][2]string{}, conv: strings.ToUpper},
		source: interned{m: map[string][2]string{}, conv: strings.ToUpper},
		state:  interned{m: map[string][2]string{}, conv: strings.ToLower},
		lists:  map[string][]string{},
	}
}

func (c *routeCollector) object(p *rpslParser) {
	class := p.attrs[0].name
	if class != "route" && class != "route6" {
		return
	}
	r := Route{Key: string(p.value(0))}
	var origin, source, state []byte
	var haveOrigin, haveSource, haveState bool
	c.scratch = c.scratch[:0]
	mnts := 0
	for i := 1; i < len(p.attrs); i++ {
		switch p.attrs[i].name {
		case "origin":
			if !haveOrigin {
				origin, haveOrigin = p.value(i), true
			}
		case "source":
			if !haveSource {
				source, haveSource = p.value(i), true
			}
		case "rpki-ov-state":
			if !haveState {
				state, haveState = p.value(i), true
			}
		case "mnt-by":
			c.scratch = append(append(c.scratch, p.value(i)...), '\n')
			mnts++
		}
	}
	r.Origin = c.origin.get(origin)
	r.Source = c.source.get(source)
	r.RPKIState = c.state.get(state)
	if mnts > 0 {
		if !bytes.Equal(c.scratch, c.lastListRaw) || c.lastListRaw == nil {
			list, ok := c.lists[string(c.scratch)]
			if !ok {
				list = maintainerList(string(c.scratch))
				c.lists[string(c.scratch)] = list
			}
			c.lastList, c.lastListRaw = list, append(c.lastListRaw[:0], c.scratch...)
		}
		r.Maintainers = c.lastList
	}
	r.Prefix, r.Err = ParsePrefix(r.Key, class == "route6")
	c.routes = append(c.routes, r)
}

// interned converts each distinct raw value once; the previous value is
// checked first, since consecutive objects mostly repeat it.
type interned struct {
	m    map[string][2]string // raw → {raw, converted}
	conv func(string) string
	last [2]string
}

func (in *interned) get(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if string(raw) == in.last[0] {
		return in.last[1]
	}
	e, ok := in.m[string(raw)]
	if !ok {
		k := string(raw)
		e = [2]string{k, in.conv(k)}
		in.m[k] = e
	}
	in.last = e
	return e[1]
}

// maintainerList is Object.List for "\n"-terminated mnt-by values: items
// split on commas, trimmed, empty ones dropped. The result is shared by
// routes, so its capacity is clipped: appending to it copies.
func maintainerList(joined string) []string {
	var out []string
	for _, v := range strings.SplitAfter(joined, "\n") {
		for _, item := range strings.Split(strings.TrimSuffix(v, "\n"), ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return slices.Clip(out)
}

// routeAttr names the attributes a Route is made of.
func routeAttr(name string) bool {
	switch name {
	case "origin", "source", "mnt-by", "rpki-ov-state":
		return true
	}
	return false
}

// ParsePrefix parses a registered prefix strictly: canonical CIDR (no host
// bits), of the family its object class promises.
func ParsePrefix(s string, v6 bool) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not a prefix: %q", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%s has host bits set (network is %s)", s, p.Masked())
	}
	if p.Addr().Is4() == v6 {
		fam := "IPv4"
		if v6 {
			fam = "IPv6"
		}
		return netip.Prefix{}, fmt.Errorf("%s is not an %s prefix", s, fam)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%s is an IPv4-mapped IPv6 prefix", s)
	}
	return p, nil
}

func fetchIRRd(conn net.Conn, o Options) (*Answer, error) {
	r := bufio.NewReaderSize(conn, 64<<10)
	w := bufio.NewWriter(conn)
	ans := &Answer{}
	var query []string // the commands that decide the answer, for headers
	remaining := o.MaxBytes

	// Commands are pipelined: each batch is written at once and its replies,
	// which IRRd sends in order, read afterwards. That is two round trips at
	// most (one when --sources is given) instead of one per command.
	send := func(cmds ...string) error {
		for _, cmd := range cmds {
			if o.Logf != nil {
				o.Logf("query %s: %s", o.Server, cmd)
			}
			if cmd != "!!" && !strings.HasPrefix(cmd, "!n") {
				query = append(query, cmd) // identification is not part of the query
			}
			if _, err := w.WriteString(cmd + "\n"); err != nil {
				return err
			}
		}
		return w.Flush()
	}
	read := func(cmd string) (Reply, error) {
		rep, err := ReadReply(r, remaining)
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) {
				kind := Malformed
				if fe.Truncated {
					kind = Truncated
				}
				return Reply{}, &Error{Kind: kind, Msg: fmt.Sprintf("answer from %s to %s: %s", o.Server, cmd, fe.Msg), Err: err}
			}
			return Reply{}, err
		}
		remaining -= len(rep.Data)
		ans.Bytes += len(rep.Data)
		return rep, nil
	}
	failed := func(cmd string, rep Reply) error {
		msg := termsafe.Line(clipS(rep.Message))
		if msg == "" {
			msg = "no reason given"
		}
		return &Error{Kind: ServerError, Msg: fmt.Sprintf("%s rejected %s: %s", o.Server, cmd, msg)}
	}
	expectC := func(cmd string) error {
		rep, err := read(cmd)
		if err != nil {
			return err
		}
		if rep.Code != 'C' {
			return failed(cmd, rep)
		}
		return nil
	}

	// "!!" keeps the connection open for several commands; it has no reply.
	first := []string{"!!"}
	if o.ClientName != "" {
		first = append(first, "!n"+o.ClientName)
	}
	readDefaults := len(o.Sources) == 0 && !o.IncludeRPKI
	if readDefaults {
		first = append(first, "!s-lc")
	}
	sources := o.Sources
	if !readDefaults {
		// Everything goes in one batch.
		first = append(first, familyCommands(o, sources)...)
	}
	if err := send(first...); err != nil {
		return nil, err
	}
	if o.ClientName != "" {
		// Identification is a courtesy: a server that rejects it still answers.
		cmd := "!n" + o.ClientName
		rep, err := read(cmd)
		if err != nil {
			return nil, err
		}
		if rep.Code != 'C' && o.Logf != nil {
			o.Logf("%s did not accept %s (%c %s); going on", o.Server, cmd, rep.Code, termsafe.Line(clipS(rep.Message)))
		}
	}
	if readDefaults {
		rep, err := read("!s-lc")
		if err != nil {
			return nil, err
		}
		if rep.Code != 'A' {
			return nil, failed("!s-lc", rep)
		}
		all := splitList(string(rep.Data))
		for _, s := range all {
			if !SourceName(s) {
				return nil, &Error{Kind: Malformed, Msg: fmt.Sprintf("answer from %s to !s-lc: %q is not a source name", o.Server, clipS(s))}
			}
		}
		for _, s := range all {
			if s != "RPKI" {
				sources = append(sources, s)
			}
		}
		if len(sources) == 0 {
			return nil, &Error{Kind: ServerError, Msg: fmt.Sprintf("%s offers no source besides RPKI (default sources: %s)", o.Server, termsafe.Line(clipS(string(rep.Data))))}
		}
		if len(sources) == len(all) {
			sources = nil // RPKI is not selected by default: nothing to change
		}
		ans.Sources = all
		if err := send(familyCommands(o, sources)...); err != nil {
			return nil, err
		}
	}
	if len(sources) > 0 {
		if err := expectC("!s" + strings.Join(sources, ",")); err != nil {
			return nil, err
		}
		ans.Sources = sources
	}
	type fam struct {
		want bool
		cmd  string
		v6   bool
	}
	for _, f := range []fam{{o.V4, "!g" + o.ASN, false}, {o.V6, "!6" + o.ASN, true}} {
		if !f.want {
			continue
		}
		rep, err := read(f.cmd)
		if err != nil {
			return nil, err
		}
		switch rep.Code {
		case 'A':
			toks := strings.Fields(string(rep.Data))
			ans.Routes = slices.Grow(ans.Routes, len(toks)) // routes are large: no growing by copies
			for _, tok := range toks {
				// The rule of the RPSL style: a registration with an
				// unusable prefix (host bits set, IPv4-mapped, wrong
				// family) is dropped and named, not the whole answer.
				p, err := ParsePrefix(tok, f.v6)
				ans.Routes = append(ans.Routes, Route{Key: tok, Prefix: p, Err: err, Origin: o.ASN})
			}
		case 'C', 'D':
			// No prefixes for this family.
		default:
			return nil, failed(f.cmd, rep)
		}
	}
	ans.Query = strings.Join(query, " ")
	if len(ans.Routes) == 0 {
		return nil, &Error{Kind: Empty, Msg: fmt.Sprintf("%s has no prefixes for %s (answers to %s)", o.Server, o.ASN, ans.Query)}
	}
	return ans, nil
}

// familyCommands selects the sources (when given) and asks for each family.
func familyCommands(o Options, sources []string) []string {
	var cmds []string
	if len(sources) > 0 {
		cmds = append(cmds, "!s"+strings.Join(sources, ","))
	}
	if o.V4 {
		cmds = append(cmds, "!g"+o.ASN)
	}
	if o.V6 {
		cmds = append(cmds, "!6"+o.ASN)
	}
	return cmds
}

// SourceName reports whether s can be an IRR source name (RADB, RIPE,
// NTTCOM, RPKI…): letters, digits, '-' and '_'. A name from the server is
// sent back in !s and written into the file's header, so nothing else may
// pass.
func SourceName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		out = append(out, strings.ToUpper(strings.TrimSpace(f)))
	}
	return out
}
