package mock

import (
	"testing"
	"time"
)

func TestLanesOpenForLateWebhooksAndCloseBack(t *testing.T) {
	l := newLanes(4)
	if l.limit != minLanes {
		t.Fatalf("starts with %d lanes, want %d", l.limit, minLanes)
	}
	long := time.Now().Add(-time.Second) // due a second ago
	for range 4 {
		l.acquire(long) // the third and fourth open lanes instead of waiting
	}
	if l.limit != 4 || l.active != 4 {
		t.Errorf("late webhooks: %d lanes, %d active; want 4 and 4", l.limit, l.active)
	}
	for range 4 {
		l.release(0)
	}
	if l.limit != minLanes {
		t.Errorf("after timely webhooks: %d lanes, want %d", l.limit, minLanes)
	}
	if one := newLanes(1); one.limit != 1 {
		t.Errorf("one shard (deterministic): %d lanes", one.limit)
	}
}

func TestLanesHoldATimelyPosterUntilALaneIsFree(t *testing.T) {
	l := newLanes(4)
	for range minLanes {
		l.acquire(time.Now())
	}
	got := make(chan struct{})
	go func() {
		l.acquire(time.Now().Add(time.Hour)) // not due for an hour: never late here
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("a third poster started while both lanes were busy and nothing was late")
	case <-time.After(30 * time.Millisecond):
	}
	l.release(0)
	<-got // the freed lane lets it start
	l.shut()
	l.acquire(time.Now().Add(time.Hour)) // never blocks once shutting down
}
