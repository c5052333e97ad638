package mock

import (
	"testing"
	"time"
)

func TestLanesOpenForLateWebhooksAndCloseBack(t *testing.T) {
	l := newLanes(4, false)
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
		l.release(0, 0)
	}
	if l.limit != minLanes {
		t.Errorf("after timely webhooks: %d lanes, want %d", l.limit, minLanes)
	}
	if one := newLanes(1, false); one.limit != 1 {
		t.Errorf("one shard (deterministic): %d lanes", one.limit)
	}
}

// With coalescing, a late poster takes its shard's whole backlog: lanes
// open only while the app is slow to answer, not because the CPU made
// the webhooks late, and close again once it answers fast.
func TestCoalescingLanesOpenOnlyForASlowApp(t *testing.T) {
	l := newLanes(4, true)
	long := time.Now().Add(-time.Second)
	for range minLanes {
		l.acquire(long)
	}
	third := make(chan struct{})
	go func() {
		l.acquire(long) // late, but the app answered fast: waits for a lane
		close(third)
	}()
	select {
	case <-third:
		t.Fatal("a lane opened for a late webhook to an app that answers fast")
	case <-time.After(30 * time.Millisecond):
	}
	if l.limit != minLanes {
		t.Fatalf("%d lanes for a fast app, want %d", l.limit, minLanes)
	}
	l.release(time.Second, slowAnswer) // this answer was slow
	<-third                            // takes the freed lane
	l.acquire(long)                    // and now a late post opens one more
	if l.limit != minLanes+1 || l.active != minLanes+1 {
		t.Fatalf("slow app: %d lanes, %d active; want %d and %d", l.limit, l.active, minLanes+1, minLanes+1)
	}
	l.release(time.Second, time.Millisecond) // late, but answered fast
	if l.limit != minLanes {
		t.Errorf("after a fast answer: %d lanes, want %d", l.limit, minLanes)
	}
	l.release(time.Second, slowAnswer)
	l.release(0, 0) // nothing posted: says nothing of the app
	if !l.slow {
		t.Error("a lane freed without a post forgot that the app answers slowly")
	}
}

func TestLanesHoldATimelyPosterUntilALaneIsFree(t *testing.T) {
	l := newLanes(4, false)
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
	l.release(0, 0)
	<-got // the freed lane lets it start
	l.shut()
	l.acquire(time.Now().Add(time.Hour)) // never blocks once shutting down
}
