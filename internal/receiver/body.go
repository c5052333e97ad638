package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Limits on reading a body, before anything about the sender is known. Every
// body is read the same way whatever its framing (Content-Length or chunked):
// its bytes are charged to the in-flight budget as they arrive, so a client
// that announces 4 MB and sends a byte a second holds a few kilobytes, not
// 4 MB.
const (
	// freeBodyBytes of every body are read without the budget: most of
	// Meta's deliveries fit, so they never wait behind large bodies. It is
	// the size of the buffer net/http already keeps per connection.
	freeBodyBytes = 4 << 10
	// DefaultBodyGrace is how long a body may take before the minimum rate
	// applies.
	DefaultBodyGrace = 10 * time.Second
	// DefaultMinUploadRate is the slowest a body may arrive after the grace
	// (bytes per second): 3 MB needs under a minute.
	DefaultMinUploadRate = 64 << 10
	// DefaultBodyTimeout bounds a body's whole read, waits for the budget
	// included, like the server's ReadTimeout.
	DefaultBodyTimeout = 60 * time.Second
	// DefaultReadsPerClient bounds the bodies one client address may be
	// sending at once beyond their first freeBodyBytes (the reads that take
	// from the budget). Behind a tunnel every request comes from the
	// tunnel's address, so a new upload over the limit cuts off the one that
	// has been idle longest (for at least evictIdle) instead of waiting.
	DefaultReadsPerClient = 16
	evictIdle             = 250 * time.Millisecond
)

// Why a body read stopped early; they decide the answer.
var (
	errBodySlow    = errors.New("body arrived too slowly")
	errBodyEvicted = errors.New("cut off for a newer upload from the same address")
	errBodyBusy    = errors.New("too many uploads in progress")
)

// bodyReader is one body being read.
type bodyReader struct {
	held     int64 // bytes charged to the budget; guarded by the gate's mu
	addr     string
	start    time.Time
	received atomic.Int64
	lastByte atomic.Int64 // when the last bytes arrived (UnixNano)
	gated    atomic.Bool  // waiting for the budget, not for the client

	mu      sync.Mutex // orders deadline changes against eviction
	evicted bool
	ctl     *http.ResponseController
}

// setDeadline moves the connection's read deadline to d unless the read was
// cut off. It reports false once cut off.
func (b *bodyReader) setDeadline(d time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.evicted {
		return false
	}
	_ = b.ctl.SetReadDeadline(d) // unsupported (tests' recorders): no deadline
	return true
}

func (b *bodyReader) evict() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.evicted = true
	_ = b.ctl.SetReadDeadline(time.Unix(1, 0))
}

// idle is how long no byte of the body has arrived.
func (b *bodyReader) idle(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, b.lastByte.Load()))
}

// clientReads counts the bodies each client address is sending.
type clientReads struct {
	limit   int
	mu      sync.Mutex
	byAddr  map[string][]*bodyReader
	changed chan struct{} // closed and replaced whenever a read ends
}

func newClientReads(limit int) *clientReads {
	return &clientReads{limit: limit, byAddr: map[string][]*bodyReader{}, changed: make(chan struct{})}
}

// admit lets b go on reading past its free bytes. Over the address's
// limit it cuts off that address's upload idle longest, if idle for
// evictIdle (one waiting for the budget is not idle); with none to cut, it
// waits for one to end or idle long enough, until ctx ends.
func (c *clientReads) admit(ctx context.Context, b *bodyReader) error {
	for {
		c.mu.Lock()
		reads := c.byAddr[b.addr]
		now := time.Now()
		var victim *bodyReader
		wait := evictIdle
		if len(reads) >= c.limit {
			for _, r := range reads {
				if r.gated.Load() {
					continue
				}
				idle := r.idle(now)
				if idle < evictIdle {
					wait = min(wait, evictIdle-idle)
					continue
				}
				if victim == nil || idle > victim.idle(now) {
					victim = r
				}
			}
		}
		if len(reads) < c.limit || victim != nil {
			if victim != nil {
				victim.evict()
				c.removeLocked(victim)
			}
			c.byAddr[b.addr] = append(c.byAddr[b.addr], b)
			c.mu.Unlock()
			return nil
		}
		changed := c.changed
		c.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return errBodyBusy
		}
		t.Stop()
	}
}

// leave ends b's read (a cut-off read has already left).
func (c *clientReads) leave(b *bodyReader) {
	c.mu.Lock()
	c.removeLocked(b)
	c.mu.Unlock()
}

func (c *clientReads) removeLocked(b *bodyReader) {
	reads := c.byAddr[b.addr]
	for i, r := range reads {
		if r == b {
			reads = append(reads[:i], reads[i+1:]...)
			if len(reads) == 0 {
				delete(c.byAddr, b.addr)
			} else {
				c.byAddr[b.addr] = reads
			}
			close(c.changed)
			c.changed = make(chan struct{})
			return
		}
	}
}

func clientAddr(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// readBody reads the whole body, at most rc.opts.MaxBody bytes, charging
// what arrives beyond the first freeBodyBytes to the in-flight budget. The
// returned release gives those bytes back; call it when the body is no
// longer needed before the answer (it is safe to call when err != nil).
func (rc *Receiver) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), err error) {
	limit := rc.opts.MaxBody
	release = func() {}
	if r.ContentLength > limit {
		return nil, release, &http.MaxBytesError{Limit: limit}
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return []byte{}, release, nil
	}
	start := time.Now()
	b := &bodyReader{addr: clientAddr(r.RemoteAddr), start: start, ctl: http.NewResponseController(w)}
	b.lastByte.Store(start.UnixNano())
	hard := start.Add(rc.opts.BodyTimeout)
	gateCtx := lazyDeadline{parent: r.Context(), at: hard}
	defer gateCtx.stop()
	admitted := false
	defer func() {
		if admitted {
			rc.clients.leave(b)
		}
	}()

	var charged int64
	release = func() {
		if charged > 0 {
			rc.inflight.releaseFor(charged, b)
			charged = 0
		}
	}
	// bound is the most the buffer ever needs: the declared length, or one
	// byte over the limit to tell a chunked body that is too large.
	bound := limit + 1
	if r.ContentLength > 0 {
		bound = r.ContentLength
	}
	buf := make([]byte, 0, min(bound, freeBodyBytes))
	deadlineSet := false
	defer func() {
		if deadlineSet {
			b.setDeadline(time.Time{}) // the next request gets the server's own
		}
	}()
	for {
		if len(buf) == cap(buf) {
			if len(buf) == int(bound) {
				if r.ContentLength > 0 {
					return buf, release, nil
				}
				return buf, release, &http.MaxBytesError{Limit: limit}
			}
			// Grow by doubling: a client that sends fast soon reads in
			// large steps, one that trickles never holds more than it sent.
			next := min(max(2*int64(cap(buf)), freeBodyBytes), bound)
			need := next - max(int64(cap(buf)), freeBodyBytes)
			ctx := gateCtx.get()
			if !admitted && need > 0 {
				admitCtx, cancelAdmit := context.WithTimeout(ctx, rc.opts.BodyGrace)
				err := rc.clients.admit(admitCtx, b)
				cancelAdmit()
				if err != nil {
					return buf, release, err
				}
				admitted = true
			}
			b.gated.Store(true)
			gerr := rc.inflight.acquireCtx(ctx, need, b)
			b.gated.Store(false)
			if gerr != nil {
				return buf, release, errBodyBusy
			}
			charged += need
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			buf = grown
		}
		// After the grace the body must keep arriving at the minimum rate.
		d := start.Add(rc.opts.BodyGrace + time.Duration(float64(b.received.Load())/float64(rc.opts.MinUploadRate)*float64(time.Second)))
		if d.After(hard) {
			d = hard
		}
		if !b.setDeadline(d) {
			return buf, release, errBodyEvicted
		}
		deadlineSet = true
		n, rerr := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if n > 0 {
			b.received.Add(int64(n))
			b.lastByte.Store(time.Now().UnixNano())
		}
		switch {
		case rerr == io.EOF:
			if r.ContentLength > 0 && len(buf) < int(r.ContentLength) {
				return buf, release, io.ErrUnexpectedEOF
			}
			return buf, release, nil
		case rerr == nil:
		case errors.Is(rerr, os.ErrDeadlineExceeded):
			b.mu.Lock()
			evicted := b.evicted
			b.mu.Unlock()
			if evicted {
				return buf, release, errBodyEvicted
			}
			return buf, release, errBodySlow
		default:
			return buf, release, rerr
		}
	}
}

// lazyDeadline is the context that bounds a body's waits for admission and
// the byte gate. Only a body past its free bytes waits, so it is made on
// first use: a small delivery does not pay for a context and its timer.
type lazyDeadline struct {
	parent context.Context
	at     time.Time
	ctx    context.Context
	cancel context.CancelFunc
}

func (l *lazyDeadline) get() context.Context {
	if l.ctx == nil {
		l.ctx, l.cancel = context.WithDeadline(l.parent, l.at)
	}
	return l.ctx
}

func (l *lazyDeadline) stop() {
	if l.cancel != nil {
		l.cancel()
	}
}

// bodyProblem words a failed read for the log and the caller, and picks
// the status: 408 for a body that came too slowly or was cut off, 503 while
// serve is full, 400 for the rest.
func (rc *Receiver) bodyProblem(r *http.Request, body []byte, err error) (status int, msg, hint string) {
	switch {
	case errors.Is(err, errBodySlow):
		return http.StatusRequestTimeout, fmt.Sprintf("body too slow: %s of %s in the time allowed (%s, then at least %s/s)",
				FormatSize(int64(len(body))), contentLength(r), rc.opts.BodyGrace, FormatSize(rc.opts.MinUploadRate)),
			"Meta sends a whole body at once; a slow upload holds a connection another delivery could use"
	case errors.Is(err, errBodyEvicted):
		return http.StatusRequestTimeout, fmt.Sprintf("body cut off after %s of %s: %d uploads from %s were open and this one had stalled longest",
			FormatSize(int64(len(body))), contentLength(r), rc.opts.ReadsPerClient, clientAddr(r.RemoteAddr)), ""
	case errors.Is(err, errBodyBusy):
		return http.StatusServiceUnavailable, "too many uploads in progress: try again", ""
	}
	return http.StatusBadRequest, "could not read the body: " + err.Error(), ""
}
