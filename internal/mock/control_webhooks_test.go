package mock

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// textFrom is a messages webhook holding one text from alice, written at.
func textFrom(id string, at time.Time, text string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"104729385610274","changes":[{"field":"messages","value":{
"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550142233","phone_number_id":"109283746501928"},
"contacts":[{"profile":{"name":"Alice Martin"},"wa_id":"15550100001"}],
"messages":[{"from":"15550100001","id":%q,"timestamp":"%d","type":"text","text":{"body":%q}}]}}]}]}`, id, at.Unix(), text))
}

func aliceWindow(t *testing.T, base string) UserView {
	t.Helper()
	var u UserView
	if st := control(t, base, "GET", "users/alice", nil, &u); st != 200 {
		t.Fatalf("GET users/alice: %d", st)
	}
	return u
}

// A message posted through the control API opens the window at its own
// timestamp: a 25-hour-old one (a late retry) leaves it closed, so the
// app's free-form reply fails 131047 at delivery and a template goes out.
func TestOldMessageThroughWebhooksLeavesTheWindowClosed(t *testing.T) {
	a := newApp(t) // replies with free-form text to every text
	_, hs := startMock(t, a, Options{Deterministic: true})
	then := time.Now().Add(-25 * time.Hour)
	control(t, hs.URL, "POST", "users/alice/window", map[string]string{"last_inbound": then.UTC().Format(time.RFC3339)}, nil)

	var ds []Delivery
	if st := control(t, hs.URL, "POST", "webhooks", map[string]any{"body": textFrom("wamid.OLD1", then, "still open?"), "retry": false}, &ds); st != 200 || len(ds) != 1 || ds[0].Status != 200 {
		t.Fatalf("webhooks: %d %+v", st, ds)
	}
	if u := aliceWindow(t, hs.URL); u.WindowOpen {
		t.Fatalf("a 25-hour-old message opened the window: %+v", u)
	}
	es := waitLog(t, hs.URL, func(es []Entry) bool {
		for _, e := range es {
			if e.Kind == "webhook" && e.ErrorCode == 131047 {
				return true
			}
		}
		return false
	})
	for _, e := range es {
		if e.Kind == "webhook" && e.ErrorCode == 131047 && (e.User != "alice" || len(e.Statuses) == 0 || e.Statuses[0] != "failed") {
			t.Errorf("131047 entry: user %q statuses %v, want alice, failed", e.User, e.Statuses)
		}
		if e.Kind == "graph" && e.ErrorCode != 0 {
			t.Errorf("the free-form send was refused at once (%d): Meta accepts it and fails it at delivery", e.ErrorCode)
		}
	}

	st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}}`)
	if st != 200 {
		t.Fatalf("template outside the window: %d %v", st, out)
	}
	waitLog(t, hs.URL, func(es []Entry) bool {
		return strings.Contains(strings.Join(statuses(es), ","), "sent,delivered")
	})

	// A message of now still opens it, and an older one never shortens it.
	control(t, hs.URL, "POST", "webhooks", map[string]any{"body": textFrom("wamid.NEW1", time.Now(), "hi")}, &ds)
	open := aliceWindow(t, hs.URL)
	if !open.WindowOpen {
		t.Fatalf("a message of now left the window closed: %+v", open)
	}
	control(t, hs.URL, "POST", "webhooks", map[string]any{"body": textFrom("wamid.OLD2", then, "late again")}, &ds)
	if u := aliceWindow(t, hs.URL); !u.WindowOpen || u.WindowExpires != open.WindowExpires {
		t.Errorf("an old message moved the window: %+v, was %+v", u, open)
	}
}

// "retry": false posts once and answers with the app's first answer, even
// on a mock that retries.
func TestWebhooksRetryFalseIsOneAttempt(t *testing.T) {
	a := newApp(t)
	a.status = []int{500, 500}
	_, hs := startMock(t, a, Options{Deterministic: true})
	a.graph = ""
	var ds []Delivery
	control(t, hs.URL, "POST", "webhooks", map[string]any{"body": textFrom("wamid.R1", time.Now(), "x"), "retry": false}, &ds)
	if len(ds) != 1 || ds[0].Status != 500 || ds[0].Attempts != 1 {
		t.Fatalf("retry false: %+v, want one attempt answered 500", ds)
	}
	// Without it the same answer is retried (control: the mock does retry).
	control(t, hs.URL, "POST", "webhooks", map[string]any{"body": textFrom("wamid.R2", time.Now(), "y")}, &ds)
	if len(ds) != 1 || ds[0].Status != 200 || ds[0].Attempts != 2 {
		t.Fatalf("default retries: %+v, want 200 after a retry", ds)
	}
}

// gate is an app that holds every webhook until want of them are in
// flight at once (or until release, or 5 s), and checks each signature.
type gate struct {
	t        *testing.T
	want     int
	mu       sync.Mutex
	inFlight int
	most     int
	all      chan struct{} // closed when want were in flight together
	release  chan struct{} // closed by the test's cleanup
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if res := signature.Verify(testSecret, body, r.Header.Get(signature.Header)); !res.OK() {
		g.t.Errorf("webhook signature: %v", res)
	}
	g.mu.Lock()
	g.inFlight++
	g.most = max(g.most, g.inFlight)
	if g.inFlight == g.want {
		close(g.all)
	}
	g.mu.Unlock()
	// The fallback only keeps a regression (posts one by one) from
	// hanging the test: it then fails on g.most.
	select {
	case <-g.all:
	case <-g.release:
	case <-time.After(5 * time.Second):
	}
	g.mu.Lock()
	g.inFlight--
	g.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func startGate(t *testing.T, want int, opts Options) (*gate, *httptest.Server) {
	g := &gate{t: t, want: want, all: make(chan struct{}), release: make(chan struct{})}
	app := httptest.NewServer(g)
	opts.AccessToken, opts.AppSecret, opts.Webhook = testToken, testSecret, app.URL+"/webhook"
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { close(g.release); hs.Close(); s.Close(); app.Close() })
	return g, hs
}

// "concurrent": true posts each call at once, beside the deterministic
// mock's one ordered queue: the app sees them all in flight together
// (the gate answers only then), signed and logged.
func TestConcurrentWebhooksReachTheAppTogether(t *testing.T) {
	const n = 8
	g, hs := startGate(t, n, Options{Deterministic: true, NoRetry: true, WebhookTimeout: 20 * time.Second})
	ds := make([][]Delivery, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := map[string]any{"body": textFrom(fmt.Sprintf("wamid.C%d", i), time.Now(), "burst"), "concurrent": true, "retry": false}
			control(t, hs.URL, "POST", "webhooks", body, &ds[i])
		})
	}
	wg.Wait()
	g.mu.Lock()
	most := g.most
	g.mu.Unlock()
	if most != n {
		t.Fatalf("at most %d of %d webhooks reached the app together, want all", most, n)
	}
	for i, d := range ds {
		if len(d) != 1 || d[0].Status != 200 || d[0].Seq == 0 {
			t.Errorf("call %d: %+v, want one logged 200", i, d)
		}
	}
	es := waitLog(t, hs.URL, func(es []Entry) bool {
		c := 0
		for _, e := range es {
			if e.Kind == "webhook" && e.Delivery != nil && e.Delivery.Status == 200 && e.User == "alice" {
				c++
			}
		}
		return c == n
	})
	for _, e := range es {
		if e.Kind == "webhook" && e.Signature != sigValid {
			t.Errorf("entry %d signature %q", e.Seq, e.Signature)
		}
	}
}

// A concurrent webhook is still bounded by WebhookTimeout.
func TestConcurrentWebhookTimesOut(t *testing.T) {
	_, hs := startGate(t, 2, Options{Deterministic: true, NoRetry: true, WebhookTimeout: 200 * time.Millisecond})
	var ds []Delivery
	control(t, hs.URL, "POST", "webhooks", map[string]any{"body": textFrom("wamid.T1", time.Now(), "slow"), "concurrent": true}, &ds)
	if len(ds) != 1 || ds[0].Status != 0 || !strings.Contains(ds[0].Error, "timeout") {
		t.Fatalf("a held webhook: %+v, want status 0 and a timeout", ds)
	}
}
