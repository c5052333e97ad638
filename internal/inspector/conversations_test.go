package inspector

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

func TestConversationLoop(t *testing.T) {
	r := newMockRig(t)
	code, b := r.do(http.MethodPost, "/api/mock/users/alice/say", map[string]string{"text": "Do you ship to Lima?"}, nil)
	var d mock.Delivery
	if code != http.StatusOK || json.Unmarshal(b, &d) != nil || d.Status != http.StatusOK {
		t.Fatalf("say: %d %s", code, b)
	}
	if got := r.texts(); len(got) != 1 || got[0] != "Do you ship to Lima?" {
		t.Fatalf("the app received %q", got)
	}
	c := r.waitFor("alice", "the reply delivered and the message read by the app", func(c Conversation) bool {
		in, out := find(c, "in", "Do you ship to Lima?"), find(c, "out", "echo: Do you ship to Lima?")
		return in != nil && out != nil && in.ReadByApp && out.Status == "delivered"
	})
	in, out := find(c, "in", "Do you ship to Lima?"), find(c, "out", "echo: Do you ship to Lima?")
	if in.Status != "ok" || in.Delivery == nil || in.Delivery.Status != 200 || in.Signature != "valid" || in.WAMID == "" {
		t.Errorf("the user's message: %+v", in)
	}
	if out.WAMID == "" || out.HTTP != 200 || !in.Time.Before(out.Time) {
		t.Errorf("the app's reply: %+v (message at %s)", out, in.Time)
	}
	if c.Bubbles[0].Dir != "in" {
		t.Errorf("the chat starts with the app's reply, not the user's message: %+v", c.Bubbles[0])
	}

	// The user reads: the reply's ticks reach read.
	if code, b := r.do(http.MethodPost, "/api/mock/users/alice/read", map[string]string{}, nil); code != http.StatusOK {
		t.Fatalf("read: %d %s", code, b)
	}
	c = r.waitFor("alice", "read", func(c Conversation) bool {
		o := find(c, "out", "echo: Do you ship to Lima?")
		return o != nil && o.Status == "read"
	})
	trail := []string{}
	for _, s := range find(c, "out", "echo: Do you ship to Lima?").Statuses {
		trail = append(trail, s.Status)
	}
	if strings.Join(trail, ",") != "sent,delivered,read" {
		t.Errorf("statuses %v, want sent, delivered, read", trail)
	}

	// The webhook is in the request list, with the app's answer as the forward result.
	var det Detail
	code, b = r.do(http.MethodGet, fmt.Sprintf("/api/requests/%d", in.Request), nil, nil)
	if code != 200 || json.Unmarshal(b, &det) != nil {
		t.Fatalf("detail of the webhook: %d %s", code, b)
	}
	if det.Signature.Verdict != "valid" || det.Forward == nil || det.Forward.Status != 200 || len(det.Events) != 1 || det.Events[0].Type != "text" {
		t.Errorf("detail: sig %+v forward %+v events %d", det.Signature, det.Forward, len(det.Events))
	}

	// Replayed from the list to the app (the mock's webhook URL), signed
	// with the mock's App Secret: the app takes it as the mock's own.
	if code, b := r.do(http.MethodPost, fmt.Sprintf("/api/requests/%d/replay", in.Request), map[string]string{"target": "forward", "mode": "exact"}, nil); code != 200 {
		t.Fatalf("replay: %d %s", code, b)
	}
	if got := r.texts(); len(got) != 2 || got[1] != "Do you ship to Lima?" {
		t.Errorf("after the replay the app received %q", got)
	}
	r.mu.Lock()
	bad := r.badSig
	r.mu.Unlock()
	if bad != 0 {
		t.Errorf("%d webhooks with a bad signature", bad)
	}

	// The users list knows alice's window and her last message.
	var us ChatUsers
	_, b = r.do(http.MethodGet, "/api/mock/users", nil, nil)
	if err := json.Unmarshal(b, &us); err != nil || len(us.Users) < 3 {
		t.Fatalf("users: %v %s", err, b)
	}
	if u := us.Users[0]; u.Name != "alice" || !u.WindowOpen || !u.Simulated || u.Last == nil || u.WaID == "" {
		t.Errorf("first user: %+v", u)
	}
}

func TestConversationTapAndFailures(t *testing.T) {
	r := newMockRig(t)
	r.do(http.MethodPost, "/api/mock/users/bruno/say", map[string]string{"text": "menu"}, nil)
	// The tap options come from the mock's state, the bubble from its log,
	// which reaches the inspector a moment later: wait for both.
	c := r.waitFor("bruno", "the app's buttons and their bubble", func(c Conversation) bool {
		return len(c.Options) == 2 && find(c, "out", "Pick one") != nil
	})
	if c.Options[0] != "Yes please" || c.Options[1] != "No thanks" || c.TapType != "button" {
		t.Fatalf("options %q (%s)", c.Options, c.TapType)
	}
	if b := find(c, "out", "Pick one"); b == nil || b.WAMID != c.TapMessage || b.Type != "interactive.button" || len(b.Options) != 2 {
		t.Errorf("the interactive message %+v is not the one tap answers (%s)", b, c.TapMessage)
	}
	if code, b := r.do(http.MethodPost, "/api/mock/users/bruno/tap", map[string]int{"n": 2}, nil); code != 200 {
		t.Fatalf("tap: %d %s", code, b)
	}
	if got := r.texts(); len(got) != 2 || got[1] != "No thanks" {
		t.Fatalf("the app received %q", got)
	}
	r.waitFor("bruno", "the tap in the chat", func(c Conversation) bool {
		b := find(c, "in", "No thanks")
		return b != nil && b.Type == "interactive.button_reply" && b.ReplyTo != ""
	})
	code, b := r.do(http.MethodPost, "/api/mock/users/bruno/tap", map[string]int{"n": 7}, nil)
	if code != http.StatusConflict || !strings.Contains(string(b), "has 2 options") {
		t.Errorf("tap 7: %d %s", code, b)
	}
	code, b = r.do(http.MethodPost, "/api/mock/users/brunno/say", map[string]string{"text": "x"}, nil)
	if code != http.StatusNotFound || !strings.Contains(string(b), "bruno") {
		t.Errorf("unknown user: %d %s (want the mock's did-you-mean)", code, b)
	}

	// A closed window: the app's free-form reply is accepted, then fails 131047.
	r.srv.Handler().ServeHTTP(discardWriter{}, mustReq(t, http.MethodPost, "/_mock/users/chen/window", `{"open":false}`))
	r.graph(`{"messaging_product":"whatsapp","recipient":"` + chenID(t, r) + `","type":"text","text":{"body":"late"}}`)
	r.waitFor("chen", "failed 131047", func(c Conversation) bool {
		b := find(c, "out", "late")
		return b != nil && b.Status == "failed" && b.Error != nil && b.Error.Code == 131047
	})
	// A number no simulated user has: a conversation of its own, read only.
	r.graph(`{"messaging_product":"whatsapp","to":"19995550123","type":"text","text":{"body":"anyone there?"}}`)
	r.waitFor("+19995550123", "a stranger's chat", func(c Conversation) bool { return find(c, "out", "anyone there?") != nil })
	var us ChatUsers
	_, b = r.do(http.MethodGet, "/api/mock/users", nil, nil)
	_ = json.Unmarshal(b, &us)
	if u := us.Users[0]; u.Name != "+19995550123" || u.Simulated {
		t.Errorf("the stranger in the users list: %+v", u)
	}

	// A refused call: the Graph error's code and title.
	r.graph(`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{}}`)
	c = r.waitFor("alice", "refused", func(c Conversation) bool {
		return len(c.Bubbles) > 0 && c.Bubbles[len(c.Bubbles)-1].Status == "refused"
	})
	if e := c.Bubbles[len(c.Bubbles)-1].Error; e == nil || e.Code == 0 || e.Title == "" || c.Bubbles[len(c.Bubbles)-1].HTTP != 400 {
		t.Errorf("refused call: %+v", c.Bubbles[len(c.Bubbles)-1])
	}
}

func chenID(t *testing.T, r *mockRig) string {
	for _, u := range r.srv.Users() {
		if u.Name == "chen" {
			return u.UserID
		}
	}
	t.Fatal("no chen")
	return ""
}

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}

func mustReq(t *testing.T, method, path, body string) *http.Request {
	req, err := http.NewRequest(method, path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestConversationActionsNeedTheToken(t *testing.T) {
	r := newMockRig(t)
	say := map[string]string{"text": "forged"}
	for name, h := range map[string]map[string]string{
		"no token":     {TokenHeader: ""},
		"wrong token":  {TokenHeader: "guess"},
		"other origin": {"Origin": "http://evil.example"},
		"cross site":   {"Sec-Fetch-Site": "cross-site"},
		"form post":    {"Content-Type": "application/x-www-form-urlencoded"},
		"rebinding":    {"Host": "evil.example:4040"},
	} {
		for _, action := range []string{"say", "tap", "read"} {
			req, _ := http.NewRequest(http.MethodPost, r.base+"/api/mock/users/alice/"+action, strings.NewReader(`{"text":"forged","n":1}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(TokenHeader, mockInspTk)
			for k, v := range h {
				switch {
				case k == "Host":
					req.Host = v
				case v == "":
					req.Header.Del(k)
				default:
					req.Header.Set(k, v)
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Errorf("%s %s: answered %d", name, action, resp.StatusCode)
			}
		}
	}
	if code, _ := r.do(http.MethodGet, "/api/mock/users/alice/say?text=forged", nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET say: %d", code)
	}
	if got := r.texts(); len(got) != 0 {
		t.Errorf("the app received %q from refused actions", got)
	}
	_ = say
	if code, b := r.do(http.MethodPost, "/api/mock/users/alice/say", map[string]string{"text": "  "}, nil); code != 400 {
		t.Errorf("empty say: %d %s", code, b)
	}
	if code, b := r.do(http.MethodPost, "/api/mock/users/alice/say", map[string]string{"text": strings.Repeat("é", 4097)}, nil); code != 400 {
		t.Errorf("too long: %d %s", code, b)
	}
}

// TestConversationHostileTextAndSecrets: what users and the app write is
// hostile; the App Secret and access token never reach the page, even
// when the app echoes them.
func TestConversationHostileTextAndSecrets(t *testing.T) {
	r := newMockRig(t)
	r.echo = func(string) string {
		return "secret " + mockSecret + " token " + mockAccess + " \x1b]0;pwn\x07 <img src=x onerror=alert(1)>"
	}
	hostile := "<script>alert(1)</script> \x1b[31mred\u202egnp.exe"
	// A live stream open before, to see what it carries.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/api/mock/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	streamed := make(chan string, 1)
	go func() {
		var sb strings.Builder
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			sb.WriteString(sc.Text() + "\n")
			if strings.Contains(sb.String(), `"status":"delivered"`) && strings.Contains(sb.String(), "token ****") {
				break
			}
		}
		streamed <- sb.String()
	}()

	if code, b := r.do(http.MethodPost, "/api/mock/users/alice/say", map[string]string{"text": hostile}, nil); code != 200 {
		t.Fatalf("say: %d %s", code, b)
	}
	if got := r.texts(); len(got) != 1 || got[0] != hostile {
		t.Fatalf("the app must receive the text exactly: %q", got)
	}
	c := r.waitFor("alice", "the echo delivered", func(c Conversation) bool {
		return len(c.Bubbles) == 2 && c.Bubbles[1].Status == "delivered"
	})
	var s string
	select {
	case s = <-streamed:
	case <-time.After(15 * time.Second):
		t.Fatal("the stream never carried the delivered echo")
	}
	_, page := r.do(http.MethodGet, "/", nil, nil)
	_, users := r.do(http.MethodGet, "/api/mock/users", nil, nil)
	_, conv := r.do(http.MethodGet, "/api/mock/users/alice/conversation", nil, nil)
	_, rows := r.do(http.MethodGet, "/api/rows", nil, nil)
	_, det := r.do(http.MethodGet, fmt.Sprintf("/api/requests/%d", c.Bubbles[0].Request), nil, nil)
	for name, text := range map[string]string{"page": string(page), "users": string(users), "conversation": string(conv),
		"stream": s, "rows": string(rows), "detail": string(det)} {
		for _, secret := range []string{mockSecret, mockAccess} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows a secret", name)
			}
		}
		if name == "detail" {
			continue // the request's exact bytes, shown as received (as beside serve)
		}
		for _, raw := range []string{"\x1b", "\u202e", "<script>alert", "<img"} {
			if strings.Contains(text, raw) {
				t.Errorf("%s carries %q unescaped", name, raw)
			}
		}
	}
	if in := c.Bubbles[0].Text; !strings.Contains(in, `\x1b[31mred`) || !strings.Contains(in, "<script>") {
		t.Errorf("the user's text as the chat shows it: %q", in)
	}
	if out := c.Bubbles[1].Text; !strings.Contains(out, "secret **** token ****") || !strings.Contains(out, `\x1b]0;pwn`) {
		t.Errorf("the app's echo as the chat shows it: %q", out)
	}
}

func TestConversationBounds(t *testing.T) {
	c := newConversations(50)
	sub := c.subscribe()
	at := time.Now()
	for i := range 80 {
		c.entry(mock.Entry{Seq: uint64(i + 1), Kind: "graph", Method: "POST", Path: "/v21.0/1/messages", Status: 200, User: fmt.Sprintf("u%d", i%3),
			Time: at.Add(time.Duration(i) * time.Millisecond), Request: json.RawMessage(fmt.Sprintf(`{"to":"1","type":"text","text":{"body":"m%d"}}`, i)),
			Response: json.RawMessage(fmt.Sprintf(`{"messages":[{"id":"wamid.%d"}]}`, i))}, nil, 0)
	}
	st := c.stats()
	if st.Bubbles != 50 || st.Evicted != 30 {
		t.Errorf("stats %+v, want 50 kept and 30 evicted", st)
	}
	n := 0
	for _, u := range []string{"u0", "u1", "u2"} {
		n += len(c.of(u))
	}
	if n != 50 || len(c.byWAMID) != 50 {
		t.Errorf("%d bubbles in conversations, %d wamids indexed; want 50", n, len(c.byWAMID))
	}
	if got := c.of("u1"); got[len(got)-1].Text != "m79" {
		t.Errorf("newest of u1: %+v", got[len(got)-1])
	}
	if got := c.of("u0"); got[0].Text != "m30" {
		t.Errorf("oldest kept of u0: %+v, want m30", got[0])
	}
	if changed, reset := c.take(sub); reset || len(changed) != 80 {
		t.Errorf("stream got %d changes (reset %v)", len(changed), reset)
	}

	one := newConversations(10 * maxPerUser)
	sub = one.subscribe()
	for i := range maxPerUser + 5 {
		one.entry(mock.Entry{Seq: uint64(i + 1), Kind: "graph", Method: "POST", Path: "/messages", Status: 200, User: "alice", Time: at.Add(time.Duration(i)),
			Request: json.RawMessage(`{"to":"1","type":"text","text":{"body":"x"}}`)}, nil, 0)
	}
	if got := len(one.of("alice")); got != maxPerUser {
		t.Errorf("one user keeps %d, want %d", got, maxPerUser)
	}
	if st := one.stats(); st.Bubbles != maxPerUser || st.Evicted != 5 {
		t.Errorf("per-user eviction not counted: %+v", st)
	}
	for i := range maxSubQueue {
		one.entry(mock.Entry{Seq: uint64(2000 + i), Kind: "graph", Method: "POST", Path: "/messages", Status: 200, User: fmt.Sprintf("v%d", i%4), Time: at,
			Request: json.RawMessage(`{"to":"1","type":"text","text":{"body":"x"}}`)}, nil, 0)
	}
	if changed, reset := one.take(sub); !reset || changed != nil {
		t.Errorf("a stream with more than %d changes waiting must be told to reload (reset %v, %d changes)", maxSubQueue, reset, len(changed))
	}
	long := strings.Repeat("a", 10_000)
	one.entry(mock.Entry{Seq: 1 << 20, Kind: "graph", Method: "POST", Path: "/messages", Status: 200, User: "bob", Time: at,
		Request: json.RawMessage(`{"to":"1","type":"text","text":{"body":"` + long + `"}}`)}, nil, 0)
	if got := one.of("bob")[0].Text; len([]rune(got)) != maxBubbleText+1 {
		t.Errorf("a long text is shown with %d characters", len([]rune(got)))
	}
}

func TestConversationOutOfOrderStatuses(t *testing.T) {
	c := newConversations(0)
	at := time.Now()
	status := func(seq uint64, st string) {
		body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"1"},"statuses":[{"id":"wamid.A","status":%q,"timestamp":"1700000000","recipient_id":"15550100001"}]}}]}]}`, st)
		n, err := webhook.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		c.entry(mock.Entry{Seq: seq, Kind: "webhook", Time: at.Add(time.Duration(seq)), Delivery: &mock.Delivery{Status: 200}}, n.Events(), 0)
	}
	status(1, "sent") // before the send's own entry
	c.entry(mock.Entry{Seq: 2, Kind: "graph", Method: "POST", Path: "/v21.0/1/messages", Status: 200, User: "alice", Time: at,
		Request: json.RawMessage(`{"to":"15550100001","type":"text","text":{"body":"hi"}}`), Response: json.RawMessage(`{"messages":[{"id":"wamid.A"}]}`)}, nil, 0)
	status(3, "read")
	status(4, "delivered") // read came first: stays read
	b := c.of("alice")
	if len(b) != 1 || b[0].Status != "read" || len(b[0].Statuses) != 3 {
		t.Fatalf("%+v", b)
	}
}

func TestConversationsForgetAMockReset(t *testing.T) {
	r := newMockRig(t)
	r.do(http.MethodPost, "/api/mock/users/alice/say", map[string]string{"text": "before"}, nil)
	r.waitFor("alice", "the message", func(c Conversation) bool { return find(c, "in", "before") != nil })
	r.srv.Handler().ServeHTTP(discardWriter{}, mustReq(t, http.MethodPost, "/_mock/reset", ""))
	r.waitFor("alice", "an empty chat after the reset", func(c Conversation) bool { return len(c.Bubbles) == 0 })
}

// BenchmarkMockTake is the inspector's cost per log entry of the mock (on
// its own goroutine, off the mock's path): a send's Graph entry and its
// status webhook, filed in the conversations and the request list.
//
//	go test ./internal/inspector -run XXX -bench MockTake -benchmem
func BenchmarkMockTake(b *testing.B) {
	m := NewMock(MockOptions{AppSecret: mockSecret, AccessToken: mockAccess})
	m.conv = newConversations(0, mockSecret, mockAccess)
	m.Inspector.store = newStore(0, 0, false, mockSecret, mockAccess)
	m.env.AppSecret = mockSecret
	status := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"104729385610274","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550142233","phone_number_id":"109283746501928"},"statuses":[{"id":"wamid.X","status":"delivered","timestamp":"1764636000","recipient_id":"15550100001","pricing":{"billable":false,"pricing_model":"PMP","category":"service","type":"free_customer_service"}}]},"field":"messages"}]}]}`)
	at := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		seq := uint64(2 * i)
		wamid := "wamid.B" + strconv.Itoa(i)
		m.take(mockEntry{e: mock.Entry{Seq: seq + 1, Kind: "graph", Method: "POST", Path: "/v21.0/109283746501928/messages", Status: 200, User: "alice", Time: at,
			Request:  json.RawMessage(`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"Yes! Delivery to Lima takes 3–5 working days."}}`),
			Response: json.RawMessage(`{"messaging_product":"whatsapp","contacts":[{"input":"15550100001","wa_id":"15550100001"}],"messages":[{"id":"` + wamid + `"}]}`)}})
		body := bytes.Replace(status, []byte("wamid.X"), []byte(wamid), 1)
		m.take(mockEntry{e: mock.Entry{Seq: seq + 2, Kind: "webhook", Method: "POST", Path: "/webhook", Status: 200, User: "alice", Time: at, Signature: "valid",
			Delivery: &mock.Delivery{Status: 200, LatencyMS: 1, Attempts: 1}}, body: body})
	}
}

func TestConversationsBeyondLoopbackNeedTheToken(t *testing.T) {
	r := newMockRig(t)
	r.insp.loopback = false // as when listening on 0.0.0.0; the test itself stays on loopback
	h := r.insp.Handler()
	for _, target := range []string{"/api/mock/users", "/api/mock/users/alice/conversation", "/api/mock/stream"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d", target, w.Code)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/mock/users?token="+mockInspTk, nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"alice"`) {
		t.Errorf("with the token: %d %s", w.Code, w.Body)
	}
	// The page's own say (token header, JSON) still works; nothing else does.
	req := httptest.NewRequest(http.MethodPost, "/api/mock/users/alice/say?token="+mockInspTk, strings.NewReader(`{"text":"query token only"}`))
	req.Header.Set("Content-Type", "application/json")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden {
		t.Errorf("say with the token only in the query: %d", w.Code)
	}
	if got := r.texts(); len(got) != 0 {
		t.Errorf("the app received %q", got)
	}
}

// TestConversationWithMetaHabits: batches, read before delivered and
// duplicated webhooks (every one of them here) still give one bubble per
// message, each reply's ticks end at read.
func TestConversationWithMetaHabits(t *testing.T) {
	r := newMockRigWith(t, func(o *mock.Options) {
		o.Deterministic, o.Seed = false, 7
		o.Habits = &simnet.Habits{Batch: 1, OutOfOrder: 1, Duplicate: 1, SentDelay: time.Millisecond, DeliveredDelay: 3 * time.Millisecond, ReadDelay: 5 * time.Millisecond}
	})
	texts := []string{"one", "two", "three"}
	for _, text := range texts {
		if code, b := r.do(http.MethodPost, "/api/mock/users/bruno/say", map[string]string{"text": text}, nil); code != 200 {
			t.Fatalf("say: %d %s", code, b)
		}
	}
	c := r.waitFor("bruno", "every reply read", func(c Conversation) bool {
		for _, text := range texts {
			if b := find(c, "out", "echo: "+text); b == nil || b.Status != "read" {
				return false
			}
		}
		return true
	})
	in := 0
	for _, b := range c.Bubbles {
		if b.Dir == "in" {
			in++
		}
	}
	if in != len(texts) || len(c.Bubbles) != 2*len(texts) {
		b, _ := json.MarshalIndent(c.Bubbles, "", " ")
		t.Errorf("%d of the user's messages and %d bubbles, want %d and %d:\n%s", in, len(c.Bubbles), len(texts), 2*len(texts), b)
	}
}

// TestConversationTemplateQuickReply: a template with a quick-reply
// button shows by name, and tap answers its button, as `mock tap` does.
func TestConversationTemplateQuickReply(t *testing.T) {
	r := newMockRig(t)
	post := func(path, body string) int {
		req, _ := http.NewRequest(http.MethodPost, r.api.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+mockAccess)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	biz := r.srv.Info().Business
	if st := post("/v21.0/"+biz.WABAID+"/message_templates", `{"name":"promo","language":"en_US","category":"MARKETING","components":[{"type":"BODY","text":"Sale for {{1}}"},{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Stop promos"}]}]}`); st != 200 {
		t.Fatalf("template: %d", st)
	}
	send := `{"messaging_product":"whatsapp","to":"15550100001","type":"template","template":{"name":"promo","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"Ana"}]},{"type":"button","sub_type":"quick_reply","index":"0","parameters":[{"type":"payload","payload":"STOP_PROMO"}]}]}}`
	deadline := time.Now().Add(10 * time.Second)
	for post("/v21.0/"+biz.PhoneNumberID+"/messages", send) != 200 { // until approved
		if time.Now().After(deadline) {
			t.Fatal("the template was never approved")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The tap options come from the mock's state, the bubble from its log,
	// which reaches the inspector a moment later: wait for both.
	var tpl *Bubble
	c := r.waitFor("alice", "the template's button and bubble", func(c Conversation) bool {
		tpl = nil
		for i := range c.Bubbles {
			if c.Bubbles[i].Dir == "out" && c.Bubbles[i].HTTP == 200 {
				tpl = &c.Bubbles[i]
			}
		}
		return c.TapType == "template" && len(c.Options) == 1 && tpl != nil
	})
	if c.Options[0] != "Stop promos" {
		t.Errorf("options %q", c.Options)
	}
	if tpl == nil || tpl.Type != "template" || tpl.Title != "promo (en_US)" || tpl.WAMID != c.TapMessage {
		t.Errorf("the template in the chat: %+v (tap message %s)", tpl, c.TapMessage)
	}
	if code, b := r.do(http.MethodPost, "/api/mock/users/alice/tap", map[string]int{"n": 1}, nil); code != 200 {
		t.Fatalf("tap: %d %s", code, b)
	}
	if got := r.texts(); len(got) != 1 || got[0] != "Stop promos" {
		t.Errorf("the app received %q", got)
	}
	r.waitFor("alice", "the tap in the chat", func(c Conversation) bool {
		b := find(c, "in", "Stop promos")
		return b != nil && b.Type == "button"
	})
}
