package inspector

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/wa-hooks/wa-hooks/internal/receiver"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// Default bounds of the history: enough for a long debugging session (and
// the 10,000 requests the benchmark loads), small enough for a laptop.
const (
	DefaultMaxRequests = 10_000
	DefaultMaxBytes    = 64 << 20
)

// entry is one request the inspector keeps. Thousands of them stay in the
// heap for as long as serve runs, and the garbage collector walks every
// pointer they hold on serve's time, so an entry holds few: the body and
// the packed header and event fields are single pointer-free blocks, the
// events' markers a pointer-free slice, and list rows are built only when a
// page or a stream shows them. The detail parses the body again.
type entry struct {
	id       uint64 // the inspector's own number: unique across restored and live requests
	restored bool   // read from --record at start
	shake    bool
	req      render.Request // req.Header is nil while kept: see header
	// header is req.Header packed into one string; copy unpacks it.
	header  string
	evs     []eventMarks // one per event of the body
	text    string       // the events' fields the list shows and filters on, packed (see eventMarks)
	problem *render.Problem
	forward *render.Forward
	handled time.Time
	// rowNo are the numbers of the request's rows, given when it arrives
	// and kept when a later part of it arrives.
	rowNo []uint64
	size  int64
	// A large body is kept in the store's spool rather than in memory:
	// req.Body is then nil but while the store takes a part of it, and in
	// the copies details and actions get (see store.load).
	spilled bool
	spill   spillRef
	inHeap  bool // its body counts in store.heapBodies
}

// The fields of an event that entry.text keeps, in this order.
const (
	fField = iota
	fKind
	fType
	fFrom
	fRecipient
	fUserID
	fContactName
	fUsername
	fDisplay
	fID
	fSummary
	fRaw // only when the event's Raw is not a part of the body (--redact)
	nFields
)

// eventMarks is what the receiver learnt about one event, and where its
// fields are in entry.text: field k is text[ends[k-1]:ends[k]] (field 0
// starts at start).
type eventMarks struct {
	start        uint32
	ends         [nFields]uint32
	raw0, raw1   uint32 // the event's Raw in the body, with rawInBody
	rawInBody    bool
	failure      bool // render.IsFailure
	dup, retry   bool
	stale        bool
	seen         bool  // firstSeen is set
	copy         int   // the retry's copy number
	firstSeen    int64 // Unix nanoseconds
	firstRequest uint64
	age          time.Duration
}

// weight is what the entry holds in memory, near enough for the byte
// bound: its body, the kept fields, markers and row numbers, the packed
// header and a fixed part for the rest.
func (e *entry) weight() int64 {
	return int64(e.bodySize()+len(e.text)+len(e.header)) +
		int64(len(e.evs))*int64(unsafe.Sizeof(eventMarks{})) + int64(cap(e.rowNo))*8 + 1024
}

// bodySize is the length of e's body, kept or spilled. A spilled body
// counts against the history's byte bound as a kept one does: the bound
// then also bounds the spool.
func (e *entry) bodySize() int {
	if e.spilled {
		return e.spill.n
	}
	return len(e.req.Body)
}

// keepEvents keeps evs in e: their markers and the fields rows need.
func (e *entry) keepEvents(evs []render.Event) {
	n := 0
	marks := make([]eventMarks, len(evs))
	var look rawLook
	for i := range evs {
		ev, m := &evs[i], &marks[i]
		for _, v := range eventFields(ev) {
			n += len(v)
		}
		// Where Raw is in the body; what is not there is kept beside it.
		if m.raw0, m.raw1, m.rawInBody = look.span(e.req.Body, ev.Raw); !m.rawInBody {
			n += len(ev.Raw)
		}
	}
	keep := uint64(n) <= math.MaxUint32 // offsets are 32 bits: fields of a body past 4 GiB (--max-body) are not kept
	var b strings.Builder
	if keep {
		b.Grow(n)
	}
	for i := range evs {
		ev, m := &evs[i], &marks[i]
		m.start = uint32(b.Len())
		for k, v := range eventFields(ev) {
			if keep {
				b.WriteString(v)
			}
			m.ends[k] = uint32(b.Len())
		}
		if !m.rawInBody && keep {
			b.Write(ev.Raw)
		}
		m.ends[fRaw] = uint32(b.Len())
		m.failure = render.IsFailure(*ev)
		m.dup, m.retry, m.stale, m.copy, m.age, m.firstRequest = ev.Duplicate, ev.Retry, ev.Stale, ev.Copy, ev.Age, ev.FirstRequest
		if !ev.FirstSeen.IsZero() {
			m.seen, m.firstSeen = true, ev.FirstSeen.UnixNano()
		}
	}
	e.text, e.evs = b.String(), marks
}

func eventFields(ev *render.Event) [fRaw]string {
	return [fRaw]string{ev.Field, ev.Kind, ev.Type, ev.From, ev.Recipient, ev.UserID, ev.ContactName, ev.Username,
		ev.DisplayPhoneNumber, ev.ID, ev.Summary}
}

// rawLook finds where the events' Raw are in their body, in order. The
// parser hands out Raw as a part of the body, but a part it decoded on its
// slow path comes as a copy: it is looked for in the body rather than kept
// a second time (a 3 MB text message's Raw is most of its body, and 10,000
// kept deliveries of 1 KB kept 10 MB of copies). Events come in the body's
// order, so each search starts where the last Raw ended, and after one
// miss (--redact: Raw is not the body's) there is no other: a body's
// events cost at most two passes over it.
type rawLook struct {
	from   int
	missed bool
}

// rawLookup is the Raw size from which a copy is looked for in the body.
const rawLookup = 64

func (l *rawLook) span(body, raw []byte) (uint32, uint32, bool) {
	a, z, ok := within(body, raw)
	if !ok && !l.missed && len(raw) >= rawLookup && uint64(len(body)) <= math.MaxUint32 && l.from <= len(body) {
		if i := bytes.Index(body[l.from:], raw); i >= 0 {
			a, z, ok = uint32(l.from+i), uint32(l.from+i+len(raw)), true
		} else {
			l.missed = true
		}
	}
	if ok {
		l.from = max(l.from, int(z))
	}
	return a, z, ok
}

// within tells where part lies in body, if it is a part of it (the parser
// hands out Raw as a part of the body it parsed).
func within(body, part []byte) (uint32, uint32, bool) {
	if len(part) == 0 {
		return 0, 0, true
	}
	off := cap(body) - cap(part)
	if uint64(len(body)) > math.MaxUint32 || off < 0 || off+len(part) > len(body) || &body[off] != &part[0] {
		return 0, 0, false
	}
	return uint32(off), uint32(off + len(part)), true
}

// field is field k of event i.
func (e *entry) field(i, k int) string {
	m := &e.evs[i]
	a := m.start
	if k > 0 {
		a = m.ends[k-1]
	}
	return e.text[a:m.ends[k]]
}

// event is event i as the list shows and filters it: the kept fields
// (parts of e.text, not copies), without Raw.
func (e *entry) event(i int) webhook.Event {
	f := func(k int) string { return e.field(i, k) }
	return webhook.Event{Field: f(fField), Kind: f(fKind), Type: f(fType), From: f(fFrom), Recipient: f(fRecipient),
		UserID: f(fUserID), ContactName: f(fContactName), Username: f(fUsername), DisplayPhoneNumber: f(fDisplay),
		ID: f(fID), Summary: f(fSummary)}
}

// raw is event i's Raw, for an entry whose body is in req.Body (a copy
// from snapshot, or one that is not spilled).
func (e *entry) raw(i int) []byte { return e.rawIn(e.req.Body, i) }

// rawIn is event i's Raw when body is e's body.
func (e *entry) rawIn(body []byte, i int) []byte {
	if m := &e.evs[i]; m.rawInBody {
		if int(m.raw1) > len(body) {
			return nil // a spilled body that is no longer kept
		}
		return body[m.raw0:m.raw1]
	}
	return []byte(e.field(i, fRaw))
}

// eventOfRow is the event row j of e shows, or -1 for the row of a
// request without events.
func (e *entry) eventOfRow(j int) int {
	if len(e.evs) == 0 {
		return -1
	}
	return j
}

// marks are the markers serve's line shows for an event.
func (m *eventMarks) marks() []string {
	var out []string
	if m.failure {
		out = append(out, "FAILED")
	}
	switch {
	case m.retry:
		out = append(out, fmt.Sprintf("RETRY #%d", m.copy))
	case m.dup:
		out = append(out, "DUPLICATE")
	}
	if m.stale {
		out = append(out, "STALE "+render.HumanAge(m.age))
	}
	return out
}

// firstSeenAt is when the event was first seen, in the zone of at.
func (m *eventMarks) firstSeenAt(at time.Time) time.Time {
	if !m.seen {
		return time.Time{}
	}
	return time.Unix(0, m.firstSeen).In(at.Location())
}

// Row is one line of the live list: what serve's terminal line shows.
type Row struct {
	Row     uint64   `json:"row"` // position in the list; newer rows have larger numbers
	Request uint64   `json:"id"`  // the inspector's request id (for the detail)
	Seq     uint64   `json:"seq"` // serve's request number in its run
	Event   int      `json:"event"`
	Time    string   `json:"time"` // RFC 3339 with milliseconds
	Sig     string   `json:"sig"`
	Field   string   `json:"field"`
	Kind    string   `json:"kind"`
	Type    string   `json:"type"`
	Who     string   `json:"who"`
	Summary string   `json:"summary"`
	Marks   []string `json:"marks"`
	ID      string   `json:"short_id,omitempty"`
	Status  int      `json:"status"`
	Forward string   `json:"forward,omitempty"`
	FwdOK   bool     `json:"forward_ok,omitempty"`
	Restore bool     `json:"restored,omitempty"`
}

// store is the bounded history: a ring of entries, oldest first, whose ids
// follow each other (so an id is its place in the ring). Observations
// arrive on one goroutine (the receiver's observer); pages read it
// concurrently.
type store struct {
	mu       sync.RWMutex
	ring     []entry
	start, n int
	live     map[uint64]uint64 // serve's seq → id, for the later parts of a request
	// forwarding: serve forwards, so every request may get a later part
	// (the app's answer). Without it only an --accept-invalid problem
	// does (its events), and live stays nearly empty: a map of 10,000
	// requests looked up and changed for each is a cost serve would pay
	// for nothing.
	forwarding bool
	nextID     uint64
	nextRow    uint64
	bytes      int64
	evicted    int
	maxReqs    int
	maxBytes   int64
	secrets    []string
	redact     bool
	subs       map[*subscriber]struct{}
	built      atomic.Int64 // rows built so far (tests: rows are built only when shown)
	spool      *spool       // large bodies, and the rest once heapBodies is full
	heapBodies int64        // bytes of the bodies kept in memory
	heapMax    int64        // heapBodyBytes (tests: less)
}

func newStore(maxReqs int, maxBytes int64, redact bool, secrets ...string) *store {
	if maxReqs <= 0 {
		maxReqs = DefaultMaxRequests
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &store{live: map[uint64]uint64{}, forwarding: true, maxReqs: maxReqs, maxBytes: maxBytes,
		redact: redact, secrets: secrets, subs: map[*subscriber]struct{}{}, spool: newSpool(maxBytes), heapMax: heapBodyBytes}
}

// close removes the spool: call it when nothing reads the store any more.
func (s *store) close() error { return s.spool.close() }

// at is the i-th kept request, oldest first. The pointer is good until the
// next request is kept. Called with s.mu held.
func (s *store) at(i int) *entry { return &s.ring[(s.start+i)%len(s.ring)] }

// byID is the request with this id, nil when it is not kept. Called with
// s.mu held.
func (s *store) byID(id uint64) *entry {
	if s.n == 0 {
		return nil
	}
	first := s.at(0).id
	if id < first || id-first >= uint64(s.n) {
		return nil
	}
	return s.at(int(id - first))
}

// newest is the id of the newest kept request when serve's seq is its, so
// a caller that alone adds requests learns the id it just added without
// the cost of a page.
func (s *store) newest(seq uint64) (uint64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.n == 0 {
		return 0, false
	}
	e := s.at(s.n - 1)
	return e.id, e.req.Seq == seq
}

// push makes room for one more request at the end and returns it. Called
// with s.mu held.
func (s *store) push() *entry {
	if s.n == len(s.ring) {
		// evict keeps at most maxReqs after every push.
		grown := make([]entry, min(max(64, 2*len(s.ring)), s.maxReqs+1))
		for i := range s.n {
			grown[i] = *s.at(i)
		}
		s.ring, s.start = grown, 0
	}
	s.n++
	return s.at(s.n - 1)
}

// mask hides the App Secret and verify token in text from outside (an
// app's answer that echoes them) before it reaches the page.
func (s *store) mask(v string) string { return termsafe.Mask(v, s.secrets...) }

// add takes one observation: a new request, or a later part of one.
func (s *store) add(o receiver.Observation, restored bool) {
	s.mu.Lock()
	s.addLocked(o, restored)
	s.mu.Unlock()
}

// addAll takes the observations that waited for the inspector, in order.
func (s *store) addAll(os []receiver.Observation) {
	s.mu.Lock()
	for _, o := range os {
		s.addLocked(o, false)
	}
	s.mu.Unlock()
}

func (s *store) addLocked(o receiver.Observation, restored bool) {
	var e *entry
	isNew := false
	if o.Forward != nil {
		if restored {
			return
		}
		if id, ok := s.live[o.Forward.Request]; ok {
			e = s.byID(id)
		}
		if e == nil {
			return
		}
		f := *o.Forward
		e.forward = &f
	} else {
		if len(s.live) > 0 && !restored {
			if id, ok := s.live[o.Request.Seq]; ok {
				e = s.byID(id)
			}
		}
		if e != nil && e.spilled && len(o.Request.Body) == e.spill.n {
			e.req.Body = o.Request.Body // a later part: its events point into it
		}
		if e == nil {
			s.nextID++
			e = s.push()
			*e = entry{id: s.nextID, restored: restored, req: o.Request, header: packHeader(o.Request.Header)}
			e.req.Header = nil
			if !restored && (s.forwarding || o.Problem != nil && o.Problem.Accepted) {
				s.live[o.Request.Seq] = e.id
			}
			isNew = true
		}
		switch {
		case o.Problem != nil:
			p := *o.Problem
			p.Request = render.Request{} // e.req has it (and its header packed)
			e.problem = &p
		case o.Handshake != nil:
			e.shake = true
		default:
			e.keepEvents(o.Events)
			if !isNew && !s.forwarding {
				delete(s.live, o.Request.Seq) // its last part
			}
		}
		if !o.Handled.IsZero() {
			e.handled = o.Handled
		}
		// What the entry holds besides its body counts too: a 3 MB history
		// body brings thousands of events whose fields are kept beside it.
		s.bytes -= e.size
		e.size = e.weight()
		s.bytes += e.size
	}
	had := len(e.rowNo)
	if isNew {
		had = 0
	}
	s.number(e)
	id := e.id
	s.evict()
	if e = s.byID(id); e != nil {
		s.publish(e, had)
		s.spill(e)
	}
}

// spill moves e's body to the spool, once the streams had their look at it
// in memory, if it is large or the bodies in memory already come to
// heapMax. A body the spool cannot take stays in memory. Called with
// s.mu held.
func (s *store) spill(e *entry) {
	n := len(e.req.Body)
	switch {
	case e.spilled:
		e.req.Body = nil
	case e.inHeap || n == 0:
	case (n >= spillBytes || s.heapBodies+int64(n) > s.heapMax) && s.spool.fits(n):
		if ref, ok := s.spool.write(e.req.Body); ok {
			e.spilled, e.spill, e.req.Body = true, ref, nil
			return
		}
		fallthrough
	default:
		e.inHeap = true
		s.heapBodies += int64(n)
	}
}

// load gives a copy of an entry its body back from the spool. It runs
// without the store's lock: reading megabytes must not hold up requests
// arriving.
func (s *store) load(c *entry) error {
	if !c.spilled {
		return nil
	}
	b, err := s.spool.read(c.spill)
	if err != nil {
		return err
	}
	c.req.Body = b
	return nil
}

// bodyOf is e's body, read back from the spool when spilled (nil when it
// cannot be). Called with s.mu held.
func (s *store) bodyOf(e *entry) []byte {
	if e.req.Body != nil || !e.spilled {
		return e.req.Body
	}
	b, _ := s.spool.read(e.spill)
	return b
}

// number gives e's rows their numbers. A request keeps its numbers when a
// later part changes it, so the page can update its rows in place; rows it
// gains (the events after an --accept-invalid problem) get new ones.
// Called with s.mu held.
func (s *store) number(e *entry) {
	n := max(1, len(e.evs))
	for len(e.rowNo) < n {
		s.nextRow++
		e.rowNo = append(e.rowNo, s.nextRow)
	}
	e.rowNo = e.rowNo[:n]
}

// newestRow is the number of e's newest row.
func (e *entry) newestRow() uint64 { return e.rowNo[len(e.rowNo)-1] }

// evict forgets the oldest requests beyond the bounds. Called with s.mu held.
func (s *store) evict() {
	for s.n > s.maxReqs || (s.bytes > s.maxBytes && s.n > 1) {
		e := s.at(0)
		s.bytes -= e.size
		if e.inHeap {
			s.heapBodies -= int64(len(e.req.Body))
		}
		if len(s.live) > 0 {
			if id, ok := s.live[e.req.Seq]; ok && id == e.id {
				delete(s.live, e.req.Seq)
			}
		}
		*e = entry{} // the body may go
		s.start = (s.start + 1) % len(s.ring)
		s.n--
		s.evicted++
	}
}

// rowsOf builds e's rows. Called with s.mu held.
func (s *store) rowsOf(e *entry) []Row {
	rows := make([]Row, len(e.rowNo))
	for j := range rows {
		rows[j] = s.row(e, j)
	}
	return rows
}

// row builds row j of e. Called with s.mu held.
func (s *store) row(e *entry, j int) Row {
	s.built.Add(1)
	r := Row{Row: e.rowNo[j], Request: e.id, Seq: e.req.Seq, Time: e.req.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Sig: string(e.req.Signature), Status: e.req.Status, Restore: e.restored}
	if f := e.forward; f != nil {
		r.FwdOK = f.OK()
		switch {
		case f.Err != "":
			r.Forward = "→ app: " + s.mask(termsafe.Line(f.Err))
		default:
			r.Forward = fmt.Sprintf("→ app %d", f.Status)
		}
	}
	i := e.eventOfRow(j)
	if i < 0 {
		r.Kind, r.Type, r.Summary = requestRow(e)
		switch {
		case e.problem == nil:
		case e.problem.Accepted:
			r.Summary = s.mask(r.Summary)
			r.Marks = []string{"ACCEPTED"}
		default:
			r.Summary = s.mask(r.Summary)
			r.Marks = []string{"FAILED"}
		}
		return r
	}
	ev := e.event(i)
	r.Event = i
	r.Field, r.Kind, r.Type = ev.Field, kindLabel(ev.Kind), ev.Type
	r.Who = termsafe.Line(render.Counterpart(ev))
	r.Summary = termsafe.Line(ev.Summary)
	r.ID = render.ShortID(ev.ID)
	r.Marks = e.evs[i].marks()
	if e.problem != nil && e.problem.Accepted {
		r.Marks = append(r.Marks, "BAD SIGNATURE")
	}
	return r
}

// requestRow is the kind, type and summary of the row of a request without
// events.
func requestRow(e *entry) (kind, typ, summary string) {
	switch {
	case e.problem != nil:
		return "error", e.problem.Kind, termsafe.Line(e.problem.Message)
	case e.shake:
		return "request", "handshake", "GET " + e.req.Path + " verification handshake answered " + fmt.Sprint(e.req.Status)
	}
	return "request", "empty", fmt.Sprintf("%s %s answered %d: an envelope with no events", e.req.Method, e.req.Path, e.req.Status)
}

// kindLabel is serve's kind column (message, echo, history, standby,
// status, error, unknown, else "event").
func kindLabel(k string) string { return render.KindLabel(k) }

// Filter narrows the list; every part that is set must match.
type Filter struct {
	Field string // glob, as serve's --field
	Type  string // kind or type glob, as serve's --type
	Kind  string // message, status, event, error, request
	User  string // part of a phone number, BSUID, name or username
	Sig   string // valid, invalid, missing, unchecked
	Text  string // free text anywhere in the row or the event's JSON
}

// FilterFrom reads a filter from query parameters (the page keeps them in
// its URL, so a filtered view can be shared).
func FilterFrom(q map[string][]string) Filter {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	return Filter{Field: get("field"), Type: get("type"), Kind: get("kind"), User: get("user"), Sig: get("sig"), Text: get("q")}
}

// matcher is a filter made ready to match many rows.
type matcher struct {
	f          Filter
	all        bool // no filter: every row matches
	rf         receiver.Filter
	user, text string // lower case
	// The spilled body last read back, and its entry's id: an entry has a
	// row per event, and its body is read once for all of them.
	bodyID uint64
	body   []byte
}

func (f Filter) matcher() *matcher {
	m := &matcher{f: f, all: f == Filter{}, user: strings.ToLower(f.User), text: strings.ToLower(f.Text)}
	if f.Field != "" {
		m.rf.Fields = strings.Split(f.Field, ",")
	}
	if f.Type != "" {
		m.rf.Types = strings.Split(f.Type, ",")
	}
	return m
}

// match tells whether row j of e matches. Called with s.mu held.
func (m *matcher) match(s *store, e *entry, j int) bool {
	if m.all {
		return true
	}
	f := m.f
	if f.Sig != "" && string(e.req.Signature) != f.Sig {
		return false
	}
	i := e.eventOfRow(j)
	var ev webhook.Event
	kind := "request"
	if i >= 0 {
		ev = e.event(i)
		kind = kindLabel(ev.Kind)
	} else if e.problem != nil {
		kind = "error"
	}
	if f.Kind != "" && kind != f.Kind {
		return false
	}
	if f.Field != "" || f.Type != "" {
		if i < 0 || !m.rf.Match(ev) {
			return false
		}
	}
	if f.User != "" {
		if i < 0 || !containsFold(ev.From, m.user) && !containsFold(ev.Recipient, m.user) && !containsFold(ev.UserID, m.user) &&
			!containsFold(ev.ContactName, m.user) && !containsFold(ev.Username, m.user) {
			return false
		}
	}
	if f.Text != "" && !containsFold(s.searchText(e, j, m), m.text) {
		return false
	}
	return true
}

// searchText is what the free-text filter searches: the row and the
// event's JSON. It is worked out when a search asks for it rather than
// kept for every row: searching is rare, arriving events are not.
func (s *store) searchText(e *entry, j int, m *matcher) string {
	r := s.row(e, j)
	parts := []string{r.Field, r.Kind, r.Type, r.Who, r.Summary}
	if i := e.eventOfRow(j); i >= 0 {
		body := e.req.Body
		if body == nil && e.spilled {
			if m.bodyID != e.id || m.body == nil {
				m.bodyID, m.body = e.id, s.bodyOf(e)
			}
			body = m.body
		}
		parts = append(parts, "", e.field(i, fID), e.field(i, fFrom), e.field(i, fRecipient), e.field(i, fUserID),
			e.field(i, fUsername), e.field(i, fContactName), string(e.rawIn(body, i)))
	} else {
		parts = append(parts, e.req.Path)
	}
	return strings.Join(parts, "\x00")
}

func containsFold(s, lowerSub string) bool {
	return s != "" && strings.Contains(strings.ToLower(s), lowerSub)
}

// Page is a slice of the filtered list, newest first.
type Page struct {
	Rows    []Row `json:"rows"`
	More    bool  `json:"more"`    // older matching rows exist
	Matched int   `json:"matched"` // rows matching the filter in the history
	// Newest is the newest row number of the whole history when the page
	// was made: a live stream opened with after=Newest starts where the
	// page ends, so nothing arriving in between is missed.
	Newest uint64 `json:"newest"`
	Stats
}

// Stats say how much history is kept.
type Stats struct {
	Requests    int    `json:"requests"`
	MaxRequests int    `json:"max_requests"`
	Bytes       int64  `json:"bytes"`
	MaxBytes    int64  `json:"max_bytes"`
	Evicted     int    `json:"evicted"`
	Dropped     uint64 `json:"dropped"`
}

func (s *store) statsLocked() Stats {
	return Stats{Requests: s.n, MaxRequests: s.maxReqs, Bytes: s.bytes, MaxBytes: s.maxBytes, Evicted: s.evicted}
}

// page returns up to limit rows matching f with row numbers below before
// (0: from the newest).
func (s *store) page(f Filter, before uint64, limit int) Page {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	m := f.matcher()
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := Page{Rows: []Row{}, Stats: s.statsLocked(), Newest: s.nextRow}
	for i := s.n - 1; i >= 0; i-- {
		e := s.at(i)
		// Without a filter every row matches: rows outside the page are
		// counted, not built.
		if m.all && (len(p.Rows) >= limit || (before != 0 && e.rowNo[0] >= before)) {
			p.Matched += len(e.rowNo)
			p.More = p.More || len(p.Rows) >= limit
			continue
		}
		for j := len(e.rowNo) - 1; j >= 0; j-- {
			if !m.match(s, e, j) {
				continue
			}
			p.Matched++
			if before != 0 && e.rowNo[j] >= before {
				continue
			}
			if len(p.Rows) < limit {
				p.Rows = append(p.Rows, s.row(e, j))
			} else {
				p.More = true
			}
		}
	}
	return p
}

// count is how many rows of the history match f.
func (s *store) count(f Filter) int {
	m := f.matcher()
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for i := range s.n {
		e := s.at(i)
		if m.all {
			n += len(e.rowNo) // every row matches: no need to look at them
			continue
		}
		for j := range e.rowNo {
			if m.match(s, e, j) {
				n++
			}
		}
	}
	return n
}

// since returns the rows matching f newer than row after, oldest first, and
// false when there are more than limit of them.
func (s *store) since(f Filter, after uint64, limit int) ([]Row, bool) {
	m := f.matcher()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Row
	for i := s.n - 1; i >= 0; i-- {
		e := s.at(i)
		if e.newestRow() <= after {
			break
		}
		for j := len(e.rowNo) - 1; j >= 0; j-- {
			if e.rowNo[j] > after && m.match(s, e, j) {
				if len(out) == limit {
					return nil, false
				}
				out = append(out, s.row(e, j))
			}
		}
	}
	slices.Reverse(out)
	return out, true
}

// snapshot copies what a detail or an action needs, under the lock, and
// reads a spilled body back after it. found is false when the request is
// not kept; err says why a kept one's body could not be read back.
func (s *store) snapshot(id uint64) (c entry, found bool, err error) {
	s.mu.RLock()
	e := s.byID(id)
	if e != nil {
		c = e.copy()
	}
	s.mu.RUnlock()
	if e == nil {
		return entry{}, false, nil
	}
	return c, true, s.load(&c)
}

// copy is e for a detail or an action, its header unpacked. What it shares
// with e is never changed in place (a later part replaces it).
func (e *entry) copy() entry {
	c := *e
	c.req.Header = unpackHeader(e.header)
	return c
}

// packHeader packs h into one string: a uvarint length before each name
// and each value.
func packHeader(h http.Header) string {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 2*binary.MaxVarintLen32
		}
	}
	var b strings.Builder // one allocation: the string itself
	b.Grow(n)
	var l [binary.MaxVarintLen64]byte
	for k, vs := range h {
		for _, v := range vs {
			b.Write(binary.AppendUvarint(l[:0], uint64(len(k))))
			b.WriteString(k)
			b.Write(binary.AppendUvarint(l[:0], uint64(len(v))))
			b.WriteString(v)
		}
	}
	return b.String()
}

func unpackHeader(p string) http.Header {
	h := http.Header{}
	next := func() (string, bool) {
		n, w := binary.Uvarint([]byte(p[:min(len(p), binary.MaxVarintLen64)]))
		if w <= 0 || uint64(len(p)-w) < n {
			return "", false
		}
		v := p[w : w+int(n)]
		p = p[w+int(n):]
		return v, true
	}
	for len(p) > 0 {
		k, ok := next()
		v, ok2 := next()
		if !ok || !ok2 {
			break
		}
		h[k] = append(h[k], v)
	}
	return h
}

// entriesByID returns the requests with these ids, oldest first; one whose
// spilled body cannot be read back any more is left out.
func (s *store) entriesByID(ids []uint64) []entry {
	s.mu.RLock()
	var out []entry
	for _, id := range ids {
		if e := s.byID(id); e != nil {
			out = append(out, e.copy())
		}
	}
	s.mu.RUnlock()
	kept := out[:0]
	for _, c := range out {
		if s.load(&c) == nil {
			kept = append(kept, c)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].id < kept[j].id })
	return kept
}

// subscriber is one open live stream. What is new gathers until the stream
// writes its next burst, which takes it whole: a burst of events costs one
// wake-up, not one per event. Only the newest floodRows rows are kept, the
// older ones counted: however many requests a second serve takes, a page
// following gets at most floodRows rows a burst (the rest stay in the
// history, and come with the pages the list fetches when scrolled to).
//
// A subscriber keeps request ids and row numbers, not rows: rows are built
// when the stream writes, as they are then, and only for the newest, so a
// flood builds none for the requests nobody sees. Its fields are guarded
// by the store's lock.
type subscriber struct {
	m       *matcher
	notify  chan struct{} // a token: rows are waiting
	reqs    []uint64      // with no filter: the newest new requests, oldest first
	rows    []rowRef      // the newest new rows (with a filter, or rows a request gained), oldest first
	skipped int           // older new rows left out
	upd     []rowRef      // changed rows the page may show
}

// rowRef names a row: the request's id and the row's number.
type rowRef struct{ id, row uint64 }

func (s *store) subscribe(f Filter) *subscriber {
	sub := &subscriber{m: f.matcher(), notify: make(chan struct{}, 1)}
	s.mu.Lock()
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	return sub
}

func (s *store) unsubscribe(sub *subscriber) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
}

// rowAt builds the row ref names, if its request is still kept. Called
// with s.mu held.
func (s *store) rowAt(ref rowRef) (Row, bool) {
	e := s.byID(ref.id)
	if e == nil {
		return Row{}, false
	}
	j := slices.Index(e.rowNo, ref.row)
	if j < 0 {
		return Row{}, false
	}
	return s.row(e, j), true
}

// take returns the rows and updates waiting for sub, oldest first, and how
// many rows older than them were left out.
func (s *store) take(sub *subscriber) (rows, updates []Row, skipped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	skipped = sub.skipped
	for _, id := range sub.reqs {
		if e := s.byID(id); e != nil {
			rows = append(rows, s.rowsOf(e)...) // as they are now, forward result and all
		} else {
			skipped++ // gone from the history already (a flood of large bodies)
		}
	}
	for _, ref := range sub.rows {
		if r, ok := s.rowAt(ref); ok {
			rows = append(rows, r)
		} else {
			skipped++
		}
	}
	if len(sub.reqs) > 0 && len(sub.rows) > 0 { // rows an older request gained
		slices.SortFunc(rows, func(a, b Row) int { return cmp.Compare(a.Row, b.Row) })
	}
	for _, ref := range sub.upd {
		if r, ok := s.rowAt(ref); ok {
			updates = append(updates, r)
		}
	}
	if n := len(rows) - floodRows; n > 0 {
		rows, skipped = rows[n:], skipped+n
	}
	if n := len(updates) - floodRows; n > 0 {
		updates = updates[n:] // the page re-reads a request it shows anyway
	}
	sub.reqs, sub.rows, sub.upd, sub.skipped = nil, nil, nil, 0
	return rows, updates, skipped
}

// keepNewest appends v to list and, past twice floodRows, drops the older
// half (so a flood costs a copy every floodRows values, not one per value);
// it returns how many rows it dropped (size tells a value's rows).
func keepNewest[T any](list *[]T, v T, size func(T) int) int {
	l := append(*list, v)
	dropped := 0
	if len(l) >= 2*floodRows {
		n := len(l) - floodRows
		for _, d := range l[:n] {
			dropped += size(d)
		}
		copy(l, l[n:])
		clear(l[floodRows:])
		l = l[:floodRows]
	}
	*list = l
	return dropped
}

func oneRow(rowRef) int { return 1 }

// publish hands e's rows to the streams they are for: its first had rows
// were sent before (they are updates), the others are new. Called with s.mu
// held.
func (s *store) publish(e *entry, had int) {
	rowsOfID := func(id uint64) int {
		if e := s.byID(id); e != nil {
			return len(e.rowNo)
		}
		return 1
	}
	for sub := range s.subs {
		n := 0
		switch {
		case sub.m.all && had == 0:
			n = len(e.rowNo)
			sub.skipped += keepNewest(&sub.reqs, e.id, rowsOfID)
		case sub.m.all && slices.Contains(sub.reqs, e.id):
			// Waiting: built as it is when taken.
		default:
			for j := range e.rowNo {
				if !sub.m.match(s, e, j) {
					continue
				}
				n++
				ref := rowRef{e.id, e.rowNo[j]}
				switch {
				case j >= had:
					sub.skipped += keepNewest(&sub.rows, ref, oneRow)
				case slices.Contains(sub.rows, ref), slices.Contains(sub.upd, ref):
					// Not sent yet, or already to be sent again: built as it
					// is when taken, so one changed twice is sent once.
				default:
					keepNewest(&sub.upd, ref, oneRow)
				}
			}
		}
		if n > 0 {
			select {
			case sub.notify <- struct{}{}:
			default: // already told
			}
		}
	}
}

// maskHeaders lists headers sorted by name, secrets masked, for the page.
func (s *store) maskHeaders(h http.Header) [][2]string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out [][2]string
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, [2]string{k, s.mask(v)})
		}
	}
	return out
}

// millis is a duration in milliseconds with microseconds, for the page.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
