package mock

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// maxUsers bounds the simulated users.
const maxUsers = 100_000

// UserView is a user as the control API shows it.
type UserView struct {
	Name          string `json:"name"`
	WaID          string `json:"wa_id,omitempty"`
	UserID        string `json:"user_id,omitempty"`
	ParentUserID  string `json:"parent_user_id,omitempty"`
	Username      string `json:"username,omitempty"`
	ProfileName   string `json:"profile_name"`
	WindowOpen    bool   `json:"window_open"`
	WindowExpires string `json:"window_expires,omitempty"`
	Blocked       bool   `json:"blocked"`
	Unreachable   bool   `json:"unreachable,omitempty"`
	MarketingLim  bool   `json:"marketing_limited,omitempty"`
	MarketingOut  bool   `json:"marketing_opt_out,omitempty"`
	LastInteract  string `json:"last_interactive,omitempty"`
}

func (s *Server) viewLocked(u *simnet.User) UserView {
	now := s.now()
	v := UserView{Name: u.Name, WaID: u.WaID, UserID: u.UserID, ParentUserID: u.ParentUserID, Username: u.Username,
		ProfileName: u.ProfileName, WindowOpen: u.WindowOpen(now), Blocked: u.Blocked, Unreachable: u.Unreachable,
		MarketingLim: u.MarketingLimited, MarketingOut: u.MarketingOptOut}
	if v.WindowOpen {
		v.WindowExpires = u.WindowExpires(now).UTC().Format(time.RFC3339)
	}
	if u.LastInteractive != nil {
		v.LastInteract = u.LastInteractive.Type
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func controlFail(w http.ResponseWriter, err error) {
	var ce *controlError
	if !errors.As(err, &ce) {
		ce = &controlError{Code: "failed", Message: err.Error(), Status: 500}
	}
	writeJSON(w, ce.Status, map[string]any{"error": map[string]string{"message": ce.Message, "code": ce.Code}})
}

func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		return badRequest("the body could not be read: %v", err)
	}
	if len(b) > maxJSONBody {
		return badRequest("the body is larger than %d bytes", maxJSONBody)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("the body is not the JSON this call takes: %v", err)
	}
	return nil
}

// serveControl answers the control API under /_mock/.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/_mock"), "/")
	parts := strings.Split(rest, "/")
	route := r.Method + " " + parts[0]
	switch {
	case route == "GET info":
		writeJSON(w, 200, s.Info())
	case route == "GET users" && len(parts) == 1:
		s.mu.Lock()
		out := make([]UserView, 0, s.net.Len())
		for _, u := range s.net.Users() {
			out = append(out, s.viewLocked(u))
		}
		s.mu.Unlock()
		writeJSON(w, 200, out)
	case route == "POST users" && len(parts) == 1:
		var spec simnet.Spec
		if err := decodeBody(r, &spec); err != nil {
			controlFail(w, err)
			return
		}
		s.mu.Lock()
		var u *simnet.User
		var err error
		if s.net.Len() >= maxUsers {
			err = fmt.Errorf("the mock already has %d users (its limit)", maxUsers)
		} else {
			u, err = s.net.Add(spec)
		}
		var v UserView
		if err == nil {
			v = s.viewLocked(u)
			s.dirty = true
		}
		s.mu.Unlock()
		if err != nil {
			controlFail(w, badRequest("%v", err))
			return
		}
		writeJSON(w, 200, v)
	case parts[0] == "users" && len(parts) == 3 && r.Method == http.MethodPost:
		name, err := url.PathUnescape(parts[1])
		if err != nil {
			controlFail(w, badRequest("user %q: bad URL escaping", parts[1]))
			return
		}
		s.userAction(w, r, name, parts[2])
	case parts[0] == "users" && len(parts) == 2 && r.Method == http.MethodGet:
		name, _ := url.PathUnescape(parts[1])
		s.mu.Lock()
		u, err := s.userLocked(name)
		if err != nil {
			s.mu.Unlock()
			controlFail(w, err)
			return
		}
		v := s.viewLocked(u)
		s.mu.Unlock()
		writeJSON(w, 200, v)
	case route == "POST webhooks":
		s.controlWebhooks(w, r)
	case route == "GET log":
		q := r.URL.Query()
		since, _ := strconv.ParseUint(q.Get("since"), 10, 64)
		wait, _ := time.ParseDuration(q.Get("wait"))
		wait = min(wait, time.Minute)
		entries, next := s.log.since(since, wait, r.Context().Done())
		if entries == nil {
			entries = []Entry{}
		}
		writeJSON(w, 200, map[string]any{"entries": entries, "next": next - 1})
	case route == "POST reset":
		s.Reset()
		writeJSON(w, 200, map[string]any{})
	case route == "GET state":
		b, err := s.stateJSON()
		if err != nil {
			controlFail(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	case route == "POST permissions":
		var body struct {
			Permissions []string `json:"permissions"`
		}
		if err := decodeBody(r, &body); err != nil {
			controlFail(w, err)
			return
		}
		s.mu.Lock()
		s.perms = map[string]bool{}
		for _, p := range body.Permissions {
			s.perms[p] = true
		}
		s.mu.Unlock()
		writeJSON(w, 200, body)
	default:
		controlFail(w, &controlError{Code: "not_found", Status: 404,
			Message: r.Method + " " + r.URL.Path + " is not a control call: see docs/mock.md (GET /_mock/info, /_mock/users, /_mock/log …)"})
	}
}

// Reset puts users, history, windows, media, templates and the log back
// to a fresh mock's.
func (s *Server) Reset() {
	s.mu.Lock()
	s.fresh()
	s.mu.Unlock()
	s.log.reset()
	if s.opts.OnReset != nil {
		s.log.barrier() // OnEntry has seen what came before the reset
		s.opts.OnReset()
	}
}

// userAction answers POST /_mock/users/USER/ACTION.
func (s *Server) userAction(w http.ResponseWriter, r *http.Request, name, action string) {
	var body struct {
		Text      string         `json:"text"`
		Reply     bool           `json:"reply"`
		Fixture   string         `json:"fixture"`
		Set       []string       `json:"set"`
		N         int            `json:"n"`
		Emoji     *string        `json:"emoji"`
		MessageID string         `json:"message_id"`
		Response  map[string]any `json:"response"`
		Open      *bool          `json:"open"`
		Last      string         `json:"last_inbound"`
		Blocked   *bool          `json:"blocked"`
		WaID      string         `json:"wa_id"`
		// settings
		Unreachable      *bool `json:"unreachable"`
		MarketingLimited *bool `json:"marketing_limited"`
		MarketingOptOut  *bool `json:"marketing_opt_out"`
	}
	if err := decodeBody(r, &body); err != nil {
		controlFail(w, err)
		return
	}
	s.mu.Lock()
	u, err := s.userLocked(name)
	if err != nil {
		s.mu.Unlock()
		controlFail(w, err)
		return
	}
	var done chan Delivery
	var in inbound
	write := true
	switch action {
	case "say":
		if strings.TrimSpace(body.Text) == "" {
			err = badRequest("say needs a text")
			break
		}
		in = inbound{typ: "text", object: obj{{"body", body.Text}}, summary: "text: " + body.Text}
		if body.Reply || body.MessageID != "" {
			to := body.MessageID
			if to == "" {
				to = u.LastBusiness
			}
			in.context = s.replyContext(u, to)
		}
	case "react":
		to := body.MessageID
		if to == "" {
			to = u.LastBusiness
		}
		if to == "" {
			err = &controlError{Code: "nothing_to_tap", Status: 409, Message: u.Name + " has no message from the app to react to"}
			break
		}
		emoji := "👍"
		if body.Emoji != nil {
			emoji = *body.Emoji
		}
		in = inbound{typ: "reaction", object: obj{{"message_id", to}, {"emoji", emoji}}, summary: "reaction " + emoji}
	case "tap":
		in, err = s.tapLocked(u, body.N)
	case "flow":
		in, err = s.flowLocked(u, body.Response)
	case "send":
		write = false
		var b []byte
		var kinds string
		b, kinds, err = s.fixtureLocked(u, body.Fixture, body.Set)
		if err == nil {
			done = make(chan Delivery, 1)
			if !s.out.push(u.Name, 0, &job{kind: jobEnvelope, body: b, raw: true, sig: sigValid, field: "messages",
				userID: u.Name, summary: body.Fixture + " (" + kinds + ") ← " + u.Name, done: done}) {
				err = &controlError{Code: "queue_full", Status: 503, Message: "too many webhooks are waiting"}
			}
		}
	case "read":
		write = false
		done = make(chan Delivery, 1)
		if s.readBy(u, done) == 0 {
			done <- Delivery{Error: "nothing to read: the app sent " + u.Name + " nothing unread"}
		}
	case "block":
		b := true
		if body.Blocked != nil {
			b = *body.Blocked
		}
		u.Blocked = b
		s.dirty = true
		write = false
	case "change-number":
		var oldWa, oldID string
		oldWa, oldID, err = s.net.ChangeNumber(u, body.WaID)
		if err == nil {
			in = inbound{typ: "system", system: true, summary: "changed number to " + u.WaID,
				object: obj{{"body", "User " + u.ProfileName + " changed from " + oldWa + " to " + u.WaID}, {"wa_id", u.WaID}, {"type", "user_changed_number"}}}
			// The message comes from the old number, as Meta sends it.
			old := *u
			old.WaID, old.UserID = oldWa, oldID
			done, err = s.writeLocked(&old, in)
			write = false
		}
	case "window":
		write = false
		switch {
		case body.Last != "":
			t, perr := time.Parse(time.RFC3339, body.Last)
			if perr != nil {
				err = badRequest("last_inbound %q: use RFC 3339, e.g. 2026-12-01T10:00:00Z", body.Last)
			} else {
				u.LastInbound = t
			}
		case body.Open != nil && *body.Open:
			u.LastInbound = s.now()
		case body.Open != nil:
			u.LastInbound = time.Time{}
		default:
			err = badRequest(`window takes {"open":false}, {"open":true} or {"last_inbound":"RFC3339"}`)
		}
		s.dirty = true
	case "settings":
		write = false
		if body.Unreachable != nil {
			u.Unreachable = *body.Unreachable
		}
		if body.MarketingLimited != nil {
			u.MarketingLimited = *body.MarketingLimited
		}
		if body.MarketingOptOut != nil {
			u.MarketingOptOut = *body.MarketingOptOut
		}
		s.dirty = true
	default:
		err = &controlError{Code: "not_found", Status: 404, Message: "unknown user action " + action + ": use say, send, tap, read, react, flow, block, change-number, window or settings"}
	}
	if err == nil && write {
		done, err = s.writeLocked(u, in)
	}
	v := s.viewLocked(u)
	s.mu.Unlock()
	if err != nil {
		controlFail(w, err)
		return
	}
	if done == nil {
		writeJSON(w, 200, v)
		return
	}
	select {
	case d := <-done:
		writeJSON(w, 200, d)
	case <-r.Context().Done():
	}
}

// controlWebhooks answers POST /_mock/webhooks: sign and post exactly the
// given body (wire form unless raw), repeat times.
func (s *Server) controlWebhooks(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Body      json.RawMessage `json:"body"`
		Raw       string          `json:"raw"`
		Signature string          `json:"signature"`
		Repeat    int             `json:"repeat"`
		SameBytes *bool           `json:"same_bytes"`
		Retry     *bool           `json:"retry"`
		// Concurrent posts at once, beside the queue (a burst).
		Concurrent bool `json:"concurrent"`
	}
	if err := decodeBody(r, &body); err != nil {
		controlFail(w, err)
		return
	}
	raw := body.Raw != ""
	b := []byte(body.Body)
	if raw {
		var err error
		if b, err = base64.StdEncoding.DecodeString(body.Raw); err != nil {
			controlFail(w, badRequest("raw must be base64: %v", err))
			return
		}
	} else if len(b) == 0 {
		controlFail(w, badRequest(`webhooks takes {"body": <a whole envelope>} or {"raw": "<base64 bytes>"}`))
		return
	}
	sig := body.Signature
	if sig == "" {
		sig = sigValid
	}
	if sig != sigValid && sig != sigForged && sig != sigMissing {
		controlFail(w, badRequest("signature %q: use valid, forged or missing", sig))
		return
	}
	repeat := min(max(body.Repeat, 1), 100)
	same := body.SameBytes == nil || *body.SameBytes
	field, user, summary := s.noteWebhook(b)
	var dones []chan Delivery
	for i := range repeat {
		bb := b
		if i > 0 && !same && !raw {
			if feed, err := payload.Build([]payload.Source{{Name: "control", Body: b}}, payload.Options{NoSignature: true}); err == nil {
				if d, err := feed.Preview(0); err == nil {
					bb, raw = d.Body, true
				}
			}
		}
		done := make(chan Delivery, 1)
		j := &job{kind: jobEnvelope, body: bb, raw: raw, sig: sig, field: field, userID: user, summary: summary,
			noRetry: body.Retry != nil && !*body.Retry, done: done}
		var queued bool
		if body.Concurrent {
			queued = s.out.postNow(j)
		} else {
			queued = s.out.push(user, 0, j)
		}
		if !queued {
			controlFail(w, &controlError{Code: "queue_full", Status: 503, Message: "too many webhooks are waiting"})
			return
		}
		dones = append(dones, done)
	}
	out := make([]Delivery, 0, len(dones))
	for _, d := range dones {
		select {
		case x := <-d:
			out = append(out, x)
		case <-r.Context().Done():
			return
		}
	}
	writeJSON(w, 200, out)
}

// noteWebhook reads a posted body for the log, opens the windows of the
// users whose messages it holds and remembers its wamids.
func (s *Server) noteWebhook(b []byte) (field, user, summary string) {
	n, err := webhook.Parse(b)
	if err != nil {
		return "", "", "posted body (not a webhook envelope: " + err.Error() + ")"
	}
	events := n.Events()
	var parts []string
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		if field == "" {
			field = e.Field
		}
		if e.Kind == "message" {
			if e.ID != "" {
				s.rememberForeign(e.ID)
			}
			if u := s.net.Find(e.From); u != nil {
				if user == "" {
					user = u.Name
				}
				if !strings.HasPrefix(e.Type, "system") {
					// The window opens at the message's own time: a
					// late retry of an old message leaves it closed.
					at := s.now()
					if !e.Timestamp.IsZero() && e.Timestamp.Before(at) {
						at = e.Timestamp
					}
					if at.After(u.LastInbound) {
						u.LastInbound = at
						s.dirty = true
					}
				}
			}
		}
		if len(parts) < 3 {
			parts = append(parts, e.Type)
		}
	}
	summary = "posted " + strings.Join(parts, ", ")
	if len(events) > 3 {
		summary += " …"
	}
	return field, user, summary
}

// userLocked finds a user or returns unknown_user with did-you-mean.
// Callers hold s.mu.
func (s *Server) userLocked(name string) (*simnet.User, error) {
	if u := s.net.Find(name); u != nil {
		return u, nil
	}
	return nil, &controlError{Code: "unknown_user", Message: s.net.Unknown(name).Error(), Status: 404}
}
