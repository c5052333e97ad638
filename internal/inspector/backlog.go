package inspector

// backlog keeps the newest log entries of the mock while no page has
// looked at the inspector yet, so that filing them (the conversations and
// the request list, most of the inspector's cost) waits until someone
// looks, and is never paid by a mock nobody watches. It is bounded by
// count and by bytes; past either, the oldest entries go first.
type backlog struct {
	// ring grows up to maxItems and then wraps: a full backlog drops and
	// keeps without moving what it holds (re-slicing a slice as a queue
	// copied all of it on every growth, ~10 MB at the bound).
	ring     []mockEntry
	head, n  int
	bytes    int64
	maxItems int
	maxBytes int64
}

// entryOverhead is what an entry weighs beyond its bodies: the struct in
// the ring and the small slices it points at. (Entries are kept detached:
// with the mock's parse of a send and the body it wrote, one weighed
// 2–3 times as much.)
const entryOverhead = 512

func (me mockEntry) weight() int64 {
	return int64(entryOverhead + cap(me.body) + cap(me.e.Request) + cap(me.e.Response) + len(me.e.Summary))
}

// push keeps me and returns how many of the oldest entries it dropped.
func (b *backlog) push(me mockEntry) (dropped uint64) {
	if b.n == len(b.ring) {
		if len(b.ring) < b.maxItems {
			b.grow()
		} else {
			b.drop()
			dropped++
		}
	}
	b.ring[(b.head+b.n)%len(b.ring)] = me
	b.n++
	b.bytes += me.weight()
	for b.n > 1 && b.bytes > b.maxBytes {
		b.drop()
		dropped++
	}
	return dropped
}

func (b *backlog) grow() {
	ring := make([]mockEntry, min(max(2*len(b.ring), 256), b.maxItems))
	b.copyTo(ring)
	b.ring, b.head = ring, 0
}

// drop forgets the oldest entry (cleared, so that its bodies can go).
func (b *backlog) drop() {
	b.bytes -= b.ring[b.head].weight()
	b.ring[b.head] = mockEntry{}
	b.head = (b.head + 1) % len(b.ring)
	b.n--
}

// copyTo copies what is kept, oldest first, to the start of dst.
func (b *backlog) copyTo(dst []mockEntry) {
	k := copy(dst, b.ring[b.head:min(b.head+b.n, len(b.ring))])
	copy(dst[k:], b.ring[:b.n-k])
}

// take hands over everything kept, oldest first, and empties the backlog.
func (b *backlog) take() []mockEntry {
	items := make([]mockEntry, b.n)
	b.copyTo(items)
	*b = backlog{maxItems: b.maxItems, maxBytes: b.maxBytes}
	return items
}
