package receiver

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// blockingSink stands for a terminal that stopped reading.
type blockingSink struct {
	render.Sink
	release chan struct{}
}

func (b blockingSink) Received(render.Request, []render.Event) { <-b.release }
func (b blockingSink) Summary(render.Summary)                  {}

// A full output queue must never delay answers: the answer is flushed
// before the handler waits for room.
func TestAnswersDoNotWaitForOutput(t *testing.T) {
	sink := blockingSink{release: make(chan struct{})}
	rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
		Sink: sink, QueueSize: 1, QueueBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rc)
	body := wireFixture(t, "messages.text")
	for i := 0; i < 4; i++ {
		// A new connection each time: a handler waiting for room keeps its own.
		resp, err := postOnNewConn(srv.URL+"/webhook", body)
		if err != nil {
			t.Fatalf("request %d not answered while the output is stuck: %v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i+1, resp.StatusCode)
		}
	}
	close(sink.release)
	srv.Close()
	if s := rc.Close(); s.Events != 4 {
		t.Fatalf("events %d, want all 4 printed once the output moved", s.Events)
	}
}

func TestByteGate(t *testing.T) {
	g := newByteGate(10)
	g.acquire(100) // alone, any size passes
	if g.tryAcquire(1) {
		t.Fatal("over the limit")
	}
	done := make(chan struct{})
	go func() { g.acquire(5); close(done) }()
	select {
	case <-done:
		t.Fatal("acquired over the limit")
	case <-time.After(20 * time.Millisecond):
	}
	g.release(100)
	<-done
	if !g.tryAcquire(5) || g.tryAcquire(1) {
		t.Fatal("accounting is off")
	}
}

// Handlers print for each other: one that finds another printing leaves its
// job behind. Once every request is answered, every event must reach the
// output (flushed, without waiting for Close), however the handlers raced.
func TestNoEventLeftBehind(t *testing.T) {
	for round := 0; round < 20; round++ {
		var out syncBuffer
		buffered := bufio.NewWriter(&out)
		rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
			Sink: render.NewJSONLines(buffered, render.JSONOptions{}),
			// A slow flush (a busy terminal) holds the printer after it last
			// looked at the queue: the window where jobs could be stranded.
			Flush: func() { time.Sleep(200 * time.Microsecond); _ = buffered.Flush() }})
		if err != nil {
			t.Fatal(err)
		}
		body := wireFixture(t, "messages.text")
		sig := signature.Sign(testSecret, body)
		const n = 64
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Odd rounds spread the requests over a few flush periods,
				// so that some arrive while a timer's flush holds the
				// printer; even rounds send them all at once.
				time.Sleep(time.Duration(round%2*(i%16)) * 300 * time.Microsecond)
				req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
				req.Header.Set(signature.Header, sig)
				w := httptest.NewRecorder()
				rc.ServeHTTP(w, req)
				if w.Code != 200 {
					t.Errorf("status %d", w.Code)
				}
			}()
		}
		wg.Wait()
		// The last flush may be a timer's, up to flushEvery later; wait for
		// it, but give up long after.
		printed := func() int { return strings.Count(out.String(), "\n") }
		for deadline := time.Now().Add(5 * time.Second); printed() < n && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if got := printed(); got != n {
			t.Fatalf("round %d: %d of %d events printed after every request was answered", round, got, n)
		}
		rc.Close()
	}
}

// stuckWriter is a stdout nobody reads (a pager left open, a full pipe)
// until released.
type stuckWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (s *stuckWriter) Write(p []byte) (int, error) {
	<-s.release
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *stuckWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// With stdout blocked, thousands of requests are still answered at once:
// printing is bounded and drops rather than blocks, and says how many
// events it did not print, on screen once stdout moves and in the summary.
func TestBlockedStdoutNeverHoldsAnswers(t *testing.T) {
	stdout := &stuckWriter{release: make(chan struct{})}
	out := NewOutput(stdout, 8<<10)
	rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
		Sink: newPlainPretty(out, 0), Flush: func() { _ = out.Flush() }, Backlogged: out.Full})
	if err != nil {
		t.Fatal(err)
	}
	body := wireFixture(t, "messages.text")
	const n = 3000
	for i := 0; i < n; i++ {
		if w := post(rc, body, signed(body)); w.Code != 200 {
			t.Fatalf("request %d: status %d", i+1, w.Code)
		}
	}
	close(stdout.release)
	for deadline := time.Now().Add(10 * time.Second); out.Full(); {
		if time.Now().After(deadline) {
			t.Fatal("the output never drained")
		}
		time.Sleep(time.Millisecond)
	}
	post(rc, body, signed(body))
	s := rc.Close()
	if !out.Close(5 * time.Second) {
		t.Fatal("output not written after release")
	}
	if s.Requests != n+1 || s.NotPrinted == 0 || s.NotPrinted >= n {
		t.Fatalf("requests %d, not printed %d", s.Requests, s.NotPrinted)
	}
	if !strings.Contains(stdout.String(), "events not printed: the output was not being read") {
		t.Fatalf("no notice of what was not printed in %d bytes of output", len(stdout.String()))
	}
}

// Stopping never hangs on a stdout nobody reads.
func TestOutputCloseGivesUpOnAStuckWriter(t *testing.T) {
	stdout := &stuckWriter{release: make(chan struct{})}
	defer close(stdout.release)
	out := NewOutput(stdout, 0)
	_, _ = out.Write([]byte("line\n"))
	if out.Close(50 * time.Millisecond) {
		t.Fatal("Close reported the output written while the writer is stuck")
	}
}

// Large writes, kept as chunks of their own (copied, or as they are with
// WriteOwned), come out in order with the small ones around them, count toward the backlog, and leave no
// multi-megabyte buffer behind.
func TestOutputKeepsOrderAcrossLargeWrites(t *testing.T) {
	stdout := &stuckWriter{release: make(chan struct{})}
	out := NewOutput(stdout, 2<<20)
	big := bytes.Repeat([]byte("x"), 3<<20)
	var want bytes.Buffer
	for i, p := range [][]byte{[]byte("head "), big, []byte(" tail\n"), big[:bigWrite], []byte("end\n"), []byte("x"), big[1:]} {
		if i >= 5 {
			out.WriteOwned(p) // kept, not copied: in order all the same
		} else {
			_, _ = out.Write(p)
		}
		want.Write(p)
		if i == 2 {
			_ = out.Flush()
			if !out.Full() {
				t.Fatal("3 MB waiting for a stuck writer is not counted in the backlog")
			}
		}
	}
	if out.cur.Cap() > bigWrite {
		t.Fatalf("the buffer grew to %d bytes", out.cur.Cap())
	}
	close(stdout.release)
	if !out.Close(5 * time.Second) {
		t.Fatal("output not written")
	}
	if stdout.String() != want.String() {
		t.Fatalf("got %d bytes, want %d, or out of order", len(stdout.String()), want.Len())
	}
}

// A body gives its bytes back to the in-flight budget once it is recorded,
// not after it is printed: a stuck output holds none of the budget, and the
// next large body is read and answered meanwhile.
func TestRecordedBodyLeavesTheInflightBudget(t *testing.T) {
	sink := blockingSink{release: make(chan struct{})}
	rec, err := recording.Open(filepath.Join(t.TempDir(), "rec.jsonl"), false)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
		Sink: sink, Recorder: rec, InflightBytes: 48 << 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rc)
	body := bytes.Replace(wireFixture(t, "messages.text"), []byte("Guadalajara"), bytes.Repeat([]byte("x"), 40<<10), 1)
	for i := range 2 {
		resp, err := postOnNewConn(srv.URL+"/webhook", body)
		if err != nil {
			t.Fatalf("body %d not answered while the first one's printing is stuck: %v", i+1, err)
		}
		resp.Body.Close()
		rc.inflight.mu.Lock()
		used := rc.inflight.used
		rc.inflight.mu.Unlock()
		if resp.StatusCode != 200 || used != 0 {
			t.Fatalf("body %d: status %d, %d bytes still held in flight after its answer", i+1, resp.StatusCode, used)
		}
	}
	close(sink.release)
	srv.Close()
	if s := rc.Close(); s.Events != 2 || rec.Count() != 2 {
		t.Fatalf("%d events printed, %d recorded; want 2", s.Events, rec.Count())
	}
	_ = rec.Close()
}

// A printer that never gets to Flush (its queue never runs dry in a flood
// of large bodies) still hands its lines over, so they count in the
// backlog Full bounds instead of piling up, each holding its body.
func TestOutputHandsOverWithoutFlush(t *testing.T) {
	stdout := &stuckWriter{release: make(chan struct{})}
	defer close(stdout.release)
	out := NewOutput(stdout, 4<<20)
	line := bytes.Repeat([]byte("y"), 100<<10)
	for i := 0; i < 200 && !out.Full(); i++ { // 20 MB if nothing were handed over
		out.WriteOwned(line)
		_, _ = out.Write([]byte("\n"))
	}
	if !out.Full() {
		t.Fatal("20 MB written without Flush never filled a 4 MB backlog: the lines were not handed over")
	}
	if waiting := out.readyBytes + out.cur.Len(); waiting >= handOverAt {
		t.Fatalf("%d bytes wait for a Flush, more than %d", waiting, handOverAt)
	}
}

// postOnNewConn posts a signed body on a connection of its own.
func postOnNewConn(url string, body []byte) (*http.Response, error) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set(signature.Header, signature.Sign(testSecret, body))
	return client.Do(req)
}
