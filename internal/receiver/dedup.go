package receiver

import (
	"hash/maphash"
	"time"
)

// DefaultDedupSize is how many event keys and bodies are remembered. Meta
// retries for up to 7 days, but a development session rarely sees more than
// this many events; the oldest are forgotten first.
const DefaultDedupSize = 100_000

// seen is what is remembered of a key. It holds no pointers (the time as
// Unix nanoseconds), and neither do the keys: a full table is two maps of a
// hundred thousand entries that the garbage collector never has to scan.
type seen struct {
	at  int64 // Unix nanoseconds
	req uint64
	n   int // copies so far, the first included
}

// bounded is a map that forgets its oldest keys beyond a size.
type bounded struct {
	m    map[uint64]seen
	ring []uint64
	next int
	size int
}

func newBounded(size int) *bounded {
	return &bounded{m: make(map[uint64]seen), size: size}
}

// see records k and returns what was known before (ok when seen earlier).
func (b *bounded) see(k uint64, req uint64, at time.Time) (seen, bool) {
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
	b.m[k] = seen{at: at.UnixNano(), req: req, n: 1}
	return seen{}, false
}

// dedup remembers event keys (webhook.Event.Key) and whole bodies, by 64-bit
// hashes, so that duplicates of an event and retries of a whole POST are
// flagged with when the first copy came. (Two different keys share a hash
// with odds of about 1 in 10^9 over a full table: an acceptable false
// "duplicate" in a development tool.) Only the goroutine printing uses it.
type dedup struct {
	events *bounded
	bodies *bounded
	seed   maphash.Seed
}

func newDedup(size int) *dedup {
	if size <= 0 {
		size = DefaultDedupSize
	}
	return &dedup{events: newBounded(size), bodies: newBounded(size), seed: maphash.MakeSeed()}
}

// event reports whether key was seen before, and when and in which request
// it was first seen (in now's location).
func (d *dedup) event(key []byte, req uint64, now time.Time) (firstAt time.Time, firstReq uint64, ok bool) {
	if len(key) == 0 {
		return time.Time{}, 0, false
	}
	s, ok := d.events.see(maphash.Bytes(d.seed, key), req, now)
	if !ok {
		return time.Time{}, 0, false
	}
	return s.firstAt(now), s.req, true
}

// hash is a seeded 64-bit hash of b.
func (d *dedup) hash(b []byte) uint64 { return maphash.Bytes(d.seed, b) }

// body reports whether a body with this key (see Receiver.bodyKey: equal
// keys for equal bytes) was received before: a retry. copyN is which copy
// this is (2 for the first retry).
func (d *dedup) body(key uint64, req uint64, now time.Time) (retry bool, copyN int, firstReq uint64, firstAt time.Time) {
	s, ok := d.bodies.see(key, req, now)
	if !ok {
		return false, 1, 0, time.Time{}
	}
	return true, s.n, s.req, s.firstAt(now)
}

// firstAt is when the first copy came, in now's location.
func (s seen) firstAt(now time.Time) time.Time {
	return time.Unix(0, s.at).In(now.Location())
}
