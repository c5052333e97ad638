package mock

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

// BenchmarkSend is one Graph text send through the handler, with its
// sent and delivered webhooks posted to a loopback app, one POST each. It
// times the answer only, then waits (untimed) until every status is posted.
// With MOCK_BENCH_NO_WEBHOOK=1 the statuses are built, signed and logged
// but not posted: the mock's own work per send, without HTTP's.
func BenchmarkSend(b *testing.B) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer app.Close()
	s := benchServerWith(b, benchWebhook(app.URL), nil, true)
	handler := s.Handler()
	body := `{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"bench"}}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v21.0/109283746501928/messages", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Body.String())
		}
	}
	// Untimed, the statuses still queued: a profile or an instruction
	// count of the run then covers all the work of every send.
	b.StopTimer()
	waitPosted(b, s, 30*time.Second)
}

// BenchmarkSendLoop is the whole loop of one send over loopback HTTP: the
// Graph call from a client, its answer, and its sent and delivered
// webhooks received by an app (the benchmark waits for both), so ns/op and
// a CPU profile cover everything a send costs the mock and the machine.
// The client outruns the posters, so most statuses leave coalesced.
func BenchmarkSendLoop(b *testing.B) { benchSendLoop(b, false) }

// BenchmarkSendLoopStrict is BenchmarkSendLoop with coalescing off: a
// POST per status whatever the timing, so its cost per op is the same
// from run to run (instruction counts under callgrind compare builds).
func BenchmarkSendLoopStrict(b *testing.B) { benchSendLoop(b, true) }

func benchSendLoop(b *testing.B, strict bool) {
	var got, posts atomic.Int64
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got.Add(int64(bytes.Count(body, []byte(`"status":"`))))
		posts.Add(1)
	}))
	defer app.Close()
	var print func(Entry, []byte)
	if os.Getenv("MOCK_BENCH_PRINT") != "" { // the terminal lines, as `wa-hooks mock` prints them
		ios, _, _, _ := iostreams.Test()
		ios.Out = io.Discard
		print = newPrinter(ios, false).entry
	}
	s := benchServerWith(b, app.URL, print, strict)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	defer reportCPU(b)() // once the statuses arrived too
	sent := sendLoop(b, srv)
	for deadline := time.Now().Add(30 * time.Second); got.Load() < 2*sent; {
		if time.Now().After(deadline) {
			b.Fatalf("%d statuses of %d arrived", got.Load(), 2*sent)
		}
		time.Sleep(time.Millisecond)
	}
	// POSTs per send tell a cheaper POST from fewer of them (coalescing).
	b.ReportMetric(float64(posts.Load())/float64(max(sent, 1)), "posts/send")
}

// reportCPU reports the process's CPU time (user+system) per op from now
// until the returned func runs: on a shared machine a steadier figure than
// ns/op.
func reportCPU(b *testing.B) func() {
	t0 := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-t0).Nanoseconds())/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchServer is a mock with Meta's habits, delays and limits off, and
// alice's window open; onEntry may be nil.
func benchServer(b *testing.B, webhook string, onEntry func(Entry, []byte)) *Server {
	return benchServerWith(b, webhook, onEntry, false)
}

// benchServerWith is benchServer, with coalescing off when noCoalesce.
func benchServerWith(b *testing.B, webhook string, onEntry func(Entry, []byte), noCoalesce bool) *Server {
	h, l := simnet.Habits{}, simnet.Limits{}
	s, err := New(Options{Webhook: webhook, AccessToken: testToken, AppSecret: testSecret, Habits: &h, Limits: &l,
		NoRetry: true, NoCoalesce: noCoalesce, OnEntry: onEntry})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	s.mu.Lock()
	s.net.Find("alice").LastInbound = s.now()
	s.mu.Unlock()
	return s
}

// benchWebhook is the app's URL, or none (to
// measure the Graph side alone: MOCK_BENCH_NO_WEBHOOK=1).
func benchWebhook(u string) string {
	if os.Getenv("MOCK_BENCH_NO_WEBHOOK") != "" {
		return ""
	}
	return u
}

// BenchmarkBareLoop is BenchmarkSendLoop's reference: the same client
// against a bare handler returning a canned answer.
func BenchmarkBareLoop(b *testing.B) {
	answer := []byte(`{"messaging_product":"whatsapp","contacts":[{"input":"15550100001","wa_id":"15550100001"}],"messages":[{"id":"wamid.HBgLMTU1NTAxMDAwMDEVAgARGBQ5RTM3OUUzNzc5Qjk3RjRBN0MxMQA="}]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = w.Write(answer)
	}))
	defer srv.Close()
	defer reportCPU(b)()
	sendLoop(b, srv)
}

// sendLoop posts b.N text sends to srv from 4 clients per CPU and returns
// how many were answered 200.
func sendLoop(b *testing.B, srv *httptest.Server) int64 {
	url := srv.URL + "/v21.0/109283746501928/messages"
	body := []byte(`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"bench"}}`)
	b.ReportAllocs()
	b.SetParallelism(4)
	var sent atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			sent.Add(1)
		}
	})
	return sent.Load()
}

// BenchmarkStatusBody is the CPU work of one status webhook before it is
// posted: building its body and log entry, wire encoding and signing.
func BenchmarkStatusBody(b *testing.B) {
	s := benchServer(b, "", nil)
	s.mu.Lock()
	u := s.net.Find("alice")
	m := s.hist.add(message{seq: s.nextSeq(), user: u, out: true, typ: typeCode("text"), version: 21, text: "bench"})
	s.mu.Unlock()
	b.ReportAllocs()
	for b.Loop() {
		m.state, m.flags = stAccepted, 0
		body, _, sig, raw := s.buildBody([]*job{{kind: jobStatus, msg: m.seq, status: stSent}}, false)
		if _, err := sign(&s.macs, body, testSecret, sig, raw); err != nil {
			b.Fatal(err)
		}
	}
}
