package mock

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// Job kinds.
const (
	jobStatus   uint8 = iota // one status of one outbound message, built when due
	jobInbound               // one message a user wrote (mergeable with others)
	jobEnvelope              // a whole body, posted as it is
	jobRetry                 // a failed delivery, posted again with the same bytes
)

// Signature modes of an envelope job.
const (
	sigValid   = "valid"
	sigForged  = "forged"
	sigMissing = "missing"
)

type job struct {
	due   time.Time
	order uint64
	kind  uint8

	// jobStatus
	msg     uint64
	status  uint8
	errCode int
	details string

	// jobInbound: the message object and its sender
	item   json.RawMessage
	userID string // the user's name
	system bool   // a system message: no contacts

	// jobEnvelope
	body    []byte
	raw     bool
	sig     string
	field   string
	summary string
	noRetry bool // one attempt, whatever the mock's retry schedule

	// jobRetry
	delivery *sender.Delivery
	attempt  int
	entry    *Entry // what the log said of the first attempt

	done chan Delivery
}

// jobHeap is a shard's jobs by due time, then by order. Its items carry
// their keys by value, so that ordering a large backlog compares
// integers in one array instead of reaching into every job it passes (a
// saturated mock pops thousands of jobs a second from heaps of hundreds).
type jobHeap []queued

type queued struct {
	due   int64 // nanoseconds since the outbox's epoch, on the monotonic clock
	order uint64
	j     *job
}

func (h jobHeap) less(a, b int) bool {
	return h[a].due < h[b].due || h[a].due == h[b].due && h[a].order < h[b].order
}

func (h *jobHeap) push(q queued) {
	*h = append(*h, q)
	x := *h
	for i := len(x) - 1; i > 0; {
		parent := (i - 1) / 2
		if !x.less(i, parent) {
			break
		}
		x[i], x[parent] = x[parent], x[i]
		i = parent
	}
}

// pop removes and returns the first job (the heap is not empty).
func (h *jobHeap) pop() *job {
	x := *h
	n := len(x) - 1
	first := x[0].j
	x[0] = x[n]
	x[n] = queued{}
	x = x[:n]
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && x.less(c+1, c) {
			c++
		}
		if !x.less(c, i) {
			break
		}
		x[i], x[c] = x[c], x[i]
		i = c
	}
	*h = x
	return first
}

// outbox holds the webhooks waiting to be posted, in shards: every user's
// webhooks go through one shard, so they leave in the order they were
// planned unless a habit says otherwise.
type outbox struct {
	s      *Server
	shards []*shard
	lanes  *lanes
	mu     sync.Mutex
	order  uint64
	queued int
	closed bool // no more postNow goroutines
	ctx    context.Context
	cancel context.CancelFunc
	epoch  time.Time // what the shards' due times count from
	wg     sync.WaitGroup
	// path is the last webhook URL's path, parsed once rather than per post.
	path atomic.Pointer[[2]string] // URL, path
}

// pathOf is the path of the webhook URL target, as the log shows it
// (false: no URL, or not one).
func (o *outbox) pathOf(target string) (string, bool) {
	if p := o.path.Load(); p != nil && p[0] == target {
		return p[1], true
	}
	if target == "" {
		return "", false
	}
	u, err := url.Parse(target)
	if err != nil {
		return "", false
	}
	o.path.Store(&[2]string{target, u.Path})
	return u.Path, true
}

// lanes bounds how many shards post at once, adapting to the app: as few
// as minLanes while webhooks leave on time (so an app that answers fast
// gets its webhooks from a few busy goroutines, and Graph answers do not
// queue for the CPU behind a crowd of posters), one more as soon as a
// webhook waiting for a lane is laneLate past its due time (a slow app
// gets up to one lane per shard, as before), one fewer whenever a webhook
// left on time.
//
// With coalescing, lateness alone opens no lane beyond what the app's
// answer time calls for: a late poster takes everything due in its
// shard, so each lane turn drains a shard, and lanes = shards × answer
// time ÷ laneTurn give every shard a turn within laneTurn (want). An app
// answering in 1.25 ms or less needs one, in 2.5 ms two, in 10 ms half
// the shards, in 20 ms all of them; those lanes open as soon as a poster
// waits for one (floorLocked), not laneLate later. Opening more than
// that when a fast app is behind does not help, because then the CPU is
// what is busy (the mock, the app and their clients share it): more
// posters only add POSTs, each costing the mock and the app a loopback
// round trip and a wake-up, and the backlog grows. Measured with `bench
// mock` on 2 cores (--no-inspect --quiet): 0.36 POSTs per send with lanes
// opening on lateness alone, 0.07-0.08 held to a turn within 10 ms, and
// the mock answered 0.30x and 0.50-0.54x the bare handler's sends. On a
// slower machine the saturated app answers in 1.3-2 ms, which gave 3
// lanes at 10 ms: a turn within 20 ms holds them to 2 there, 0.10 POSTs
// per send instead of 0.14 and 6-13% more sends answered (measured with
// 25 ms, which also gives 2; 20 ms leaves slower apps more), while the
// send → delivered lag of an app answering in 2 or 5 ms at 400 sends/s
// stayed the same (p50 5-11 ms, p99 13-19 ms). One lane instead of two
// for a fast app (2026-12-03, 2-core KVM guest): 0.03 POSTs per send
// instead of 0.06-0.07, 1.04-1.05x the sends answered paired by round,
// the app's CPU per send 5.1-5.3 µs instead of 6.5-6.6; opening an app's
// due lanes at once made the lag of an app answering in 2 ms p50 3.0,
// p99 5.8 ms (was 3.3 and 15.8) and in 5 ms p50 6.5 ms (was 10.1), while
// a fast app's lag at 400 sends/s has a longer tail (p99 1.0-7.0 ms in
// three runs against 0.8-1.2): its webhooks queue behind one poster.
type lanes struct {
	mu sync.Mutex
	// changed is closed when a lane is freed; made by the first post
	// that waits for one (nil: nobody waits, so a release makes nothing).
	changed  chan struct{}
	active   int
	limit    int
	max      int
	shutting bool
	// coalesce: late posts carry every update due in their shard.
	coalesce bool
	// answer is a moving average of the app's answer times.
	answer time.Duration
	// started is when the last post took a lane; gap is how long after
	// that the next may start while the app is behind (pacing); behind
	// says the last coalesced post was coalesceLate late or carried more
	// than paceBacklog updates.
	started time.Time
	gap     time.Duration
	behind  bool
}

const (
	minLanes           = 2
	minCoalescingLanes = 1
	laneLate           = 10 * time.Millisecond
	laneTurn           = 20 * time.Millisecond
	// postGap and paceBacklog: with coalescing, while the app is behind,
	// posts start at least postGap apart, whatever the lanes, and what
	// became due in between leaves with the next one. Pacing stops once a
	// coalesced post leaves on time with paceBacklog updates or fewer:
	// below ~8,000 sends a second (2 statuses each), so a paced run at
	// 1,000/s is paced only for a post after a hiccup.
	postGap     = 4 * time.Millisecond
	paceBacklog = 64
)

func newLanes(max int, coalesce bool) *lanes {
	l := &lanes{max: max, coalesce: coalesce, gap: postGap}
	l.limit = l.floorLocked()
	return l
}

// acquire waits for a lane for a post whose first job was due at due.
// paced says the post waited for its lane's turn: what became due
// meanwhile, in its shard and the others, should leave with it.
//
// Pacing is what makes a saturated mock cheap for a fast app. Without it
// one poster posting back to back sent ~800 POSTs a second on 2 cores,
// five in six with one status (its shard's first, not yet late), and each
// POST costs the mock and the app a loopback exchange and a wake-up:
// paced, ~230 POSTs a second of ~150 updates each, the app's CPU per send
// 6-9 µs instead of 13-18 (bench mock, 2026-12-04). An app that keeps up
// is not paced, so a light load keeps its lag: a status leaves as soon as
// it is due.
func (l *lanes) acquire(due time.Time) (paced bool) {
	l.mu.Lock()
	for !l.shutting {
		if l.active >= l.limit {
			wait := laneLate - time.Since(due)
			switch {
			case l.limit < l.floorLocked():
				l.limit++ // the app's answer time calls for another at once
			case wait <= 0 && l.limit < l.max && (!l.coalesce || l.limit < l.wantLocked()):
				l.limit++ // late: the app is slow, so post more at once
			default:
				l.waitLocked(max(wait, laneLate))
				continue
			}
		}
		if l.coalesce && l.behind {
			if turn := time.Until(l.started.Add(l.gap)); turn > 0 {
				paced = true
				l.waitLocked(turn)
				continue
			}
		}
		break
	}
	l.active++
	l.started = time.Now()
	l.mu.Unlock()
	return paced
}

// waitLocked waits until a lane is freed or d has passed. Callers hold
// l.mu, which it releases meanwhile.
func (l *lanes) waitLocked(d time.Duration) {
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	changed := l.changed
	l.mu.Unlock()
	t := time.NewTimer(d)
	select {
	case <-changed:
	case <-t.C:
	}
	t.Stop()
	l.mu.Lock()
}

// carried notes what a coalesced post carried: n updates, the first
// late past its due time. A late one, or more than paceBacklog, say the
// app is behind, and every poster is paced from then on (pacing only the
// late one would let the others' timely posts keep taking its turn);
// neither says it has caught up.
func (l *lanes) carried(n int, late time.Duration) {
	l.mu.Lock()
	l.behind = late >= coalesceLate || n > paceBacklog
	l.mu.Unlock()
}

// release ends a post that started late after its first job was due;
// took is how long the app took to answer it (0: nothing was posted,
// which says nothing of the app).
func (l *lanes) release(late, took time.Duration) {
	l.mu.Lock()
	l.active--
	if l.coalesce && took > 0 {
		l.answer += (took - l.answer) / 8
	}
	timely := late < laneLate/10 || (l.coalesce && l.limit > l.wantLocked())
	if timely && l.limit > l.floorLocked() {
		l.limit--
	}
	l.wakeLocked()
	l.mu.Unlock()
}

// floorLocked is the fewest lanes: minLanes, or with coalescing one and
// as many more as the app's answer time calls for (want), so that a fast
// app gets one poster's POSTs, each carrying what came meanwhile, and a
// slower one its lanes without first waiting laneLate for each. Callers
// hold l.mu.
func (l *lanes) floorLocked() int {
	if !l.coalesce {
		return min(minLanes, l.max)
	}
	return min(max(minCoalescingLanes, l.wantLocked()), l.max)
}

// wantLocked is how many lanes give every shard a turn within laneTurn
// at the app's answer time, when each turn drains a shard (coalescing).
// Callers hold l.mu.
func (l *lanes) wantLocked() int {
	return int((int64(l.max)*int64(l.answer) + int64(laneTurn) - 1) / int64(laneTurn))
}

func (l *lanes) shut() {
	l.mu.Lock()
	l.shutting = true
	l.wakeLocked()
	l.mu.Unlock()
}

// wakeLocked wakes the posts waiting for a lane. Callers hold l.mu.
func (l *lanes) wakeLocked() {
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

type shard struct {
	mu     sync.Mutex
	h      jobHeap
	wake   chan struct{}
	closed bool
	// posting: the worker's own post is under way. lent: another shard's
	// post carries some of this shard's updates; until it is answered,
	// this worker posts nothing, so each user's updates keep their order.
	posting bool
	lent    bool
	// batch is the worker's list of what leaves in one POST, and
	// borrowed the shards it carries updates of, both reused from post to
	// post (only the worker touches them).
	batch    []*job
	borrowed []*shard
}

func newOutbox(s *Server, n int) *outbox {
	o := &outbox{s: s, epoch: time.Now()}
	o.ctx, o.cancel = context.WithCancel(context.Background())
	o.lanes = newLanes(n, s.coalesce)
	for range n {
		sh := &shard{wake: make(chan struct{}, 1)}
		o.shards = append(o.shards, sh)
		o.wg.Add(1)
		go o.run(sh)
	}
	return o
}

func (o *outbox) shardFor(user string) *shard {
	if len(o.shards) == 1 || user == "" {
		return o.shards[0]
	}
	var h uint32 = 2166136261
	for i := 0; i < len(user); i++ {
		h = (h ^ uint32(user[i])) * 16777619
	}
	return o.shards[int(h%uint32(len(o.shards)))]
}

// push queues j for user after delay; false when the queue is full.
func (o *outbox) push(user string, delay time.Duration, j *job) bool {
	j.due = time.Now().Add(delay)
	return o.pushAll(user, []*job{j})
}

// pushAll queues jobs (their due times set) for user at once, so a worker
// never sees some of them without the others; false when the queue is full.
func (o *outbox) pushAll(user string, jobs []*job) bool {
	o.mu.Lock()
	if o.queued+len(jobs) > maxQueue {
		o.mu.Unlock()
		return false
	}
	o.queued += len(jobs)
	for _, j := range jobs {
		o.order++
		j.order = o.order
	}
	o.mu.Unlock()
	sh := o.shardFor(user)
	sh.mu.Lock()
	if sh.closed {
		sh.mu.Unlock()
		for _, j := range jobs {
			o.finish(j, Delivery{Error: "the mock is shutting down"})
		}
		return true
	}
	for _, j := range jobs {
		sh.h.push(queued{due: int64(j.due.Sub(o.epoch)), order: j.order, j: j})
	}
	sh.mu.Unlock()
	sh.nudge()
	return true
}

// postNow posts j at once on its own goroutine, beside the shards' order
// (a burst must reach the app all at once, also in deterministic mode).
// It counts against the same bound as the queue; false when that is full.
func (o *outbox) postNow(j *job) bool {
	o.mu.Lock()
	if o.queued+1 > maxQueue {
		o.mu.Unlock()
		return false
	}
	if o.closed {
		o.mu.Unlock()
		j.done <- Delivery{Error: "the mock is shutting down"}
		return true
	}
	o.queued++
	o.order++
	j.order = o.order
	o.wg.Add(1) // under o.mu, so never after close's Wait began
	o.mu.Unlock()
	go func() {
		defer o.wg.Done()
		o.post([]*job{j}, false)
	}()
	return true
}

// waiting counts the jobs queued or being posted.
func (o *outbox) waiting() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.queued
}

func (o *outbox) finish(j *job, d Delivery) {
	o.mu.Lock()
	o.queued--
	o.mu.Unlock()
	if j.done != nil {
		j.done <- d
	}
}

// maxBatch bounds how many updates the batch habit puts in one POST.
const maxBatch = 10

// Coalescing: when the app has fallen behind (the first webhook a lane
// takes is coalesceLate past its due time), the updates already due in
// its shard leave in one POST, as Meta aggregates up to 1,000 updates
// into one (webhooks-reference §2.4), and at most about coalesceBytes of
// them, well under Meta's 3 MB.
const (
	maxCoalesce   = 1000
	coalesceBytes = 1 << 20
	coalesceLate  = laneLate
)

// mergeable reports whether j may share a POST with other updates.
func (j *job) mergeable() bool { return j.kind == jobStatus || j.kind == jobInbound }

// size estimates what j adds to a webhook body: a status with its
// pricing, or a message with its contact.
func (j *job) size() int {
	if j.kind == jobInbound {
		return len(j.item) + 256
	}
	return 640
}

func (o *outbox) run(sh *shard) {
	defer o.wg.Done()
	var timer *time.Timer
	for {
		sh.mu.Lock()
		if sh.closed {
			pending := sh.h
			sh.h = nil
			sh.mu.Unlock()
			for _, q := range pending {
				o.finish(q.j, Delivery{Error: "the mock stopped before posting this webhook"})
			}
			return
		}
		if len(sh.h) == 0 || sh.lent {
			sh.mu.Unlock()
			<-sh.wake
			continue
		}
		due := sh.h[0].j.due
		if wait := time.Until(due); wait > 0 {
			sh.mu.Unlock()
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-timer.C:
			case <-sh.wake:
				if !timer.Stop() {
					<-timer.C
				}
			}
			continue
		}
		sh.mu.Unlock()
		// The lane first, then the jobs: what became due while this shard
		// waited for a lane leaves with the first one when coalescing.
		paced := o.lanes.acquire(due)
		sh.mu.Lock()
		if sh.closed || len(sh.h) == 0 || sh.lent { // closed, or another post took (or carries) its updates
			sh.mu.Unlock()
			o.lanes.release(0, 0)
			continue
		}
		now := time.Now()
		first := sh.h.pop()
		batch, coalescing := o.take(sh, append(sh.batch[:0], first), now, paced)
		sh.posting = true
		sh.mu.Unlock()
		late := now.Sub(first.due)
		if coalescing {
			batch = o.borrow(sh, batch, now)
			o.lanes.carried(len(batch), late)
		}
		took := o.post(batch, coalescing && len(batch) > 1)
		sh.mu.Lock()
		sh.posting = false
		sh.mu.Unlock()
		o.giveBack(sh)
		o.lanes.release(late, took)
		clear(batch) // holds no job past its post
		sh.batch = batch[:0]
	}
}

// borrow adds to batch the due updates of every other shard that is
// neither posting nor lent, within the bounds of one coalesced POST, and
// marks those shards lent until giveBack: no shard's updates are ever in
// two posts at once, so each user's keep their order.
func (o *outbox) borrow(own *shard, batch []*job, now time.Time) []*job {
	room := coalesceBytes
	for _, j := range batch {
		room -= j.size()
	}
	until := int64(now.Sub(o.epoch))
	for _, sh := range o.shards {
		if len(batch) >= maxCoalesce || room <= 0 {
			break
		}
		if sh == own {
			continue
		}
		sh.mu.Lock()
		if sh.closed || sh.posting || sh.lent {
			sh.mu.Unlock()
			continue
		}
		n := len(batch)
		if batch = sh.popDue(batch, maxCoalesce, &room, until); len(batch) > n {
			sh.lent = true
			own.borrowed = append(own.borrowed, sh)
		}
		sh.mu.Unlock()
	}
	return batch
}

// giveBack ends what borrow lent once the post is answered, and wakes
// those shards' workers for what came meanwhile.
func (o *outbox) giveBack(own *shard) {
	for _, sh := range own.borrowed {
		sh.mu.Lock()
		sh.lent = false
		sh.mu.Unlock()
		sh.nudge()
	}
	clear(own.borrowed)
	own.borrowed = own.borrowed[:0]
}

// take returns batch (its first job only) with the due updates that
// leave with that one (callers hold sh.mu): all of them, within Meta's
// bounds, when coalescing is on and the app has fallen behind or the post
// waited for its turn (paced); those the batch habit picks otherwise. It
// also says whether it coalesces (then the post carries what is due in
// the other shards too).
func (o *outbox) take(sh *shard, batch []*job, now time.Time, paced bool) ([]*job, bool) {
	first := batch[0]
	if !first.mergeable() {
		return batch, false
	}
	limit, room := 1, 0
	coalesce := o.s.coalesce && (paced || now.Sub(first.due) >= coalesceLate)
	switch {
	case coalesce:
		limit, room = maxCoalesce, coalesceBytes-first.size()
	case o.s.dice.Roll(o.s.habits.Batch):
		limit = maxBatch
	}
	bound := &room
	if !coalesce {
		bound = nil
	}
	return sh.popDue(batch, limit, bound, int64(now.Sub(o.epoch))), coalesce
}

// popDue appends sh's mergeable updates due by until (since the
// outbox's epoch) to batch, in order, while batch holds fewer than limit
// and, unless room is nil, their sizes fit in *room, which it lowers.
// Callers hold sh.mu.
func (sh *shard) popDue(batch []*job, limit int, room *int, until int64) []*job {
	for len(batch) < limit && len(sh.h) > 0 && sh.h[0].due <= until && sh.h[0].j.mergeable() {
		if room != nil {
			if *room -= sh.h[0].j.size(); *room < 0 {
				break
			}
		}
		batch = append(batch, sh.h.pop())
	}
	return batch
}

// nudge wakes sh's worker, unless a wake-up already waits for it.
func (sh *shard) nudge() {
	select {
	case sh.wake <- struct{}{}:
	default:
	}
}

func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	for _, sh := range o.shards {
		sh.mu.Lock()
		sh.closed = true
		sh.mu.Unlock()
		sh.nudge()
	}
	o.lanes.shut()
	o.cancel()
	o.wg.Wait()
}

// post builds, signs and posts one webhook for batch (coalesced: the
// updates that waited while the app was behind), then plans what
// follows: a retry on failure, a duplicate now and then. It returns how
// long the app took to answer (0: nothing was posted).
func (o *outbox) post(batch []*job, coalesced bool) time.Duration {
	s := o.s
	first := batch[0]
	var entry Entry
	var d *sender.Delivery
	attempt := 1
	switch first.kind {
	case jobRetry:
		d, entry, attempt = first.delivery, *first.entry, first.attempt
	default:
		body, e, sig, raw := s.buildBody(batch, coalesced)
		if body == nil { // every status in it was already superseded
			for _, j := range batch {
				o.finish(j, Delivery{Error: "nothing left to post"})
			}
			return 0
		}
		entry = e
		built, err := sign(&s.macs, body, s.opts.AppSecret, sig, raw)
		if err != nil {
			entry.Summary += " (not posted: " + err.Error() + ")"
			s.log.add(entry, body)
			for _, j := range batch {
				o.finish(j, Delivery{Error: err.Error()})
			}
			return 0
		}
		d = built
	}
	s.mu.Lock()
	target := s.webhook
	s.mu.Unlock()
	res := o.deliver(target, d)
	entry.Attempt = attempt
	entry.Status = res.Status
	entry.LatencyMS = ms(res.Latency)
	entry.Delivery = &Delivery{Status: res.Status, LatencyMS: ms(res.Latency), Error: res.Explanation,
		Attempts: attempt, BodyBytes: len(d.Body)}
	if path, ok := o.pathOf(target); ok {
		entry.Path = path
	}
	entry.Time = time.Time{}
	if s.log.feeding() {
		k := &known{signature: d.Header.Get(signature.Header)}
		// The body as written, when what was posted is those very bytes (a
		// retry's entry carries its first post's).
		if entry.known != nil && entry.known.written != nil && sameBytes(entry.known.body, d.Body) {
			k.written = entry.known.written
		}
		entry.known = k
	}
	final := *entry.Delivery
	final.Seq = s.log.add(entry, d.Body)
	entry.Delivery = &final

	ok := res.Status == 200
	var schedule []time.Duration // made only for a failed post: most succeed
	if !ok {
		schedule = sender.MetaSchedule()
	}
	if !ok && !s.opts.NoRetry && !first.noRetry && target != "" && attempt <= len(schedule) {
		gap := time.Duration(float64(schedule[attempt-1]) * s.opts.RetryScale)
		again := entry
		again.Delivery = nil
		retry := &job{kind: jobRetry, delivery: d, attempt: attempt + 1, entry: &again}
		// The callers waiting for this webhook wait for its last attempt.
		var waiters []chan Delivery
		for _, j := range batch {
			if j.done != nil {
				waiters = append(waiters, j.done)
			}
		}
		if len(waiters) > 0 {
			ch := make(chan Delivery, 1)
			retry.done = ch
			go func() {
				final := <-ch
				for _, w := range waiters {
					w <- final
				}
			}()
		}
		for _, j := range batch {
			j.done = nil
			o.finish(j, Delivery{})
		}
		waiter := retry.done
		if !o.push(entry.User, gap, retry) && waiter != nil {
			waiter <- final
		}
		return res.Latency
	}
	for _, j := range batch {
		o.finish(j, final)
	}
	if ok && first.kind != jobEnvelope && first.kind != jobRetry && s.dice.Roll(s.habits.Duplicate) {
		dup := o.deliver(target, d)
		de := entry
		de.Duplicate = true
		de.Status, de.LatencyMS = dup.Status, ms(dup.Latency)
		de.Delivery = &Delivery{Status: dup.Status, LatencyMS: ms(dup.Latency), Error: dup.Explanation, Attempts: 1, BodyBytes: len(d.Body)}
		s.log.add(de, d.Body)
	}
	return res.Latency
}

func (o *outbox) deliver(target string, d *sender.Delivery) sender.Result {
	if target == "" {
		return sender.Result{Explanation: "no webhook URL: start the mock with --webhook URL, or subscribe one with POST /{app-id}/subscriptions"}
	}
	return sender.Deliver(o.ctx, o.s.client, target, *d)
}

// sign turns body into a delivery exactly as `send` would: Meta's wire
// form (unless raw), X-Hub-Signature-256 over those bytes, Meta's headers.
// It uses the same encoder and signer as `send` (internal/wire,
// internal/signature) without payload.Build's overrides and fresh ids,
// which a body the mock built itself does not need.
// Keyed hashers come from pool (nil: a fresh one).
func sign(pool *sync.Pool, body []byte, secret, sig string, raw bool) (*sender.Delivery, error) {
	if !raw {
		enc, err := wire.Encode(body)
		if err != nil {
			return nil, err
		}
		body = enc
	}
	// Meta's headers come from payload.MetaHeader once; each delivery gets
	// its own map sharing those values, which nobody modifies.
	h := make(http.Header, len(metaHeader)+1)
	for k, v := range metaHeader {
		h[k] = v
	}
	// The delivery and its signature header's value in one allocation.
	out := &struct {
		d   sender.Delivery
		sig [1]string
	}{d: sender.Delivery{Name: "mock", Body: body, Header: h, Events: 1}}
	if sig == sigMissing {
		return &out.d, nil
	}
	var mac *signature.Hasher
	if pool != nil {
		mac = pool.Get().(*signature.Hasher)
		mac.Reset()
	} else {
		mac = signature.NewHasher(secret)
	}
	_, _ = mac.Write(body)
	v := mac.Value()
	if pool != nil {
		pool.Put(mac)
	}
	if sig == sigForged {
		v = payload.Spoil(v)
	}
	out.sig[0] = v
	h[signature.Header] = out.sig[:]
	return &out.d, nil
}

var metaHeader = payload.MetaHeader(nil)

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
