package mock

import (
	"sync"
	"testing"
)

// OnEntry runs on its own goroutine: in log order, every entry seen by a
// barrier (the reset's) and by close.
func TestLogFeedKeepsOrderAndBarriersWait(t *testing.T) {
	var mu sync.Mutex
	var seen []uint64
	l := newEventLog(100, func(e Entry, _ []byte) {
		mu.Lock()
		seen = append(seen, e.Seq)
		mu.Unlock()
	})
	for range 50 {
		l.add(Entry{Kind: "graph"}, nil)
	}
	l.barrier()
	mu.Lock()
	n := len(seen)
	mu.Unlock()
	if n != 50 {
		t.Fatalf("after the barrier OnEntry had seen %d of 50 entries", n)
	}
	for range 50 {
		l.add(Entry{Kind: "webhook"}, nil)
	}
	l.close()
	for i, seq := range seen {
		if seq != uint64(i+1) {
			t.Fatalf("entry %d seen as seq %d: out of order", i+1, seq)
		}
	}
	if len(seen) != 100 {
		t.Errorf("after close OnEntry had seen %d of 100 entries", len(seen))
	}
	l.add(Entry{Kind: "graph"}, nil) // after close: kept in the ring, not fed
	if got, _ := l.since(0, 0, nil); len(got) != 100 {
		t.Errorf("ring holds %d entries, want its limit 100", len(got))
	}
}
