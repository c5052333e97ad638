package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

const (
	mockToken  = "EAAbenchtoken"
	mockSecret = "bench-secret"
	mockPath   = "/v21.0/109283746501928/messages"
	mockUsers  = 1000
	// mockCanned is the bare reference's answer: a real send answer's size and shape.
	mockCanned = `{"messaging_product":"whatsapp","contacts":[{"input":"447700900001","wa_id":"447700900001"}],"messages":[{"id":"wamid.HBgMNDQ3NzAwOTAwMDAxFQIAERgUOUUzNzlFMzc3OUI5N0Y0QTdDMTEA"}]}`
)

// runMock measures the Cloud API twin as a user runs it: the real binary
// (human output to a file) with its webhook pointing at the app under
// test — a bare loopback server in a process of its own that answers 200
// to every webhook, counts the statuses and replies through the Graph API
// to every inbound message. The mock runs as a user starts it (Meta's
// habits, retries and coalescing on, the web inspector beside it; only
// zero delays and no throughput limits), and strict (every habit and
// coalescing off: one POST per status), each also with --no-inspect
// --quiet, to show what the habits, the inspector and the terminal lines
// cost. The reference is a bare net/http handler returning a canned send
// answer, in its own process. All are driven by the same load generators,
// each round starting with a different server; the ratios are the medians
// of the rounds' ratios.
//
// Per server and round: a paced run at -rate sends/s from a Go client in
// this process, on schedule (answer latency only: request written to
// answer read) on a fresh server, during which the app notes when each
// delivered webhook arrives, for the lag from send to delivered; a
// saturated run from wrk (one thread, a pool of sends to 1,000 users whose
// windows are open): answers per second, p50/p99, and for the mock the
// time until it had posted every webhook and the app had answered it, so
// the sustained rate — sends per second of run plus drain — is reported
// beside the answer rate; CPU per send of the server process (the mock's
// includes building, signing and posting the statuses) and of the app;
// then the paced run again, after the saturation. Last, in a fresh
// process, the RSS of a mock holding 10,000 users and 1,000,000 messages.
func runMock(args []string) error {
	fs := flag.NewFlagSet("mock", flag.ContinueOnError)
	conc := fs.Int("c", 16, "concurrent connections of the saturated runs")
	dur := fs.Duration("d", 5*time.Second, "measured duration of one run")
	rounds := fs.Int("rounds", 3, "rounds; each runs every server once, starting with a different one")
	rate := fs.Int("rate", 1000, "sends per second of the paced runs")
	users := fs.Int("users", 10000, "simulated users for the memory run")
	messages := fs.Int("messages", 1000000, "messages of history for the memory run")
	memory := fs.Bool("memory", true, "run the memory run (several minutes)")
	memOnly := fs.Bool("memory-run", false, "internal: only the memory run, in this process")
	reference := fs.Bool("reference-server", false, "internal: run the bare reference server")
	appServer := fs.Bool("app-server", false, "internal: run the app under test")
	appDelay := fs.Duration("app-delay", 0, "the app answers each webhook after this long, as a slow app would (the send → delivered lag then shows what the mock does for it)")
	only := fs.String("servers", "", "comma-separated servers to run (bare,mock,mock-watched,mock-ni,mock-q,strict,strict-q,mock-old; bare always runs, for the ratios); empty: all but mock-old")
	oldBin := fs.String("old", "", "also run the mock as it starts from this other wa-hooks `BINARY` (an older build) as mock-old, to compare two builds in the same run (add mock-old to -servers)")
	perfDir := fs.String("perf", "", "record a CPU profile of every mock's saturated run with perf (call graphs) into this `DIR`, beside a wa-hooks build with symbols: perf report -i DIR/FILE")
	fs.StringVar(&perfEvent, "perf-event", "", "with -perf, record this perf `EVENT` instead of CPU samples with call graphs, e.g. raw_syscalls:sys_enter to count each mock's syscalls per send (perf script -F trace)")
	fs.StringVar(&stderrDir, "stderr", "", "append each server's stderr to DIR/NAME.err, e.g. to read GODEBUG=gctrace=1 given in the environment")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *memOnly {
		return mockMemory(*users, *messages)
	}
	if *oldBin == "" && slices.Contains(strings.Split(*only, ","), "mock-old") {
		return errors.New("-servers mock-old needs -old BINARY: the wa-hooks build to compare with")
	}
	if *appServer {
		a := newBenchApp()
		a.delay = *appDelay
		return a.serveUntilSignal()
	}
	if *reference {
		return serveUntilSignal(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			_, _ = w.Write([]byte(mockCanned))
		}), "")
	}
	wrkBin, err := ensureWrk()
	if err != nil {
		return err
	}
	bin, dir, cleanup, err := buildWaHooksSymbols("mock", *perfDir)
	if err != nil {
		return err
	}
	defer cleanup()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "WA_HOOKS_APP_SECRET="+mockSecret, "WA_HOOKS_ACCESS_TOKEN="+mockToken, "NO_COLOR=1")
	// The app runs in its own process, so its work on the webhooks does not
	// delay the load generator's clock (the paced client is in this one).
	ap, err := startProc(self, []string{"mock", "-app-server", "-app-delay", appDelay.String()}, env, dir, "app")
	if err != nil {
		return err
	}
	defer ap.stop()
	app := &appClient{url: strings.TrimRight(ap.url, "/"), pid: ap.cmd.Process.Pid, sentAt: map[string]time.Time{}}
	benchSent = app.sent
	pool := filepath.Join(dir, "pool")
	if err := writeGraphPool(pool); err != nil {
		return err
	}
	hook := app.url + "/webhook"
	watchAddr, err := freeAddr()
	if err != nil {
		return err
	}
	servers := []benchServer{
		{name: "bare", bin: self, args: []string{"mock", "-reference-server"}},
		{name: "mock", bin: bin, args: mockArgs(hook)},
		{name: "mock-watched", bin: bin, args: append(mockArgs(hook), "--inspect", watchAddr)},
		{name: "mock-ni", bin: bin, args: append(mockArgs(hook), "--no-inspect")},
		{name: "mock-q", bin: bin, args: append(mockArgs(hook), "--no-inspect", "--quiet")},
		{name: "strict", bin: bin, args: strictArgs(hook)},
		{name: "strict-q", bin: bin, args: append(strictArgs(hook), "--no-inspect", "--quiet")},
		{name: "mock-old", bin: *oldBin, args: mockArgs(hook)},
	}
	keep := map[string]bool{"bare": true}
	if *only == "" {
		for _, s := range servers {
			keep[s.name] = s.name != "mock-old" // only when asked for
		}
	} else {
		for _, n := range strings.Split(*only, ",") {
			keep[strings.TrimSpace(n)] = true
		}
	}
	servers = slices.DeleteFunc(servers, func(s benchServer) bool { return !keep[s.name] })
	fmt.Printf("mock benchmark: %d rounds rotating the order, median of per-round ratios\n", *rounds)
	fmt.Printf("saturated: wrk, 1 thread, %d connections, a pool of sends to %d users, %s per run\n", *conc, mockUsers, *dur)
	fmt.Printf("paced: Go client in the bench process, %d sends/s on schedule (open loop, 16 connections), %s per run, on a fresh server and after the saturated run\n\n", *rate, *dur)
	type roundResult struct {
		sat, paced, after loadResult
		inside            time.Duration // the mock's own p99 in the fresh paced run
	}
	results := map[string][]roundResult{}
	drains := map[string][]mockDrain{}
	lags := map[string][]time.Duration{} // per mock as it starts (mock, mock-old)
	asItStarts := func(name string) bool { return name == "mock" || name == "mock-old" }
	for r := range *rounds {
		for k := range servers {
			s := servers[(r+k)%len(servers)]
			p, err := startProc(s.bin, s.args, env, dir, s.name)
			if err != nil {
				return err
			}
			isMock := s.name != "bare"
			if isMock {
				if err := app.prepare(p.url); err != nil {
					_ = p.stop()
					return err
				}
			}
			unwatch := func() {}
			if s.name == "mock-watched" {
				if unwatch, err = watchInspector(watchAddr); err != nil {
					_ = p.stop()
					return err
				}
			}
			url := strings.TrimRight(p.url, "/") + mockPath
			settle := func(want int64) mockDrain {
				if !isMock {
					return mockDrain{}
				}
				return app.idle(p.url, want)
			}
			// Paced first, on a mock holding only the bench users and a
			// second of warm-up, as the mock is when a user's app starts
			// talking to it; again after the saturated run below.
			driveGraph(url, 16, time.Second, *rate) // warm-up
			settle(0)
			app.record(asItStarts(s.name))
			del0 := app.delivered()
			pacedFrom := time.Now()
			paced := driveGraph(url, 16, *dur, *rate)
			settle(del0 + strictWant(s.name, paced.n))
			var inside time.Duration // the mock's own time per answer (its log's latency), p99
			if isMock {
				inside = handlerP99(p.url, pacedFrom)
			}
			if asItStarts(s.name) {
				lags[s.name] = append(lags[s.name], app.lags()...)
			}
			app.record(false)
			if _, err := wrkRun(wrkBin, dir, pool, url, *conc, time.Second); err != nil { // warm-up
				_ = p.stop()
				return err
			}
			settle(0)
			pid := p.cmd.Process.Pid
			cpu0, app0 := procCPU(pid), procCPU(app.pid)
			sw0 := procSwitches(pid)
			posts0 := app.counts().Posts
			del0 = app.delivered()
			profile := ""
			if *perfDir != "" && isMock {
				profile = filepath.Join(*perfDir, fmt.Sprintf("%s-r%d.perf.data", s.name, r+1))
			}
			stopProfile, err := perfRecord(profile, pid)
			if err != nil {
				_ = p.stop()
				return err
			}
			sat, err := wrkRun(wrkBin, dir, pool, url, *conc, *dur)
			stopProfile()
			if err != nil {
				_ = p.stop()
				return err
			}
			var dr mockDrain
			if isMock {
				dr = app.idle(p.url, del0+strictWant(s.name, sat.n))
				drains[s.name] = append(drains[s.name], dr)
			}
			sat.serverCPU = procCPU(pid) - cpu0
			rssKB := procRSS(pid, "VmRSS") // after the saturated run: the backlog of an unwatched inspector is full
			appCPU := procCPU(app.pid) - app0
			posts := app.counts().Posts - posts0
			switches := procSwitches(pid) - sw0
			del0 = app.delivered()
			afterFrom := time.Now()
			after := driveGraph(url, 16, *dur, *rate)
			settle(del0 + strictWant(s.name, after.n))
			var insideAfter time.Duration
			if isMock {
				insideAfter = handlerP99(p.url, afterFrom)
			}
			unwatch()
			if err := p.stop(); err != nil {
				return fmt.Errorf("%s: %v", s.name, err)
			}
			results[s.name] = append(results[s.name], roundResult{sat, paced, after, inside})
			line := fmt.Sprintf("  round %d %-12s %7.0f sends/s  p50 %8s  p99 %8s  server CPU %6.1f µs/send  %.1f context switches/send", r+1, s.name,
				sat.rps, sat.p50.Round(time.Microsecond), sat.p99.Round(time.Microsecond), sat.cpuPerRequest(), float64(switches)/float64(max(sat.n, 1)))
			if isMock {
				line += fmt.Sprintf("  app CPU %5.1f µs/send  %.2f webhook POSTs/send  webhooks drained %s after the run (sustained %.0f sends/s)  RSS %d MB",
					float64(appCPU.Microseconds())/float64(max(sat.n, 1)), float64(posts)/float64(max(sat.n, 1)),
					dr.after.Round(time.Millisecond), float64(sat.n)/(dur.Seconds()+dr.after.Seconds()), rssKB/1024)
				if dr.missing > 0 {
					line += fmt.Sprintf(", %d delivered statuses MISSING", dr.missing)
				}
			}
			fmt.Println(line)
			fmt.Printf("          paced %5.0f sends/s  p50 %8s  p99 %8s;  after the saturated run %5.0f sends/s  p50 %8s  p99 %8s  (%d errors)\n",
				paced.rps, paced.p50.Round(time.Microsecond), paced.p99.Round(time.Microsecond),
				after.rps, after.p50.Round(time.Microsecond), after.p99.Round(time.Microsecond), sat.errors+paced.errors+after.errors)
			if isMock {
				fmt.Printf("          the mock's own time per answer (handler start to answer, from its log), p99: %s fresh, %s after\n",
					inside.Round(time.Microsecond), insideAfter.Round(time.Microsecond))
			}
		}
	}

	med := func(name string, f func(roundResult) float64) float64 {
		var xs []float64
		for _, rr := range results[name] {
			xs = append(xs, f(rr))
		}
		return median(xs)
	}
	ratio := func(name string, f func(roundResult) float64) ([]float64, float64) {
		var xs []float64
		for i := range results[name] {
			xs = append(xs, f(results[name][i])/f(results["bare"][i]))
		}
		return xs, median(xs)
	}
	fmt.Println()
	for _, s := range servers {
		name := s.name
		fmt.Printf("  %-12s median %7.0f sends/s  p99 %8s  CPU %6.1f µs/send;  paced p50 %8s  p99 %8s;  after saturation p99 %8s\n", name,
			med(name, func(r roundResult) float64 { return r.sat.rps }),
			time.Duration(med(name, func(r roundResult) float64 { return float64(r.sat.p99) })).Round(time.Microsecond),
			med(name, func(r roundResult) float64 { return r.sat.cpuPerRequest() }),
			time.Duration(med(name, func(r roundResult) float64 { return float64(r.paced.p50) })).Round(time.Microsecond),
			time.Duration(med(name, func(r roundResult) float64 { return float64(r.paced.p99) })).Round(time.Microsecond),
			time.Duration(med(name, func(r roundResult) float64 { return float64(r.after.p99) })).Round(time.Microsecond))
	}
	for _, srv := range servers[1:] {
		name := srv.name
		what := map[string]string{"mock": "mock as it starts (Meta's habits and coalescing on, web inspector beside it and no page open yet, terminal lines to a file)",
			"mock-watched": "mock as it starts with its inspector's page open (the users loaded, both live streams read)",
			"mock-ni":      "mock --no-inspect (its terminal lines to a file, no web inspector)",
			"mock-q":       "mock --no-inspect --quiet",
			"strict":       "strict: habits and coalescing off (--batch-rate 0 --no-coalesce …), one status per POST",
			"strict-q":     "strict --no-inspect --quiet",
			"mock-old":     "the older build's mock as it starts (-old)"}[name]
		fmt.Printf("  %s ÷ bare:\n", what)
		rs, rm := ratio(name, func(r roundResult) float64 { return r.sat.rps })
		fmt.Printf("    answered sends/s %.2f× %s (goal ≥ 0.5×)\n", rm, formatRatios(rs))
		var sust []float64
		for i, d := range drains[name] {
			m, b := results[name][i].sat, results["bare"][i].sat
			sust = append(sust, float64(m.n)/(dur.Seconds()+d.after.Seconds())/b.rps)
		}
		fmt.Printf("    sustained (run + drain until the mock had posted every webhook and the app answered it) %.2f× %s\n", median(sust), formatRatios(sust))
		cs, cm := ratio(name, func(r roundResult) float64 { return 1 / r.sat.cpuPerRequest() })
		fmt.Printf("    CPU per send, bare ÷ mock %.2f× %s\n", cm, formatRatios(cs))
		ps, pm := ratio(name, func(r roundResult) float64 { return float64(r.paced.p99) })
		fmt.Printf("    p99 at %d sends/s: %s (goal < 2 ms), %.1f× bare's %s %s\n", *rate,
			time.Duration(med(name, func(r roundResult) float64 { return float64(r.paced.p99) })).Round(time.Microsecond), pm,
			time.Duration(med("bare", func(r roundResult) float64 { return float64(r.paced.p99) })).Round(time.Microsecond), formatRatios(ps))
		fmt.Printf("    of which inside the mock (handler start to answer, its log's latency): p99 %s\n",
			time.Duration(med(name, func(r roundResult) float64 { return float64(r.inside) })).Round(time.Microsecond))
		as, am := ratio(name, func(r roundResult) float64 { return float64(r.after.p99) })
		fmt.Printf("    p99 at %d sends/s after the saturated run: %s, %.1f× bare's %s %s\n", *rate,
			time.Duration(med(name, func(r roundResult) float64 { return float64(r.after.p99) })).Round(time.Microsecond), am,
			time.Duration(med("bare", func(r roundResult) float64 { return float64(r.after.p99) })).Round(time.Microsecond), formatRatios(as))
	}
	for _, name := range []string{"mock", "mock-old"} {
		l := lags[name]
		if len(l) == 0 {
			continue
		}
		slices.Sort(l)
		fmt.Printf("  %s: send (request start) → its delivered webhook at the app, paced runs, zero delays, the app answering in %s (%d messages): p50 %.2f ms, p99 %.2f ms\n",
			name, *appDelay, len(l), ms(l[len(l)/2]), ms(l[len(l)*99/100]))
	}
	if !*memory {
		return nil
	}
	fmt.Fprintf(os.Stderr, "memory run: %d users, %d messages…\n", *users, *messages)
	cmd := exec.Command(self, "mock", "-memory-run", fmt.Sprintf("-users=%d", *users), fmt.Sprintf("-messages=%d", *messages))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// mockArgs runs the mock as a user starts it, with only what a load test
// must change: zero delays (as the issue asks) and Meta's throughput and
// pair-rate limits off (else most sends are refused with 130429). Meta's
// habits, retries, coalescing, the web inspector and the terminal lines
// (to a file here) stay as they are by default.
func mockArgs(webhook string) []string {
	return []string{"mock", "--addr", "127.0.0.1:0", "--webhook", webhook,
		"--status-delay", "0", "--read-after", "0", "--mps", "0", "--pair-burst", "0"}
}

// strictArgs is the mock with every habit off and coalescing off: exactly
// a sent and a delivered POST per send, each posted once.
func strictArgs(webhook string) []string {
	return append(mockArgs(webhook), "--no-retry", "--no-coalesce",
		"--batch-rate", "0", "--out-of-order-rate", "0", "--skip-delivered-rate", "0", "--duplicate-rate", "0")
}

// strictWant is how many more delivered statuses the app must see after
// n sends: one each from the strict mock; with Meta's habits on a few are
// skipped or held (and duplicates add some), so the drain only waits for
// the mock to have posted everything.
func strictWant(name string, n int) int64 {
	if strings.HasPrefix(name, "strict") {
		return int64(n)
	}
	return 0
}

// writeGraphPool writes wrk's pool: one text send to each bench user.
func writeGraphPool(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i := range mockUsers {
		body := `{"messaging_product":"whatsapp","to":"` + benchPhone(i) + `","type":"text","text":{"body":"bench"}}`
		head := "POST " + mockPath + " HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n" +
			"Authorization: Bearer " + mockToken + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
		fmt.Fprintf(w, "%d\n%s%s", len(head)+len(body), head, body)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func benchPhone(i int) string { return fmt.Sprintf("4477009%05d", i) }

// benchApp is the app under test, in a process of its own: a bare
// loopback server that answers 200 to every webhook at once, counts the
// statuses, and replies (through the mock's Graph API) to every inbound
// message. Under /_bench/ the bench reads its counts and the arrival of
// each delivered status.
type benchApp struct {
	delay     time.Duration // before answering each webhook
	client    *http.Client
	graph     atomic.Value // the mock's base URL
	delivered atomic.Int64
	replies   atomic.Int64
	posts     atomic.Int64 // webhook POSTs received
	recording atomic.Bool

	mu      sync.Mutex
	arrived map[string]int64 // wamid → unix nanoseconds
}

var deliveredMark = []byte(`"status":"delivered"`)

func newBenchApp() *benchApp {
	return &benchApp{client: &http.Client{Timeout: 30 * time.Second}, arrived: map[string]int64{}}
}

func (a *benchApp) serveUntilSignal() error {
	mux := http.NewServeMux()
	mux.HandleFunc("/webhook", a.serve)
	mux.HandleFunc("GET /_bench/stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"delivered":%d,"replies":%d,"posts":%d}`, a.delivered.Load(), a.replies.Load(), a.posts.Load())
	})
	mux.HandleFunc("POST /_bench/graph", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.graph.Store(string(b))
	})
	mux.HandleFunc("POST /_bench/record", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		clear(a.arrived)
		a.mu.Unlock()
		a.recording.Store(r.URL.Query().Get("on") == "1")
	})
	mux.HandleFunc("GET /_bench/arrivals", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		_ = json.NewEncoder(w).Encode(a.arrived)
	})
	return serveUntilSignal(mux, "")
}

func (a *benchApp) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	a.posts.Add(1)
	if n := bytes.Count(body, deliveredMark); n > 0 {
		if a.recording.Load() {
			a.noteDelivered(body) // when it arrived, before a slow app's delay
		}
		a.delivered.Add(int64(n))
	}
	if bytes.Contains(body, []byte(`"messages":[`)) {
		go a.reply(body)
	}
	if a.delay > 0 {
		time.Sleep(a.delay)
	}
	w.WriteHeader(http.StatusOK)
}

// reply answers each inbound text as an app would: one text back to its sender.
func (a *benchApp) reply(body []byte) {
	var env struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct{ From string }
				}
			}
		}
	}
	if json.Unmarshal(body, &env) != nil {
		return
	}
	base, _ := a.graph.Load().(string)
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			for _, m := range c.Value.Messages {
				b := `{"messaging_product":"whatsapp","to":"` + m.From + `","type":"text","text":{"body":"thanks!"}}`
				req, _ := http.NewRequest(http.MethodPost, base+mockPath, strings.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+mockToken)
				req.Header.Set("Content-Type", "application/json")
				if resp, err := a.client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						a.replies.Add(1)
					}
				}
			}
		}
	}
}

func (a *benchApp) noteDelivered(body []byte) {
	now := time.Now().UnixNano()
	var env struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Statuses []struct{ ID, Status string }
				}
			}
		}
	}
	_ = json.Unmarshal(body, &env)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			for _, s := range c.Value.Statuses {
				if s.Status == "delivered" {
					a.arrived[s.ID] = now
				}
			}
		}
	}
}

// appClient is the bench's side of the app process; it also keeps when
// each recorded send started (the paced client runs in this process).
type appClient struct {
	url       string
	pid       int
	recording atomic.Bool
	mu        sync.Mutex
	sentAt    map[string]time.Time
}

func (a *appClient) stats() (delivered, replies int64) {
	st := a.counts()
	return st.Delivered, st.Replies
}

type appCounts struct{ Delivered, Replies, Posts int64 }

func (a *appClient) counts() appCounts {
	var st appCounts
	if resp, err := http.Get(a.url + "/_bench/stats"); err == nil {
		_ = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
	}
	return st
}

func (a *appClient) delivered() int64 { d, _ := a.stats(); return d }

func (a *appClient) post(path, body string) {
	if resp, err := http.Post(a.url+path, "text/plain", strings.NewReader(body)); err == nil {
		resp.Body.Close()
	}
}

func (a *appClient) sent(id string, at time.Time) {
	if !a.recording.Load() {
		return
	}
	a.mu.Lock()
	a.sentAt[id] = at
	a.mu.Unlock()
}

func (a *appClient) record(on bool) {
	a.mu.Lock()
	clear(a.sentAt)
	a.mu.Unlock()
	a.recording.Store(on)
	q := "0"
	if on {
		q = "1"
	}
	a.post("/_bench/record?on="+q, "")
}

// lags joins send start times with delivered arrivals at the app (a
// delivered can arrive before the client has read the send's answer).
func (a *appClient) lags() []time.Duration {
	arrived := map[string]int64{}
	if resp, err := http.Get(a.url + "/_bench/arrivals"); err == nil {
		_ = json.NewDecoder(resp.Body).Decode(&arrived)
		resp.Body.Close()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var lags []time.Duration
	for id, at := range arrived {
		if sent, ok := a.sentAt[id]; ok {
			lags = append(lags, max(time.Unix(0, at).Sub(sent), 0))
		}
	}
	return lags
}

// prepare adds the bench users to the mock at base; each writes "hi",
// which opens their window, and the app replies to each.
func (a *appClient) prepare(base string) error {
	base = strings.TrimRight(base, "/")
	a.post("/_bench/graph", base)
	_, replies := a.stats()
	fmt.Fprintf(os.Stderr, "%d users write once each; the app replies…\n", mockUsers)
	for i := range mockUsers {
		if err := ctl(base, "POST", "users", map[string]string{"name": fmt.Sprintf("u%d", i), "identity": "phone", "wa_id": benchPhone(i)}); err != nil {
			return err
		}
		if err := ctl(base, "POST", fmt.Sprintf("users/u%d/say", i), map[string]string{"text": "hi"}); err != nil {
			return err
		}
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		_, r := a.stats()
		if r-replies >= mockUsers {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the app replied to %d of %d inbound messages within a minute", r-replies, mockUsers)
		}
	}
	a.idle(base, 0)
	return nil
}

type mockDrain struct {
	after   time.Duration // from the call until the mock had posted everything
	missing int64
}

// idle waits (at most a minute) until the mock at base has no webhook
// waiting to be posted or answered and, when want > 0, the app has seen
// want delivered statuses in all; it says how long that took.
func (a *appClient) idle(base string, want int64) mockDrain {
	start := time.Now()
	info := strings.TrimRight(base, "/") + "/_mock/info"
	for {
		var st struct {
			Waiting *int `json:"webhooks_waiting"`
		}
		if resp, err := http.Get(info); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
		}
		n := a.delivered()
		if st.Waiting != nil && *st.Waiting == 0 && n >= want {
			return mockDrain{after: time.Since(start)}
		}
		if time.Since(start) > time.Minute {
			return mockDrain{after: time.Since(start), missing: max(want-n, 0)}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// procSwitches counts the context switches of pid's threads so far
// (voluntary and not): each is a thread put to sleep or woken, the cost
// that goroutine hand-offs add on top of CPU profiles' functions.
func procSwitches(pid int) int64 {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var n int64
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += c
			}
		}
	}
	return n
}

// handlerP99 is the p99 of the mock's own latency (its log's latency_ms:
// from the handler's start to the answer) of the sends logged since from,
// among the entries its log still holds.
func handlerP99(base string, from time.Time) time.Duration {
	resp, err := http.Get(strings.TrimRight(base, "/") + "/_mock/log?since=0")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var page struct {
		Entries []struct {
			Time      time.Time `json:"time"`
			Kind      string    `json:"kind"`
			Path      string    `json:"path"`
			LatencyMS float64   `json:"latency_ms"`
		} `json:"entries"`
	}
	if json.NewDecoder(resp.Body).Decode(&page) != nil {
		return 0
	}
	var lat []float64
	for _, e := range page.Entries {
		if e.Kind == "graph" && e.Path == mockPath && !e.Time.Before(from) {
			lat = append(lat, e.LatencyMS)
		}
	}
	if len(lat) == 0 {
		return 0
	}
	sort.Float64s(lat)
	return time.Duration(lat[len(lat)*99/100] * float64(time.Millisecond))
}

func ctl(base, method, path string, body any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+"/_mock/"+path, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return nil
}

// benchSent records a send's start time by wamid (appClient.sent).
var benchSent func(id string, at time.Time)

// driveGraph posts text sends to url from conc clients for d; rate > 0
// paces the whole run at rate calls per second (each send is due at its
// time, whatever the answers before it took).
func driveGraph(url string, conc int, d time.Duration, rate int) loadResult {
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	start := time.Now()
	deadline := start.Add(d)
	var next atomic.Int64
	var wg sync.WaitGroup
	for c := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				n := next.Add(1)
				if rate > 0 {
					due := start.Add(time.Duration(n) * time.Second / time.Duration(rate))
					if wait := time.Until(due); wait > 0 {
						time.Sleep(wait)
					}
				}
				body := `{"messaging_product":"whatsapp","to":"` + benchPhone((int(n)*7+c)%mockUsers) + `","type":"text","text":{"body":"bench"}}`
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+mockToken)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				el := time.Since(t0)
				if resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				local = append(local, el)
				if i := bytes.Index(answer, []byte(`"id":"`)); i >= 0 && benchSent != nil {
					rest := answer[i+6:]
					if j := bytes.IndexByte(rest, '"'); j > 0 {
						benchSent(string(rest[:j]), t0)
					}
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := loadResult{n: len(lat), rps: float64(len(lat)) / elapsed.Seconds(), errors: errs}
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return r
}

// mockMemory fills a fresh in-process mock with users and history through
// its own handler and reports the process's RSS.
func mockMemory(users, messages int) error {
	// No webhook URL: the statuses are still built, signed and logged, but
	// not posted, so the run measures the mock's memory, not an app's speed.
	h := simnet.Habits{}
	l := simnet.Limits{}
	m, err := mock.New(mock.Options{AccessToken: mockToken, AppSecret: mockSecret, Habits: &h, Limits: &l,
		MaxHistory: max(messages, 1000000), NoRetry: true})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	m.SetBaseURL("http://" + ln.Addr().String())
	ln.Close()
	defer m.Close()
	handler := m.Handler()
	do := func(method, path, body string) int {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+mockToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec.Code
	}
	t0 := time.Now()
	for i := range users {
		if c := do("POST", "/_mock/users", fmt.Sprintf(`{"name":"m%d","identity":"phone","wa_id":"4479%08d"}`, i, i)); c != 200 {
			return fmt.Errorf("adding user %d: %d", i, c)
		}
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	per := messages / 2
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				k := w*per + i
				body := fmt.Sprintf(`{"messaging_product":"whatsapp","to":"4479%08d","type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}}`, k%users)
				if do("POST", mockPath, body) != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	fill := time.Since(t0)
	// Let the queued statuses drain before measuring.
	time.Sleep(3 * time.Second)
	runtime.GC()
	var mst runtime.MemStats
	runtime.ReadMemStats(&mst)
	rss := procRSS(os.Getpid(), "VmRSS")
	hwm := procRSS(os.Getpid(), "VmHWM")
	fmt.Printf("Memory: %d users, %d sends (%d refused) in %s; heap in use %.0f MB; RSS %.0f MB, peak %.0f MB (goal < 300 MB)\n",
		users, messages, failed.Load(), fill.Round(time.Second), float64(mst.HeapInuse)/(1<<20), float64(rss)/1024, float64(hwm)/1024)
	if failed.Load() > 0 {
		return errors.New("some sends were refused")
	}
	return nil
}

// watchInspector is a page left open on the mock's inspector at addr: the
// users loaded once (which files what the inspector kept until a page
// looked), then both live streams read until stop.
func watchInspector(addr string) (stop func(), err error) {
	base := "http://" + addr
	resp, err := http.Get(base + "/api/mock/users")
	if err != nil {
		return nil, fmt.Errorf("mock-watched: the inspector at %s: %v", addr, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mock-watched: the inspector at %s answered %s", addr, resp.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, path := range []string{"/api/stream", "/api/mock/stream"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil && resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			err = errors.New(resp.Status)
		}
		if err != nil {
			cancel()
			wg.Wait()
			return nil, fmt.Errorf("mock-watched: %s: %v", path, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	return func() { cancel(); wg.Wait() }, nil
}
