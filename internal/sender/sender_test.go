package sender

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// staticFeed sends the same bodies over and over.
type staticFeed struct{ bodies []string }

func (f staticFeed) Len() int { return len(f.bodies) }
func (f staticFeed) NewStream() Stream {
	return staticStream(f)
}

type staticStream staticFeed

func (s staticStream) Delivery(job int) (Delivery, error) {
	b := s.bodies[job%len(s.bodies)]
	return Delivery{Name: "b", Body: []byte(b), Header: http.Header{"Content-Type": {"application/json"}}, Events: 1}, nil
}

func newClient(t *testing.T, o ClientOptions) *http.Client {
	t.Helper()
	c, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDeliverSendsExactBytesAndHeaders(t *testing.T) {
	var got []byte
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		hdr = r.Header.Clone()
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short and stout")
	}))
	defer srv.Close()
	body := []byte(`{"a":"caf\u00e9 https:\/\/x"}`)
	res := Deliver(context.Background(), newClient(t, ClientOptions{}), srv.URL, Delivery{
		Name: "x", Body: body, Header: http.Header{"X-Hub-Signature-256": {"sha256=00"}, "User-Agent": {"facebookexternalua"}},
	})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if string(got) != string(body) {
		t.Errorf("server got %q, want %q", got, body)
	}
	if hdr.Get("User-Agent") != "facebookexternalua" || hdr.Get("X-Hub-Signature-256") != "sha256=00" {
		t.Errorf("headers: %v", hdr)
	}
	if hdr.Get("Accept-Encoding") != "" {
		t.Errorf("client added Accept-Encoding %q", hdr.Get("Accept-Encoding"))
	}
	if res.Status != http.StatusTeapot || string(res.Response) != "short and stout" {
		t.Errorf("result %d %q", res.Status, res.Response)
	}
}

func TestDeliverDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	res := Deliver(context.Background(), newClient(t, ClientOptions{}), srv.URL, Delivery{Body: []byte("{}"), Header: http.Header{}})
	if res.Status != http.StatusFound {
		t.Fatalf("status %d, want 302 (redirect not followed)", res.Status)
	}
}

func TestExplainConnectionErrors(t *testing.T) {
	// A port that was just closed: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/webhook"
	ln.Close()

	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsSrv.Close()
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plainSrv.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	hangup := hangupServer(t)

	tests := []struct {
		name, url string
		opts      ClientOptions
		kind      ErrorKind
		want      string
	}{
		{"refused", closed, ClientOptions{}, KindRefused, "nothing is listening on " + ln.Addr().String() + " — is your app running?"},
		{"dns", "http://no-such-host.invalid/webhook", ClientOptions{}, KindDNS, `"no-such-host.invalid"`},
		{"self-signed", tlsSrv.URL, ClientOptions{}, KindTLS, "--insecure"},
		{"https to plain", strings.Replace(plainSrv.URL, "http:", "https:", 1), ClientOptions{}, KindTLS, "use an http:// URL"},
		{"timeout", slow.URL, ClientOptions{Timeout: 50 * time.Millisecond}, KindTimeout, "within 50ms"},
		{"hang up", hangup, ClientOptions{}, KindReset, "closed the connection without answering"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Deliver(context.Background(), newClient(t, tt.opts), tt.url, Delivery{Body: []byte("{}"), Header: http.Header{}})
			if res.Err == nil {
				t.Fatalf("no error, status %d", res.Status)
			}
			if res.Kind != tt.kind || !strings.Contains(res.Explanation, tt.want) {
				t.Errorf("got %s %q\nwant %s containing %q (err: %v)", res.Kind, res.Explanation, tt.kind, tt.want, res.Err)
			}
		})
	}
}

func TestInsecureAcceptsSelfSigned(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	res := Deliver(context.Background(), newClient(t, ClientOptions{Insecure: true}), srv.URL, Delivery{Body: []byte("{}"), Header: http.Header{}})
	if res.Err != nil || res.Status != 200 {
		t.Fatalf("status %d err %v", res.Status, res.Err)
	}
}

func TestCAFileErrors(t *testing.T) {
	if _, err := NewClient(ClientOptions{CAFile: "/does/not/exist.pem"}); err == nil || !strings.Contains(err.Error(), "--ca-cert") {
		t.Errorf("missing file: %v", err)
	}
}

// hangupServer accepts connections and closes them without answering.
func hangupServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 1024)
			_, _ = c.Read(buf)
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String()
}

func countingServer(t *testing.T, status func(n int64) int) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(status(n.Add(1)))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRunCountsAndSummary(t *testing.T) {
	srv, n := countingServer(t, func(n int64) int {
		if n%10 == 0 {
			return 500
		}
		return 200
	})
	var results atomic.Int64
	rep, err := Run(context.Background(), Plan{
		URL: srv.URL, Client: newClient(t, ClientOptions{Conns: 20}), Feed: staticFeed{[]string{`{"a":1}`, `{"b":2}`}},
		Count: 1000, Concurrency: 20,
		OnResult: func(Result) { results.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1000 || rep.Requests != 1000 || rep.Deliveries != 1000 || results.Load() != 1000 {
		t.Fatalf("server saw %d, report %d requests %d deliveries, %d results", n.Load(), rep.Requests, rep.Deliveries, results.Load())
	}
	if rep.ByStatus[200] != 900 || rep.ByStatus[500] != 100 || rep.Succeeded != 900 || rep.Failed != 100 {
		t.Errorf("by status %v, succeeded %d failed %d", rep.ByStatus, rep.Succeeded, rep.Failed)
	}
	if rep.Latency.Count != 1000 || rep.Latency.Min > rep.Latency.P50 || rep.Latency.P50 > rep.Latency.P90 ||
		rep.Latency.P90 > rep.Latency.P99 || rep.Latency.P99 > rep.Latency.Max {
		t.Errorf("latency stats inconsistent: %+v", rep.Latency)
	}
	if rep.BytesSent != 500*7+500*7 {
		t.Errorf("bytes sent %d", rep.BytesSent)
	}
	if rep.OK() {
		t.Error("report OK with failures")
	}
}

func TestRunRetriesUntilSuccess(t *testing.T) {
	const k = 3
	srv, n := countingServer(t, func(n int64) int {
		if n <= k {
			return 503
		}
		return 200
	})
	var attempts []int
	rep, err := Run(context.Background(), Plan{
		URL: srv.URL, Client: newClient(t, ClientOptions{}), Feed: staticFeed{[]string{`{}`}},
		Retry:    Retry{Enabled: true, Scale: 1e-6},
		OnResult: func(r Result) { attempts = append(attempts, r.Attempt) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != k+1 || rep.Requests != k+1 || rep.Retries != k || rep.Succeeded != 1 || rep.Failed != 0 {
		t.Fatalf("server %d, report %+v", n.Load(), rep)
	}
	if len(attempts) != k+1 || attempts[k] != k+1 {
		t.Errorf("attempts %v", attempts)
	}
}

func TestRunRetryGivesUpAfterMax(t *testing.T) {
	srv, n := countingServer(t, func(int64) int { return 500 })
	rep, _ := Run(context.Background(), Plan{
		URL: srv.URL, Client: newClient(t, ClientOptions{}), Feed: staticFeed{[]string{`{}`}},
		Retry: Retry{Enabled: true, Scale: 1e-9, Max: 4},
	})
	if n.Load() != 4 || rep.Failed != 1 || rep.Unreached != 0 {
		t.Fatalf("server %d, report %+v", n.Load(), rep)
	}
}

// --repeat sends the same bytes again and --duplicates the same events in
// new bytes (a feed without DuplicateStream gives the same bytes), each
// result saying which copy it is.
func TestRunRetriesAndDuplicates(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[string(b)]++
		mu.Unlock()
	}))
	defer srv.Close()
	repeats := map[string]int{}
	rep, err := Run(context.Background(), Plan{
		URL: srv.URL, Client: newClient(t, ClientOptions{}), Feed: staticFeed{[]string{`{"a":1}`, `{"b":2}`}},
		Retries: 2, Duplicates: 1, Concurrency: 2,
		OnResult: func(r Result) { repeats[fmt.Sprintf("%s#%d", r.Repeat, r.Copy)]++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 8 || rep.Deliveries != 8 || seen[`{"a":1}`] != 4 || seen[`{"b":2}`] != 4 {
		t.Fatalf("report %d/%d, seen %v", rep.Requests, rep.Deliveries, seen)
	}
	if repeats["#1"] != 2 || repeats["retry#2"] != 2 || repeats["retry#3"] != 2 || repeats["duplicate#2"] != 2 {
		t.Errorf("copies %v", repeats)
	}
}

func TestRunUnreachable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	url := "http://" + ln.Addr().String()
	ln.Close()
	rep, err := Run(context.Background(), Plan{URL: url, Client: newClient(t, ClientOptions{}), Feed: staticFeed{[]string{`{}`}}, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.NoneReached() || rep.Unreached != 3 || rep.Errors[KindRefused].Count != 3 {
		t.Fatalf("report %+v", rep)
	}
}

func TestRunDurationStops(t *testing.T) {
	srv, n := countingServer(t, func(int64) int { return 200 })
	rep, err := Run(context.Background(), Plan{
		URL: srv.URL, Client: newClient(t, ClientOptions{}), Feed: staticFeed{[]string{`{}`}},
		Duration: 100 * time.Millisecond, Rate: 50, Concurrency: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if int64(rep.Requests) != n.Load() || rep.Requests == 0 || rep.Failed != 0 {
		t.Fatalf("server %d, report %+v", n.Load(), rep)
	}
}

func TestMetaScheduleCoversSevenDays(t *testing.T) {
	s := MetaSchedule()
	if s[0] != 0 {
		t.Errorf("first retry is not immediate: %v", s[0])
	}
	var total time.Duration
	for i, d := range s {
		if i > 0 && d < s[i-1] {
			t.Errorf("gap %d (%v) shorter than the one before (%v): frequency must decrease", i, d, s[i-1])
		}
		total += d
	}
	if total > MetaRetryWindow || total < MetaRetryWindow-24*time.Hour {
		t.Errorf("schedule spans %v, want just under 7 days", total)
	}
}

func TestLatencies(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i))
	}
	s := Latencies(ds)
	if s.Min != 1 || s.P50 != 50 || s.P90 != 90 || s.P99 != 99 || s.Max != 100 || s.Count != 100 {
		t.Errorf("%+v", s)
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		cancel() // the user presses Ctrl-C while the first request is answered
	}))
	defer srv.Close()
	rep, err := Run(ctx, Plan{URL: srv.URL, Client: newClient(t, ClientOptions{}), Feed: staticFeed{[]string{`{}`}}, Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || rep.OK() || rep.Requests >= 1000 {
		t.Fatalf("report %+v", rep)
	}
}
