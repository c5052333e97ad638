package inspector

import (
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock"
	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// Bounds of the conversation history (the mock's own log keeps
// mock.DefaultMaxLog entries; the page keeps its own bounded copy so a
// chat survives the log's turnover).
const (
	DefaultMaxBubbles = 20_000 // in all conversations; the oldest go first
	maxPerUser        = 1_000  // in one conversation
	maxBubbleText     = 4_096  // characters of one message shown (WhatsApp's own limit is 4,096)
	maxOptions        = 10     // buttons or list rows shown for one interactive message
	maxStatusTrail    = 8      // statuses remembered for one message
	maxPending        = 4_096  // wamids waiting for their message's log entry
)

// Bubble is one message of a conversation: a message the simulated user
// wrote (posted by the mock to the app as a webhook) or one the app sent
// through the Graph API, with its statuses.
type Bubble struct {
	ID   uint64    `json:"id"`
	User string    `json:"user"`
	Dir  string    `json:"dir"` // "in": the user wrote; "out": the app sent; "note": a system message
	Time time.Time `json:"time"`
	// Type is the message type ("text", "image", "template",
	// "interactive.button", "reaction", "interactive.button_reply" …).
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	// Title names what is not text: the template and its language, the
	// media kind, the interactive header.
	Title   string   `json:"title,omitempty"`
	Footer  string   `json:"footer,omitempty"`
	Options []string `json:"options,omitempty"` // an interactive message's buttons or rows (what tap picks)
	WAMID   string   `json:"wamid,omitempty"`
	ReplyTo string   `json:"reply_to,omitempty"`
	// Status of an app's message: accepted (the Graph call was answered,
	// no status yet), sent, delivered, read, failed, or refused (the Graph
	// call itself failed). For a user's message: what the app answered
	// the webhook (ok, failed, retrying).
	Status   string         `json:"status"`
	Statuses []StatusAt     `json:"statuses,omitempty"`
	Error    *BubbleError   `json:"error,omitempty"`
	HTTP     int            `json:"http,omitempty"` // the Graph call's answer (out)
	Delivery *mock.Delivery `json:"delivery,omitempty"`
	// ReadByApp: the app marked the user's message as read.
	ReadByApp bool   `json:"read_by_app,omitempty"`
	Signature string `json:"signature,omitempty"` // of the webhook (in)
	// Request is the webhook's request in the inspector's list (in), for
	// its bytes, headers and replays.
	Request uint64 `json:"request,omitempty"`
	Seq     uint64 `json:"seq"` // the mock's log entry
}

// StatusAt is one status webhook of a message.
type StatusAt struct {
	Status string    `json:"status"`
	Time   time.Time `json:"time"`
}

// BubbleError is Meta's error for a refused call or a failed status.
type BubbleError struct {
	Code  int    `json:"code"`
	Title string `json:"title"`
}

var statusRank = map[string]int{"accepted": 1, "sent": 2, "delivered": 3, "read": 4, "failed": 5, "refused": 5}

// conversations keeps the bubbles of every simulated user, bounded, and
// tells subscribers (live streams) which changed.
type conversations struct {
	mu      sync.Mutex
	max     int
	next    uint64
	order   []*Bubble // insertion order, for eviction (oldest first)
	start   int       // order[start:] are live
	byUser  map[string][]*Bubble
	byWAMID map[string]*Bubble
	// pending holds what arrived for a wamid before its message's entry.
	pending      map[string]*Bubble
	pendingOrder []string
	live         int // bubbles in conversations
	evicted      int
	dropped      int // entries missed because the queue was full
	subs         map[*convSub]struct{}
	secrets      []string
	resolver     func(id string) string // a wa_id, BSUID or username → the user's name ("" unknown)
}

func newConversations(max int, secrets ...string) *conversations {
	if max <= 0 {
		max = DefaultMaxBubbles
	}
	return &conversations{max: max, next: 1, byUser: map[string][]*Bubble{}, byWAMID: map[string]*Bubble{}, pending: map[string]*Bubble{},
		subs: map[*convSub]struct{}{}, secrets: secrets}
}

// clean is outside text as the page may show it: secrets masked, control
// characters escaped, bounded.
func (c *conversations) clean(s string) string {
	if len([]rune(s)) > maxBubbleText {
		s = string([]rune(s)[:maxBubbleText]) + "…"
	}
	return termsafe.Text(termsafe.Mask(s, c.secrets...))
}

// convSub is one live stream's queue of changed bubbles.
type convSub struct {
	notify  chan struct{}
	changed []Bubble
	reset   bool // more changed than the queue holds: the page reloads
}

const maxSubQueue = 2_000

func (c *conversations) subscribe() *convSub {
	s := &convSub{notify: make(chan struct{}, 1)}
	c.mu.Lock()
	c.subs[s] = struct{}{}
	c.mu.Unlock()
	return s
}

func (c *conversations) unsubscribe(s *convSub) {
	c.mu.Lock()
	delete(c.subs, s)
	c.mu.Unlock()
}

// take returns what changed since the last take.
func (c *conversations) take(s *convSub) (changed []Bubble, reset bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed, reset = s.changed, s.reset
	s.changed, s.reset = nil, false
	return changed, reset
}

func (c *conversations) publishLocked(b *Bubble) {
	for s := range c.subs {
		if len(s.changed) >= maxSubQueue {
			s.reset, s.changed = true, nil
		} else if !s.reset {
			s.changed = append(s.changed, *b)
		}
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

// addLocked files b under its user, in time order, and evicts the oldest
// bubbles past the bounds.
func (c *conversations) addLocked(b *Bubble) {
	b.ID = c.next
	c.next++
	list := c.byUser[b.User]
	i := sort.Search(len(list), func(i int) bool { return list[i].Time.After(b.Time) })
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = b
	if len(list) > maxPerUser {
		c.forgetLocked(list[0])
		list = list[1:]
	}
	c.byUser[b.User] = list
	if b.WAMID != "" {
		c.byWAMID[b.WAMID] = b
	}
	c.order = append(c.order, b)
	c.live++
	for len(c.order)-c.start > c.max {
		old := c.order[c.start]
		c.order[c.start] = nil
		c.start++
		if old.User == "" {
			continue // already forgotten (per-user bound)
		}
		l := c.byUser[old.User]
		for j, x := range l {
			if x == old {
				l = append(l[:j:j], l[j+1:]...)
				break
			}
		}
		if len(l) == 0 {
			delete(c.byUser, old.User)
		} else {
			c.byUser[old.User] = l
		}
		c.forgetLocked(old)
	}
	if c.start > 4096 && c.start > len(c.order)/2 {
		c.order = append([]*Bubble(nil), c.order[c.start:]...)
		c.start = 0
	}
	c.publishLocked(b)
}

// pendingLocked is the placeholder for a wamid whose message is not in the
// log yet (what arrived first waits there). Placeholders are bounded: past
// maxPending the oldest go.
func (c *conversations) pendingLocked(wamid string) *Bubble {
	if b := c.pending[wamid]; b != nil {
		return b
	}
	b := &Bubble{Dir: "pending", WAMID: wamid}
	c.pending[wamid] = b
	c.pendingOrder = append(c.pendingOrder, wamid)
	if len(c.pendingOrder) > maxPending {
		delete(c.pending, c.pendingOrder[0])
		c.pendingOrder = c.pendingOrder[1:]
	}
	return b
}

// takePendingLocked hands over what waited for wamid.
func (c *conversations) takePendingLocked(wamid string) *Bubble {
	b := c.pending[wamid]
	delete(c.pending, wamid)
	return b
}

func (c *conversations) forgetLocked(b *Bubble) {
	if b.WAMID != "" && c.byWAMID[b.WAMID] == b {
		delete(c.byWAMID, b.WAMID)
	}
	b.User = "" // marks it gone for the eviction loop
	c.evicted++
	c.live--
}

// ConversationStats says how much the history keeps.
type ConversationStats struct {
	Bubbles    int `json:"bubbles"`
	MaxBubbles int `json:"max_bubbles"`
	PerUser    int `json:"max_per_user"`
	Evicted    int `json:"evicted"`
	Dropped    int `json:"dropped"`
}

func (c *conversations) stats() ConversationStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ConversationStats{Bubbles: c.live, MaxBubbles: c.max, PerUser: maxPerUser, Evicted: c.evicted, Dropped: c.dropped}
}

// of returns copies of a user's bubbles, oldest first.
func (c *conversations) of(user string) []Bubble {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Bubble, 0, len(c.byUser[user]))
	for _, b := range c.byUser[user] {
		cp := *b
		cp.Options = append([]string(nil), b.Options...)
		cp.Statuses = append([]StatusAt(nil), b.Statuses...)
		out = append(out, cp)
	}
	return out
}

// lastOf is the newest bubble of each user that has any.
func (c *conversations) lastOf() map[string]Bubble {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]Bubble, len(c.byUser))
	for u, l := range c.byUser {
		if len(l) > 0 {
			out[u] = *l[len(l)-1]
		}
	}
	return out
}

// reset forgets everything (the mock was reset).
func (c *conversations) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order, c.start, c.live = nil, 0, 0
	c.byUser, c.byWAMID, c.pending, c.pendingOrder = map[string][]*Bubble{}, map[string]*Bubble{}, map[string]*Bubble{}, nil
	for s := range c.subs {
		s.reset, s.changed = true, nil
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

// entry takes one of the mock's log entries; a webhook's comes with the
// events of its body, and request is its id in the inspector's request
// list (0 for Graph calls).
func (c *conversations) entry(e mock.Entry, events []webhook.Event, request uint64) {
	switch e.Kind {
	case "graph":
		if e.Method == "POST" && strings.HasSuffix(pathOnly(e.Path), "/messages") {
			c.graphSend(e)
		}
	case "webhook":
		if len(events) > 0 {
			c.webhook(e, events, request)
		}
	}
}

// resolve is the name of the user an id (wa_id, BSUID, username) names,
// else fallback, cleaned. Called without c.mu: the resolver takes the
// mock's lock.
func (c *conversations) resolve(id, fallback string) string {
	if c.resolver != nil && id != "" {
		if name := c.resolver(id); name != "" {
			return name
		}
	}
	return c.clean(fallback)
}

// sendRequest is the part of an app's send the chat shows.
type sendRequest struct {
	To        string `json:"to"`
	Recipient string `json:"recipient"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	MessageID string `json:"message_id"`
	Context   *struct {
		MessageID string `json:"message_id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Template *struct {
		Name     string `json:"name"`
		Language struct {
			Code string `json:"code"`
		} `json:"language"`
	} `json:"template"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Interactive *struct {
		Type   string `json:"type"`
		Header *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"header"`
		Body *struct {
			Text string `json:"text"`
		} `json:"body"`
		Footer *struct {
			Text string `json:"text"`
		} `json:"footer"`
		Action struct {
			Button  string `json:"button"`
			Buttons []struct {
				Reply struct {
					Title string `json:"title"`
				} `json:"reply"`
			} `json:"buttons"`
			Sections []struct {
				Rows []struct {
					Title string `json:"title"`
				} `json:"rows"`
			} `json:"sections"`
			Parameters struct {
				DisplayText string `json:"display_text"`
				URL         string `json:"url"`
				FlowCTA     string `json:"flow_cta"`
			} `json:"parameters"`
		} `json:"action"`
	} `json:"interactive"`
	Location *struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"location"`
	// Media is a media send as the mock parsed it (nil: read from the
	// request under its type's key).
	Media *graph.MediaRef `json:"-"`
}

// parsedRequest is the part of a send the chat shows, from the mock's own
// parse of it, for the kinds whose every shown field that parse keeps (a
// text, a mark-as-read, a reaction, media, a template); false for the
// others, which the chat reads from the logged request.
func parsedRequest(s *graph.Send) (sendRequest, bool) {
	var req sendRequest
	if s == nil {
		return req, false
	}
	if s.Read {
		req.Status, req.MessageID = "read", s.MessageID
		return req, true
	}
	req.To, req.Recipient, req.Type = s.To, s.Recipient, s.Type
	if s.ContextID != "" {
		req.Context = &struct {
			MessageID string `json:"message_id"`
		}{s.ContextID}
	}
	switch {
	case s.Type == "text":
		req.Text = &struct {
			Body string `json:"body"`
		}{s.Text}
	case s.Type == "reaction" && s.Reaction != nil:
		req.Reaction = &struct {
			MessageID string `json:"message_id"`
			Emoji     string `json:"emoji"`
		}{s.Reaction.MessageID, s.Reaction.Emoji}
	case mediaTypes[s.Type] && s.Media != nil:
		req.Media = s.Media
	case s.Type == "template" && s.Template != nil:
		req.Template = &struct {
			Name     string `json:"name"`
			Language struct {
				Code string `json:"code"`
			} `json:"language"`
		}{Name: s.Template.Name}
		req.Template.Language.Code = s.Template.Language
	default:
		return req, false
	}
	return req, true
}

// media is the shape of image, video, audio, document and sticker sends.
type media struct {
	ID       string `json:"id"`
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

var mediaTypes = map[string]bool{"image": true, "video": true, "audio": true, "document": true, "sticker": true}

// graphSend files an app's POST /messages: a message to a user, or a
// mark-as-read of theirs.
func (c *conversations) graphSend(e mock.Entry) {
	req, ok := parsedRequest(e.ParsedSend())
	if !ok {
		_ = json.Unmarshal(e.Request, &req)
	}
	user := e.User
	if user == "" && req.Status != "read" {
		// Not a simulated user (the mock names those): the number or
		// BSUID gets a conversation of its own.
		switch {
		case req.To != "":
			user = c.resolve(req.To, "+"+strings.TrimPrefix(req.To, "+"))
		case req.Recipient != "":
			user = c.resolve(req.Recipient, req.Recipient)
		default:
			return // a call to nobody: nothing for a chat
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if req.Status == "read" && req.MessageID != "" {
		if e.Status != 200 {
			return
		}
		switch b := c.byWAMID[req.MessageID]; {
		case b == nil:
			// The app marks a message read while answering its webhook,
			// whose log entry comes after: remember it for the message.
			c.pendingLocked(c.clean(req.MessageID)).ReadByApp = true
		case b.Dir == "in" && !b.ReadByApp:
			b.ReadByApp = true
			c.publishLocked(b)
		}
		return
	}
	if user == "" {
		return
	}
	b := &Bubble{User: user, Dir: "out", Time: e.Time, Type: req.Type, Seq: e.Seq, HTTP: e.Status}
	if b.Type == "" {
		b.Type = "text"
	}
	if req.Context != nil {
		b.ReplyTo = c.clean(req.Context.MessageID)
	}
	c.describeSend(b, &req, e.Request)
	if e.Status == 200 {
		b.Status = "accepted"
		if id := e.AnsweredID(); id != "" {
			b.WAMID = c.clean(id)
		} else {
			var resp struct {
				Messages []struct {
					ID string `json:"id"`
				} `json:"messages"`
			}
			if json.Unmarshal(e.Response, &resp) == nil && len(resp.Messages) > 0 {
				b.WAMID = c.clean(resp.Messages[0].ID)
			}
		}
		// A status that arrived before the call's log entry (rare, see
		// docs/mock.md) is already waiting under the wamid.
		if early := c.takePendingLocked(b.WAMID); b.WAMID != "" && early != nil {
			b.Status, b.Statuses, b.Error = early.Status, early.Statuses, early.Error
		}
	} else {
		b.Status = "refused"
		b.Error = c.graphError(e)
	}
	c.addLocked(b)
}

func (c *conversations) describeSend(b *Bubble, req *sendRequest, raw json.RawMessage) {
	switch {
	case req.Text != nil:
		b.Text = c.clean(req.Text.Body)
	case req.Template != nil:
		b.Title = c.clean(strings.TrimSpace(req.Template.Name + " (" + req.Template.Language.Code + ")"))
	case req.Reaction != nil:
		b.Text = c.clean(req.Reaction.Emoji)
		b.ReplyTo = c.clean(req.Reaction.MessageID)
	case req.Interactive != nil:
		in := req.Interactive
		b.Type = "interactive." + c.clean(in.Type)
		if in.Header != nil {
			b.Title = c.clean(in.Header.Text)
		}
		if in.Body != nil {
			b.Text = c.clean(in.Body.Text)
		}
		if in.Footer != nil {
			b.Footer = c.clean(in.Footer.Text)
		}
		a := in.Action
		for _, bt := range a.Buttons {
			b.Options = append(b.Options, c.clean(bt.Reply.Title))
		}
		for _, s := range a.Sections {
			for _, r := range s.Rows {
				b.Options = append(b.Options, c.clean(r.Title))
			}
		}
		if len(b.Options) > maxOptions {
			b.Options = b.Options[:maxOptions]
		}
		switch {
		case a.Parameters.DisplayText != "":
			b.Footer = strings.TrimSpace(b.Footer + " · " + c.clean(a.Parameters.DisplayText) + " → " + c.clean(a.Parameters.URL))
		case a.Parameters.FlowCTA != "":
			b.Footer = strings.TrimSpace(b.Footer + " · " + c.clean(a.Parameters.FlowCTA))
		}
	case req.Location != nil:
		b.Text = c.clean(strings.TrimSpace(req.Location.Name + " " + req.Location.Address))
	case mediaTypes[req.Type]:
		var md media
		if req.Media != nil {
			md = media{ID: req.Media.ID, Link: req.Media.Link, Caption: req.Media.Caption, Filename: req.Media.Filename}
		} else {
			var m map[string]media
			_ = json.Unmarshal(raw, &m)
			md = m[req.Type]
		}
		b.Title = req.Type
		b.Text = c.clean(md.Caption)
		switch {
		case md.Filename != "":
			b.Title += " " + c.clean(md.Filename)
		case md.Link != "":
			b.Title += " " + c.clean(md.Link)
		case md.ID != "":
			b.Title += " (media " + c.clean(md.ID) + ")"
		}
	}
}

// graphError is Meta's error of a refused call, from its answer.
func (c *conversations) graphError(e mock.Entry) *BubbleError {
	var resp struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Data    struct {
				Details string `json:"details"`
			} `json:"error_data"`
		} `json:"error"`
	}
	_ = json.Unmarshal(e.Response, &resp)
	be := &BubbleError{Code: resp.Error.Code, Title: c.clean(resp.Error.Message)}
	if be.Code == 0 {
		be.Code = e.ErrorCode
	}
	if d := c.clean(resp.Error.Data.Details); d != "" && !strings.Contains(be.Title, strings.TrimSuffix(d, ".")) {
		be.Title += " — " + d
	}
	return be
}

// webhook files the events of a webhook the mock posted: the user's
// messages, and the statuses of the app's.
func (c *conversations) webhook(e mock.Entry, events []webhook.Event, request uint64) {
	posted := e.Time
	if e.Delivery != nil {
		// The entry is logged after the app answered; the message was
		// posted before the app's reply to it.
		posted = posted.Add(-time.Duration(e.Delivery.LatencyMS * float64(time.Millisecond)))
	}
	// Who wrote each message, worked out before taking the lock.
	who := make([]string, len(events))
	for i, ev := range events {
		if ev.Kind != webhook.KindMessage {
			continue
		}
		if len(events) == 1 && e.User != "" {
			who[i] = e.User
			continue
		}
		for _, id := range []string{ev.From, ev.UserID, ev.WaID, ev.Username} {
			if who[i] == "" && id != "" && c.resolver != nil {
				who[i] = c.resolver(id)
			}
		}
		if who[i] == "" {
			who[i] = c.clean(ev.From)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, ev := range events {
		switch ev.Kind {
		case webhook.KindMessage:
			c.inboundLocked(e, ev, who[i], posted, request)
		case webhook.KindStatus:
			c.statusLocked(e, ev)
		}
	}
}

func (c *conversations) inboundLocked(e mock.Entry, ev webhook.Event, user string, posted time.Time, request uint64) {
	wamid := c.clean(ev.ID)
	if b := c.byWAMID[wamid]; wamid != "" && b != nil {
		// A retry or Meta's duplicate of a message already shown: its
		// newest answer from the app counts.
		b.Delivery, b.Status = e.Delivery, deliveryStatus(e)
		if request != 0 {
			b.Request = request
		}
		c.publishLocked(b)
		return
	}
	b := &Bubble{User: user, Dir: "in", Time: posted, Type: ev.Type, WAMID: wamid, ReplyTo: c.clean(ev.ReplyTo),
		Delivery: e.Delivery, Status: deliveryStatus(e), Signature: e.Signature, Request: request, Seq: e.Seq}
	if early := c.takePendingLocked(wamid); early != nil {
		b.ReadByApp = early.ReadByApp
	}
	if strings.HasPrefix(ev.Type, "system") {
		b.Dir = "note"
	}
	b.Text = c.clean(inboundText(ev))
	c.addLocked(b)
}

// inboundText is what the user wrote, as the chat shows it.
func inboundText(ev webhook.Event) string {
	var m struct {
		Text *struct {
			Body string `json:"body"`
		} `json:"text"`
		Button *struct {
			Text string `json:"text"`
		} `json:"button"`
		Interactive *struct {
			ButtonReply *struct {
				Title string `json:"title"`
			} `json:"button_reply"`
			ListReply *struct {
				Title string `json:"title"`
			} `json:"list_reply"`
		} `json:"interactive"`
		Reaction *struct {
			Emoji string `json:"emoji"`
		} `json:"reaction"`
		System *struct {
			Body string `json:"body"`
		} `json:"system"`
	}
	_ = json.Unmarshal(ev.Raw, &m)
	switch {
	case m.Text != nil:
		return m.Text.Body
	case m.Button != nil:
		return m.Button.Text
	case m.Interactive != nil && m.Interactive.ButtonReply != nil:
		return m.Interactive.ButtonReply.Title
	case m.Interactive != nil && m.Interactive.ListReply != nil:
		return m.Interactive.ListReply.Title
	case m.Reaction != nil:
		return m.Reaction.Emoji
	case m.System != nil:
		return m.System.Body
	}
	return ev.Summary
}

func deliveryStatus(e mock.Entry) string {
	d := e.Delivery
	switch {
	case d == nil:
		return "posting"
	case d.Status >= 200 && d.Status < 300:
		return "ok"
	default:
		return "failed"
	}
}

func (c *conversations) statusLocked(e mock.Entry, ev webhook.Event) {
	wamid := c.clean(ev.ID)
	if wamid == "" {
		return
	}
	b := c.byWAMID[wamid]
	if b == nil {
		// The status came before the send's own log entry: keep it
		// until that arrives (graphSend picks it up), unseen.
		b = c.pendingLocked(wamid)
	}
	st := c.clean(ev.Status)
	seen := false
	for _, s := range b.Statuses {
		seen = seen || s.Status == st
	}
	if seen && b.Dir != "pending" {
		return // Meta's duplicate: nothing new to show
	}
	if !seen && len(b.Statuses) < maxStatusTrail {
		b.Statuses = append(b.Statuses, StatusAt{Status: st, Time: e.Time})
	}
	if statusRank[st] > statusRank[b.Status] || b.Status == "" {
		b.Status = st
	}
	if len(ev.Errors) > 0 && b.Error == nil {
		er := ev.Errors[0]
		b.Error = &BubbleError{Code: er.Code, Title: c.clean(er.Title)}
		if er.Details != "" {
			b.Error.Title += " — " + c.clean(er.Details)
		}
	}
	if b.Dir != "pending" {
		c.publishLocked(b)
	}
}

// pathOnly is a logged path without its query.
func pathOnly(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return p
}
