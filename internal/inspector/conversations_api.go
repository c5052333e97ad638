package inspector

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock"
)

// maxSayText bounds what the page may write as a user (WhatsApp's own
// limit for a text message is 4,096 characters).
const maxSayText = 4096

func (m *Mock) mockRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/mock/users", m.usersAPI)
	mux.HandleFunc("GET /api/mock/users/{user}/conversation", m.conversationAPI)
	mux.HandleFunc("GET /api/mock/stream", m.convStream)
	mux.HandleFunc("POST /api/mock/users/{user}/say", m.action(m.userAction("say")))
	mux.HandleFunc("POST /api/mock/users/{user}/tap", m.action(m.userAction("tap")))
	mux.HandleFunc("POST /api/mock/users/{user}/read", m.action(m.userAction("read")))
}

// ChatUser is a simulated user as the conversations list shows them.
type ChatUser struct {
	Name          string  `json:"name"`
	WaID          string  `json:"wa_id,omitempty"`
	UserID        string  `json:"user_id,omitempty"`
	Username      string  `json:"username,omitempty"`
	ProfileName   string  `json:"profile_name,omitempty"`
	WindowOpen    bool    `json:"window_open"`
	WindowExpires string  `json:"window_expires,omitempty"`
	Blocked       bool    `json:"blocked,omitempty"`
	Simulated     bool    `json:"simulated"` // false: a number the app wrote to that no simulated user has
	Last          *Bubble `json:"last,omitempty"`
}

// ChatUsers is GET /api/mock/users.
type ChatUsers struct {
	Users    []ChatUser        `json:"users"`
	Business mock.Business     `json:"business"`
	Stats    ConversationStats `json:"stats"`
	Missed   uint64            `json:"missed"` // log entries dropped while the inspector was behind
	// Unkept counts the log entries that fell off the backlog the inspector
	// keeps until a page first looks (the oldest first).
	Unkept uint64 `json:"unkept"`
}

// maxListedUsers bounds the list the page gets (the mock may have 100,000).
const maxListedUsers = 500

func (m *Mock) usersAPI(w http.ResponseWriter, r *http.Request) {
	last := m.conv.lastOf()
	out := ChatUsers{Users: []ChatUser{}, Business: m.srv.Info().Business, Stats: m.conv.stats(), Missed: m.missed.Load(), Unkept: m.unkept.Load()}
	seen := map[string]bool{}
	for _, cu := range m.users() {
		seen[cu.Name] = true
		if b, ok := last[cu.Name]; ok {
			cu.Last = &b
		}
		// Users made through the control API carry names and profile
		// names from outside.
		cu.Name, cu.ProfileName, cu.Username = m.conv.clean(cu.Name), m.conv.clean(cu.ProfileName), m.conv.clean(cu.Username)
		cu.WaID, cu.UserID = m.conv.clean(cu.WaID), m.conv.clean(cu.UserID)
		out.Users = append(out.Users, cu)
	}
	for name, b := range last {
		if !seen[name] {
			b := b
			out.Users = append(out.Users, ChatUser{Name: name, Last: &b})
		}
	}
	// Most recent conversation first, then the users who have none, by name.
	sort.SliceStable(out.Users, func(i, j int) bool {
		a, b := out.Users[i], out.Users[j]
		if (a.Last == nil) != (b.Last == nil) {
			return a.Last != nil
		}
		if a.Last != nil && !a.Last.Time.Equal(b.Last.Time) {
			return a.Last.Time.After(b.Last.Time)
		}
		return a.Name < b.Name
	})
	if len(out.Users) > maxListedUsers {
		out.Users = out.Users[:maxListedUsers]
	}
	writeJSON(w, http.StatusOK, out)
}

// Conversation is GET /api/mock/users/{user}/conversation.
type Conversation struct {
	User    string   `json:"user"`
	Bubbles []Bubble `json:"bubbles"`
	// Options are what tap picks from (1-based): the buttons or rows of the
	// app's last interactive message to the user, a template's quick-reply
	// buttons, or a flow to complete — the mock's own record, what
	// `mock tap` answers. TapMessage is that message's wamid.
	Options    []string          `json:"options,omitempty"`
	TapMessage string            `json:"tap_message,omitempty"`
	TapType    string            `json:"tap_type,omitempty"`
	Stats      ConversationStats `json:"stats"`
}

func (m *Mock) conversationAPI(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user")
	c := Conversation{User: user, Bubbles: m.conv.of(user), Stats: m.conv.stats()}
	for _, u := range m.srv.Users() {
		if u.Name != user || u.LastInteractive == nil {
			continue
		}
		li := u.LastInteractive
		c.TapMessage, c.TapType = m.conv.clean(li.MessageID), m.conv.clean(li.Type)
		for _, o := range li.Options {
			c.Options = append(c.Options, m.conv.clean(o.Title))
		}
		if li.Type == "flow" {
			c.Options = []string{"complete the flow"}
		}
		if len(c.Options) > maxOptions {
			c.Options = c.Options[:maxOptions]
		}
	}
	writeJSON(w, http.StatusOK, c)
}

// userAction writes, taps or reads as the user through the mock's own
// control API; the answer is the mock's Delivery (the app's answer to the
// webhook) or its error.
func (m *Mock) userAction(action string) func(w http.ResponseWriter, r *http.Request, _ entry) {
	return func(w http.ResponseWriter, r *http.Request, _ entry) {
		var in struct {
			Text string `json:"text"`
			N    int    `json:"n"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			apiError(w, http.StatusBadRequest, "the body is not the JSON this action takes: "+err.Error())
			return
		}
		var body any
		switch action {
		case "say":
			if strings.TrimSpace(in.Text) == "" {
				apiError(w, http.StatusBadRequest, "write something first: the message is empty")
				return
			}
			if len([]rune(in.Text)) > maxSayText {
				apiError(w, http.StatusBadRequest, "the message is longer than 4,096 characters, WhatsApp's limit for a text")
				return
			}
			body = map[string]string{"text": in.Text}
		case "tap":
			body = map[string]int{"n": in.N}
		}
		code, b := m.call(r.Context(), http.MethodPost, userPath(r.PathValue("user"), action), body)
		if code != http.StatusOK {
			var e struct {
				Error struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			_ = json.Unmarshal(b, &e)
			msg := e.Error.Message
			if msg == "" {
				msg = "the mock answered " + http.StatusText(code)
			}
			apiError(w, code, m.conv.clean(msg))
			return
		}
		var d mock.Delivery
		_ = json.Unmarshal(b, &d)
		d.Error = m.conv.clean(d.Error)
		writeJSON(w, http.StatusOK, d)
	}
}

// convStream is the conversations' live stream: "bubble" events with the
// bubbles that are new or changed (statuses, the app's answer), at most
// every streamEvery; "reset" when more changed than a stream queues (the
// page fetches again).
func (m *Mock) convStream(w http.ResponseWriter, r *http.Request) {
	m.conv.mu.Lock()
	n := len(m.conv.subs)
	m.conv.mu.Unlock()
	if n >= maxStreams {
		apiError(w, http.StatusServiceUnavailable, "too many open inspector pages: close some tabs")
		return
	}
	send := openEventStream(w)
	sub := m.conv.subscribe()
	defer m.conv.unsubscribe(sub)
	if !send("hello", m.conv.stats()) {
		return
	}
	follow(r.Context(), m.done, sub.notify,
		func(since time.Duration) time.Duration { return streamEvery - since },
		func() bool {
			switch changed, reset := m.conv.take(sub); {
			case reset:
				return send("reset", m.conv.stats())
			case len(changed) > 0:
				return send("bubbles", changed)
			}
			return true
		},
		func() bool { return send("stats", m.conv.stats()) })
}
