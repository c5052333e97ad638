package mock

import (
	"testing"
	"time"
)

func TestLanesGrowForALateAppAndShrinkBack(t *testing.T) {
	l := newLanes(4)
	if l.limit != minLanes {
		t.Fatalf("starts with %d lanes, want %d", l.limit, minLanes)
	}
	for range 10 {
		l.acquire()
		l.release(time.Second) // left a second after it was due
	}
	if l.limit != 4 {
		t.Errorf("after late webhooks: %d lanes, want the 4 shards", l.limit)
	}
	for range 10 {
		l.acquire()
		l.release(0)
	}
	if l.limit != minLanes {
		t.Errorf("after timely webhooks: %d lanes, want %d", l.limit, minLanes)
	}
	if one := newLanes(1); one.limit != 1 {
		t.Errorf("one shard (deterministic): %d lanes", one.limit)
	}
}

func TestLanesHoldAPosterAtTheLimitUntilOneIsFree(t *testing.T) {
	l := newLanes(4)
	for range minLanes {
		l.acquire()
	}
	got := make(chan struct{})
	go func() {
		l.acquire()
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("a third poster started while both lanes were busy")
	case <-time.After(20 * time.Millisecond):
	}
	l.release(0)
	<-got // a free lane lets it start
	l.shut()
	l.acquire() // never blocks once shutting down, so workers can finish
}
