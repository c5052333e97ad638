package receiver

import (
	"hash/maphash"
	"time"
)

// DefaultDedupSize is how many event keys and bodies are remembered. Meta
// retries for up to 7 days, but a development session rarely sees more than
// this many events; the oldest are forgotten first.
const DefaultDedupSize = 100_000

type seen struct {
	at  time.Time
	req uint64
	n   int // copies so far, the first included
}

// bounded is a map that forgets its oldest keys beyond a size.
type bounded[K comparable] struct {
	m    map[K]seen // by value: no allocation per key
	ring []K
	next int
	size int
}

func newBounded[K comparable](size int) *bounded[K] {
	return &bounded[K]{m: make(map[K]seen), size: size}
}

// see records k and returns what was known before (ok when seen earlier).
func (b *bounded[K]) see(k K, req uint64, at time.Time) (seen, bool) {
	if s, ok := b.m[k]; ok {
		s.n++
		b.m[k] = s
		return s, true
	}
	if len(b.ring) < b.size {
		b.ring = append(b.ring, k)
	} else {
		delete(b.m, b.ring[b.next])
		b.ring[b.next] = k
		b.next = (b.next + 1) % b.size
	}
	b.m[k] = seen{at: at, req: req, n: 1}
	return seen{}, false
}

// dedup remembers event keys (webhook.Event.Key) and whole bodies, so that
// duplicates of an event and retries of a whole POST are flagged with when
// the first copy came. Only the goroutine printing uses it.
type dedup struct {
	events *bounded[string]
	bodies *bounded[uint64]
	seed   maphash.Seed
}

func newDedup(size int) *dedup {
	if size <= 0 {
		size = DefaultDedupSize
	}
	return &dedup{events: newBounded[string](size), bodies: newBounded[uint64](size), seed: maphash.MakeSeed()}
}

func (d *dedup) event(key string, req uint64, at time.Time) (seen, bool) {
	if key == "" {
		return seen{}, false
	}
	return d.events.see(key, req, at)
}

// body reports whether the exact bytes were received before: a retry. copyN
// is which copy this is (2 for the first retry).
func (d *dedup) body(b []byte, req uint64, at time.Time) (retry bool, copyN int, firstReq uint64, firstAt time.Time) {
	s, ok := d.bodies.see(maphash.Bytes(d.seed, b), req, at)
	if !ok {
		return false, 1, 0, time.Time{}
	}
	return true, s.n, s.req, s.at
}
