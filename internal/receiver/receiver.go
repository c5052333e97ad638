// Package receiver is the http.Handler behind `wa-hooks serve` and its sinks.
//
// One request flows through short stages:
//
//	GET  ─► handshake.Answer ─► 200 challenge | 403
//	POST ─► raw body (size limit) ─► signature.Verify over the exact bytes
//	     ─► webhook.Parse ─► record (JSONL, before answering) ─► 200
//	     ─► queue ─► dedup ─► filter/redact ─► render sink      (after answering)
//	     ─► forward the same bytes and headers to the user's app (after answering)
//
// Only what decides the answer runs before it: reading, verifying, parsing
// (a bad body gets 400) and appending the recording line (so a crash never
// loses a request Meta was told we received). Deduplication and printing
// happen after the answer has been sent, forwarding on other goroutines.
//
// There is no output goroutine. A handler that has sent its answer queues
// its job and, unless another handler is already printing, prints everything
// queued; a handler that finds the printer busy leaves its job to it. Waking
// a dedicated goroutine for every request cost more CPU than the printing.
package receiver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/handshake"
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// DefaultMaxBody is Meta's documented 3 MB webhook limit plus slack.
const DefaultMaxBody = 4 << 20

// HealthPath always answers 200 to GET, for tunnels and uptime checks.
const HealthPath = "/healthz"

// Options configure a Receiver.
type Options struct {
	// Path is the callback path, e.g. "/webhook".
	Path string
	// AppSecret checks X-Hub-Signature-256; empty means signatures are not
	// checked and every event is marked "unchecked".
	AppSecret string
	// VerifyToken answers the GET handshake; must not be empty.
	VerifyToken string
	// MaxBody is the largest body accepted (413 above it).
	MaxBody int64
	// AcceptInvalid answers 200 to bad or missing signatures (still flagged).
	AcceptInvalid bool
	// StaleAfter marks events whose timestamp is older than this; 0 disables.
	StaleAfter time.Duration
	// Redact masks phone numbers, BSUIDs and message text in what is shown.
	Redact bool
	// Filter selects which events are shown (all are counted and recorded).
	Filter Filter
	// Recorder, when set, gets every request before it is answered.
	Recorder *recording.Recorder
	// Forwarder, when set, gets every POST (and GET with handshakes on)
	// after it is answered.
	Forwarder *Forwarder
	// Sink renders what happened; called from one goroutine at a time.
	Sink render.Sink
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
	// QueueSize bounds how many answered requests may wait to be printed.
	QueueSize int
	// QueueBytes bounds the body bytes waiting to be printed; a handler
	// that would go over waits (after answering) until the printing catches
	// up, so a flood of 3 MB bodies cannot grow memory without bound.
	QueueBytes int64
	// InflightBytes bounds the body bytes being read, verified, parsed and
	// recorded at once: parsing a body takes several times its size, so
	// large bodies take turns (their clients wait on TCP) instead of
	// growing memory. Bytes are charged as they arrive, in arrival order.
	InflightBytes int64
	// ReadsPerClient bounds the bodies one client address sends at once;
	// MinUploadRate (bytes/s) applies after BodyGrace; BodyTimeout bounds a
	// body's read, waits included. Zero means the defaults.
	ReadsPerClient int
	MinUploadRate  int64
	BodyGrace      time.Duration
	BodyTimeout    time.Duration
	// Flush, when set, is called when the queue runs empty, at most every
	// flushEvery while requests keep coming and within flushEvery of the
	// last one: output can be buffered under load and still appear at once
	// when events trickle in.
	Flush func()
	// Backlogged, when set, reports that the output cannot take more (see
	// Output): what would be printed is then counted as not printed, and
	// the count is said once the output moves again.
	Backlogged func() bool
	// DedupSize bounds how many event keys and bodies are remembered.
	DedupSize int
}

// Receiver answers webhook requests. Create it with New, serve it with any
// http.Server, and Close it after the server has shut down.
type Receiver struct {
	opts     Options
	now      func() time.Time
	seq      atomic.Uint64
	verifier *signature.Verifier // nil when no App Secret is set

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	queue  chan job
	// waiting counts jobs queued and not yet taken by a printer; a printer
	// that is about to stop looks at it so that no job is left behind.
	waiting atomic.Int64

	// queued bounds the bytes of bodies waiting to be printed; inflight
	// the bytes of bodies being handled before the answer.
	queued   *byteGate
	inflight *byteGate
	clients  *clientReads // bodies being read, by client address

	// printing is held by the one goroutine printing; it owns what follows.
	printing   sync.Mutex
	dirty      bool // printed since the last Flush
	lastFlush  time.Time
	flushTimer *time.Timer // pending Flush after a burst; nil when none
	dedup      *dedup
	stats      render.Summary
	start      time.Time
	// unsaid counts what was not printed since the last notice of it.
	unsaid    int
	observers []func(Observation) // see observe.go
	keyBuf    []byte              // the event key being looked up
	evBuf     []webhook.Event     // a body's events, reused (see events)
	outBuf    []render.Event      // the events shown, reused
}

// job is one thing to report, in arrival order.
type job struct {
	req       render.Request
	note      *webhook.Notification
	problem   *render.Problem
	handshake *render.Handshake
	forward   *render.Forward
	// sigHeader is set for a signature problem whose diagnosis (a few dozen
	// HMACs over the body) is worked out after the answer, when printed.
	sigHeader *string
	// mac is the hex HMAC-SHA256 of the body when verifying worked it out
	// (the digest of a valid signature): retry detection keys bodies by it
	// instead of hashing megabytes again.
	mac string
}

// New returns a Receiver.
func New(opts Options) (*Receiver, error) {
	if opts.Path == "" || opts.Path[0] != '/' {
		return nil, fmt.Errorf("path %q must start with /", opts.Path)
	}
	if opts.Path == HealthPath {
		return nil, fmt.Errorf("path %s is reserved for health checks: pick another --path", HealthPath)
	}
	if opts.VerifyToken == "" {
		return nil, errors.New("a verify token is required")
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 1024
	}
	if opts.QueueBytes <= 0 {
		opts.QueueBytes = 16 << 20
	}
	if opts.InflightBytes <= 0 {
		opts.InflightBytes = 8 << 20
	}
	if opts.ReadsPerClient <= 0 {
		opts.ReadsPerClient = DefaultReadsPerClient
	}
	if opts.MinUploadRate <= 0 {
		opts.MinUploadRate = DefaultMinUploadRate
	}
	if opts.BodyGrace <= 0 {
		opts.BodyGrace = DefaultBodyGrace
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	if opts.Sink == nil {
		return nil, errors.New("a sink is required")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	rc := &Receiver{
		opts:  opts,
		now:   now,
		queue: make(chan job, opts.QueueSize),
		dedup: newDedup(opts.DedupSize),
		start: now(),
		stats: render.Summary{
			ByStatus: map[int]int{}, ByField: map[string]int{}, ByType: map[string]int{}, Problems: map[string]int{},
		},
	}
	if opts.AppSecret != "" {
		rc.verifier = signature.NewVerifier(opts.AppSecret)
	}
	rc.queued = newByteGate(opts.QueueBytes)
	rc.inflight = newByteGate(opts.InflightBytes)
	rc.clients = newClientReads(opts.ReadsPerClient)
	if opts.Recorder != nil {
		rc.stats.RecordPath = opts.Recorder.Path()
	}
	if opts.Forwarder != nil {
		opts.Forwarder.report = func(j job) { rc.report(nil, j) }
	}
	return rc, nil
}

// ServeHTTP implements http.Handler.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == HealthPath {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
		return
	}
	req := render.Request{
		Seq:    rc.seq.Add(1),
		Time:   rc.now(),
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  recording.MaskQuery(r.URL.RawQuery),
		Remote: r.RemoteAddr,
		Header: recording.SafeHeader(r.Header),
	}
	switch {
	case r.URL.Path != rc.opts.Path:
		rc.reject(w, req, nil, http.StatusNotFound, render.ProblemNotFound,
			fmt.Sprintf("no webhook here: the callback path is %s", rc.opts.Path),
			"check the Callback URL in Meta App Dashboard → WhatsApp → Configuration ends with "+rc.opts.Path)
	case r.Method == http.MethodGet:
		rc.handshake(w, r, req)
	case r.Method == http.MethodPost:
		rc.post(w, r, req)
	default:
		w.Header().Set("Allow", "GET, POST")
		rc.reject(w, req, nil, http.StatusMethodNotAllowed, render.ProblemMethod,
			fmt.Sprintf("method %s is not used by Meta: the handshake is GET, events are POST", r.Method), "")
	}
}

// handshake answers Meta's GET verification request.
func (rc *Receiver) handshake(w http.ResponseWriter, r *http.Request, req render.Request) {
	q := r.URL.Query()
	res := handshake.Answer(q, rc.opts.VerifyToken)
	if !res.OK() {
		msg := "handshake refused: " + res.Verdict.String()
		hint := ""
		switch res.Verdict {
		case handshake.WrongMode:
			if len(q) == 0 {
				msg = "a GET without hub.* parameters (a browser or a health check?); Meta's handshake sends hub.mode, hub.verify_token and hub.challenge"
			} else {
				msg = fmt.Sprintf("handshake refused: hub.mode is %q, Meta sends \"subscribe\"", truncate(res.Mode, 40))
			}
			hint = "health checks can use " + HealthPath
		case handshake.WrongToken:
			hint = "paste the verify token shown at start-up into Meta App Dashboard → WhatsApp → Configuration → Verify token"
		case handshake.MissingToken:
			hint = "the request has no hub.verify_token; Meta always sends it"
		case handshake.MissingChallenge:
			hint = "the request has no hub.challenge to echo; Meta always sends it"
		}
		rc.reject(w, req, nil, http.StatusForbidden, render.ProblemHandshake, msg, hint)
		rc.forwardHandshake(req.Seq, r.URL.RawQuery, q.Get("hub.challenge"))
		return
	}
	req.Status = http.StatusOK
	if err := rc.record(req, nil, ""); err != nil {
		rc.recordFailed(w, req, nil, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(res.Challenge)))
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, res.Challenge)
	rc.queueJob(w, job{req: req, handshake: &render.Handshake{Request: req, Challenge: res.Challenge}})
	rc.forwardHandshake(req.Seq, r.URL.RawQuery, res.Challenge)
	rc.print(w)
}

func (rc *Receiver) forwardHandshake(seq uint64, rawQuery, challenge string) {
	if f := rc.opts.Forwarder; f != nil && f.opts.Handshakes {
		f.Handshake(seq, rawQuery, challenge)
	}
}

// post handles an event notification.
func (rc *Receiver) post(w http.ResponseWriter, r *http.Request, req render.Request) {
	body, release, err := rc.readBody(w, r)
	defer release()
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		w.Header().Set("Connection", "close")
		rc.reject(w, req, nil, http.StatusRequestEntityTooLarge, render.ProblemTooLarge,
			fmt.Sprintf("body larger than %s (Content-Length %s)", FormatSize(rc.opts.MaxBody), contentLength(r)),
			"Meta's payloads are at most 3 MB; raise --max-body if you really need more")
		return
	case err != nil:
		w.Header().Set("Connection", "close")
		status, msg, hint := rc.bodyProblem(r, body, err)
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		rc.reject(w, req, body, status, render.ProblemBody, msg, hint)
		return
	}
	req.Body = body

	sig, mac, problem := rc.verify(r.Header, body)
	req.Signature = sig
	if problem != nil && !rc.opts.AcceptInvalid {
		rc.rejectSignature(w, r.Header, req, problem)
		return
	}

	note, err := webhook.ParseShared(body) // body is never modified: recorded and forwarded as received
	if err != nil {
		rc.reject(w, req, body, http.StatusBadRequest, render.ProblemJSON, err.Error(),
			"Meta posts a JSON object {\"object\":\"whatsapp_business_account\",\"entry\":[…]}")
		return
	}

	req.Status = http.StatusOK
	if err := rc.recordParsed(req, body, note.Plain()); err != nil {
		rc.recordFailed(w, req, body, err)
		return
	}
	// Read, parsed and recorded: the next body may be read while this one
	// waits to be printed, which the queue's own bound covers.
	release()
	// The answer may be sent before the handler returns (see print), so
	// net/http cannot work the length out itself.
	w.Header()["Content-Length"] = noContent
	w.WriteHeader(http.StatusOK)

	if problem != nil { // --accept-invalid: answered 200, still flagged
		problem.Request = req
		problem.Accepted = true
		rc.queueJob(w, sigJob(job{req: req, problem: problem}, req.Signature, r.Header))
	}
	rc.queueJob(w, job{req: req, note: note, mac: mac})
	if f := rc.opts.Forwarder; f != nil {
		f.Post(req.Seq, r.URL.RawQuery, r.Header, body)
	}
	rc.print(w)
}

// noContent is the Content-Length of every 200: one shared value instead of
// an allocation per delivery (net/http only reads it).
var noContent = []string{"0"}

// verify checks the signature over the exact bytes. It returns the verdict,
// the body's HMAC (hex) when the signature is valid, and, when it is not,
// the problem to report.
func (rc *Receiver) verify(h http.Header, body []byte) (render.Signature, string, *render.Problem) {
	if rc.verifier == nil {
		return render.SigUnchecked, "", nil
	}
	header := h.Get(signature.Header)
	res := rc.verifier.Verify(body, header)
	if res.OK() {
		return render.SigValid, res.Digest, nil
	}
	p := &render.Problem{Kind: render.ProblemSignature, Message: res.String()}
	if res.Reason == signature.Missing {
		if legacy := h.Get(signature.LegacyHeader); legacy != "" {
			p.Message += " (only the legacy " + signature.LegacyHeader + " is present)"
		}
		p.Hint = "Meta signs every POST; to test by hand, sign the exact bytes: wa-hooks sign --header FILE, or post with wa-hooks send"
		return render.SigMissing, "", p
	}
	return render.SigInvalid, "", p
}

// sigJob attaches the signature header to a job for a deferred diagnosis.
func sigJob(j job, sig render.Signature, h http.Header) job {
	if sig == render.SigInvalid {
		v := h.Get(signature.Header)
		j.sigHeader = &v
	}
	return j
}

func (rc *Receiver) rejectSignature(w http.ResponseWriter, h http.Header, req render.Request, p *render.Problem) {
	req.Status = http.StatusUnauthorized
	if err := rc.record(req, req.Body, p.Message); err != nil {
		rc.recordFailed(w, req, req.Body, err)
		return
	}
	answerError(w, "invalid signature: "+signatureWord(req.Signature), http.StatusUnauthorized)
	p.Request = req
	rc.report(w, sigJob(job{req: req, problem: p}, req.Signature, h))
}

func signatureWord(s render.Signature) string {
	if s == render.SigMissing {
		return "X-Hub-Signature-256 is missing"
	}
	return "X-Hub-Signature-256 does not match the body"
}

// reject answers a request-level problem, records it and reports it.
func (rc *Receiver) reject(w http.ResponseWriter, req render.Request, body []byte, status int, kind, msg, hint string) {
	req.Status = status
	req.Body = body
	if err := rc.record(req, body, msg); err != nil {
		rc.recordFailed(w, req, body, err)
		return
	}
	answerError(w, http.StatusText(status)+": "+publicReason(kind, msg), status)
	rc.report(w, job{req: req, problem: &render.Problem{Request: req, Kind: kind, Message: msg, Hint: hint}})
}

// answerError writes what http.Error writes, with a Content-Length: the
// answer may be sent before the handler returns (see print), and net/http
// only works the length out itself at the end.
func answerError(w http.ResponseWriter, msg string, status int) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(msg)+1))
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

// publicReason is what the HTTP caller is told; it never includes anything
// derived from the secrets.
func publicReason(kind, msg string) string {
	switch kind {
	case render.ProblemHandshake:
		return "verification refused"
	}
	return msg
}

// recordFailed answers 500 so that Meta retries a request the recording
// could not keep: a request must never be acknowledged and then lost.
func (rc *Receiver) recordFailed(w http.ResponseWriter, req render.Request, body []byte, err error) {
	req.Status = http.StatusInternalServerError
	req.Body = body
	answerError(w, "could not record the request", http.StatusInternalServerError)
	rc.report(w, job{req: req, problem: &render.Problem{Request: req, Kind: render.ProblemRecord,
		Message: "could not write the recording, answered 500 so the sender retries: " + err.Error(),
		Hint:    "check the disk and the --record path"}})
}

func (rc *Receiver) record(req render.Request, body []byte, errMsg string) error {
	return rc.write(recording.Record{Error: errMsg, Body: body}, req)
}

// recordParsed records a body the parse accepted; plain is the parse's
// word that it is ASCII (Notification.Plain), which spares the recorder
// its own check of the bytes.
func (rc *Receiver) recordParsed(req render.Request, body []byte, plain bool) error {
	return rc.write(recording.Record{Body: body, BodyUTF8: plain}, req)
}

// write completes rec with req and appends it to the recording, if any.
func (rc *Receiver) write(rec recording.Record, req render.Request) error {
	if rc.opts.Recorder == nil {
		return nil
	}
	rec.Time, rec.Seq, rec.Remote, rec.Method, rec.Path = req.Time, req.Seq, req.Remote, req.Method, req.Path
	rec.Query, rec.Header, rec.Signature, rec.Status = req.Query, req.Header, string(req.Signature), req.Status
	return rc.opts.Recorder.Write(rec)
}

// report queues a job and prints. w is the request's response (nil for
// reports that answer nothing): its answer is sent before this goroutine
// waits for room in the queue or prints for others.
func (rc *Receiver) report(w http.ResponseWriter, j job) {
	rc.queueJob(w, j)
	rc.print(w)
}

// queueJob adds a job to the output queue; after Close it is dropped. When
// the queue is full it first sends w's answer, then waits for room, so the
// wait only slows the client's next request, never this one's answer.
func (rc *Receiver) queueJob(w http.ResponseWriter, j job) {
	size := int64(len(j.req.Body))
	if !rc.queued.tryAcquire(size) {
		flush(w)
		rc.queued.acquire(size)
	}
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	if rc.closed {
		rc.queued.release(size)
		return
	}
	select {
	case rc.queue <- j:
	default:
		flush(w)
		rc.queue <- j // the goroutine printing makes room
	}
	rc.waiting.Add(1)
}

// print prints the queued jobs unless another goroutine is doing so: that
// one takes this goroutine's job too. Before its last check for waiting
// jobs a printer has released the lock, so a job queued while the lock was
// held is either seen by that check or queued by a goroutine that will find
// the lock free.
func (rc *Receiver) print(w http.ResponseWriter) {
	for rc.waiting.Load() > 0 && rc.printing.TryLock() {
		flush(w) // this answer goes out before we print for everybody
		w = nil
		rc.printQueued()
		rc.printing.Unlock()
	}
}

// printQueued handles jobs until the queue is empty, then flushes the
// output if it has been flushEvery since the last flush, or arranges a
// flush for then. Called with rc.printing held.
func (rc *Receiver) printQueued() {
	for more := true; more; {
		select {
		case j, ok := <-rc.queue:
			if !ok {
				return // closed: Close flushes
			}
			rc.waiting.Add(-1)
			rc.handle(j)
			rc.queued.release(int64(len(j.req.Body)))
			rc.dirty = true
		default:
			more = false
		}
	}
	if !rc.dirty || rc.opts.Flush == nil {
		return
	}
	if since := time.Since(rc.lastFlush); since >= flushEvery {
		rc.flushOutput()
	} else if rc.flushTimer == nil {
		rc.flushTimer = time.AfterFunc(flushEvery-since, func() {
			// Handlers that found the lock held by this timer left their
			// jobs to it: print them, then look again like any printer.
			rc.printing.Lock()
			rc.flushTimer = nil
			rc.printQueued()
			rc.printing.Unlock()
			rc.print(nil)
		})
	}
}

// flushOutput is called with rc.printing held.
func (rc *Receiver) flushOutput() {
	rc.opts.Flush()
	rc.dirty, rc.lastFlush = false, time.Now()
}

func contentLength(r *http.Request) string {
	if r.ContentLength < 0 {
		return "unknown, chunked"
	}
	return FormatSize(r.ContentLength)
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Close stops accepting work, waits for forwards in flight (up to the
// forward timeout), prints everything queued and the summary, and returns
// the summary. Call it after the http.Server has shut down.
func (rc *Receiver) Close() render.Summary {
	if f := rc.opts.Forwarder; f != nil {
		f.Wait()
	}
	rc.mu.Lock()
	if !rc.closed {
		rc.closed = true
		close(rc.queue)
	}
	rc.mu.Unlock()
	rc.printing.Lock()
	defer rc.printing.Unlock()
	rc.printQueued()
	if rc.flushTimer != nil {
		rc.flushTimer.Stop()
		rc.flushTimer = nil
	}
	if rc.opts.Flush != nil {
		rc.flushOutput()
	}
	s := rc.stats
	s.Uptime = rc.now().Sub(rc.start)
	if rec := rc.opts.Recorder; rec != nil {
		s.Recorded = rec.Count()
	}
	return s
}

// Requests is how many requests were handled so far (health checks aside).
func (rc *Receiver) Requests() uint64 { return rc.seq.Load() }

// flushEvery bounds how long buffered output may wait while requests keep
// coming: short enough that people see events at once, long enough that a
// flood costs one write per burst rather than one per event.
const flushEvery = 2 * time.Millisecond

func (rc *Receiver) handle(j job) {
	switch {
	case j.forward != nil && j.forward.Dropped > 0:
		rc.stats.ForwardDropped += j.forward.Dropped
		rc.opts.Sink.Forwarded(*j.forward)
	case j.forward != nil:
		rc.stats.Forwarded++
		if !j.forward.OK() {
			rc.stats.ForwardFailures++
		}
		rc.show(1, func() { rc.opts.Sink.Forwarded(*j.forward) })
		rc.observeJob(j)
	case j.handshake != nil:
		rc.count(j.req)
		rc.stats.Handshakes++
		rc.show(1, func() { rc.opts.Sink.Handshake(*j.handshake) })
		rc.observeJob(j)
	case j.problem != nil:
		if !j.problem.Accepted {
			rc.count(j.req)
		}
		rc.stats.Problems[j.problem.Kind]++
		if j.problem.Kind == render.ProblemSignature {
			rc.stats.SignatureFailures++
		}
		rc.show(1, func() {
			if j.sigHeader != nil {
				j.problem.Message, j.problem.Hint = diagnose(rc.opts.AppSecret, j.req.Body, *j.sigHeader)
			}
			rc.opts.Sink.Problem(*j.problem)
		})
		rc.observeJob(j)
	case j.note != nil:
		rc.count(j.req)
		rc.events(j.req, j.note, j.mac)
	}
}

func (rc *Receiver) count(req render.Request) {
	rc.stats.Requests++
	rc.stats.ByStatus[req.Status]++
}

// events dedups, counts, filters and redacts a POST's events, then renders.
// mac is the body's HMAC when verifying worked it out, else "".
func (rc *Receiver) events(req render.Request, note *webhook.Notification, mac string) {
	// The events and the list shown are made in slices reused from one
	// body to the next; what observers get is theirs to keep.
	evs := note.AppendEvents(rc.evBuf[:0])
	defer func() { rc.evBuf = reuse(evs) }()
	shown := evs
	display := req
	if rc.opts.Redact {
		display.Body, shown = redactedEvents(req.Body, evs) // dedup still uses the real keys
	}
	retry, copyN, firstReq, firstAt := rc.dedup.body(rc.bodyKey(req.Body, mac), req.Seq, req.Time)
	var all []render.Event // for observers
	if len(rc.observers) > 0 {
		all = make([]render.Event, 0, len(evs))
	}
	filtered := len(rc.opts.Filter.Fields) > 0 || len(rc.opts.Filter.Types) > 0
	out := all // when nothing is filtered out, the sink gets what observers get
	if all == nil || filtered {
		out = rc.outBuf[:0]
		defer func() { rc.outBuf = reuse(out) }()
	}
	// Redacted events carry raw JSON of their own, which nothing has vouched for.
	rawPlain := note.Plain() && !rc.opts.Redact
	for i := range evs {
		e := &evs[i]
		re := render.Event{Event: shown[i], Request: req.Seq, Received: req.Time, Signature: req.Signature, RawPlain: rawPlain}
		rc.keyBuf = e.AppendKey(rc.keyBuf[:0])
		if !rc.opts.Redact && e.HashedKey() { // a redacted event shows the key of what is shown
			re.DedupKey = string(rc.keyBuf) // the others are cheaper to build again than to keep
		}
		if at, first, ok := rc.dedup.event(rc.keyBuf, req.Seq, req.Time); ok {
			re.Duplicate, re.FirstSeen, re.FirstRequest = true, at, first
			rc.stats.Duplicates++
		}
		if retry {
			re.Retry, re.Copy = true, copyN
			re.FirstSeen, re.FirstRequest = firstAt, firstReq
		}
		if rc.opts.StaleAfter > 0 && !e.Timestamp.IsZero() {
			if age := req.Time.Sub(e.Timestamp); age > rc.opts.StaleAfter {
				re.Stale, re.Age = true, age
				rc.stats.Stale++
			}
		}
		rc.stats.Events++
		countKey(rc.stats.ByField, e.Field)
		countKey(rc.stats.ByType, e.Type)
		if render.IsFailure(re) {
			rc.stats.EventErrors++
		}
		if all != nil {
			all = append(all, re)
		}
		if (all == nil || filtered) && (!filtered || rc.opts.Filter.Match(*e)) {
			out = append(out, re)
		}
	}
	if !filtered && all != nil {
		out = all
	}
	rc.observeEvents(req, all)
	if retry {
		rc.stats.Retries++
	}
	if len(out) == 0 && len(evs) > 0 {
		return // everything filtered out
	}
	rc.show(max(1, len(out)), func() { rc.opts.Sink.Received(display, out) })
}

// bodyKey identifies a body's exact bytes for retry detection. With an App
// Secret it is the body's HMAC-SHA256, which a valid signature has already
// made us compute over every byte (mac): a 3 MB body is not hashed a second
// time. Bodies whose signature was not valid (--accept-invalid) have theirs
// worked out here, so the same bytes get the same key whatever their header.
// Without a secret, a seeded hash of the bytes.
func (rc *Receiver) bodyKey(body []byte, mac string) uint64 {
	if rc.verifier == nil {
		return rc.dedup.hash(body)
	}
	if len(mac) < 16 {
		mac = strings.TrimPrefix(signature.Sign(rc.opts.AppSecret, body), signature.PrefixSHA256)
	}
	k, err := strconv.ParseUint(mac[:16], 16, 64)
	if err != nil { // not hex: cannot happen for a digest Verify accepted
		return rc.dedup.hash(body)
	}
	return k
}

// reuse empties a slice for the next body, unless a large body made it
// large: what it pointed to may go.
func reuse[T any](s []T) []T {
	if cap(s) > 64 {
		return nil
	}
	clear(s)
	return s[:0]
}

// notPrintedSink is a sink that can say how many events were not printed.
type notPrintedSink interface{ NotPrinted(n int) }

// show prints through print unless the output is backlogged: n events are
// then counted as not printed, and said once the output takes lines again.
// Answering never waits for printing, and printing never waits for stdout.
func (rc *Receiver) show(n int, print func()) {
	if rc.opts.Backlogged != nil && rc.opts.Backlogged() {
		rc.stats.NotPrinted += n
		rc.unsaid += n
		return
	}
	if rc.unsaid > 0 {
		if s, ok := rc.opts.Sink.(notPrintedSink); ok {
			s.NotPrinted(rc.unsaid)
		}
		rc.unsaid = 0
	}
	print()
}

// countKey adds one to m[k]. A new key is copied: k points into a request
// body (see webhook.ParseShared), which the map would otherwise keep alive
// for as long as serve runs.
func countKey(m map[string]int, k string) {
	if _, ok := m[k]; !ok {
		k = strings.Clone(k)
	}
	m[k]++
}
