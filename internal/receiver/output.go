package receiver

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// DefaultOutputBacklog bounds the output waiting for stdout to take it.
const DefaultOutputBacklog = 16 << 20

// Output is serve's stdout as the receiver sees it: writing never waits
// for the terminal. What the renderers write goes to a buffer; Flush hands
// it to a goroutine of its own that copies it to the real writer. When
// stdout stops being read (a pager, a full pipe) that goroutine blocks,
// the backlog grows to its bound, and Full tells the receiver to stop
// printing and count what it skipped instead: connections keep being
// answered whatever happens to stdout.
//
// Write and Flush are called by one goroutine at a time (the receiver's
// printer); Full and Close from any.
type Output struct {
	w     io.Writer
	limit int

	cur        bytes.Buffer // being written, not yet handed over
	ready      [][]byte     // written before cur, not yet handed over
	readyBytes int          // the bytes in ready

	mu      sync.Mutex
	pending [][]byte // handed over, not yet written
	backlog int      // bytes in pending and being written
	wake    chan struct{}
	closed  bool
	idle    *sync.Cond // broadcast when the backlog is written
	err     error
}

// NewOutput starts the goroutine writing to w; limit bounds the backlog in
// bytes (0: DefaultOutputBacklog).
func NewOutput(w io.Writer, limit int) *Output {
	if limit <= 0 {
		limit = DefaultOutputBacklog
	}
	o := &Output{w: w, limit: limit, wake: make(chan struct{}, 1)}
	o.idle = sync.NewCond(&o.mu)
	go o.run()
	return o
}

// bigWrite is the size from which a write is kept as a chunk of its own
// instead of joining cur: a 3 MB item is copied once, and cur does not
// grow to (and keep) the size of the largest line ever printed.
const bigWrite = 64 << 10

// handOverAt is how much written output waits for a Flush at most. The
// printer flushes when its queue runs dry; in a flood of large bodies it
// never does, and without this bound every line, each holding its body,
// stayed here beyond the backlog's limit (5,000 x 100 KB: 450 MB).
const handOverAt = 1 << 20

// Write buffers p; it never blocks on the real writer.
func (o *Output) Write(p []byte) (int, error) {
	if len(p) < bigWrite {
		n, err := o.cur.Write(p)
		o.handOverPast()
		return n, err
	}
	o.takeCur()
	o.keep(bytes.Clone(p))
	return len(p), nil
}

// WriteOwned buffers p without copying it (see render.OwnedWriter).
func (o *Output) WriteOwned(p []byte) {
	if len(p) < bigWrite {
		_, _ = o.cur.Write(p)
		o.handOverPast()
		return
	}
	o.takeCur()
	o.keep(p)
}

func (o *Output) keep(p []byte) {
	o.ready = append(o.ready, p)
	o.readyBytes += len(p)
	o.handOverPast()
}

// handOverPast flushes once handOverAt bytes wait, so that they count in
// the backlog that Full bounds.
func (o *Output) handOverPast() {
	if o.readyBytes+o.cur.Len() >= handOverAt {
		_ = o.Flush()
	}
}

// takeCur moves what cur holds to ready.
func (o *Output) takeCur() {
	if o.cur.Len() > 0 {
		o.ready = append(o.ready, bytes.Clone(o.cur.Bytes()))
		o.readyBytes += o.cur.Len()
		o.cur.Reset()
	}
}

// Flush hands what was written to the writing goroutine.
func (o *Output) Flush() error {
	o.takeCur()
	if len(o.ready) == 0 {
		return nil
	}
	chunks := o.ready
	o.ready, o.readyBytes = nil, 0
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return o.err
	}
	o.pending = append(o.pending, chunks...)
	for _, c := range chunks {
		o.backlog += len(c)
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return o.err
}

// Full reports whether the backlog has reached its bound: the real writer
// is not keeping up (or not being read at all).
func (o *Output) Full() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.backlog >= o.limit
}

func (o *Output) run() {
	for range o.wake {
		for {
			o.mu.Lock()
			chunks := o.pending
			o.pending = nil
			if len(chunks) == 0 {
				o.idle.Broadcast()
				closed := o.closed
				o.mu.Unlock()
				if closed {
					return
				}
				break
			}
			o.mu.Unlock()
			for _, c := range chunks {
				_, err := o.w.Write(c)
				o.mu.Lock()
				o.backlog -= len(c)
				if err != nil && o.err == nil {
					o.err = err
				}
				o.mu.Unlock()
			}
		}
	}
}

// Close flushes and waits up to timeout for the backlog to be written. It
// reports false when the writer did not take it all in time (stdout is not
// being read): what is left is given up, so shutting down never hangs on
// a terminal.
func (o *Output) Close(timeout time.Duration) bool {
	_ = o.Flush()
	o.mu.Lock()
	o.closed = true
	select {
	case o.wake <- struct{}{}:
	default:
	}
	done := make(chan struct{})
	go func() {
		o.mu.Lock()
		for o.backlog > 0 {
			o.idle.Wait()
		}
		o.mu.Unlock()
		close(done)
	}()
	o.mu.Unlock()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
