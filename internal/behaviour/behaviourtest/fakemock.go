package behaviourtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// FakeMock is a small stand-in for the mock's control API and its
// POST /messages, enough for the behaviour suite's own unit tests to run
// without the real mock. It follows docs/mock.md's contract; the suite's
// end-to-end tests run against the real mock.
type FakeMock struct {
	Webhook string
	Secret  string
	Token   string
	Timeout time.Duration
	Base    string

	mu      sync.Mutex
	changed chan struct{}
	users   []*fakeUser
	log     []fakeEntry
	msgUser map[string]string // inbound wamid → user name
	ids     int
	client  *http.Client
}

type fakeUser struct {
	Name        string `json:"name"`
	WaID        string `json:"wa_id,omitempty"`
	UserID      string `json:"user_id,omitempty"`
	Username    string `json:"username,omitempty"`
	ProfileName string `json:"profile_name"`
	last        time.Time
	options     []fakeOption
	sent        []string
}

type fakeOption struct{ id, title, kind string }

type fakeEntry struct {
	Seq          int64           `json:"seq"`
	Kind         string          `json:"kind"`
	Method       string          `json:"method"`
	Path         string          `json:"path"`
	Status       int             `json:"status"`
	User         string          `json:"user,omitempty"`
	Summary      string          `json:"summary"`
	Request      json.RawMessage `json:"request,omitempty"`
	ErrorCode    int             `json:"error_code,omitempty"`
	WebhookField string          `json:"webhook_field,omitempty"`
	Delivery     *fakeDelivery   `json:"delivery,omitempty"`
}

type fakeDelivery struct {
	Seq       int64   `json:"seq"`
	Status    int     `json:"status"`
	LatencyMS float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"`
	Attempts  int     `json:"attempts"`
}

const phoneNumberID = "109283746501928"

func (f *FakeMock) init() {
	if f.changed == nil {
		f.changed = make(chan struct{})
		f.msgUser = map[string]string{}
		timeout := f.Timeout
		if timeout == 0 {
			timeout = 10 * time.Second
		}
		f.client = &http.Client{Timeout: timeout}
	}
}

// addLog appends an entry and wakes long-polls; f.mu is held.
func (f *FakeMock) addLog(e fakeEntry) int64 {
	e.Seq = int64(len(f.log) + 1)
	f.log = append(f.log, e)
	close(f.changed)
	f.changed = make(chan struct{})
	return e.Seq
}

func (f *FakeMock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.init()
	f.mu.Unlock()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	path := r.URL.Path
	switch {
	case path == "/_mock/info":
		writeJSON(w, 200, map[string]any{"graph_base": f.Base, "versions": []string{"v21.0"}, "latest": "v21.0", "deterministic": true,
			"webhook": f.Webhook, "business": map[string]string{"phone_number_id": phoneNumberID, "display_phone_number": "+1 555-014-2233", "waba_id": "104729385610274", "app_id": "1"}})
	case path == "/_mock/users" && r.Method == http.MethodPost:
		f.createUser(w, body)
	case path == "/_mock/log":
		f.serveLog(w, r)
	case path == "/_mock/webhooks":
		f.serveWebhooks(w, r.Context(), body)
	case strings.HasPrefix(path, "/_mock/users/"):
		rest := strings.TrimPrefix(path, "/_mock/users/")
		name, verb, _ := strings.Cut(rest, "/")
		f.userVerb(w, r.Context(), name, verb, body)
	case strings.HasSuffix(path, "/messages") && r.Method == http.MethodPost:
		f.graphMessages(w, r, body)
	default:
		writeJSON(w, 404, map[string]any{"error": map[string]any{"message": "unknown path " + path, "code": "not_found"}})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *FakeMock) createUser(w http.ResponseWriter, body []byte) {
	var in struct{ Name, Identity, Profile_name string }
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.users {
		if u.Name == in.Name {
			writeJSON(w, 409, map[string]any{"error": map[string]any{"message": "user exists", "code": "user_exists"}})
			return
		}
	}
	f.ids++
	u := &fakeUser{Name: in.Name, ProfileName: in.Profile_name, last: time.Now()}
	n := strconv.Itoa(1000 + f.ids)
	switch in.Identity {
	case "phone":
		u.WaID = "1555000" + n
	case "phone+bsuid":
		u.WaID, u.UserID = "1555000"+n, "US.9"+n
	case "bsuid-only":
		u.UserID = "US.9" + n
	case "username-only":
		u.UserID, u.Username = "US.9"+n, "user"+n
	}
	f.users = append(f.users, u)
	writeJSON(w, 200, u)
}

func (f *FakeMock) user(name string) *fakeUser {
	for _, u := range f.users {
		if u.Name == name || (u.WaID != "" && u.WaID == name) || (u.UserID != "" && u.UserID == name) {
			return u
		}
	}
	return nil
}

func (f *FakeMock) serveLog(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	deadline := time.After(wait)
	for {
		f.mu.Lock()
		if int(since) < len(f.log) || wait == 0 {
			var out []fakeEntry
			if int(since) < len(f.log) {
				out = append(out, f.log[since:]...)
			}
			next := int64(len(f.log))
			f.mu.Unlock()
			writeJSON(w, 200, map[string]any{"entries": out, "next": next})
			return
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			wait = 0
		case <-r.Context().Done():
			return
		}
	}
}

// message builds a one-message body from u.
func (f *FakeMock) message(u *fakeUser, typ string, obj any, at time.Time) []byte {
	f.ids++
	id := fmt.Sprintf("wamid.fake%d", f.ids)
	m := map[string]any{"id": id, "timestamp": strconv.FormatInt(at.Unix(), 10), "type": typ, typ: obj}
	if u.WaID != "" {
		m["from"] = u.WaID
	}
	if u.UserID != "" {
		m["from_user_id"] = u.UserID
	}
	c := map[string]any{"profile": map[string]string{"name": u.ProfileName}}
	if u.WaID != "" {
		c["wa_id"] = u.WaID
	}
	if u.UserID != "" {
		c["user_id"] = u.UserID
	}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "104729385610274",
		"changes": []any{map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp",
			"metadata": map[string]string{"display_phone_number": "15550142233", "phone_number_id": phoneNumberID},
			"contacts": []any{c},
			"messages": []any{m}}}}}}})
	return b
}

func (f *FakeMock) userVerb(w http.ResponseWriter, ctx context.Context, name, verb string, body []byte) {
	f.mu.Lock()
	u := f.user(name)
	if u == nil {
		f.mu.Unlock()
		writeJSON(w, 404, map[string]any{"error": map[string]any{"message": "no user " + name, "code": "unknown_user"}})
		return
	}
	var raw []byte
	switch verb {
	case "say":
		var in struct{ Text string }
		_ = json.Unmarshal(body, &in)
		raw = f.message(u, "text", map[string]string{"body": in.Text}, time.Now())
	case "send":
		raw = f.message(u, "text", map[string]string{"body": "a catalog event"}, time.Now())
	case "tap":
		var in struct{ N int }
		_ = json.Unmarshal(body, &in)
		if in.N < 1 || in.N > len(u.options) {
			f.mu.Unlock()
			writeJSON(w, 409, map[string]any{"error": map[string]any{"message": "nothing to tap", "code": "nothing_to_tap"}})
			return
		}
		o := u.options[in.N-1]
		raw = f.message(u, "interactive", map[string]any{"type": o.kind, o.kind: map[string]string{"id": o.id, "title": o.title}}, time.Now())
	case "read":
		var statuses []any
		for _, id := range u.sent {
			statuses = append(statuses, map[string]any{"id": id, "status": "read", "timestamp": strconv.FormatInt(time.Now().Unix(), 10), "recipient_id": u.WaID})
		}
		raw, _ = json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "104729385610274",
			"changes": []any{map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp",
				"metadata": map[string]string{"display_phone_number": "15550142233", "phone_number_id": phoneNumberID}, "statuses": statuses}}}}}})
	case "window":
		var in struct{ Last_inbound time.Time }
		_ = json.Unmarshal(body, &in)
		u.last = in.Last_inbound
		f.mu.Unlock()
		writeJSON(w, 200, u)
		return
	}
	f.mu.Unlock()
	writeJSON(w, 200, f.deliver(ctx, raw, "valid"))
}

func (f *FakeMock) serveWebhooks(w http.ResponseWriter, ctx context.Context, body []byte) {
	var in struct {
		Raw       string `json:"raw"`
		Signature string `json:"signature"`
	}
	_ = json.Unmarshal(body, &in)
	raw, _ := base64.StdEncoding.DecodeString(in.Raw)
	writeJSON(w, 200, []fakeDelivery{f.deliver(ctx, raw, in.Signature)})
}

// deliver posts raw to the app, after noting whose messages it holds.
func (f *FakeMock) deliver(ctx context.Context, raw []byte, sig string) fakeDelivery {
	var env envelope
	_ = json.Unmarshal(raw, &env)
	user, field := "", ""
	f.mu.Lock()
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			field = c.Field
			for _, m := range c.Value.Messages {
				who := m.From
				if who == "" {
					who = m.FromUserID
				}
				if u := f.user(who); u != nil {
					f.msgUser[m.ID] = u.Name
					user = u.Name
					if ts, err := strconv.ParseInt(m.Timestamp, 10, 64); err == nil && time.Unix(ts, 0).After(u.last) {
						u.last = time.Unix(ts, 0)
					}
				}
			}
		}
	}
	f.mu.Unlock()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.Webhook, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	switch sig {
	case "valid", "":
		req.Header.Set(signature.Header, signature.Sign(f.Secret, raw))
	case "forged":
		req.Header.Set(signature.Header, signature.Sign(f.Secret+"x", raw))
	}
	start := time.Now()
	d := fakeDelivery{Attempts: 1}
	resp, err := f.client.Do(req)
	d.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		d.Error = err.Error()
	} else {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d.Status = resp.StatusCode
	}
	f.mu.Lock()
	d.Seq = f.addLog(fakeEntry{Kind: "webhook", Method: "POST", Status: d.Status, User: user, WebhookField: field, Summary: "webhook", Delivery: &d})
	f.mu.Unlock()
	return d
}

func (f *FakeMock) graphMessages(w http.ResponseWriter, r *http.Request, body []byte) {
	metaErr := func(status, code int, msg string) {
		writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "x"}})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	entry := fakeEntry{Kind: "graph", Method: r.Method, Path: r.URL.Path, Request: json.RawMessage(body)}
	if r.Header.Get("Authorization") != "Bearer "+f.Token {
		entry.Status, entry.ErrorCode = 401, 190
		f.addLog(entry)
		metaErr(401, 190, "Invalid OAuth access token")
		return
	}
	var req struct {
		To, Recipient, Type, Status, Message_id string
		Interactive                             struct {
			Action struct {
				Buttons []struct {
					Reply struct{ ID, Title string }
				}
				Sections []struct {
					Rows []struct{ ID, Title string }
				}
			}
		}
	}
	_ = json.Unmarshal(body, &req)
	if req.Status == "read" {
		entry.Status, entry.User = 200, f.msgUser[req.Message_id]
		f.addLog(entry)
		writeJSON(w, 200, map[string]bool{"success": true})
		return
	}
	who := req.To
	if who == "" {
		who = req.Recipient
	}
	u := f.user(who)
	if u == nil {
		entry.Status, entry.ErrorCode = 400, 100
		f.addLog(entry)
		metaErr(400, 100, "Invalid parameter: to")
		return
	}
	f.ids++
	id := fmt.Sprintf("wamid.out%d", f.ids)
	u.sent = append(u.sent, id)
	u.options = nil
	for _, b := range req.Interactive.Action.Buttons {
		u.options = append(u.options, fakeOption{b.Reply.ID, b.Reply.Title, "button_reply"})
	}
	for _, s := range req.Interactive.Action.Sections {
		for _, row := range s.Rows {
			u.options = append(u.options, fakeOption{row.ID, row.Title, "list_reply"})
		}
	}
	entry.Status, entry.User = 200, u.Name
	f.addLog(entry)
	writeJSON(w, 200, map[string]any{"messaging_product": "whatsapp", "contacts": []any{map[string]string{"input": who, "wa_id": u.WaID}},
		"messages": []any{map[string]string{"id": id}}})
	if req.Type != "template" && time.Since(u.last) > 24*time.Hour {
		// Delivery-time failure, as Meta reports it: a failed status.
		raw, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "104729385610274",
			"changes": []any{map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp",
				"metadata": map[string]string{"display_phone_number": "15550142233", "phone_number_id": phoneNumberID},
				"statuses": []any{map[string]any{"id": id, "status": "failed", "recipient_id": u.WaID,
					"errors": []any{map[string]any{"code": 131047, "title": "Re-engagement message"}}}}}}}}}})
		name := u.Name
		go func() {
			d := f.deliver(context.Background(), raw, "valid")
			f.mu.Lock()
			f.addLog(fakeEntry{Kind: "webhook", Method: "POST", Status: d.Status, User: name, ErrorCode: 131047, Summary: "failed 131047"})
			f.mu.Unlock()
		}()
	}
}
