package mock

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

// The webhook shapes, with Meta's key order.
type envelope struct {
	Object string  `json:"object"`
	Entry  []entry `json:"entry"`
}

type entry struct {
	ID      string   `json:"id"`
	Time    int64    `json:"time,omitempty"`
	Changes []change `json:"changes"`
}

type change struct {
	Value messagesValue `json:"value"` // a concrete type: encoding through an interface costs more
	Field string        `json:"field"`
}

type metadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type messagesValue struct {
	MessagingProduct string            `json:"messaging_product"`
	Metadata         metadata          `json:"metadata"`
	Contacts         []contact         `json:"contacts,omitempty"`
	Messages         []json.RawMessage `json:"messages,omitempty"`
	Statuses         []statusItem      `json:"statuses,omitempty"`
}

type profile struct {
	Name     string `json:"name"`
	Username string `json:"username,omitempty"`
}

type contact struct {
	Profile      profile `json:"profile"`
	WaID         string  `json:"wa_id,omitempty"`
	UserID       string  `json:"user_id,omitempty"`
	ParentUserID string  `json:"parent_user_id,omitempty"`
}

type conversation struct {
	ID         string `json:"id"`
	Expiration string `json:"expiration_timestamp,omitempty"`
	Origin     struct {
		Type string `json:"type"`
	} `json:"origin"`
}

type pricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Category     string `json:"category"`
	Type         string `json:"type"`
}

type statusItem struct {
	ID                    string               `json:"id"`
	Status                string               `json:"status"`
	Timestamp             string               `json:"timestamp"`
	RecipientID           string               `json:"recipient_id,omitempty"`
	RecipientUserID       string               `json:"recipient_user_id,omitempty"`
	RecipientParentUserID string               `json:"recipient_parent_user_id,omitempty"`
	BizOpaque             string               `json:"biz_opaque_callback_data,omitempty"`
	Conversation          *conversation        `json:"conversation,omitempty"`
	Pricing               *pricing             `json:"pricing,omitempty"`
	Errors                []graph.WebhookError `json:"errors,omitempty"`
}

func contactOf(u *simnet.User, withUsername bool) contact {
	c := contact{Profile: profile{Name: u.ProfileName}, WaID: u.WaID, UserID: u.UserID, ParentUserID: u.ParentUserID}
	if withUsername {
		c.Profile.Username = u.Username
	}
	return c
}

// metadata is a webhook's; callers hold s.mu.
func (s *Server) metadata() metadata {
	return metadata{DisplayPhoneNumber: s.bizDigitsLocked(), PhoneNumberID: s.biz.PhoneNumberID}
}

// bizDigitsLocked is s.biz.digits(), worked out again only when the
// display number changed (every status and send needs it). Callers hold s.mu.
func (s *Server) bizDigitsLocked() string {
	if s.digitsOf != s.biz.DisplayPhoneNumber || s.digits == "" {
		s.digitsOf, s.digits = s.biz.DisplayPhoneNumber, s.biz.digits()
	}
	return s.digits
}

// buildBody turns a batch of due jobs into one webhook body and the log
// entry describing it (coalesced: updates that waited for a late app,
// summed up rather than listed). A nil body means nothing is left to post.
func (s *Server) buildBody(batch []*job, coalesced bool) ([]byte, Entry, string, bool) {
	first := batch[0]
	e := Entry{Kind: "webhook", Method: "POST", Signature: sigValid}
	if first.kind == jobEnvelope {
		e.Field, e.Summary, e.User = first.field, first.summary, first.userID
		if first.sig != "" {
			e.Signature = first.sig
		}
		e.Request = logJSON(first.body)
		return first.body, e, first.sig, first.raw
	}
	s.mu.Lock()
	v := messagesValue{MessagingProduct: "whatsapp", Metadata: s.metadata()}
	seen := map[*simnet.User]bool{}
	var users names
	var parts []string
	now := s.now()
	// What every status of this webhook shares, worked out once.
	at := stamps{now: now, unix: strconv.FormatInt(now.Unix(), 10)}
	if len(batch) > 1 || batch[0].kind == jobStatus {
		v.Statuses = make([]statusItem, 0, len(batch))
		e.Statuses = make([]string, 0, len(batch))
	}
	for i, j := range batch {
		if i > 0 && i%lockChunk == 0 {
			// A coalesced webhook builds hundreds of updates: let the
			// Graph handlers in between, so an answer never waits for it.
			s.mu.Unlock()
			runtime.Gosched()
			s.mu.Lock()
		}
		switch j.kind {
		case jobStatus:
			m := s.hist.get(j.msg)
			if m == nil {
				continue
			}
			st, ok := s.statusFor(m, j, &at)
			if !ok {
				continue
			}
			v.Statuses = append(v.Statuses, st)
			e.Statuses = append(e.Statuses, st.Status)
			if st.Status != "failed" && m.user.UserID != "" && !seen[m.user] {
				seen[m.user] = true
				v.Contacts = append(v.Contacts, contactOf(m.user, st.Status != "sent"))
			}
			users.add(m.user.Name)
			what := st.Status
			if st.Status == "failed" {
				what = "failed " + strconv.Itoa(j.errCode)
				e.ErrorCode = j.errCode
			}
			if !coalesced || len(parts) == 0 { // coalesced: summed up below
				parts = append(parts, what+" "+m.typeName()+" → "+m.user.Name)
			}
		case jobInbound:
			v.Messages = append(v.Messages, j.item)
			var head struct {
				Type string `json:"type"`
			}
			_ = json.Unmarshal(j.item, &head)
			e.Messages = append(e.Messages, head.Type)
			u := s.net.Find(j.userID)
			if u != nil && !j.system && !seen[u] {
				seen[u] = true
				v.Contacts = append(v.Contacts, contactOf(u, true))
			}
			users.add(j.userID)
			if !coalesced || len(parts) == 0 {
				parts = append(parts, j.summary)
			}
		}
	}
	waba := s.biz.WABAID
	s.mu.Unlock()
	if len(v.Statuses) == 0 && len(v.Messages) == 0 {
		return nil, e, "", false
	}
	// Encoded outside s.mu: the Graph handlers need it more. The body is
	// in wire form already (raw below: sign need not encode it again).
	var wb *writtenBody
	var spans *bodySpans
	if s.log.feeding() && writable(&v) {
		wb = &writtenBody{waba: waba, v: v}
		spans = &wb.spans
	}
	body, plain, err := appendEnvelopeSpans(make([]byte, 0, 256+640*len(v.Statuses)), waba, &v, spans)
	logged := body
	if err != nil || !plain {
		// The log has always shown json.Marshal's form of the body (raw
		// UTF-8, "/" unescaped); it differs from the wire form only here.
		env := envelope{Object: "whatsapp_business_account",
			Entry: []entry{{ID: waba, Changes: []change{{Value: v, Field: "messages"}}}}}
		logged, _ = json.Marshal(env)
		if err != nil { // not expected (the mock wrote every message); the old way, to the letter
			body = logged
		}
	}
	e.Field = "messages"
	if n := len(e.Statuses) + len(e.Messages); coalesced && n > 1 {
		e.Coalesced = n
		e.Summary = coalescedSummary(e.Statuses, e.Messages, users.list)
	} else {
		e.Summary = strings.Join(parts, "; ")
	}
	if len(users.list) > 0 {
		e.User = users.list[0]
	}
	e.Request = logShared(logged)
	if wb != nil && err == nil && !wb.spans.lossy {
		e.known = &known{written: wb, body: body}
	}
	return body, e, sigValid, err == nil
}

// lockChunk is how many updates of a webhook are built under one hold of s.mu.
const lockChunk = 32

// coalescedSummary sums up a coalesced webhook: how many updates of each
// kind, for whom.
func coalescedSummary(statuses, messages, users []string) string {
	b := make([]byte, 0, 128)
	b = strconv.AppendInt(b, int64(len(statuses)+len(messages)), 10)
	b = append(b, " updates in one POST (the app fell behind):"...)
	var kinds []string
	counts := map[string]int{}
	for _, st := range statuses {
		if counts[st] == 0 {
			kinds = append(kinds, st)
		}
		counts[st]++
	}
	sep := " "
	for _, k := range kinds {
		b = strconv.AppendInt(append(b, sep...), int64(counts[k]), 10)
		b = append(append(b, ' '), k...)
		sep = ", "
	}
	if len(messages) > 0 {
		b = strconv.AppendInt(append(b, sep...), int64(len(messages)), 10)
		b = append(b, " inbound"...)
	}
	b = append(b, " → "...)
	const named = 3
	for i, u := range users[:min(len(users), named)] {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, u...)
	}
	if len(users) > named {
		b = strconv.AppendInt(append(b, " and "...), int64(len(users)-named), 10)
		b = append(b, " more users"...)
	}
	return string(b)
}

// names lists names once each, in the order first seen (a map only once
// the list is long: a coalesced webhook can name hundreds of users).
type names struct {
	list []string
	seen map[string]bool
}

func (n *names) add(s string) {
	if n.seen != nil {
		if !n.seen[s] {
			n.seen[s] = true
			n.list = append(n.list, s)
		}
		return
	}
	for _, x := range n.list {
		if x == s {
			return
		}
	}
	n.list = append(n.list, s)
	if len(n.list) == 16 {
		n.seen = make(map[string]bool, 64)
		for _, x := range n.list {
			n.seen[x] = true
		}
	}
}

// stamps are the times of one webhook's statuses, as their JSON has them.
type stamps struct {
	now    time.Time
	unix   string // timestamp
	expiry string // a sent status's conversation expiration_timestamp ("": not worked out yet)
}

// statusFor builds the status j asks for, updating m; false when it is no
// longer due (a later state was already posted, or delivered was skipped).
func (s *Server) statusFor(m *message, j *job, at *stamps) (statusItem, bool) {
	now := at.now
	st := statusItem{ID: s.wamid(m.seq, m.user.Address(), true), Status: stateNames[j.status],
		Timestamp: at.unix, BizOpaque: s.hist.opaqueOf(m.seq)}
	u := m.user
	if m.flags&flToBSUID != 0 {
		st.RecipientUserID, st.RecipientParentUserID = u.UserID, u.ParentUserID
	} else {
		st.RecipientID = u.WaID
		if j.status != stFailed {
			st.RecipientUserID = u.UserID
		}
	}
	priced := false
	switch j.status {
	case stFailed:
		if m.state == stFailed {
			return st, false
		}
		m.state = stFailed
		m.errCode = int32(j.errCode)
		st.Errors = []graph.WebhookError{graph.AsyncError(j.errCode, j.details)}
	case stSent:
		if m.state >= stSent {
			return st, false
		}
		m.state = stSent
		priced = true
	case stDelivered:
		if m.flags&flDeliveredDone != 0 || m.state == stFailed {
			return st, false
		}
		m.flags |= flDeliveredDone
		m.state = max(m.state, stDelivered)
		if m.flags&flPricingDone == 0 {
			m.flags |= flPricingDone
			priced = true
		}
	case stRead:
		if m.state >= stRead {
			return st, false
		}
		m.state = stRead
		switch {
		case m.flags&flHoldAfterRead != 0 && m.flags&flDeliveredDone == 0:
			// Out of order: the held delivered follows the read.
			s.out.push(u.Name, 0, &job{kind: jobStatus, msg: m.seq, status: stDelivered})
		case m.flags&flSkipDelivered != 0:
			m.flags |= flDeliveredDone
		}
		if m.flags&flPricingDone == 0 {
			m.flags |= flPricingDone
			priced = true
		}
	}
	if priced && m.typeName() != "reaction" {
		st.Pricing = s.pricingOf(m)
		if int(m.version) < 24 {
			c := &conversation{ID: conversationID(m)}
			c.Origin.Type = categoryNames[m.category]
			if j.status == stSent {
				if at.expiry == "" {
					at.expiry = strconv.FormatInt(now.Add(simnet.Window).Unix(), 10)
				}
				c.Expiration = at.expiry
			}
			st.Conversation = c
		}
	}
	return st, true
}

// pricingOf is per-message pricing: service and utility messages inside
// the customer-service window are free, the rest is billed.
func (s *Server) pricingOf(m *message) *pricing {
	p := &pricing{PricingModel: "PMP", Category: categoryNames[m.category], Type: "regular", Billable: true}
	if m.flags&flFreeWindow != 0 && (m.category == catService || m.category == catUtility) {
		p.Type, p.Billable = "free_customer_service", false
	}
	return p
}

func conversationID(m *message) string {
	var buf [96]byte // address (at most ~140 bytes for a BSUID: then on the heap) '/' seq
	key := append(append(buf[:0], m.user.Address()...), '/')
	sum := sha256.Sum256(strconv.AppendUint(key, m.seq, 10)) // "%s/%d"
	var id [32]byte
	hex.Encode(id[:], sum[:16])
	return string(id[:])
}

// plan queues the statuses of a message the app just sent. Callers hold s.mu.
func (s *Server) plan(m *message, failCode int, details string, failAfterSent bool) {
	s.queue(m.user.Name, s.planJobs(m, failCode, details, failAfterSent))
}

// queue hands a message's planned statuses to the outbox.
func (s *Server) queue(who string, jobs []*job) {
	if !s.out.pushAll(who, jobs) {
		s.droppedLocked(who)
	}
}

// planJobs decides the statuses of a message the app just sent, to be
// queued (all at once) with queue. Callers hold s.mu.
func (s *Server) planJobs(m *message, failCode int, details string, failAfterSent bool) []*job {
	h := s.habits
	// A send has at most three statuses (sent, delivered or failed,
	// read): one allocation holds them and the list.
	blk := new(jobBlock)
	jobs := blk.list[:0]
	start := time.Now()
	push := func(delay time.Duration, st uint8, code int, det string) {
		j := &blk.jobs[len(jobs)]
		*j = job{due: start.Add(delay), kind: jobStatus, msg: m.seq, status: st, errCode: code, details: det}
		jobs = append(jobs, j)
	}
	sent := s.dice.Jitter(h.SentDelay)
	if failCode != 0 {
		if failAfterSent {
			push(sent, stSent, 0, "")
			push(sent+s.dice.Jitter(h.DeliveredDelay), stFailed, failCode, details)
		} else {
			push(sent, stFailed, failCode, details)
		}
		return jobs
	}
	push(sent, stSent, 0, "")
	if m.typeName() == "reaction" {
		return jobs // reactions only get sent
	}
	delivered := sent + s.dice.Jitter(h.DeliveredDelay)
	switch {
	case s.dice.Roll(h.SkipDelivered):
		m.flags |= flSkipDelivered
	case s.dice.Roll(h.OutOfOrder):
		m.flags |= flHoldAfterRead
	default:
		push(delivered, stDelivered, 0, "")
	}
	if h.ReadDelay > 0 {
		push(delivered+s.dice.Jitter(h.ReadDelay), stRead, 0, "")
	}
	list := s.unread[m.user]
	if len(list) >= 1000 {
		list = list[1:]
	}
	s.unread[m.user] = append(list, m.seq)
	return jobs
}

// jobBlock holds the statuses planJobs plans for one send.
type jobBlock struct {
	jobs [3]job
	list [3]*job
}

// readBy makes u read everything the app sent them that is not read yet,
// in order, and returns how many statuses were queued. Callers hold s.mu.
func (s *Server) readBy(u *simnet.User, done chan Delivery) int {
	list := s.unread[u]
	delete(s.unread, u)
	var jobs []*job
	for _, seq := range list {
		m := s.hist.get(seq)
		if m == nil || m.state >= stRead || m.state == stFailed || !m.out {
			continue
		}
		jobs = append(jobs, &job{kind: jobStatus, msg: seq, status: stRead})
	}
	if len(jobs) > 0 {
		jobs[len(jobs)-1].done = done
	}
	for _, j := range jobs {
		if !s.out.push(u.Name, 0, j) {
			s.droppedLocked(u.Name)
		}
	}
	return len(jobs)
}

func (s *Server) droppedLocked(user string) {
	go s.log.add(Entry{Kind: "webhook", Method: "POST", User: user,
		Summary: fmt.Sprintf("dropped: more than %d webhooks are waiting to be posted", maxQueue)}, nil)
}
