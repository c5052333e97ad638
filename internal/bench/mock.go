package main

import (
	"bytes"
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
	"runtime"
	"sort"
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
)

// runMock measures the Cloud API twin: Graph send calls per second and
// p99 answer latency against a bare net/http handler returning a canned
// answer (same load generator, same process, alternating rounds), the p99
// at a fixed 1,000 sends/s with the lag from each send to its delivered
// webhook (delays zero), and — in a fresh process — the RSS of a mock
// holding 10,000 users and 1,000,000 messages of history.
func runMock(args []string) error {
	fs := flag.NewFlagSet("mock", flag.ContinueOnError)
	conc := fs.Int("c", 16, "concurrent clients")
	dur := fs.Duration("d", 5*time.Second, "measured duration of one run")
	rounds := fs.Int("rounds", 2, "runs per server, alternating")
	users := fs.Int("users", 10000, "simulated users for the memory run")
	messages := fs.Int("messages", 1000000, "messages of history for the memory run")
	memOnly := fs.Bool("memory-run", false, "internal: only the memory run, in this process")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *memOnly {
		return mockMemory(*users, *messages)
	}
	app, lagOf := benchApp()
	defer app.Close()
	_, base, stop, err := startBenchMock(app.URL, 1000)
	if err != nil {
		return err
	}
	ref := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = w.Write([]byte(`{"messaging_product":"whatsapp","contacts":[{"input":"15550100001","wa_id":"15550100001"}],"messages":[{"id":"wamid.HBgLMTU1NTAxMDAwMDEVAgARGBQ5RTM3OUUzNzc5Qjk3RjRBN0MxMQA="}]}`))
	}))
	defer ref.Close()
	fmt.Fprintf(os.Stderr, "%d users write once each to open their windows…\n", 1000)
	for i := range 1000 {
		if err := ctl(base, "POST", "users", map[string]string{"name": fmt.Sprintf("u%d", i), "identity": "phone", "wa_id": fmt.Sprintf("4477009%05d", i)}); err != nil {
			return err
		}
		if err := ctl(base, "POST", fmt.Sprintf("users/u%d/say", i), map[string]string{"text": "hi"}); err != nil {
			return err
		}
	}
	_, bare, stopBare, err := startBenchMock("", 1000)
	if err != nil {
		return err
	}
	for i := range 1000 {
		_ = ctl(bare, "POST", "users", map[string]string{"name": fmt.Sprintf("u%d", i), "identity": "phone", "wa_id": fmt.Sprintf("4477009%05d", i)})
		_ = ctl(bare, "POST", fmt.Sprintf("users/u%d/window", i), map[string]bool{"open": true})
	}
	var refR, mockR, bareR []benchResult
	for r := range *rounds {
		fmt.Fprintf(os.Stderr, "round %d/%d…\n", r+1, *rounds)
		refR = append(refR, driveGraph(ref.URL+mockPath, *conc, *dur, 0))
		mockR = append(mockR, driveGraph(base+mockPath, *conc, *dur, 0))
		bareR = append(bareR, driveGraph(bare+mockPath, *conc, *dur, 0))
	}
	stopBare()
	fmt.Fprintf(os.Stderr, "1,000 sends/s for %s…\n", *dur)
	fixed := driveGraph(base+mockPath, *conc, *dur, 1000)
	time.Sleep(time.Second)
	lags := lagOf()
	stop()

	best := func(rs []benchResult) benchResult {
		b := rs[0]
		for _, r := range rs[1:] {
			if r.rps > b.rps {
				b = r
			}
		}
		return b
	}
	br, bm, bb := best(refR), best(mockR), best(bareR)
	fmt.Printf("Graph send calls (POST %s, %d clients, %s runs, best of %d)\n", mockPath, *conc, *dur, *rounds)
	fmt.Printf("  bare net/http canned answer  %8.0f calls/s  p50 %.2f ms  p99 %.2f ms\n", br.rps, ms(br.p50), ms(br.p99))
	fmt.Printf("  wa-hooks mock                %8.0f calls/s  p50 %.2f ms  p99 %.2f ms  (%d refused)\n", bm.rps, ms(bm.p50), ms(bm.p99), bm.errors)
	fmt.Printf("  ratio                        %8.2f×  (goal ≥ 0.5×; each send also posts its sent and delivered webhooks to the app, in this process)\n", bm.rps/br.rps)
	fmt.Printf("  mock without a webhook URL   %8.0f calls/s  p50 %.2f ms  p99 %.2f ms  ratio %.2f×  (statuses built and signed, not posted)\n", bb.rps, ms(bb.p50), ms(bb.p99), bb.rps/br.rps)
	fmt.Printf("At 1,000 sends/s: %0.f calls/s answered, p50 %.2f ms, p99 %.2f ms (goal < 2 ms), %d refused\n", fixed.rps, ms(fixed.p50), ms(fixed.p99), fixed.errors)
	if len(lags) > 0 {
		sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
		fmt.Printf("Send (request start) → delivered webhook arrival lag (zero delays, %d messages): p50 %.2f ms, p99 %.2f ms\n", len(lags), ms(lags[len(lags)/2]), ms(lags[len(lags)*99/100]))
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "memory run: %d users, %d messages…\n", *users, *messages)
	cmd := exec.Command(self, "mock", "-memory-run", fmt.Sprintf("-users=%d", *users), fmt.Sprintf("-messages=%d", *messages))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

type benchResult struct {
	rps      float64
	p50, p99 time.Duration
	errors   int
}

// startBenchMock runs a mock in this process on a loopback port with
// Meta's habits off and zero delays.
func startBenchMock(webhook string, maxHistory int) (*mock.Server, string, func(), error) {
	h := simnet.Habits{}
	l := simnet.Limits{}
	m, err := mock.New(mock.Options{Webhook: webhook, AccessToken: mockToken, AppSecret: mockSecret, Habits: &h, Limits: &l,
		MaxHistory: max(maxHistory, 1000000), NoRetry: true})
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	base := "http://" + ln.Addr().String()
	m.SetBaseURL(base)
	srv := &http.Server{Handler: m.Handler()}
	go srv.Serve(ln)
	return m, base, func() { srv.Close(); m.Close() }, nil
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

// benchApp is the app under test: a bare loopback server that answers 200
// to every webhook and notes when each delivered status arrives. A
// delivered can arrive before the client has read the send's answer, so
// answers and arrivals are joined at the end.
func benchApp() (*httptest.Server, func() []time.Duration) {
	var mu sync.Mutex
	sentAt := map[string]time.Time{}
	arrived := map[string]time.Time{}
	benchSent = func(id string, at time.Time) {
		mu.Lock()
		sentAt[id] = at
		mu.Unlock()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(200)
		if !recordSends.Load() || !bytes.Contains(body, []byte(`"delivered"`)) {
			return
		}
		now := time.Now()
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
		mu.Lock()
		defer mu.Unlock()
		for _, e := range env.Entry {
			for _, c := range e.Changes {
				for _, s := range c.Value.Statuses {
					if s.Status == "delivered" {
						arrived[s.ID] = now
					}
				}
			}
		}
	}))
	return srv, func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		var lags []time.Duration
		for id, at := range arrived {
			if sent, ok := sentAt[id]; ok {
				lags = append(lags, max(at.Sub(sent), 0))
			}
		}
		return lags
	}
}

// benchSent records a send's answer time by wamid (only during the fixed-rate run).
var benchSent func(id string, at time.Time)

var recordSends atomic.Bool

// driveGraph posts text sends to url from conc clients for d; rate > 0
// paces the whole run at rate calls per second.
func driveGraph(url string, conc int, d time.Duration, rate int) benchResult {
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	recordSends.Store(rate > 0)
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
			for i := 0; time.Now().Before(deadline); i++ {
				n := next.Add(1)
				if rate > 0 {
					due := start.Add(time.Duration(n) * time.Second / time.Duration(rate))
					if wait := time.Until(due); wait > 0 {
						time.Sleep(wait)
					}
				}
				to := fmt.Sprintf("4477009%05d", (int(n)*7+c)%1000)
				body := `{"messaging_product":"whatsapp","to":"` + to + `","type":"text","text":{"body":"bench"}}`
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
				if recordSends.Load() && benchSent != nil {
					if i := bytes.Index(answer, []byte(`"id":"`)); i >= 0 {
						rest := answer[i+6:]
						if j := bytes.IndexByte(rest, '"'); j > 0 {
							benchSent(string(rest[:j]), t0)
						}
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
	r := benchResult{rps: float64(len(lat)) / elapsed.Seconds(), errors: errs}
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return r
}

// mockMemory fills a fresh mock with users and history through its own
// handler and reports the process's RSS.
func mockMemory(users, messages int) error {
	// No webhook URL: the statuses are still built, signed and logged, but
	// not posted, so the run measures the mock's memory, not an app's speed.
	m, _, stop, err := startBenchMock("", messages)
	if err != nil {
		return err
	}
	defer stop()
	h := m.Handler()
	do := func(method, path, body string) int {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+mockToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
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
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss := procRSS(os.Getpid(), "VmRSS")
	hwm := procRSS(os.Getpid(), "VmHWM")
	fmt.Printf("Memory: %d users, %d sends (%d refused) in %s; heap in use %.0f MB; RSS %.0f MB, peak %.0f MB (goal < 300 MB)\n",
		users, messages, failed.Load(), fill.Round(time.Second), float64(ms.HeapInuse)/(1<<20), float64(rss)/1024, float64(hwm)/1024)
	if failed.Load() > 0 {
		return errors.New("some sends were refused")
	}
	return nil
}
