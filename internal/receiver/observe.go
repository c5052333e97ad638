package receiver

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// Observation is one finished piece of a request, handed to observers (the
// web inspector) after the request was answered: the same plain values the
// renderers get, so an observer never parses a body again.
//
// A request may be observed more than once: an --accept-invalid POST as its
// signature problem and then its events, and a forwarded one again with
// Forward set when the app has answered.
type Observation struct {
	// Request is the request as answered. Its Body is the exact bytes as
	// received, even with --redact (observers redact what they show).
	Request render.Request
	// Events are every event of the body, with the markers (retry,
	// duplicate, stale) set and not narrowed by --field/--type; redacted
	// with --redact.
	Events []render.Event
	// Problem is the request-level failure, with the signature diagnosis.
	Problem *render.Problem
	// Handshake is set for an accepted GET verification request.
	Handshake *render.Handshake
	// Forward is what the app behind --forward-to answered; Request then
	// holds only Seq, Forward.Request's request number.
	Forward *render.Forward
	// Handled is when the receiver was done with it (after the answer).
	Handled time.Time
}

// Observer takes observations. Observe runs on the observer's own
// goroutine, never on a request's, so a slow observer cannot delay answers.
type Observer interface {
	Observe(Observation)
}

// BatchObserver is an Observer that can take the observations waiting for
// it at once, in order (one lock for many, in a burst). The slice is reused
// afterwards: ObserveBatch must not keep it (the values in it it may).
type BatchObserver interface {
	Observer
	ObserveBatch([]Observation)
}

// Observing is an observer attached with Observe.
//
// Observations reach the observer's goroutine in batches: offer appends to
// a slice under a short lock and wakes the goroutine only when it sleeps,
// and the goroutine takes everything waiting in one swap. A busy serve pays
// an append per observation, not a channel hand-off and a goroutine wake-up
// each (and no buffer of thousands of observations sits in the heap for the
// garbage collector to scan while empty).
type Observing struct {
	mu      sync.Mutex
	pending []Observation
	spare   []Observation // the goroutine's last batch, emptied, for reuse
	busy    int           // observations of the batch being observed
	queue   int
	asleep  bool
	stopped bool
	wake    chan struct{}
	exited  chan struct{}
	dropped atomic.Uint64
}

// DefaultObserveQueue bounds how many observations may wait for a slow
// observer before new ones are dropped (and counted).
const DefaultObserveQueue = 4096

// Observe attaches o. Call it before the receiver serves requests. At most
// queue observations wait for o (DefaultObserveQueue when queue <= 0); past
// that, observations are dropped and counted, never waited for.
func (rc *Receiver) Observe(o Observer, queue int) *Observing {
	if queue <= 0 {
		queue = DefaultObserveQueue
	}
	ob := &Observing{queue: queue, wake: make(chan struct{}, 1), exited: make(chan struct{})}
	go ob.run(o)
	rc.observers = append(rc.observers, ob.offer)
	return ob
}

func (ob *Observing) run(o Observer) {
	defer close(ob.exited)
	for {
		ob.mu.Lock()
		batch, stopped := ob.pending, ob.stopped
		ob.pending, ob.spare = ob.spare[:0], nil
		ob.asleep = len(batch) == 0 && !stopped
		ob.busy = len(batch)
		ob.mu.Unlock()
		if len(batch) == 0 {
			if stopped {
				return
			}
			<-ob.wake
			continue
		}
		if bo, ok := o.(BatchObserver); ok {
			bo.ObserveBatch(batch)
		} else {
			for _, v := range batch {
				o.Observe(v)
			}
		}
		clear(batch) // the observer keeps what it needs; the bodies may go
		ob.mu.Lock()
		ob.busy = 0
		if ob.spare == nil && cap(batch) <= 256 { // a flood's large buffer goes
			ob.spare = batch
		}
		ob.mu.Unlock()
	}
}

func (ob *Observing) offer(v Observation) {
	ob.mu.Lock()
	if ob.stopped {
		ob.mu.Unlock()
		return
	}
	if len(ob.pending)+ob.busy > ob.queue { // as many wait as the queue holds, beside the one observed
		ob.mu.Unlock()
		ob.dropped.Add(1)
		return
	}
	ob.pending = append(ob.pending, v)
	wake := ob.asleep
	ob.asleep = false
	ob.mu.Unlock()
	if wake {
		ob.wake <- struct{}{} // buffered: the goroutine takes it when it next waits
	}
}

// Dropped is how many observations were dropped because the observer was
// behind.
func (ob *Observing) Dropped() uint64 { return ob.dropped.Load() }

// Stop hands what is queued to the observer, then detaches it.
func (ob *Observing) Stop() {
	ob.mu.Lock()
	wake := !ob.stopped && ob.asleep
	ob.stopped, ob.asleep = true, false
	ob.mu.Unlock()
	if wake {
		ob.wake <- struct{}{}
	}
	<-ob.exited
}

func (rc *Receiver) observe(v Observation) {
	if len(rc.observers) == 0 {
		return
	}
	v.Handled = time.Now()
	for _, f := range rc.observers {
		f(v)
	}
}

// EventsOf parses body as the receiver did when it answered it: the events
// of its Observation, without the markers, and redacted as with --redact
// when redact is set. An observer may keep the body alone and parse it
// again for the one request it shows in full.
func EventsOf(body []byte, redact bool) ([]webhook.Event, error) {
	note, err := webhook.ParseShared(body)
	if err != nil {
		return nil, err
	}
	evs := note.Events()
	if redact {
		_, evs = redactedEvents(body, evs)
	}
	return evs, nil
}

// redactedEvents is body and its events evs as --redact shows them.
// Parsing the redacted body gives events whose summaries, names and raw
// JSON are all masked consistently; when its events do not line up with
// evs, evs are masked field by field.
func redactedEvents(body []byte, evs []webhook.Event) ([]byte, []webhook.Event) {
	shown := RedactBody(body)
	if red, err := webhook.Parse(shown); err == nil {
		if re := red.Events(); len(re) == len(evs) {
			return shown, re
		}
	}
	return shown, redactEvents(evs)
}

func (rc *Receiver) observeEvents(req render.Request, all []render.Event) {
	rc.observe(Observation{Request: req, Events: all})
}

func (rc *Receiver) observeJob(j job) {
	switch {
	case j.forward != nil:
		rc.observe(Observation{Request: render.Request{Seq: j.forward.Request}, Forward: j.forward})
	case j.handshake != nil:
		rc.observe(Observation{Request: j.req, Handshake: j.handshake})
	case j.problem != nil:
		rc.observe(Observation{Request: j.req, Problem: j.problem})
	}
}

// Restore passes recorded requests through the stages a live request goes
// through after its answer (parsing, duplicate and retry detection,
// staleness, redaction) and hands each result to fn, without printing,
// counting, recording or forwarding: the inspector's history after a
// restart uses the same rules as what it sees live. Signature problems are
// not diagnosed again here (that costs dozens of HMACs per request); the
// inspector diagnoses the one request a user opens.
func (rc *Receiver) Restore(recs []recording.Record, fn func(Observation)) {
	opts := rc.opts
	opts.Sink, opts.Recorder, opts.Forwarder, opts.Filter = nopSink{}, nil, nil, Filter{}
	tmp := &Receiver{opts: opts, now: rc.now, dedup: newDedup(opts.DedupSize),
		stats:     render.Summary{ByStatus: map[int]int{}, ByField: map[string]int{}, ByType: map[string]int{}, Problems: map[string]int{}},
		observers: []func(Observation){fn}}
	for _, r := range recs {
		req := render.Request{Seq: r.Seq, Time: r.Time, Method: r.Method, Path: r.Path, Query: r.Query,
			Remote: r.Remote, Header: r.Header, Body: r.Body, Status: r.Status, Signature: render.Signature(r.Signature)}
		if req.Header == nil {
			req.Header = http.Header{}
		}
		ok := r.Status == http.StatusOK
		switch {
		case ok && r.Method == http.MethodGet:
			tmp.handle(job{req: req, handshake: &render.Handshake{Request: req}})
			continue
		case ok && r.Method == http.MethodPost && !r.Truncated:
			if note, err := webhook.ParseShared(r.Body); err == nil {
				if req.Signature == render.SigInvalid || req.Signature == render.SigMissing {
					tmp.handle(job{req: req, problem: &render.Problem{Request: req, Kind: render.ProblemSignature,
						Message: "signature " + string(req.Signature) + " (answered 200: --accept-invalid)", Accepted: true}})
				}
				tmp.handle(job{req: req, note: note})
				continue
			}
		}
		msg := r.Error
		if msg == "" {
			msg = "answered " + http.StatusText(r.Status)
		}
		tmp.handle(job{req: req, problem: &render.Problem{Request: req, Kind: problemKind(r), Message: msg}})
	}
}

// problemKind tells a recorded failure's kind from its answer.
func problemKind(r recording.Record) string {
	switch r.Status {
	case http.StatusUnauthorized:
		return render.ProblemSignature
	case http.StatusRequestEntityTooLarge:
		return render.ProblemTooLarge
	case http.StatusNotFound:
		return render.ProblemNotFound
	case http.StatusMethodNotAllowed:
		return render.ProblemMethod
	case http.StatusForbidden:
		return render.ProblemHandshake
	case http.StatusInternalServerError:
		return render.ProblemRecord
	}
	return render.ProblemJSON
}

type nopSink struct{}

func (nopSink) Received(render.Request, []render.Event) {}
func (nopSink) Problem(render.Problem)                  {}
func (nopSink) Handshake(render.Handshake)              {}
func (nopSink) Forwarded(render.Forward)                {}
func (nopSink) Summary(render.Summary)                  {}

// Companion runs beside serve and observes its requests: the web
// inspector. Serve starts it once the receiver exists, before the first
// request, and stops it after the receiver has closed.
type Companion interface {
	Start(ctx context.Context, env CompanionEnv) ([]BannerLine, error)
	Stop()
}

// CompanionEnv is what a companion may use. The secrets are for signing
// replays and masking; a companion must never show them.
type CompanionEnv struct {
	IO          *iostreams.IO
	Receiver    *Receiver
	Local       string // the callback URL serve listens on
	Path        string
	AppSecret   string
	VerifyToken string
	ForwardTo   string
	// ForwardHeader is --forward-header, added to replays to ForwardTo.
	ForwardHeader   http.Header
	ForwardInsecure bool
	Record          string // the --record file, "" without one
	Redact          bool
}

// BannerLine is a row a companion adds to serve's banner.
type BannerLine struct{ Label, Value string }

// startCompanions starts cfg's companions; stop stops those started.
func startCompanions(ctx context.Context, ios *iostreams.IO, cfg Config, rc *Receiver, local string) (stop func(), lines []BannerLine, err error) {
	var started []Companion
	stop = func() {
		for i := len(started) - 1; i >= 0; i-- {
			started[i].Stop()
		}
	}
	if len(cfg.Companions) == 0 {
		return stop, nil, nil
	}
	env := CompanionEnv{IO: ios, Receiver: rc, Local: local, Path: cfg.Path, AppSecret: cfg.AppSecret,
		VerifyToken: cfg.VerifyToken, ForwardTo: cfg.ForwardTo, ForwardInsecure: cfg.ForwardInsecure,
		Record: cfg.Record, Redact: cfg.Redact, ForwardHeader: http.Header{}}
	for _, h := range cfg.ForwardHeaders {
		if k, v, err := ParseHeader(h); err == nil {
			env.ForwardHeader.Add(k, v)
		}
	}
	for _, c := range cfg.Companions {
		l, err := c.Start(ctx, env)
		if err != nil {
			stop()
			return func() {}, nil, err
		}
		started = append(started, c)
		lines = append(lines, l...)
	}
	return stop, lines, nil
}
