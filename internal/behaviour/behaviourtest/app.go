// Package behaviourtest holds small WhatsApp apps for testing the behaviour
// suite: a correct one and one per bug the suite must catch. Each is a real
// webhook receiver: it verifies X-Hub-Signature-256 over the raw body and
// replies by calling the Graph API (POST /v21.0/{phone-number-id}/messages
// with the Bearer token), which in the tests is the mock's. They listen on
// loopback only.
package behaviourtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// Bug is the one mistake an app makes.
type Bug string

// The bugs, each seen in real receivers that answered 200 and still did
// the wrong thing.
const (
	Correct Bug = ""
	// FirstOnly reads only entry[0].changes[0].value.messages[0].
	FirstOnly Bug = "first-only"
	// RepliesTwice keeps no record of handled messages, so it answers a
	// retry and a duplicate again.
	RepliesTwice Bug = "replies-twice"
	// MetadataFirst reads value.metadata before looking at the field, and
	// fails every webhook without it (templates, account updates).
	MetadataFirst Bug = "metadata-first"
	// CrashNoPhone assumes every user has a phone number (from).
	CrashNoPhone Bug = "crash-no-phone"
	// BlockUnknown has a worker per user that gets stuck on a message type
	// it does not know: nothing later from that user is handled.
	BlockUnknown Bug = "block-unknown-type"
	// SlowBurst handles one request at a time, slowly.
	SlowBurst Bug = "slow-under-burst"
	// Forged500 crashes (500) on a bad signature instead of refusing it.
	Forged500 Bug = "500-on-forged"
)

// Two ways to answer a user outside the 24-hour window besides the
// template the others send; not among Bugs (the list).
const (
	// IgnoresWindow replies free-form whatever the message's age, and
	// does nothing about the 131047 failure that follows.
	IgnoresWindow Bug = "ignores-window"
	// FollowsUp131047 replies free-form, and sends a template when the
	// reply's status fails with 131047: right, the slow way.
	FollowsUp131047 Bug = "follows-up-131047"
	// Silent answers 200 and never calls the Graph API (a logger).
	Silent Bug = "silent"
)

// Bugs lists every bug, for tests that go through all of them.
var Bugs = []Bug{FirstOnly, RepliesTwice, MetadataFirst, CrashNoPhone, BlockUnknown, SlowBurst, Forged500}

// App is one test app.
type App struct {
	Secret string
	Token  string
	// Graph returns the Graph API base URL (the mock's), asked at each call
	// so the app can start before the mock.
	Graph func() string
	Bug   Bug
	// Slow is how long SlowBurst takes per overlapping request (default 16 s).
	Slow time.Duration
	Now  func() time.Time

	mu       sync.Mutex
	seen     map[string]bool
	stuck    map[string]bool
	inflight atomic.Int32
	Verify   string // verify token of the GET handshake
	Version  string // Graph API version of the calls (default v21.0)
}

const maxBody = 4 << 20

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		if q.Get("hub.mode") == "subscribe" && a.Verify != "" && q.Get("hub.verify_token") == a.Verify {
			io.WriteString(w, q.Get("hub.challenge"))
			return
		}
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if !signature.Verify(a.Secret, body, r.Header.Get(signature.Header)).OK() {
		if a.Bug == Forged500 {
			http.Error(w, "panic: signature mismatch", http.StatusInternalServerError)
			return
		}
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	if a.Bug == SlowBurst && env.hasMessages() {
		// Fine for one message at a time; when they overlap each waits
		// Slow, as for a pool of one database connection. Statuses are
		// cheap for it.
		if a.inflight.Add(1) > 1 {
			slow := a.Slow
			if slow == 0 {
				slow = 16 * time.Second
			}
			time.Sleep(slow)
		}
		defer a.inflight.Add(-1)
	}
	if a.Bug == Silent {
		w.WriteHeader(http.StatusOK)
		return
	}
	if code := a.handle(r.Context(), env); code != http.StatusOK {
		http.Error(w, "internal error", code)
		return
	}
	w.WriteHeader(http.StatusOK)
}

type (
	envelope struct {
		Entry []struct {
			Changes []struct {
				Field string `json:"field"`
				Value struct {
					Metadata *struct {
						PhoneNumberID string `json:"phone_number_id"`
					} `json:"metadata"`
					Messages []message `json:"messages"`
					Statuses []struct {
						Status      string `json:"status"`
						RecipientID string `json:"recipient_id"`
						Errors      []struct {
							Code int `json:"code"`
						} `json:"errors"`
					} `json:"statuses"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	message struct {
		From        string                `json:"from"`
		FromUserID  string                `json:"from_user_id"`
		ID          string                `json:"id"`
		Timestamp   string                `json:"timestamp"`
		Type        string                `json:"type"`
		Text        struct{ Body string } `json:"text"`
		Interactive struct {
			ButtonReply *struct{ ID, Title string } `json:"button_reply"`
			ListReply   *struct{ ID, Title string } `json:"list_reply"`
		} `json:"interactive"`
	}
)

func (e envelope) hasMessages() bool {
	for _, en := range e.Entry {
		for _, ch := range en.Changes {
			if len(ch.Value.Messages) > 0 {
				return true
			}
		}
	}
	return false
}

var knownTypes = map[string]bool{"text": true, "image": true, "audio": true, "video": true, "document": true, "sticker": true,
	"location": true, "contacts": true, "interactive": true, "button": true, "reaction": true, "order": true, "system": true, "unsupported": true}

// handle acts on every message of the body and returns the status to answer.
func (a *App) handle(ctx context.Context, env envelope) int {
	for _, e := range env.Entry {
		for _, ch := range e.Changes {
			v := ch.Value
			if a.Bug == MetadataFirst && v.Metadata == nil {
				return http.StatusInternalServerError // nil dereference in the original
			}
			if ch.Field != "messages" || v.Metadata == nil {
				continue
			}
			for _, st := range v.Statuses {
				if a.Bug == FollowsUp131047 && st.Status == "failed" && len(st.Errors) > 0 && st.Errors[0].Code == 131047 {
					a.post(ctx, v.Metadata.PhoneNumberID, map[string]any{"messaging_product": "whatsapp", "to": st.RecipientID, "type": "template",
						"template": map[string]any{"name": "hello_world", "language": map[string]string{"code": "en_US"}}})
				}
			}
			for _, m := range v.Messages {
				if code := a.message(ctx, v.Metadata.PhoneNumberID, m); code != http.StatusOK {
					return code
				}
				if a.Bug == FirstOnly {
					return http.StatusOK
				}
			}
		}
	}
	return http.StatusOK
}

func (a *App) message(ctx context.Context, phoneID string, m message) int {
	if a.Bug == CrashNoPhone && m.From == "" {
		return http.StatusInternalServerError
	}
	user := m.From
	if user == "" {
		user = m.FromUserID
	}
	a.mu.Lock()
	if a.seen == nil {
		a.seen, a.stuck = map[string]bool{}, map[string]bool{}
	}
	dup := a.seen[m.ID] && a.Bug != RepliesTwice
	a.seen[m.ID] = true
	stuck := a.stuck[user]
	if a.Bug == BlockUnknown && !knownTypes[m.Type] {
		a.stuck[user] = true
	}
	a.mu.Unlock()
	if dup || (a.Bug == BlockUnknown && (stuck || !knownTypes[m.Type])) {
		return http.StatusOK
	}
	to := map[string]any{"messaging_product": "whatsapp"}
	if m.From != "" {
		to["to"] = m.From
	} else {
		to["recipient"] = m.FromUserID
	}
	with := func(kv map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range to {
			out[k] = v
		}
		for k, v := range kv {
			out[k] = v
		}
		return out
	}
	a.post(ctx, phoneID, map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": m.ID})
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	windowAware := a.Bug != IgnoresWindow && a.Bug != FollowsUp131047
	if ts, err := strconv.ParseInt(m.Timestamp, 10, 64); err == nil && windowAware && now().Sub(time.Unix(ts, 0)) > 24*time.Hour {
		a.post(ctx, phoneID, with(map[string]any{"type": "template",
			"template": map[string]any{"name": "hello_world", "language": map[string]string{"code": "en_US"}}}))
		return http.StatusOK
	}
	text := func(s string) map[string]any {
		return with(map[string]any{"type": "text", "text": map[string]string{"body": s}})
	}
	switch {
	case m.Type == "text" && strings.EqualFold(strings.TrimSpace(m.Text.Body), "menu"):
		a.post(ctx, phoneID, with(map[string]any{"type": "interactive", "interactive": map[string]any{
			"type": "button", "body": map[string]string{"text": "Pick a colour"},
			"action": map[string]any{"buttons": []any{
				map[string]any{"type": "reply", "reply": map[string]string{"id": "red", "title": "Red"}},
				map[string]any{"type": "reply", "reply": map[string]string{"id": "blue", "title": "Blue"}},
			}}}}))
	case m.Type == "text":
		a.post(ctx, phoneID, text("Echo: "+m.Text.Body))
	case m.Interactive.ButtonReply != nil:
		a.post(ctx, phoneID, text("You chose "+m.Interactive.ButtonReply.Title))
	case m.Interactive.ListReply != nil:
		a.post(ctx, phoneID, text("You chose "+m.Interactive.ListReply.Title))
	case knownTypes[m.Type]:
		a.post(ctx, phoneID, text("Thanks for the "+m.Type))
	default:
		a.post(ctx, phoneID, text("Sorry, I cannot read "+m.Type+" messages yet"))
	}
	return http.StatusOK
}

// post calls the Graph API; a refused call is the mock's to log.
func (a *App) post(ctx context.Context, phoneID string, body map[string]any) {
	b, _ := json.Marshal(body)
	version := a.Version
	if version == "" {
		version = "v21.0"
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost,
		strings.TrimRight(a.Graph(), "/")+"/"+version+"/"+phoneID+"/messages", bytes.NewReader(b))
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+a.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}
