package inspector

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// The history keeps a body of spillBytes or more in its spool file instead
// of in memory, and every body once those in memory come to heapBodyBytes.
// Meta's deliveries are a few kilobytes and mostly stay in memory; without
// the spool a history backfill of megabytes, or 10,000 deliveries of a few
// kilobytes, would keep up to the whole byte bound (64 MiB) in serve's
// heap, above serve's memory limit, where the garbage collector would then
// run all the time.
const (
	spillBytes    = 64 << 10
	heapBodyBytes = 16 << 20
)

// spool keeps large bodies in one private file, written as a ring: the
// history's byte bound counts spilled bodies as it counts kept ones, so
// the spool never needs more than twice that bound (what is kept, and the
// newest body before the oldest make room for it). The file is created on
// the first large body, readable by its owner only (0600), and removed at
// once where the system allows an open file to go (it then leaves nothing
// behind even when serve is killed), else when the inspector stops.
type spool struct {
	mu     sync.Mutex // guards f, name, failed
	f      *os.File
	name   string // still to remove at close (systems that keep open files)
	failed bool   // the file could not be made: bodies stay in memory
	size   int64  // the ring's length
	dir    string // where the file goes; "" is the system's temporary directory
	// head is how many bytes were ever written: a body written at logical
	// offset p is whole as long as head-p <= size.
	head atomic.Int64
}

// spillRef is where a spilled body is: logical offset and length.
type spillRef struct {
	off int64
	n   int
}

// errSpillGone is a spilled body that later bodies overwrote (or a spool
// that failed): the history no longer has it.
var errSpillGone = errors.New("its body is no longer kept by the inspector")

func newSpool(maxBytes int64) *spool { return &spool{size: 2 * maxBytes} }

// fits tells whether a body of n bytes can go to the spool: no larger than
// half the ring (the history keeps it alone then).
func (sp *spool) fits(n int) bool { return n > 0 && int64(n) <= sp.size/2 }

// write spills body and tells where it is; ok is false when the spool
// cannot take it (the caller keeps it in memory). Called by one goroutine
// at a time (the store's, under its lock).
func (sp *spool) write(body []byte) (spillRef, bool) {
	f := sp.file()
	if f == nil || !sp.fits(len(body)) {
		return spillRef{}, false
	}
	off := sp.head.Load()
	// head moves first: a read that overlaps this write then sees that
	// what it read may have been overwritten.
	sp.head.Store(off + int64(len(body)))
	// Bytes past the ring's end wrap to its start: a body is written in
	// at most two parts.
	at := off % sp.size
	first := body[:min(int64(len(body)), sp.size-at)]
	if _, err := f.WriteAt(first, at); err != nil {
		return spillRef{}, false
	}
	if rest := body[len(first):]; len(rest) > 0 {
		if _, err := f.WriteAt(rest, 0); err != nil {
			return spillRef{}, false
		}
	}
	return spillRef{off: off, n: len(body)}, true
}

// read returns the spilled body ref names. It may run while the store adds
// bodies: what it read is checked to have been whole all along.
func (sp *spool) read(ref spillRef) ([]byte, error) {
	sp.mu.Lock()
	f := sp.f
	sp.mu.Unlock()
	if f == nil || sp.head.Load()-ref.off > sp.size {
		return nil, errSpillGone
	}
	b := make([]byte, ref.n)
	at := ref.off % sp.size
	first := b[:min(int64(ref.n), sp.size-at)]
	if _, err := f.ReadAt(first, at); err != nil {
		return nil, fmt.Errorf("%w: %v", errSpillGone, err)
	}
	if rest := b[len(first):]; len(rest) > 0 {
		if _, err := f.ReadAt(rest, 0); err != nil {
			return nil, fmt.Errorf("%w: %v", errSpillGone, err)
		}
	}
	if sp.head.Load()-ref.off > sp.size { // overwritten while read
		return nil, errSpillGone
	}
	return b, nil
}

// file opens the spool on first use.
func (sp *spool) file() *os.File {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.f != nil || sp.failed {
		return sp.f
	}
	f, err := os.CreateTemp(sp.dir, "wa-hooks-inspector-*.spool") // 0600
	if err != nil {
		sp.failed = true
		return nil
	}
	sp.f = f
	if os.Remove(f.Name()) != nil {
		sp.name = f.Name()
	}
	return f
}

// close removes the spool; spilled bodies are gone afterwards.
func (sp *spool) close() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.f == nil {
		return nil
	}
	err := sp.f.Close()
	if sp.name != "" {
		if rerr := os.Remove(sp.name); err == nil {
			err = rerr
		}
	}
	sp.f, sp.name, sp.failed = nil, "", true
	return err
}
