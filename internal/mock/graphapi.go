package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

// Permissions a token can hold.
const (
	permMessaging  = "whatsapp_business_messaging"
	permManagement = "whatsapp_business_management"
)

// call is one Graph request being answered, with what the log needs.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	path    graph.Path
	start   time.Time
	body    []byte
	summary string
	user    string
	status  int
	resp    []byte
	errCode int
	logReq  []byte // what the log shows of the request, when not body
	flush   bool   // the whole answer is written: send it once logged
	// jobs are an accepted send's statuses, queued for who once the call
	// is logged, before the answer is sent.
	jobs []*job
	who  string
	// send and wamid: an accepted POST /messages as parsed, and its id
	// (for the log's readers, which then need not parse it again).
	send  *graph.Send
	wamid string
}

func (c *call) json(v any) {
	b, _ := json.Marshal(v)
	c.answer(b)
}

// answer sends b, JSON, as a 200 answer; b is never changed afterwards
// (the log keeps it).
func (c *call) answer(b []byte) {
	c.status, c.resp = http.StatusOK, b
	h := c.w.Header()
	h["Content-Type"] = jsonType
	// With the length known, flushing sends the whole answer at once
	// (not chunked), before the log entry is made.
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(b)
	c.flush = true
}

var jsonType = []string{"application/json; charset=UTF-8"}

func (c *call) fail(e *graph.Error) {
	rec := &captureWriter{ResponseWriter: c.w}
	graph.Write(rec, e)
	c.status, c.resp, c.errCode = rec.status, rec.buf.Bytes(), e.Code
	if c.summary == "" {
		c.summary = e.Message
	} else {
		c.summary += ": " + e.Message
	}
}

type captureWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (w *captureWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }
func (w *captureWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

var success = map[string]bool{"success": true}

// successJSON is json.Marshal(success), which a mark-as-read answers:
// shared by every answer, so never changed.
var successJSON = []byte(`{"success":true}`)

func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, start: time.Now()}
	defer s.logCall(c)
	p, e := graph.ParsePath(r.URL.Path)
	c.path = p
	if e != nil {
		c.fail(e)
		return
	}
	if len(p.Nodes) == 0 {
		c.fail(graph.UnknownPath(r.URL.Path))
		return
	}
	if r.Method == http.MethodPost || r.Method == http.MethodDelete {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			b, err := readBody(w, r)
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					c.fail(graph.Param("", "The request body is larger than %d bytes.", maxJSONBody))
				} else {
					c.fail(graph.Param("", "The request body could not be read: %v", err))
				}
				return
			}
			c.body = b
		}
	}
	appEdge := len(p.Nodes) == 2 && p.Nodes[1] == "subscriptions"
	if !s.authorized(r, c.body, appEdge) {
		c.fail(graph.Token("The access token could not be decrypted, or it is not the token the mock was started with."))
		return
	}
	s.route(c)
}

// readBody reads a JSON request body of at most maxJSONBody bytes. A
// small one with its length given (as clients send sends) is read into a
// buffer of that size at once; any other grows as it comes, so a client
// that announces a large body and sends nothing holds no memory for it.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= maxPresized {
		// The server stops the body at its length: no limit reader needed.
		b := make([]byte, n)
		if _, err := io.ReadFull(r.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
}

// maxPresized bounds the body readBody allocates before its bytes came.
const maxPresized = 64 << 10

// authorized checks the Bearer token (or access_token in the query or a
// form body) in constant time.
func (s *Server) authorized(r *http.Request, body []byte, appToken bool) bool {
	tok := ""
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, rest, ok := strings.Cut(a, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "OAuth") {
			return false
		}
		tok = strings.TrimSpace(rest)
	} else if q := r.URL.Query().Get("access_token"); q != "" {
		tok = q
	} else if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		tok = formValue(body, "access_token")
	}
	return tok != "" && s.tokenOK(tok, appToken)
}

func (s *Server) route(c *call) {
	n := c.path.Nodes
	m := c.r.Method
	s.mu.Lock()
	biz := s.biz
	s.mu.Unlock()
	id := n[0]
	switch {
	case id == biz.PhoneNumberID && len(n) == 2 && n[1] == "messages" && m == http.MethodPost:
		if s.need(c, permMessaging) {
			s.sendMessage(c)
		}
	case id == biz.PhoneNumberID && len(n) == 2 && n[1] == "media" && m == http.MethodPost:
		if s.need(c, permMessaging) {
			s.uploadMedia(c)
		}
	case id == biz.PhoneNumberID && len(n) == 1 && m == http.MethodGet:
		if s.need(c, permManagement) {
			c.summary = "phone number"
			c.json(s.phoneNumber(c.r.URL.Query().Get("fields")))
		}
	case id == biz.PhoneNumberID && len(n) == 1 && m == http.MethodPost:
		if s.need(c, permManagement) {
			s.phoneSettings(c)
		}
	case id == biz.PhoneNumberID && len(n) == 2 && (n[1] == "register" || n[1] == "deregister") && m == http.MethodPost:
		c.summary = n[1]
		c.json(success)
	case id == biz.WABAID && len(n) == 2 && n[1] == "phone_numbers" && m == http.MethodGet:
		if s.need(c, permManagement) {
			c.summary = "phone numbers"
			c.json(map[string]any{"data": []any{s.phoneNumber(c.r.URL.Query().Get("fields"))},
				"paging": map[string]any{"cursors": map[string]string{"before": "QVFIUmJlZm9yZQ", "after": "QVFIUmFmdGVy"}}})
		}
	case id == biz.WABAID && len(n) == 2 && n[1] == "message_templates":
		if s.need(c, permManagement) {
			s.templatesEdge(c)
		}
	case id == biz.WABAID && len(n) == 2 && n[1] == "subscribed_apps":
		if s.need(c, permManagement) {
			s.subscribedApps(c)
		}
	case id == biz.AppID && len(n) == 2 && n[1] == "subscriptions":
		s.appSubscriptions(c)
	case len(n) == 1 && (m == http.MethodGet || m == http.MethodDelete) && s.isMedia(id):
		if s.need(c, permMessaging) {
			s.mediaNode(c, id)
		}
	case len(n) == 1 && m == http.MethodGet && s.isTemplate(id):
		s.templateNode(c, id)
	case id == biz.PhoneNumberID || id == biz.WABAID || id == biz.AppID:
		e := graph.New(100, "")
		e.Message = "(#100) Tried accessing nonexisting field (" + strings.Join(n[1:], "/") + ") on node type (" + nodeType(id, biz) + ")"
		if len(n) == 1 {
			e.Message = "Unsupported " + strings.ToLower(m) + " request."
		}
		e.Data = nil
		c.fail(e)
	default:
		c.fail(graph.NoObject(strings.ToLower(m), id))
	}
}

func nodeType(id string, b Business) string {
	switch id {
	case b.PhoneNumberID:
		return "WhatsAppBusinessPhoneNumber"
	case b.WABAID:
		return "WhatsAppBusinessAccount"
	}
	return "Application"
}

func (s *Server) need(c *call, perm string) bool {
	s.mu.Lock()
	ok := s.perms[perm]
	s.mu.Unlock()
	if ok {
		return true
	}
	if perm == permMessaging {
		c.fail(graph.New(10, "The access token does not have the whatsapp_business_messaging permission: grant it to the system user or app."))
	} else {
		e := graph.New(200, "The access token does not have the whatsapp_business_management permission.")
		e.Message = "(#200) Requires whatsapp_business_management permission to manage the object"
		c.fail(e)
	}
	return false
}

// logCall logs c, queues its statuses and sends the answer. Everything
// else a call causes (its statuses' building, signing, posting and
// printing) happens after the answer, on other goroutines.
func (s *Server) logCall(c *call) {
	latency := time.Since(c.start)
	defer func() {
		if c.jobs != nil {
			// Queued once the call is logged: its entry comes before its
			// statuses' entries, and a client that sends again only once it
			// has this answer finds these statuses ahead of the next ones.
			s.queue(c.who, c.jobs)
		}
		if f, ok := c.w.(http.Flusher); ok && c.flush {
			f.Flush()
		}
	}()
	req := c.logReq
	if req == nil {
		req = c.body
	}
	path := c.r.URL.Path
	if c.r.URL.RawQuery == "" {
		// nothing to redact
	} else if q := c.r.URL.Query(); len(q) > 0 {
		for k := range q {
			if secretKeys[k] {
				q[k] = []string{"***"}
			}
		}
		q.Del("access_token")
		if enc := q.Encode(); enc != "" {
			path += "?" + enc
		}
	}
	req = redactJSON(req)
	logged := logJSON
	if c.send != nil {
		logged = logShared // parsed whole as JSON already, and never changed
	}
	e := Entry{Kind: "graph", Method: c.r.Method, Path: path, Status: c.status,
		LatencyMS: ms(latency), User: c.user, Summary: c.summary,
		Request: logged(req), Response: logShared(c.resp), ErrorCode: c.errCode}
	if c.send != nil && c.status == http.StatusOK && s.log.feeding() {
		e.known = &known{send: c.send, wamid: c.wamid}
	}
	s.log.add(e, req)
}

// sendMessage answers POST /{phone-number-id}/messages.
func (s *Server) sendMessage(c *call) {
	send, e := graph.ParseSend(c.body)
	if e != nil {
		c.fail(e)
		return
	}
	c.summary = send.Summary
	if send.Read {
		s.markRead(c, send)
		return
	}
	now := s.now()
	s.mu.Lock()
	u, toBSUID := s.recipient(send)
	if u != nil {
		c.user = u.Name
		c.summary += " → " + u.Name
	}
	if e := s.checkSendLocked(send, u); e != nil {
		s.mu.Unlock()
		c.fail(e)
		return
	}
	if u == nil {
		// Not a WhatsApp user: Meta accepts the send and fails it later.
		u = s.strangerLocked(send)
	}
	key := u.Name
	if lim := s.lim.Allow(key, now); lim != "" {
		s.mu.Unlock()
		if lim == "pair" {
			c.fail(graph.New(131056, "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."))
		} else {
			c.fail(graph.New(130429, "Message failed to send because there were too many messages sent from this phone number in a short period of time."))
		}
		return
	}
	seq := s.nextSeq()
	m := message{seq: seq, user: u, at: now.UnixNano(), out: true, typ: typeCode(send.Type),
		version: uint8(c.path.Version), text: s.summaryLocked(send)}
	if toBSUID {
		m.flags |= flToBSUID
	}
	if u.WindowOpen(now) {
		m.flags |= flFreeWindow
	}
	var tmpl *graph.Template
	if send.Template != nil {
		tmpl = s.findTemplateLocked(send.Template.Name, send.Template.Language)
		m.category = categoryOf(tmpl.Category)
	}
	failCode, details, afterSent := s.deliveryFate(send, u, tmpl, now)
	mp := s.hist.add(m)
	s.hist.setOpaque(seq, send.BizOpaque)
	wamid := s.wamid(seq, u.Address(), true)
	if send.Interactive != nil {
		u.LastInteractive = &simnet.Interactive{MessageID: wamid, Interactive: *send.Interactive}
	} else if tmpl != nil {
		if opts := quickReplies(tmpl, send.Template); len(opts) > 0 {
			u.LastInteractive = &simnet.Interactive{MessageID: wamid,
				Interactive: graph.Interactive{Type: "template", Options: opts}}
		}
	}
	u.LastBusiness = wamid
	s.dirty = true
	link := ""
	if send.Media != nil && failCode == 0 {
		link = send.Media.Link
	}
	if link == "" {
		c.jobs, c.who = s.planJobs(mp, failCode, details, afterSent), u.Name // queued by logCall
	}
	s.mu.Unlock()
	if link != "" {
		// Meta fetches a link after answering; so does the mock.
		go func() {
			s.fetches <- struct{}{} // at most cap(s.fetches) links are fetched at once
			ok := s.linkFetchable(link)
			<-s.fetches
			s.mu.Lock()
			defer s.mu.Unlock()
			if m := s.hist.get(seq); m != nil && !s.closed {
				if ok {
					s.plan(m, 0, "", false)
				} else {
					s.plan(m, 131053, "Media upload error: the media at the link could not be downloaded (it did not answer 200 with a supported media type).", false)
				}
			}
		}()
	}

	ct := sendContact{Input: send.Input()}
	if toBSUID {
		ct.UserID, ct.ParentUserID = u.UserID, u.ParentUserID
	} else {
		ct.WaID = u.WaID
	}
	msg := sendMessageID{ID: wamid}
	if send.Template != nil {
		msg.Status = "accepted"
	}
	c.answer(sendAnswerJSON(ct, msg))
	c.send, c.wamid = send, wamid
}

// recipient finds the user a send is for. Callers hold s.mu.
func (s *Server) recipient(send *graph.Send) (*simnet.User, bool) {
	if send.Recipient != "" {
		if u := s.net.Find(send.Recipient); u != nil {
			return u, true
		}
		return s.net.FindParent(send.Recipient), true
	}
	return s.net.Find(graph.NormalizePhone(send.To)), false
}

// strangerLocked is a placeholder user for a number nobody simulates, so
// its statuses (failed 131026) have somewhere to go.
func (s *Server) strangerLocked(send *graph.Send) *simnet.User {
	return &simnet.User{Name: send.Input(), WaID: graph.NormalizePhone(send.To), UserID: send.Recipient, Unreachable: true}
}

// checkSendLocked applies the refusals Meta decides at request time.
func (s *Server) checkSendLocked(send *graph.Send, u *simnet.User) *graph.Error {
	if len(s.opts.AllowList) > 0 && send.To != "" {
		allowed := false
		for _, a := range s.opts.AllowList {
			if graph.NormalizePhone(a) == graph.NormalizePhone(send.To) {
				allowed = true
			}
		}
		if !allowed {
			e := graph.New(131030, "Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again.")
			e.Subcode = 2655007
			return e
		}
	}
	if send.To != "" && graph.NormalizePhone(send.To) == s.bizDigitsLocked() {
		return graph.New(131021, "The recipient is the business phone number itself.")
	}
	if send.ContextID != "" {
		if _, ok := s.seqOf(send.ContextID); !ok && !s.knownForeign(send.ContextID) {
			return graph.Param("context['message_id']", "context['message_id'] %q is not a message of this conversation.", send.ContextID)
		}
	}
	if send.Media != nil && send.Media.ID != "" && !s.media.has(send.Media.ID) {
		return graph.Newf(131009, "%s['id']: media id %s does not exist or was deleted; upload it with POST /%s/media.", send.Type, send.Media.ID, s.biz.PhoneNumberID)
	}
	if send.Template != nil {
		t := s.findTemplateLocked(send.Template.Name, send.Template.Language)
		if t == nil {
			return s.noTemplateLocked(send.Template)
		}
		if e := graph.CheckSend(t, send.Template); e != nil {
			return e
		}
		if send.Recipient != "" && t.Category == "AUTHENTICATION" {
			return graph.New(131062, "Authentication templates cannot be sent to a business-scoped user ID: send them to the user's phone number (to).")
		}
	}
	return nil
}

func (s *Server) noTemplateLocked(t *graph.TemplateSend) *graph.Error {
	langs := []string{}
	for _, x := range s.templates {
		if x.Name == t.Name {
			langs = append(langs, x.Language)
		}
	}
	if len(langs) > 0 {
		return graph.Newf(132001, "template name (%s) does not exist in %s; it exists in %s", t.Name, t.Language, strings.Join(langs, ", "))
	}
	return graph.Newf(132001, "template name (%s) does not exist in %s", t.Name, t.Language)
}

// deliveryFate decides at send time what the network will do at delivery
// time: 0 for a normal delivery, else the failed status's code.
func (s *Server) deliveryFate(send *graph.Send, u *simnet.User, t *graph.Template, now time.Time) (int, string, bool) {
	switch {
	case u.Unreachable:
		return 131026, "Message failed to send because the recipient is not a WhatsApp user, has not accepted the latest terms, or uses an old WhatsApp version.", false
	case u.Blocked:
		return 131026, "Message undeliverable: the recipient has blocked this business.", true
	case send.Template == nil && !u.WindowOpen(now):
		return 131047, "Message failed to send because more than 24 hours have passed since the customer last replied to this number.", false
	case t != nil && t.Category == "MARKETING" && u.MarketingOptOut:
		return 131050, "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.", false
	case t != nil && t.Category == "MARKETING" && u.MarketingLimited:
		return 131049, "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.", false
	}
	return 0, "", false
}

// markRead answers status: read (and the typing indicator).
func (s *Server) markRead(c *call, send *graph.Send) {
	s.mu.Lock()
	seq, ok := s.seqOf(send.MessageID)
	var m *message
	if ok {
		m = s.hist.get(seq)
	}
	known := m != nil && !m.out
	if m == nil && s.knownForeign(send.MessageID) {
		known = true
	}
	if m != nil {
		c.user = m.user.Name
	}
	s.mu.Unlock()
	if !known {
		c.fail(graph.Param("message_id", "message_id %q is not a message this business received.", send.MessageID))
		return
	}
	c.answer(successJSON)
	c.send = send
}

// quickReplies are a template's quick-reply buttons as a user can tap
// them: the payload the send gave each (else the button's text) and its text.
func quickReplies(t *graph.Template, send *graph.TemplateSend) []graph.Option {
	var out []graph.Option
	for i, b := range t.QuickReplies() {
		if b == "" {
			continue
		}
		payload := b
		for _, c := range send.Components {
			if c.Type == "button" && c.Index == i && len(c.Params) > 0 {
				payload = c.Params[0].Text
			}
		}
		out = append(out, graph.Option{ID: payload, Title: b})
	}
	return out
}

// secretKeys are parameters whose values never reach the log or the terminal.
var secretKeys = map[string]bool{"access_token": true, "verify_token": true, "client_secret": true, "app_secret": true, "hub.verify_token": true}

// secretEnds are how every key of secretKeys ends, for a quick look at
// a body (two passes over it rather than one per key); TestSecretEnds
// keeps them in step with secretKeys.
var secretEnds = [][]byte{[]byte(`_token"`), []byte(`_secret"`)}

// redactJSON masks secret fields of a JSON request body (a verify token
// sent with a subscription); other bodies are returned as they are.
func redactJSON(b []byte) []byte {
	found := false
	for _, k := range secretEnds {
		if bytes.Contains(b, k) {
			found = true
			break
		}
	}
	if !found {
		return b
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, val := range t {
				if secretKeys[k] {
					t[k] = "***"
				} else {
					walk(val)
				}
			}
		case []any:
			for _, val := range t {
				walk(val)
			}
		}
	}
	walk(v)
	out, _ := json.Marshal(v)
	return out
}

// sendAnswer is a send's answer, with Meta's key order.
type sendAnswer struct {
	MessagingProduct string          `json:"messaging_product"`
	Contacts         []sendContact   `json:"contacts"`
	Messages         []sendMessageID `json:"messages"`
}

type sendContact struct {
	Input        string `json:"input"`
	WaID         string `json:"wa_id,omitempty"`
	UserID       string `json:"user_id,omitempty"`
	ParentUserID string `json:"parent_user_id,omitempty"`
}

type sendMessageID struct {
	ID     string `json:"id"`
	Status string `json:"message_status,omitempty"`
}

// sendAnswerJSON is json.Marshal of a send's answer, written by hand when
// every string in it is plain (the input, ids and digits always are).
func sendAnswerJSON(ct sendContact, msg sendMessageID) []byte {
	if !graph.JSONPlain(ct.Input) || !graph.JSONPlain(ct.WaID) || !graph.JSONPlain(ct.UserID) || !graph.JSONPlain(ct.ParentUserID) ||
		!graph.JSONPlain(msg.ID) || !graph.JSONPlain(msg.Status) {
		b, _ := json.Marshal(sendAnswer{MessagingProduct: "whatsapp", Contacts: []sendContact{ct}, Messages: []sendMessageID{msg}})
		return b
	}
	b := make([]byte, 0, 160+len(ct.Input)+len(ct.WaID)+len(ct.UserID)+len(ct.ParentUserID)+len(msg.ID))
	b = append(b, `{"messaging_product":"whatsapp","contacts":[{"input":"`...)
	b = append(b, ct.Input...)
	b = append(b, '"')
	opt := func(k, v string) {
		if v != "" {
			b = append(b, `,"`...)
			b = append(b, k...)
			b = append(b, `":"`...)
			b = append(b, v...)
			b = append(b, '"')
		}
	}
	opt("wa_id", ct.WaID)
	opt("user_id", ct.UserID)
	opt("parent_user_id", ct.ParentUserID)
	b = append(b, `}],"messages":[{"id":"`...)
	b = append(b, msg.ID...)
	b = append(b, '"')
	opt("message_status", msg.Status)
	return append(b, `}]}`...)
}

// maxSummaries bounds the shared summaries of non-text sends.
const maxSummaries = 4096

// summaryLocked is what the history keeps of a send: the text of a text
// message, else a summary ("template hello_world (en_US)") shared by every
// message that has it, since those repeat. Callers hold s.mu.
func (s *Server) summaryLocked(send *graph.Send) string {
	sum := truncate(send.Summary, 80)
	if send.Type == "text" {
		return sum
	}
	if c, ok := s.summaries[sum]; ok {
		return c
	}
	if len(s.summaries) >= maxSummaries {
		clear(s.summaries)
	}
	s.summaries[sum] = sum
	return sum
}
