package inspector

// backlog keeps the newest log entries of the mock while no page has
// looked at the inspector yet, so that filing them (the conversations and
// the request list, most of the inspector's cost) waits until someone
// looks, and is never paid by a mock nobody watches. It is bounded by
// count and by bytes; past either, the oldest entries go first.
type backlog struct {
	items    []mockEntry
	bytes    int64
	maxItems int
	maxBytes int64
}

// entryOverhead is what an entry weighs beyond its bodies: the struct, the
// mock's parse of a send and the written body it points at.
const entryOverhead = 1 << 10

func (me mockEntry) weight() int64 {
	return int64(entryOverhead + len(me.body) + len(me.e.Request) + len(me.e.Response) + len(me.e.Summary))
}

// push keeps me and returns how many of the oldest entries it dropped.
func (b *backlog) push(me mockEntry) (dropped uint64) {
	b.items = append(b.items, me)
	b.bytes += me.weight()
	for len(b.items) > 1 && (len(b.items) > b.maxItems || b.bytes > b.maxBytes) {
		b.bytes -= b.items[0].weight()
		// Cleared, or the array the slice still shares would keep its bodies
		// until the next append moves it.
		b.items[0] = mockEntry{}
		b.items = b.items[1:]
		dropped++
	}
	return dropped
}

// take hands over everything kept, oldest first, and empties the backlog.
func (b *backlog) take() []mockEntry {
	items := b.items
	b.items, b.bytes = nil, 0
	return items
}
