package receiver

import (
	"context"
	"sync"
)

// byteGate lets callers hold up to limit bytes in total. Waiters are served
// strictly in arrival order (a ticket queue): a release hands bytes to the
// oldest waiter first, so under a flood of large bodies no caller starves
// (a broadcast let every waiter race for the bytes and some lost for
// seconds). One caller may always proceed alone, however large.
//
// Body reads take their bytes a step at a time as they arrive (see
// bodyReader); such a caller says how much it already holds. When everything
// held belongs to readers that all wait for more, none could ever finish, so
// one of them, the finisher, may go over the limit until it is done. There
// is at most one finisher: memory stays within limit plus one body.
type byteGate struct {
	mu       sync.Mutex
	used     int64
	limit    int64
	queue    []*gateWaiter // FIFO
	finisher *bodyReader   // the one reader allowed over the limit, if any
}

type gateWaiter struct {
	n      int64
	reader *bodyReader // nil for callers that are not body reads
	ready  chan struct{}
	done   bool // granted; guarded by the gate's mu
}

func newByteGate(limit int64) *byteGate { return &byteGate{limit: limit} }

// fits reports whether n more bytes may be granted now. Called with mu held.
func (g *byteGate) fits(n int64) bool { return g.used == 0 || g.used+n <= g.limit }

func (g *byteGate) acquire(n int64) { _ = g.acquireCtx(context.Background(), n, nil) }

// tryAcquire takes n bytes if that needs no wait; it never overtakes a waiter.
func (g *byteGate) tryAcquire(n int64) bool {
	if n <= 0 {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) > 0 || !g.fits(n) {
		return false
	}
	g.used += n
	return true
}

// acquireCtx takes n bytes for r (nil: not a body read), waiting in line
// until they are free or ctx ends; on ctx's end nothing is held.
func (g *byteGate) acquireCtx(ctx context.Context, n int64, r *bodyReader) error {
	if n <= 0 {
		return nil
	}
	g.mu.Lock()
	if r != nil && g.finisher == r || len(g.queue) == 0 && g.fits(n) {
		g.give(&gateWaiter{n: n, reader: r})
		g.mu.Unlock()
		return nil
	}
	w := &gateWaiter{n: n, reader: r, ready: make(chan struct{})}
	g.queue = append(g.queue, w)
	g.grant()
	g.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.done { // granted meanwhile: give it back
		g.take(n, r)
		g.grant()
		return ctx.Err()
	}
	for i, q := range g.queue {
		if q == w {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			break
		}
	}
	g.grant() // the next in line may fit now
	return ctx.Err()
}

// release gives n bytes back and serves the waiters in line. A reader that
// is done passes on its finisher role.
func (g *byteGate) release(n int64) { g.releaseFor(n, nil) }

func (g *byteGate) releaseFor(n int64, r *bodyReader) {
	g.mu.Lock()
	g.take(n, r)
	if r != nil && g.finisher == r {
		g.finisher = nil
	}
	g.grant()
	g.mu.Unlock()
}

// grant serves waiters from the front of the line while their bytes fit.
// When the front waiter does not fit and every byte in use is held by
// readers that are themselves waiting, the oldest of those becomes the
// finisher. Called with mu held.
func (g *byteGate) grant() {
	for len(g.queue) > 0 {
		w := g.queue[0]
		if !g.fits(w.n) {
			g.breakDeadlock()
			return
		}
		g.queue = g.queue[1:]
		g.give(w)
	}
}

// give grants w its bytes; take gives n bytes back. Called with mu held,
// which also guards the readers' held counts.
func (g *byteGate) give(w *gateWaiter) {
	g.used += w.n
	if w.reader != nil {
		w.reader.held += w.n
	}
	w.done = true
	if w.ready != nil {
		close(w.ready)
	}
}

func (g *byteGate) take(n int64, r *bodyReader) {
	g.used -= n
	if r != nil {
		r.held -= n
	}
}

func (g *byteGate) breakDeadlock() {
	if g.finisher != nil {
		return // it is reading and will release what it holds
	}
	var waitingHeld int64
	for _, w := range g.queue {
		if w.reader != nil {
			waitingHeld += w.reader.held
		}
	}
	if waitingHeld < g.used {
		return // someone not waiting holds bytes and will give them back
	}
	for i, w := range g.queue {
		if w.reader != nil && w.reader.held > 0 {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			g.finisher = w.reader
			g.give(w)
			return
		}
	}
}
