package mock

import (
	"cmp"
	"slices"
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
	if l.limit != minCoalescingLanes {
		t.Fatalf("starts with %d lanes, want %d", l.limit, minCoalescingLanes)
	}
	for range minCoalescingLanes {
		l.acquire(long)
	}
	second := blocks("a lane opened for a late webhook before any answer was slow")
	l.release(time.Second, 100*time.Microsecond)
	<-second // took the freed lane

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
	if l.limit != minCoalescingLanes || l.active != 0 {
		t.Errorf("after fast answers: %d lanes, %d active; want %d and 0", l.limit, l.active, minCoalescingLanes)
	}
	before := l.answer
	answered(1, 0) // nothing posted: says nothing of the app
	if l.answer != before {
		t.Error("a lane freed without a post changed what the lanes know of the app")
	}
}

// With coalescing, the lanes an app's answer time calls for open as soon
// as a poster waits for one, not once it is late; more wait for lateness.
func TestCoalescingLanesOpenWhatTheAnswerTimeCallsForAtOnce(t *testing.T) {
	l := newLanes(16, true)
	for range 40 {
		l.active++
		l.release(0, 2500*time.Microsecond) // 16 shards × 2.5 ms ÷ 20 ms: 2 lanes
	}
	soon := time.Now().Add(time.Hour) // never late here
	l.acquire(soon)
	second := make(chan struct{})
	go func() {
		l.acquire(soon) // on time, yet the second lane is the app's due
		close(second)
	}()
	select {
	case <-second:
	case <-time.After(5 * time.Second):
		t.Fatal("the second lane an app answering in 2.5 ms calls for waited for lateness")
	}
	if l.limit != 2 {
		t.Fatalf("app answering in 2.5 ms: %d lanes, want 2", l.limit)
	}
	got := make(chan struct{})
	go func() {
		l.acquire(time.Now().Add(time.Hour))
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("a third lane opened for a timely webhook of an app answering in 2.5 ms")
	case <-time.After(30 * time.Millisecond):
	}
	l.shut()
	<-got
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

// A shard's heap gives its jobs back by due time, then in the order they
// were queued, whatever order they were pushed in.
func TestJobHeapPopsByDueThenOrder(t *testing.T) {
	var h jobHeap
	var want []queued
	x := uint64(12345)
	for i := range 500 {
		x = x*6364136223846793005 + 1442695040888963407
		q := queued{due: int64(x>>56) % 20, order: uint64(i), j: &job{order: uint64(i)}}
		h.push(q)
		want = append(want, q)
		if i%7 == 0 { // pops between pushes too
			var min queued
			for k, w := range want {
				if k == 0 || w.due < min.due || w.due == min.due && w.order < min.order {
					min = w
				}
			}
			if got := h.pop(); got != min.j {
				t.Fatalf("pop after %d pushes: order %d, want %d", i+1, got.order, min.j.order)
			}
			want = slices.DeleteFunc(want, func(w queued) bool { return w.j == min.j })
		}
	}
	slices.SortFunc(want, func(a, b queued) int {
		if a.due != b.due {
			return cmp.Compare(a.due, b.due)
		}
		return cmp.Compare(a.order, b.order)
	})
	for _, w := range want {
		if got := h.pop(); got != w.j {
			t.Fatalf("pop: order %d, want %d", got.order, w.j.order)
		}
	}
	if len(h) != 0 {
		t.Fatalf("%d left after popping all", len(h))
	}
}

// A post borrows the due updates of the other queues, but never from one
// whose own post is under way or already lent to another post (their
// users' later updates would overtake the earlier ones), nor what is not
// due yet; giving them back wakes those queues' workers.
func TestBorrowTakesOnlyIdleQueuesDueUpdates(t *testing.T) {
	now := time.Now()
	o := &outbox{epoch: now.Add(-time.Second)}
	mk := func() *shard { return &shard{wake: make(chan struct{}, 1)} }
	own, posting, lent, idle := mk(), mk(), mk(), mk()
	o.shards = []*shard{own, posting, lent, idle}
	n := uint64(0)
	push := func(sh *shard, due time.Time) *job {
		n++
		j := &job{kind: jobStatus, due: due, order: n}
		sh.h.push(queued{due: int64(due.Sub(o.epoch)), order: n, j: j})
		return j
	}
	first := push(own, now.Add(-time.Millisecond))
	own.h.pop()
	push(posting, now.Add(-time.Millisecond))
	posting.posting = true
	push(lent, now.Add(-time.Millisecond))
	lent.lent = true
	early := push(idle, now.Add(-2*time.Millisecond))
	late := push(idle, now.Add(-time.Millisecond))
	push(idle, now.Add(time.Hour)) // not due
	batch := o.borrow(own, []*job{first}, now)
	if len(batch) != 3 || batch[0] != first || batch[1] != early || batch[2] != late {
		t.Fatalf("borrowed %d jobs, want the idle queue's two due ones in order", len(batch)-1)
	}
	if len(posting.h) != 1 || len(lent.h) != 1 || len(idle.h) != 1 {
		t.Errorf("left %d, %d, %d jobs in the posting, lent and idle queues; want 1 each", len(posting.h), len(lent.h), len(idle.h))
	}
	if !idle.lent || len(own.borrowed) != 1 || own.borrowed[0] != idle {
		t.Fatalf("the idle queue is not marked lent to this post")
	}
	o.giveBack(own)
	if idle.lent || len(own.borrowed) != 0 {
		t.Error("giveBack left the queue lent")
	}
	select {
	case <-idle.wake:
	default:
		t.Error("giveBack did not wake the queue's worker")
	}
}

// Once a coalesced post was late, or carried more than paceBacklog
// updates, every poster of a coalescing mock waits for its lane's turn
// (the gap after the last post began) and says it did; once one carries
// no more than that, on time, posters go at once again.
func TestLanesPaceWhileTheAppIsBehind(t *testing.T) {
	l := newLanes(16, true)
	l.gap = time.Hour
	acquire := func() chan bool {
		c := make(chan bool, 1)
		go func() { c <- l.acquire(time.Now()) }()
		return c
	}
	at := func(c chan bool, what string) bool {
		select {
		case paced := <-c:
			return paced
		case <-time.After(5 * time.Second):
			t.Fatal(what)
			return false
		}
	}
	waits := func(c chan bool, what string) {
		select {
		case <-c:
			t.Fatal(what)
		case <-time.After(30 * time.Millisecond):
		}
		l.mu.Lock()
		l.started = time.Time{} // its turn has come
		l.wakeLocked()
		l.mu.Unlock()
		if !at(c, "a post whose turn came still waited") {
			t.Error("a post that waited for its turn did not say it was paced")
		}
		l.release(0, 0)
	}
	if at(acquire(), "a first post waited") {
		t.Fatal("a first post was paced")
	}
	l.release(0, 0)
	if at(acquire(), "a timely post waited while the app kept up") {
		t.Fatal("a timely post was paced while the app kept up")
	}
	l.release(0, 0)
	l.carried(3, time.Second) // a late coalesced post
	waits(acquire(), "a post went at once after a late one")
	l.carried(paceBacklog+1, 0) // on time, but a big one
	waits(acquire(), "a post went at once while the app was still behind")
	l.carried(paceBacklog, 0)
	if at(acquire(), "a timely post waited once the app had caught up") {
		t.Error("paced once the app caught up")
	}
}
