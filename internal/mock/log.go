package mock

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// Delivery is the app's answer to one webhook (after its retries).
type Delivery struct {
	Seq       uint64  `json:"seq"`
	Status    int     `json:"status"`
	LatencyMS float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"`
	Attempts  int     `json:"attempts"`
	BodyBytes int     `json:"body_bytes"`
}

// Entry is one line of the log: a Graph call the app made or a webhook
// the mock posted.
type Entry struct {
	Seq       uint64          `json:"seq"`
	Time      time.Time       `json:"time"`
	Kind      string          `json:"kind"` // graph | webhook
	Method    string          `json:"method"`
	Path      string          `json:"path"`
	Status    int             `json:"status"`
	LatencyMS float64         `json:"latency_ms"`
	User      string          `json:"user,omitempty"`
	Summary   string          `json:"summary"`
	Request   json.RawMessage `json:"request,omitempty"`
	Response  json.RawMessage `json:"response,omitempty"`
	ErrorCode int             `json:"error_code,omitempty"`
	Field     string          `json:"webhook_field,omitempty"`
	Statuses  []string        `json:"statuses,omitempty"`
	Messages  []string        `json:"messages,omitempty"` // inbound message types of a webhook
	Delivery  *Delivery       `json:"delivery,omitempty"`
	// Signature is how a webhook was signed: valid, forged or missing
	// (the last two only through POST /_mock/webhooks).
	Signature string `json:"signature,omitempty"`
	// Coalesced counts the updates of a webhook that carried what had
	// waited for a late app (0: not coalesced); Statuses and Messages list them.
	Coalesced int `json:"coalesced,omitempty"`
	// Attempt and Duplicate mark a retry or a duplicate post of a webhook.
	Attempt   int  `json:"attempt,omitempty"`
	Duplicate bool `json:"duplicate,omitempty"`

	// known is what the mock parsed or built for this entry, handed to
	// OnEntry so that the terminal and the inspector need not parse again
	// what the mock made. Not part of the JSON; the log's ring does not
	// keep it (only the entries on their way to OnEntry carry it).
	known *known
}

// known is an entry's companion data (see Entry.known).
type known struct {
	send      *graph.Send  // a POST /messages the mock parsed
	wamid     string       // the id it answered that send with
	signature string       // the X-Hub-Signature-256 a webhook was posted with
	written   *writtenBody // a webhook's body as the mock wrote it (nil: parse it)

	body   []byte // the webhook's body, parsed at most once for every reader
	once   sync.Once
	events []webhook.Event
	ok     bool
}

// Detached is the entry without what the mock handed along with it (its
// parse of a send, the body it wrote and the events of it): for a reader
// that keeps entries a long while before it reads them, for whom the
// memory is worth more than not parsing them again.
func (e Entry) Detached() Entry {
	e.known = nil
	return e
}

// ParsedSend is the POST /messages request as the mock parsed and
// accepted it (nil when it refused it or for any other entry).
func (e *Entry) ParsedSend() *graph.Send {
	if e.known == nil {
		return nil
	}
	return e.known.send
}

// AnsweredID is the wamid the mock answered an accepted send with ("" else).
func (e *Entry) AnsweredID() string {
	if e.known == nil {
		return ""
	}
	return e.known.wamid
}

// PostedSignature is the X-Hub-Signature-256 value a webhook was posted
// with ("": not known, or posted unsigned).
func (e *Entry) PostedSignature() string {
	if e.known == nil {
		return ""
	}
	return e.known.signature
}

// WebhookEvents are the events of a webhook entry's body (what OnEntry
// was handed with it). An entry on its way to OnEntry has its body parsed
// once for every reader, whichever goroutine asks first; another (one
// read back from the log's API) has body parsed now. ok is false when the
// body is not a webhook the parser reads.
func (e *Entry) WebhookEvents(body []byte) (events []webhook.Event, ok bool) {
	if e.Kind != "webhook" {
		return nil, false
	}
	k := e.known
	if k == nil || k.body == nil {
		if n, err := webhook.Parse(body); err == nil {
			return n.Events(), true
		}
		return nil, false
	}
	k.once.Do(func() {
		if k.written != nil {
			k.events, k.ok = k.written.events(k.body), true
			return
		}
		// The body is never modified once logged (eventLog.add), so the
		// events may point into it.
		if n, err := webhook.ParseShared(k.body); err == nil {
			k.events, k.ok = n.Events(), true
		}
	})
	return k.events, k.ok
}

// maxLogged bounds the request or response JSON kept in one entry.
const maxLogged = 16 << 10

func logJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if len(b) > maxLogged || !json.Valid(b) {
		out, _ := json.Marshal(map[string]any{"omitted": "not JSON or larger than 16 KiB", "bytes": len(b)})
		return out
	}
	return append(json.RawMessage(nil), b...)
}

// logOwn is logJSON for JSON the mock wrote itself (valid by
// construction, so only its size is checked).
func logOwn(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if len(b) > maxLogged {
		return logJSON(b)
	}
	return append(json.RawMessage(nil), b...)
}

// logShared is logOwn without the copy, for bytes nobody changes once
// built (a webhook body the mock made, which the log and the transport
// read side by side).
func logShared(b []byte) json.RawMessage {
	if len(b) == 0 || len(b) > maxLogged {
		return logOwn(b)
	}
	return b[:len(b):len(b)] // whoever appends to the entry's copy gets a new array
}

// eventLog is a bounded ring of entries with long-polling readers.
type eventLog struct {
	mu      sync.Mutex
	entries []Entry
	start   int
	next    uint64 // seq of the next entry
	limit   int
	// wake is closed by the next add; made only once a reader waits for
	// it (nil: nobody waits), so adds nobody waits for make no channel.
	wake    chan struct{}
	onEntry func(Entry, []byte)
	// feed carries entries to onEntry on one goroutine, in log order, so
	// neither a Graph answer nor a webhook poster waits for the terminal
	// (and posters do not queue behind each other to print). It is
	// bounded: when onEntry falls that far behind, add waits for it.
	feed   chan logged
	fed    chan struct{} // closed when the feed is drained after close
	closed bool
}

type logged struct {
	e    Entry
	body []byte
	done chan struct{} // a barrier: closed when reached, no entry
}

// maxFeed bounds the entries waiting for onEntry.
const maxFeed = 4096

func newEventLog(limit int, onEntry func(Entry, []byte)) *eventLog {
	l := &eventLog{limit: limit, next: 1, onEntry: onEntry}
	if onEntry != nil {
		l.feed, l.fed = make(chan logged, maxFeed), make(chan struct{})
		go l.dispatch()
	}
	return l
}

func (l *eventLog) dispatch() {
	defer close(l.fed)
	for x := range l.feed {
		if x.done != nil {
			close(x.done)
			continue
		}
		l.onEntry(x.e, x.body)
	}
}

// barrier returns once onEntry has seen every entry added before it.
func (l *eventLog) barrier() {
	l.mu.Lock()
	if l.feed == nil || l.closed {
		l.mu.Unlock()
		return
	}
	done := make(chan struct{})
	l.feed <- logged{done: done}
	l.mu.Unlock()
	<-done
}

// feeding says entries go to onEntry (else what only onEntry reads,
// Entry.known, need not be made).
func (l *eventLog) feeding() bool { return l.feed != nil }

// waiting is how many entries wait for onEntry.
func (l *eventLog) waiting() int { return len(l.feed) }

// close hands the last entries to onEntry and waits until it has seen
// them; later entries are kept in the ring only.
func (l *eventLog) close() {
	l.mu.Lock()
	if l.closed || l.feed == nil {
		l.closed = true
		l.mu.Unlock()
		return
	}
	l.closed = true
	close(l.feed)
	l.mu.Unlock()
	<-l.fed
}

// add appends e (giving it its seq and time) and wakes waiting readers.
// body must not change afterwards: onEntry reads it later.
func (l *eventLog) add(e Entry, body []byte) uint64 {
	l.mu.Lock()
	e.Seq = l.next
	l.next++
	if e.Delivery != nil {
		d := *e.Delivery
		d.Seq = e.Seq
		e.Delivery = &d
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	kept := e
	kept.known = nil // the ring keeps the entry only
	if len(l.entries) < l.limit {
		l.entries = append(l.entries, kept)
	} else {
		l.entries[l.start] = kept
		l.start = (l.start + 1) % len(l.entries)
	}
	wake := l.wake
	l.wake = nil
	if l.feed != nil && !l.closed {
		if e.Kind == "webhook" {
			switch {
			case e.known == nil:
				e.known = &known{body: body}
			case e.known.body == nil:
				e.known.body = body // fresh from the poster: nobody reads it yet
			default:
				// A duplicate's entry is a copy of the first post's:
				// each entry its own parse.
				e.known = &known{body: body, signature: e.known.signature, written: e.known.written}
			}
		}
		// Sent under mu, so the feed has the log's order.
		l.feed <- logged{e: e, body: body}
	}
	l.mu.Unlock()
	if wake != nil {
		close(wake)
	}
	return e.Seq
}

// since returns the entries after seq and the seq to ask for next time;
// with wait it blocks until one exists or wait ends.
func (l *eventLog) since(seq uint64, wait time.Duration, done <-chan struct{}) ([]Entry, uint64) {
	deadline := time.Now().Add(wait)
	for {
		l.mu.Lock()
		out := l.after(seq)
		next := l.next
		left := time.Until(deadline)
		if len(out) > 0 || wait <= 0 || left <= 0 {
			l.mu.Unlock()
			return out, next
		}
		if l.wake == nil {
			l.wake = make(chan struct{})
		}
		wake := l.wake
		l.mu.Unlock()
		t := time.NewTimer(left)
		select {
		case <-wake:
		case <-t.C:
		case <-done:
		}
		t.Stop()
		if done != nil {
			select {
			case <-done:
				return nil, next
			default:
			}
		}
	}
}

func (l *eventLog) after(seq uint64) []Entry {
	var out []Entry
	for i := range l.entries {
		e := l.entries[(l.start+i)%len(l.entries)]
		if e.Seq > seq {
			out = append(out, e)
		}
	}
	return out
}

func (l *eventLog) reset() {
	l.mu.Lock()
	l.entries, l.start = nil, 0
	l.mu.Unlock()
}
