package inspector

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/receiver"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// Default bounds of the history: enough for a long debugging session (and
// the 10,000 requests the benchmark loads), small enough for a laptop.
const (
	DefaultMaxRequests = 10_000
	DefaultMaxBytes    = 64 << 20
)

// entry is one request the inspector keeps.
type entry struct {
	id       uint64 // the inspector's own number: unique across restored and live requests
	restored bool   // read from --record at start
	req      render.Request
	events   []render.Event
	problem  *render.Problem
	shake    bool
	forward  *render.Forward
	handled  time.Time
	// rowNo are the numbers of the request's rows, given when it arrives;
	// rows themselves are built when a page or a stream first needs them
	// (and again after a change), so with no page open a request costs
	// serve little more than keeping its values.
	rowNo []uint64
	rows  []Row
	size  int64
	// header is req.Header packed into one string while the request is
	// kept (req.Header is nil then): thousands of header maps are most of
	// the pointers the garbage collector would walk in the history, on
	// serve's time. snapshot unpacks it.
	header string
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

	path string // the request path, for the free-text filter of request rows
	ev   *render.Event
}

// store is the bounded history. Observations arrive on one goroutine (the
// receiver's observer); pages read it concurrently.
type store struct {
	mu       sync.RWMutex
	entries  []*entry // oldest first
	byID     map[uint64]*entry
	live     map[uint64]*entry // by serve's seq, for the later parts of a request
	nextID   uint64
	nextRow  uint64
	bytes    int64
	evicted  int
	maxReqs  int
	maxBytes int64
	secrets  []string
	redact   bool
	subs     map[*subscriber]struct{}
}

func newStore(maxReqs int, maxBytes int64, redact bool, secrets ...string) *store {
	if maxReqs <= 0 {
		maxReqs = DefaultMaxRequests
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &store{byID: map[uint64]*entry{}, live: map[uint64]*entry{}, maxReqs: maxReqs, maxBytes: maxBytes,
		redact: redact, secrets: secrets, subs: map[*subscriber]struct{}{}}
}

// mask hides the App Secret and verify token in text from outside (an
// app's answer that echoes them) before it reaches the page.
func (s *store) mask(v string) string { return termsafe.Mask(v, s.secrets...) }

// add takes one observation: a new request, or a later part of one.
func (s *store) add(o receiver.Observation, restored bool) {
	s.mu.Lock()
	var changed *entry
	isNew := false
	if o.Forward != nil {
		if e := s.live[o.Forward.Request]; e != nil && !restored {
			f := *o.Forward
			e.forward = &f
			changed = e
		}
	} else {
		e := s.live[o.Request.Seq]
		if restored || e == nil || e.req.Seq != o.Request.Seq {
			s.nextID++
			e = &entry{id: s.nextID, restored: restored, req: o.Request, header: packHeader(o.Request.Header)}
			e.req.Header = nil
			s.entries = append(s.entries, e)
			s.byID[e.id] = e
			if !restored {
				s.live[o.Request.Seq] = e
			}
			e.size = int64(len(o.Request.Body)) + 1024
			s.bytes += e.size
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
			e.events = o.Events
		}
		if !o.Handled.IsZero() {
			e.handled = o.Handled
		}
		changed = e
	}
	if changed == nil {
		s.mu.Unlock()
		return
	}
	had := len(changed.rowNo)
	if isNew {
		had = 0
	}
	s.number(changed)
	changed.rows = nil // built again when asked for
	s.evict()
	s.publish(changed, had)
	s.mu.Unlock()
}

// number gives e's rows their numbers. A request keeps its numbers when a
// later part changes it, so the page can update its rows in place; rows it
// gains (the events after an --accept-invalid problem) get new ones.
// Called with s.mu held.
func (s *store) number(e *entry) {
	n := max(1, len(e.events))
	for len(e.rowNo) < n {
		s.nextRow++
		e.rowNo = append(e.rowNo, s.nextRow)
	}
	e.rowNo = e.rowNo[:n]
}

// rowsOf returns e's rows, building them when they are not built. Called
// with s.mu held for writing.
func (s *store) rowsOf(e *entry) []Row {
	if e.rows == nil {
		s.buildRows(e)
	}
	return e.rows
}

// newestRow is the number of e's newest row.
func (e *entry) newestRow() uint64 { return e.rowNo[len(e.rowNo)-1] }

// evict forgets the oldest requests beyond the bounds. Called with s.mu held.
func (s *store) evict() {
	n := 0
	for len(s.entries)-n > s.maxReqs || (s.bytes > s.maxBytes && len(s.entries)-n > 1) {
		e := s.entries[n]
		s.bytes -= e.size
		delete(s.byID, e.id)
		if s.live[e.req.Seq] == e {
			delete(s.live, e.req.Seq)
		}
		n++
	}
	if n > 0 {
		s.evicted += n
		clear(s.entries[:n])
		s.entries = s.entries[n:]
	}
}

// buildRows works out the list rows of e. Called with s.mu held.
func (s *store) buildRows(e *entry) {
	base := Row{Request: e.id, Seq: e.req.Seq, Time: e.req.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Sig: string(e.req.Signature), Status: e.req.Status, Restore: e.restored}
	if f := e.forward; f != nil {
		base.FwdOK = f.OK()
		switch {
		case f.Err != "":
			base.Forward = "→ app: " + s.mask(termsafe.Line(f.Err))
		default:
			base.Forward = fmt.Sprintf("→ app %d", f.Status)
		}
	}
	var rows []Row
	if len(e.events) == 0 {
		r := base
		r.Kind, r.Field = "request", ""
		switch {
		case e.problem != nil:
			r.Kind, r.Type = "error", e.problem.Kind
			r.Summary = s.mask(termsafe.Line(e.problem.Message))
			r.Marks = []string{"FAILED"}
			if e.problem.Accepted {
				r.Marks = []string{"ACCEPTED"}
			}
		case e.shake:
			r.Type = "handshake"
			r.Summary = "GET " + e.req.Path + " verification handshake answered " + fmt.Sprint(e.req.Status)
		default:
			r.Type = "empty"
			r.Summary = fmt.Sprintf("%s %s answered %d: an envelope with no events", e.req.Method, e.req.Path, e.req.Status)
		}
		r.path = e.req.Path
		rows = append(rows, r)
	}
	for i := range e.events {
		ev := &e.events[i]
		r := base
		r.Event = i
		r.ev = ev
		r.Field, r.Kind, r.Type = ev.Field, kindLabel(ev.Kind), ev.Type
		r.Who = termsafe.Line(render.Counterpart(ev.Event))
		r.Summary = termsafe.Line(ev.Summary)
		r.ID = render.ShortID(ev.ID)
		r.Marks = marks(*ev)
		if e.problem != nil && e.problem.Accepted {
			r.Marks = append(r.Marks, "BAD SIGNATURE")
		}
		rows = append(rows, r)
	}
	for i := range rows {
		rows[i].Row = e.rowNo[i]
	}
	e.rows = rows
}

// kindLabel is serve's kind column (message, echo, history, standby,
// status, error, unknown, else "event").
func kindLabel(k string) string { return render.KindLabel(k) }

func marks(e render.Event) []string {
	var m []string
	if render.IsFailure(e) {
		m = append(m, "FAILED")
	}
	switch {
	case e.Retry:
		m = append(m, fmt.Sprintf("RETRY #%d", e.Copy))
	case e.Duplicate:
		m = append(m, "DUPLICATE")
	}
	if e.Stale {
		m = append(m, "STALE "+render.HumanAge(e.Age))
	}
	return m
}

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

func (f Filter) match(r *Row) bool {
	if f.Sig != "" && r.Sig != f.Sig {
		return false
	}
	if f.Kind != "" && r.Kind != f.Kind {
		return false
	}
	if f.Field != "" || f.Type != "" {
		if r.ev == nil {
			return false
		}
		rf := receiver.Filter{}
		if f.Field != "" {
			rf.Fields = strings.Split(f.Field, ",")
		}
		if f.Type != "" {
			rf.Types = strings.Split(f.Type, ",")
		}
		if !rf.Match(r.ev.Event) {
			return false
		}
	}
	if f.User != "" {
		if r.ev == nil {
			return false
		}
		u := strings.ToLower(f.User)
		e := r.ev
		if !containsFold(e.From, u) && !containsFold(e.Recipient, u) && !containsFold(e.UserID, u) &&
			!containsFold(e.ContactName, u) && !containsFold(e.Username, u) {
			return false
		}
	}
	if f.Text != "" && !containsFold(r.text(), strings.ToLower(f.Text)) {
		return false
	}
	return true
}

// text is what the free-text filter searches: the row and the event's JSON.
// It is worked out when a search asks for it rather than kept for every row:
// searching is rare, arriving events are not.
func (r *Row) text() string {
	parts := []string{r.Field, r.Kind, r.Type, r.Who, r.Summary, r.path}
	if e := r.ev; e != nil {
		parts = append(parts, e.ID, e.From, e.Recipient, e.UserID, e.Username, e.ContactName, string(e.Raw))
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
	return Stats{Requests: len(s.entries), MaxRequests: s.maxReqs, Bytes: s.bytes, MaxBytes: s.maxBytes, Evicted: s.evicted}
}

// page returns up to limit rows matching f with row numbers below before
// (0: from the newest).
func (s *store) page(f Filter, before uint64, limit int) Page {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	s.mu.Lock() // rows are built on the first read
	defer s.mu.Unlock()
	p := Page{Rows: []Row{}, Stats: s.statsLocked(), Newest: s.nextRow}
	all := f == Filter{}
	for i := len(s.entries) - 1; i >= 0; i-- {
		e := s.entries[i]
		// Without a filter every row matches: rows outside the page are
		// counted, not built.
		if all && (len(p.Rows) >= limit || (before != 0 && e.rowNo[0] >= before)) {
			p.Matched += len(e.rowNo)
			p.More = p.More || len(p.Rows) >= limit
			continue
		}
		rows := s.rowsOf(e)
		for j := len(rows) - 1; j >= 0; j-- {
			r := &rows[j]
			if !f.match(r) {
				continue
			}
			p.Matched++
			if before != 0 && r.Row >= before {
				continue
			}
			if len(p.Rows) < limit {
				p.Rows = append(p.Rows, *r)
			} else {
				p.More = true
			}
		}
	}
	return p
}

// count is how many rows of the history match f.
func (s *store) count(f Filter) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.entries {
		if f == (Filter{}) {
			n += len(e.rowNo) // every row matches: no need to build them
			continue
		}
		rows := s.rowsOf(e)
		for i := range rows {
			if f.match(&rows[i]) {
				n++
			}
		}
	}
	return n
}

// since returns the rows matching f newer than row after, oldest first, and
// false when there are more than limit of them.
func (s *store) since(f Filter, after uint64, limit int) ([]Row, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Row
	for i := len(s.entries) - 1; i >= 0; i-- {
		if s.entries[i].newestRow() <= after {
			break
		}
		rows := s.rowsOf(s.entries[i])
		for j := len(rows) - 1; j >= 0; j-- {
			if r := &rows[j]; r.Row > after && f.match(r) {
				if len(out) == limit {
					return nil, false
				}
				out = append(out, *r)
			}
		}
	}
	slices.Reverse(out)
	return out, true
}

// snapshot copies what a detail or an action needs, under the lock.
func (s *store) snapshot(id uint64) (entry, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.byID[id]
	if !ok {
		return entry{}, false
	}
	return e.copy(), true
}

// copy is e for a detail or an action, its header unpacked.
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
	b := make([]byte, 0, n)
	for k, vs := range h {
		for _, v := range vs {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		}
	}
	return string(b)
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

// entriesByID returns the requests with these ids, oldest first.
func (s *store) entriesByID(ids []uint64) []entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []entry
	for _, id := range ids {
		if e, ok := s.byID[id]; ok {
			out = append(out, e.copy())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// subscriber is one open live stream. Rows gather until the stream writes
// its next burst, which takes them whole: a burst of events costs one
// wake-up, not one per event. Only the newest floodRows rows are kept, the
// older ones counted: however many requests a second serve takes, a page
// following gets at most floodRows rows a burst (the rest stay in the
// history, and come with the pages the list fetches when scrolled to).
//
// A stream without a filter keeps the requests rather than their rows, and
// rows are built only for those still among the newest when it writes: in
// a flood most requests are never drawn, so serve does not build rows for
// them.
type subscriber struct {
	filter  Filter
	all     bool          // no filter: every row matches
	notify  chan struct{} // a token: rows are waiting
	mu      sync.Mutex
	reqs    []*entry // with all: the newest requests, oldest first
	rows    []Row    // with a filter: the newest matching rows, oldest first
	skipped int      // older new rows left out
	upd     []Row    // changed rows the page may show
}

func (s *store) subscribe(f Filter) *subscriber {
	sub := &subscriber{filter: f, all: f == Filter{}, notify: make(chan struct{}, 1)}
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

// take returns the rows and updates waiting for sub, oldest first, and how
// many rows older than them were left out.
func (s *store) take(sub *subscriber) (rows, updates []Row, skipped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub.mu.Lock()
	defer sub.mu.Unlock()
	rows, updates, skipped = sub.rows, sub.upd, sub.skipped
	for _, e := range sub.reqs {
		rows = append(rows, s.rowsOf(e)...) // as they are now, forward result and all
	}
	if len(sub.reqs) > 0 && len(sub.rows) > 0 { // rows an older request gained
		slices.SortFunc(rows, func(a, b Row) int { return cmp.Compare(a.Row, b.Row) })
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

func oneRow(Row) int           { return 1 }
func rowsOfEntry(e *entry) int { return len(e.rowNo) }

// publish hands e's rows to the streams they are for: its first had rows
// were sent before (they are updates), the others are new. Called with s.mu
// held.
func (s *store) publish(e *entry, had int) {
	for sub := range s.subs {
		sub.mu.Lock()
		n := 0
		if sub.all && had == 0 {
			n = len(e.rowNo)
			sub.skipped += keepNewest(&sub.reqs, e, rowsOfEntry)
		} else if !sub.all || !slices.Contains(sub.reqs, e) { // a request waiting is built as it is when taken
			rows := s.rowsOf(e)
			for i := range rows {
				if !sub.filter.match(&rows[i]) {
					continue
				}
				n++
				if i >= had {
					sub.skipped += keepNewest(&sub.rows, rows[i], oneRow)
					continue
				}
				// A row not sent yet is sent as it is now; one changed
				// twice is sent once.
				if j := slices.IndexFunc(sub.rows, func(r Row) bool { return r.Row == rows[i].Row }); j >= 0 {
					sub.rows[j] = rows[i]
				} else if j := slices.IndexFunc(sub.upd, func(r Row) bool { return r.Row == rows[i].Row }); j >= 0 {
					sub.upd[j] = rows[i]
				} else {
					keepNewest(&sub.upd, rows[i], oneRow)
				}
			}
		}
		sub.mu.Unlock()
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
