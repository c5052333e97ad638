package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

const (
	testToken  = "EAAtesttoken"
	testSecret = "s3cret-app"
)

// app is an httptest WhatsApp app: it checks every webhook's signature and
// wire form, replies to every text and marks it read.
type app struct {
	t      *testing.T
	mu     sync.Mutex
	bodies [][]byte
	graph  string
	status []int // answers to give, then 200
	// forged: the webhooks are meant to carry a bad signature
	forged bool
	calls  int
	srv    *httptest.Server
}

func newApp(t *testing.T) *app {
	a := &app{t: t}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *app) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.calls++
	n := a.calls
	a.bodies = append(a.bodies, body)
	var st int
	if n <= len(a.status) {
		st = a.status[n-1]
	}
	a.mu.Unlock()
	if res := signature.Verify(testSecret, body, r.Header.Get("X-Hub-Signature-256")); res.OK() == a.forged {
		a.t.Errorf("webhook %d: signature %v", n, res)
	}
	if !wire.IsWire(body) {
		a.t.Errorf("webhook %d is not in Meta's wire form: %s", n, body)
	}
	if r.Header.Get("User-Agent") != "facebookexternalua" {
		a.t.Errorf("webhook %d: User-Agent %q", n, r.Header.Get("User-Agent"))
	}
	if st != 0 {
		w.WriteHeader(st)
		return
	}
	var env struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct {
						ID         string
						From       string
						FromUserID string `json:"from_user_id"`
						Type       string
						Text       struct{ Body string }
					}
				}
			}
		}
	}
	_ = json.Unmarshal(body, &env)
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			for _, m := range c.Value.Messages {
				if m.Type != "text" || a.graph == "" {
					continue
				}
				to := fmt.Sprintf(`"to":%q`, m.From)
				if m.From == "" {
					to = fmt.Sprintf(`"recipient":%q`, m.FromUserID)
				}
				a.post(`{"messaging_product":"whatsapp",` + to + `,"type":"text","text":{"body":"echo: ` + m.Text.Body + `"}}`)
				a.post(`{"messaging_product":"whatsapp","status":"read","message_id":"` + m.ID + `"}`)
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (a *app) post(body string) {
	req, _ := http.NewRequest("POST", a.graph+"/v21.0/109283746501928/messages", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Errorf("graph call: %v", err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		a.t.Errorf("graph call %s answered %d: %s", body, resp.StatusCode, b)
	}
}

func startMock(t *testing.T, a *app, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	opts.AccessToken, opts.AppSecret = testToken, testSecret
	if a != nil {
		opts.Webhook = a.srv.URL + "/webhook"
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	s.SetBaseURL(hs.URL)
	if a != nil {
		a.graph = hs.URL
	}
	t.Cleanup(func() { hs.Close(); s.Close() })
	return s, hs
}

func control(t *testing.T, base, method, path string, in any, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+"/_mock/"+path, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// waitLog long-polls the log until match finds what it wants.
func waitLog(t *testing.T, base string, match func([]Entry) bool) []Entry {
	t.Helper()
	var all []Entry
	var since uint64
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var page struct {
			Entries []Entry
			Next    uint64
		}
		control(t, base, "GET", fmt.Sprintf("log?since=%d&wait=2s", since), nil, &page)
		all = append(all, page.Entries...)
		since = page.Next
		if match(all) {
			return all
		}
	}
	t.Fatalf("the log never showed what the test waits for; it has:\n%s", dump(all))
	return nil
}

func dump(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "  %d %s %s %s %d %s %v\n", e.Seq, e.Kind, e.Method, e.Path, e.Status, e.Summary, e.Statuses)
	}
	return b.String()
}

func statuses(es []Entry) []string {
	var out []string
	for _, e := range es {
		if e.Kind == "webhook" {
			out = append(out, e.Statuses...)
		}
	}
	return out
}

func TestFullLoop(t *testing.T) {
	a := newApp(t)
	_, hs := startMock(t, a, Options{Deterministic: true})
	var d Delivery
	if st := control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "hi"}, &d); st != 200 || d.Status != 200 {
		t.Fatalf("say: %d %+v", st, d)
	}
	entries := waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 2 })
	if got := strings.Join(statuses(entries), ","); got != "sent,delivered" {
		t.Fatalf("statuses %s, want sent,delivered\n%s", got, dump(entries))
	}
	control(t, hs.URL, "POST", "users/alice/read", nil, &d)
	entries = waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 3 })
	if got := strings.Join(statuses(entries), ","); got != "sent,delivered,read" {
		t.Fatalf("statuses %s, want sent,delivered,read\n%s", got, dump(entries))
	}
	graphCalls := 0
	for _, e := range entries {
		if e.Kind == "graph" && e.Status == 200 {
			graphCalls++
		}
	}
	if graphCalls != 2 {
		t.Errorf("%d answered Graph calls, want 2 (reply, mark read)\n%s", graphCalls, dump(entries))
	}
}

func fixtureBody(t *testing.T, name string) []byte {
	t.Helper()
	f, ok := fixtures.Get(name)
	if !ok {
		t.Fatalf("no fixture %s", name)
	}
	return f.Body
}
