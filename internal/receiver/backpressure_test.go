package receiver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhook", bytes.NewReader(body))
		req.Header.Set(signature.Header, signature.Sign(testSecret, body))
		resp, err := client.Do(req)
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
