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
// open for late webhooks only as far as the app's answer time calls for
// (shards × answer ÷ laneTurn), not because the CPU made them late, and
// close again once the app answers fast.
func TestCoalescingLanesFollowTheAppsAnswerTime(t *testing.T) {
	l := newLanes(16, true)
	long := time.Now().Add(-time.Second)
	blocks := func(what string) chan struct{} {
		got := make(chan struct{})
		go func() {
			l.acquire(long)
			close(got)
		}()
		select {
		case <-got:
			t.Fatal(what)
		case <-time.After(30 * time.Millisecond):
		}
		return got
	}
	// answered records n posts (each in a lane of its own) answered in took.
	answered := func(n int, took time.Duration) {
		for range n {
			l.mu.Lock()
			l.active++
			l.mu.Unlock()
			l.release(time.Second, took)
		}
	}
	for range minLanes {
		l.acquire(long)
	}
	third := blocks("a lane opened for a late webhook before any answer was slow")
	l.release(time.Second, 100*time.Microsecond)
	<-third // took the freed lane

	answered(40, 10*time.Millisecond) // the app now answers in 10 ms
	for l.active < 8 {
		l.acquire(long) // each opens a lane: 16 shards × 10 ms ÷ laneTurn (20 ms)
	}
	if l.limit != 8 {
		t.Fatalf("app answering in 10 ms: %d lanes, want 8", l.limit)
	}
	ninth := blocks("a ninth lane opened for an app answering in 10 ms")
	l.release(time.Second, 10*time.Millisecond)
	<-ninth

	for range 8 {
		l.release(time.Second, 100*time.Microsecond)
	}
	answered(40, 100*time.Microsecond) // fast again
	if l.limit != minLanes || l.active != 0 {
		t.Errorf("after fast answers: %d lanes, %d active; want %d and 0", l.limit, l.active, minLanes)
	}
	before := l.answer
	answered(1, 0) // nothing posted: says nothing of the app
	if l.answer != before {
		t.Error("a lane freed without a post changed what the lanes know of the app")
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
