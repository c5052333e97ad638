package mock

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// slowApp holds every webhook while held is set, so the updates planned
// meanwhile wait for it as they would for a slow app; it checks each
// POST's signature and wire form and keeps the statuses in arrival order.
type slowApp struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	held chan struct{} // closed to let the held webhooks go; nil: none held
	in   chan struct{} // one per webhook that arrived while held
	// per POST, the (id, status) pairs it carried
	posts [][][2]string
}

func newSlowApp(t *testing.T) *slowApp {
	a := &slowApp{t: t, in: make(chan struct{}, 64)}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *slowApp) hold() {
	a.mu.Lock()
	a.held = make(chan struct{})
	a.mu.Unlock()
}

func (a *slowApp) release() {
	a.mu.Lock()
	close(a.held)
	a.held = nil
	a.mu.Unlock()
}

func (a *slowApp) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	held := a.held
	a.mu.Unlock()
	if held != nil {
		a.in <- struct{}{}
		<-held
	}
	if res := signature.Verify(testSecret, body, r.Header.Get(signature.Header)); !res.OK() {
		a.t.Errorf("webhook signature: %v", res)
	}
	if !wire.IsWire(body) {
		a.t.Errorf("webhook not in Meta's wire form: %s", body)
	}
	var env struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Statuses []struct{ ID, Status string }
				}
			}
		}
	}
	if err := json.Unmarshal(body, &env); err != nil {
		a.t.Errorf("webhook body: %v", err)
	}
	var got [][2]string
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			for _, s := range c.Value.Statuses {
				got = append(got, [2]string{s.ID, s.Status})
			}
		}
	}
	a.mu.Lock()
	if len(got) > 0 {
		a.posts = append(a.posts, got)
	}
	a.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// sendWhileHeld opens alice's window, then holds the app on the first
// status webhook while the app sends n more texts to alice, and lets it
// go once those statuses are well past due. It returns the log.
func sendWhileHeld(t *testing.T, a *slowApp, opts Options, n int) []Entry {
	opts.AccessToken, opts.AppSecret = testToken, testSecret
	opts.Webhook = a.srv.URL + "/webhook"
	opts.NoRetry = true
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	s.SetBaseURL(hs.URL)
	t.Cleanup(func() { hs.Close(); s.Close() })
	control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "hi"}, nil)
	send := func() {
		if st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
			`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"order shipped"}}`); st != 200 {
			t.Fatalf("send: %d %v", st, out)
		}
	}
	a.hold()
	send()
	<-a.in // its first status is at the app, which does not answer yet
	for range n {
		send()
	}
	time.Sleep(3 * coalesceLate) // the statuses queued behind it are late now
	a.release()
	return waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 2*(n+1) })
}

// checkEveryStatus checks that every message got sent then delivered,
// once each.
func checkEveryStatus(t *testing.T, posts [][][2]string, messages int) {
	t.Helper()
	seen := map[string][]string{}
	for _, p := range posts {
		for _, st := range p {
			seen[st[0]] = append(seen[st[0]], st[1])
		}
	}
	if len(seen) != messages {
		t.Errorf("statuses for %d messages, want %d", len(seen), messages)
	}
	for id, sts := range seen {
		if strings.Join(sts, ",") != "sent,delivered" {
			t.Errorf("%s got %v, want sent then delivered", id, sts)
		}
	}
}

func TestSlowAppGetsWhatWaitedInOnePost(t *testing.T) {
	a := newSlowApp(t)
	h := simnet.Habits{} // no batch habit: only coalescing merges
	const n = 20
	es := sendWhileHeld(t, a, Options{Habits: &h}, n)
	a.mu.Lock()
	posts := a.posts
	a.mu.Unlock()
	checkEveryStatus(t, posts, n+1)
	if len(posts) > 4 {
		t.Errorf("%d status POSTs for %d statuses that waited: not coalesced", len(posts), 2*n+1)
	}
	var coalesced *Entry
	for i := range es {
		if es[i].Coalesced > 0 {
			coalesced = &es[i]
		}
	}
	if coalesced == nil {
		t.Fatalf("no log entry marked coalesced\n%s", dump(es))
	}
	if coalesced.Coalesced != len(coalesced.Statuses) || coalesced.Coalesced < n {
		t.Errorf("coalesced %d, statuses %d, want the same and at least %d", coalesced.Coalesced, len(coalesced.Statuses), n)
	}
	if !strings.Contains(coalesced.Summary, "updates in one POST") || !strings.Contains(coalesced.Summary, "→ alice") {
		t.Errorf("summary %q", coalesced.Summary)
	}
}

func TestNoCoalescingWhenDeterministicOrOptedOut(t *testing.T) {
	const n = 5
	for name, opts := range map[string]Options{
		"deterministic": {Deterministic: true},
		"no-coalesce":   {Habits: &simnet.Habits{}, NoCoalesce: true},
	} {
		t.Run(name, func(t *testing.T) {
			a := newSlowApp(t)
			es := sendWhileHeld(t, a, opts, n)
			a.mu.Lock()
			posts := a.posts
			a.mu.Unlock()
			checkEveryStatus(t, posts, n+1)
			for _, p := range posts {
				if len(p) != 1 {
					t.Errorf("a POST carried %d statuses: %v", len(p), p)
				}
			}
			for _, e := range es {
				if e.Coalesced > 0 {
					t.Errorf("entry %d marked coalesced", e.Seq)
				}
			}
		})
	}
}

func TestCoalescedWebhookIsOneLine(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	p := newPrinter(ios, false)
	sts := []string{"sent", "delivered", "sent", "delivered", "sent"}
	e := Entry{Kind: "webhook", Method: "POST", Path: "/webhook", Status: 200, Statuses: sts, Coalesced: len(sts),
		Summary: coalescedSummary(sts, nil, []string{"alice", "bruno", "chen", "dana", "eve"}), Delivery: &Delivery{Status: 200}}
	p.entry(e, []byte(`{"object":"whatsapp_business_account","entry":[]}`))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 { // the webhook, the app's answer
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
	}
	if want := "5 updates in one POST (the app fell behind): 3 sent, 2 delivered → alice, bruno, chen and 2 more users"; !strings.Contains(lines[0], want) {
		t.Errorf("line %q, want it to say %q", lines[0], want)
	}
}
