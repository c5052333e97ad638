package inspector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/mock"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

const (
	mockSecret = "mock-rig-app-secret-7f3a"
	mockAccess = "EAAmockrigaccesstoken0123456789"
	mockInspTk = "mock-inspector-token-99"
)

// mockRig is a real mock (deterministic), the inspector beside it as
// `wa-hooks mock` wires it, and a tiny app that answers each text with
// "echo: TEXT" and marks it read ("menu" gets two buttons instead).
type mockRig struct {
	t    testing.TB
	srv  *mock.Server
	api  *httptest.Server // the mock's Graph + control API
	app  *httptest.Server
	insp *Mock
	base string // the inspector

	mu       sync.Mutex
	received []webhook.Event // inbound messages the app got, signature checked
	answered map[string]bool // wamids the app replied to
	badSig   int
	echo     func(text string) string // what the app answers a text with (default "echo: TEXT")
}

func newMockRig(t testing.TB) *mockRig { return newMockRigWith(t, nil) }

// newMockRigWith lets a test change the mock's options (habits).
func newMockRigWith(t testing.TB, change func(*mock.Options)) *mockRig {
	t.Helper()
	r := &mockRig{t: t}
	r.app = httptest.NewServer(http.HandlerFunc(r.serveApp))
	t.Cleanup(r.app.Close)
	r.insp = NewMock(MockOptions{Options: Options{Addr: "127.0.0.1:0", AddrGiven: true, Token: mockInspTk},
		AppSecret: mockSecret, AccessToken: mockAccess})
	o := mock.Options{Webhook: r.app.URL + "/webhook", AppSecret: mockSecret, AccessToken: mockAccess,
		Deterministic: true, WebhookTimeout: 5 * time.Second, OnEntry: r.insp.Entry, OnReset: r.insp.Reset}
	if change != nil {
		change(&o)
	}
	srv, err := mock.New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = srv
	r.api = httptest.NewServer(srv.Handler())
	srv.SetBaseURL(r.api.URL)
	ios, _, _, _ := iostreams.Test()
	if _, _, err := r.insp.Start(context.Background(), ios, srv); err != nil {
		t.Fatal(err)
	}
	r.base = strings.TrimSuffix(r.insp.URL(), "/")
	t.Cleanup(func() {
		r.api.Close()
		_ = srv.Close()
		r.insp.Stop()
	})
	return r
}

// serveApp is the app: it checks the signature, keeps the messages and
// replies through the mock's Graph API while answering, as apps do.
func (r *mockRig) serveApp(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if signature.Verify(mockSecret, body, req.Header.Get(signature.Header)).Reason != signature.Valid {
		r.mu.Lock()
		r.badSig++
		r.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	n, err := webhook.Parse(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, ev := range n.Events() {
		if ev.Kind != webhook.KindMessage {
			continue
		}
		r.mu.Lock()
		r.received = append(r.received, ev)
		echo, again := r.echo, r.answered[ev.ID]
		if r.answered == nil {
			r.answered = map[string]bool{}
		}
		r.answered[ev.ID] = true
		r.mu.Unlock()
		if again {
			continue // Meta's duplicate or a replay: answered once, as an app should
		}
		to := ev.From
		text := inboundText(ev)
		switch {
		case ev.Type == "text" && text == "menu":
			r.graph(fmt.Sprintf(`{"messaging_product":"whatsapp","to":%q,"type":"interactive","interactive":{"type":"button","body":{"text":"Pick one"},"action":{"buttons":[{"type":"reply","reply":{"id":"b1","title":"Yes please"}},{"type":"reply","reply":{"id":"b2","title":"No thanks"}}]}}}`, to))
		case ev.Type == "text":
			reply := "echo: " + text
			if echo != nil {
				reply = echo(text)
			}
			b, _ := json.Marshal(map[string]any{"messaging_product": "whatsapp", "to": to, "type": "text", "text": map[string]string{"body": reply}})
			r.graph(string(b))
		default:
			r.graph(fmt.Sprintf(`{"messaging_product":"whatsapp","to":%q,"type":"text","text":{"body":"got %s"}}`, to, ev.Type))
		}
		r.graph(fmt.Sprintf(`{"messaging_product":"whatsapp","status":"read","message_id":%q}`, ev.ID))
	}
	w.WriteHeader(http.StatusOK)
}

func (r *mockRig) graph(body string) {
	req, _ := http.NewRequest(http.MethodPost, r.api.URL+"/v21.0/"+r.srv.Info().Business.PhoneNumberID+"/messages", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+mockAccess)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Errorf("app → graph: %v", err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// texts are the inbound messages the app received, as text.
func (r *mockRig) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.received {
		out = append(out, inboundText(ev))
	}
	return out
}

// do calls the inspector: an action (POST with the token) or a read.
func (r *mockRig) do(method, path string, body any, hdr map[string]string) (int, []byte) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(TokenHeader, mockInspTk)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (r *mockRig) conversation(user string) Conversation {
	r.t.Helper()
	code, b := r.do(http.MethodGet, "/api/mock/users/"+user+"/conversation", nil, nil)
	var c Conversation
	if code != http.StatusOK || json.Unmarshal(b, &c) != nil {
		r.t.Fatalf("conversation %s: %d %s", user, code, b)
	}
	return c
}

// waitFor polls the conversation until ok holds (bounded, no clock
// assertion: only the state is checked).
func (r *mockRig) waitFor(user, what string, ok func(Conversation) bool) Conversation {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c := r.conversation(user)
		if ok(c) {
			return c
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(c, "", "  ")
			r.t.Fatalf("%s: not seen in\n%s", what, b)
		}
		time.Sleep(15 * time.Millisecond)
	}
}

func find(c Conversation, dir, text string) *Bubble {
	for i := range c.Bubbles {
		if b := &c.Bubbles[i]; b.Dir == dir && b.Text == text {
			return b
		}
	}
	return nil
}
