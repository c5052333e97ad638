package receiver

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/render"
)

type collect struct {
	mu   sync.Mutex
	got  []Observation
	gate chan struct{} // when set, Observe waits on it
}

func (c *collect) Observe(o Observation) {
	if c.gate != nil {
		<-c.gate
	}
	c.mu.Lock()
	c.got = append(c.got, o)
	c.mu.Unlock()
}

func TestObserverGetsEveryEventWithMarkers(t *testing.T) {
	// --type narrows what is printed, not what observers see.
	rc, _ := newJSONReceiver(t, func(o *Options) { o.Filter = Filter{Types: []string{"status"}} })
	c := &collect{}
	ob := rc.Observe(c, 0)
	body := wireFixture(t, "messages.text")
	post(rc, body, signed(body))
	post(rc, body, signed(body)) // a retry: byte-identical body
	post(rc, body, map[string]string{"X-Hub-Signature-256": "sha256=" + string(make([]byte, 0))})
	rc.Close()
	ob.Stop()

	if len(c.got) != 3 {
		t.Fatalf("got %d observations, want 3: %+v", len(c.got), c.got)
	}
	first, retry, bad := c.got[0], c.got[1], c.got[2]
	if len(first.Events) != 1 || first.Events[0].Type != "text" || first.Events[0].Retry {
		t.Errorf("first: %+v", first.Events)
	}
	if string(first.Request.Body) != string(body) || first.Request.Signature != render.SigValid {
		t.Errorf("first request: sig %s, body kept exactly: %v", first.Request.Signature, string(first.Request.Body) == string(body))
	}
	if len(retry.Events) != 1 || !retry.Events[0].Retry || retry.Events[0].FirstRequest != 1 {
		t.Errorf("retry not marked: %+v", retry.Events)
	}
	if bad.Problem == nil || bad.Problem.Kind != render.ProblemSignature || bad.Request.Status != http.StatusUnauthorized {
		t.Fatalf("bad signature: %+v", bad)
	}
	if bad.Problem.Hint == "" {
		t.Errorf("the signature problem reaches observers without its diagnosis")
	}
}

func TestSlowObserverNeverHoldsAnswers(t *testing.T) {
	rc, _ := newJSONReceiver(t, nil)
	c := &collect{gate: make(chan struct{})}
	ob := rc.Observe(c, 2)
	body := wireFixture(t, "messages.text")
	done := make(chan struct{})
	go func() {
		for range 10 {
			if w := post(rc, body, signed(body)); w.Code != http.StatusOK {
				t.Errorf("answer %d", w.Code)
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("requests waited for a blocked observer")
	}
	// One is being observed (blocked), two wait, the rest were dropped.
	if got := ob.Dropped(); got < 7 {
		t.Errorf("dropped %d, want at least 7", got)
	}
	close(c.gate)
	rc.Close()
	ob.Stop()
}

func TestRestoreUsesTheLiveRules(t *testing.T) {
	rc, _ := newJSONReceiver(t, func(o *Options) { o.Redact = true })
	body := wireFixture(t, "messages.text")
	at := fixedNow.Add(-time.Hour)
	recs := []recording.Record{
		{Seq: 1, Time: at, Method: "POST", Path: "/webhook", Status: 200, Signature: "valid", Body: body},
		{Seq: 2, Time: at, Method: "POST", Path: "/webhook", Status: 200, Signature: "valid", Body: body},
		{Seq: 3, Time: at, Method: "POST", Path: "/webhook", Status: 401, Signature: "invalid", Body: body, Error: "signature does not match"},
		{Seq: 4, Time: at, Method: "GET", Path: "/webhook", Status: 200},
	}
	var got []Observation
	rc.Restore(recs, func(o Observation) { got = append(got, o) })
	if len(got) != 4 {
		t.Fatalf("got %d observations, want 4", len(got))
	}
	if !got[1].Events[0].Retry {
		t.Errorf("second copy not marked as a retry")
	}
	if from := got[0].Events[0].From; from == "" || from == "16505551234" {
		t.Errorf("--redact not applied to restored events: from %q", from)
	}
	if got[2].Problem == nil || got[2].Problem.Kind != render.ProblemSignature {
		t.Errorf("401 not restored as a signature problem: %+v", got[2])
	}
	if got[3].Handshake == nil {
		t.Errorf("handshake not restored")
	}
	if rc.Requests() != 0 {
		t.Errorf("restoring counted requests on the live receiver")
	}
}
