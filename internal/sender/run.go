package sender

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Feed produces the deliveries of a run. Len is the number of distinct
// deliveries in one pass over the sources; a run of more jobs cycles.
type Feed interface {
	Len() int
	// NewStream returns a producer for one worker; streams are used by one
	// goroutine each, so they can keep buffers and hash state.
	NewStream() Stream
}

// Stream builds deliveries for one worker.
type Stream interface {
	// Delivery returns job number job (its source is job % Len()). The
	// returned Body and Header must not be changed afterwards: the HTTP
	// transport may still read them after the request has returned.
	Delivery(job int) (Delivery, error)
}

// DuplicateStream is a Stream that can build the same events as job in new
// bytes (what serve calls a DUPLICATE: same ids, another body), copy n of
// them. A stream without it sends the same bytes again for a duplicate.
type DuplicateStream interface {
	Duplicate(job, n int) (Delivery, error)
}

// What a repeated copy of a delivery is, in serve's words.
const (
	RepeatRetry     = "retry"     // the same bytes again
	RepeatDuplicate = "duplicate" // the same events in new bytes
)

// Plan describes a run.
type Plan struct {
	URL    string
	Client *http.Client
	Feed   Feed

	// Count is the number of deliveries (jobs); 0 means one pass over the
	// feed, or no limit when Duration is set.
	Count int
	// Duration stops starting new deliveries after this long (0: no limit).
	Duration time.Duration
	// Concurrency is the number of requests in flight at once (default 1).
	Concurrency int
	// Rate caps requests per second over all workers (0: no cap).
	Rate float64
	// Retries sends each delivery this many more times with the same bytes,
	// back to back (what serve shows as RETRY).
	Retries int
	// Duplicates sends each delivery's events this many more times in new
	// bytes, back to back (what serve shows as DUPLICATE).
	Duplicates int
	Retry      Retry
	// Expect decides which statuses count as success (default: 200 only).
	Expect func(status int) bool

	// OnResult, when set, is called for every request, one call at a time.
	OnResult func(Result)
	// KeepResponses keeps response bodies in the results given to OnResult.
	KeepResponses bool
	// KeepSent attaches the request headers to each result (for -v).
	KeepSent bool
	// Progress, when set, is updated as requests complete.
	Progress *Progress
}

// Progress is a live view of a run for progress bars. The caller fills
// Total, Duration and Start before Run; Run only advances the counters.
type Progress struct {
	Total    int64         // requests planned (0: unknown, duration-bound)
	Duration time.Duration // planned run time, when duration-bound
	Start    time.Time
	done     atomic.Int64
	failed   atomic.Int64
}

// Done is the number of requests completed so far.
func (p *Progress) Done() int64 { return p.done.Load() }

// Failed is the number of requests so far that did not get the expected status.
func (p *Progress) Failed() int64 { return p.failed.Load() }

// ErrorCount is how often one kind of connection error happened, with the
// first explanation seen.
type ErrorCount struct {
	Count   int    `json:"count"`
	Example string `json:"example"`
}

// Report summarises a run.
type Report struct {
	URL     string        `json:"url"`
	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// Deliveries is the number of distinct POSTs attempted (jobs × copies).
	Deliveries int `json:"deliveries"`
	// Requests counts every HTTP request, retries included.
	Requests  int `json:"requests"`
	Retries   int `json:"retries"`
	Events    int `json:"events"`
	Succeeded int `json:"succeeded"` // deliveries whose last attempt got an expected status
	Failed    int `json:"failed"`
	// Unreached counts deliveries that never got any HTTP answer (refused,
	// DNS, TLS, or nothing within the timeout). An answer cut short is
	// counted under Errors as "incomplete", not here: it came.
	Unreached  int                      `json:"unreached"`
	ByStatus   map[int]int              `json:"by_status"`
	Errors     map[ErrorKind]ErrorCount `json:"errors"`
	Latency    LatencyStats             `json:"latency"`
	Throughput float64                  `json:"requests_per_second"`
	BytesSent  int64                    `json:"bytes_sent"`
	// Interrupted is true when the run was stopped before it finished.
	Interrupted bool `json:"interrupted,omitempty"`
}

// OK reports whether every delivery got an expected status.
func (r *Report) OK() bool { return r.Failed == 0 && !r.Interrupted }

// NoneReached reports whether not a single request got an HTTP answer,
// whole or cut short.
func (r *Report) NoneReached() bool {
	return r.Requests > 0 && len(r.ByStatus) == 0 && r.Errors[KindIncomplete].Count == 0
}

// ExpectStatus returns a predicate accepting exactly the given codes.
func ExpectStatus(codes ...int) func(int) bool {
	set := map[int]bool{}
	for _, c := range codes {
		set[c] = true
	}
	return func(s int) bool { return set[s] }
}

// workerStats is one worker's tally, merged at the end so the hot path
// takes no locks.
type workerStats struct {
	latencies  []time.Duration
	byStatus   [600]int
	other      map[int]int
	errors     map[ErrorKind]ErrorCount
	requests   int
	deliveries int
	retries    int
	events     int
	succeeded  int
	failed     int
	unreached  int
	bytes      int64
}

// Run executes plan and returns its report. A feed error (a body that could
// not be built) stops the run and is returned with the partial report.
func Run(ctx context.Context, plan Plan) (*Report, error) {
	if plan.Client == nil {
		return nil, errors.New("sender: no client")
	}
	if plan.Feed == nil || plan.Feed.Len() == 0 {
		return nil, errors.New("nothing to send: no source selected")
	}
	conc := max(plan.Concurrency, 1)
	retries, dups := max(plan.Retries, 0), max(plan.Duplicates, 0)
	expect := plan.Expect
	if expect == nil {
		expect = ExpectStatus(http.StatusOK)
	}
	count := plan.Count
	if count <= 0 && plan.Duration <= 0 {
		count = plan.Feed.Len()
	}
	if count > 0 && conc > count {
		conc = count
	}

	issueCtx, stopIssuing := context.WithCancel(ctx)
	defer stopIssuing()
	if plan.Duration > 0 {
		var cancel context.CancelFunc
		issueCtx, cancel = context.WithTimeout(issueCtx, plan.Duration)
		defer cancel()
	}
	var limiter *rate.Limiter
	if plan.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(plan.Rate), 1)
	}
	start := time.Now()

	var (
		next     atomic.Int64
		mu       sync.Mutex
		feedErr  error
		errOnce  sync.Once
		wg       sync.WaitGroup
		stats    = make([]*workerStats, conc)
		attempts = plan.Retry.attempts()
	)
	emit := func(r Result) {
		if plan.OnResult != nil {
			mu.Lock()
			plan.OnResult(r)
			mu.Unlock()
		}
	}
	// deliver sends one copy of d, retrying per plan.Retry; it returns false
	// when the run is over and the worker should stop.
	deliver := func(ctx, issueCtx context.Context, c *conn, d Delivery, job, copyN int, repeat string, st *workerStats) bool {
		st.deliveries++
		reached := false
		for attempt := 1; ; attempt++ {
			if limiter != nil && limiter.Wait(issueCtx) != nil {
				// The run ended before this request could start.
				if attempt == 1 {
					st.deliveries--
				} else {
					st.fail(reached)
				}
				return false
			}
			if copyN == 1 && attempt == 1 {
				st.events += max(d.Events, 1)
			}
			r := c.post(ctx, d)
			r.Job, r.Copy, r.Repeat, r.Attempt = job, copyN, repeat, attempt
			st.count(r, len(d.Body), attempt)
			if r.Answered() {
				reached = true
			}
			if r.Err == nil {
				r.Expected = expect(r.Status)
			}
			stopping := ctx.Err() != nil || (plan.Duration > 0 && issueCtx.Err() != nil)
			r.Final = r.Expected || attempt >= attempts || stopping
			if plan.KeepSent {
				r.Sent = d.Header.Clone()
			}
			if plan.Progress != nil {
				plan.Progress.done.Add(1)
				if !r.Expected {
					plan.Progress.failed.Add(1)
				}
			}
			emit(r)
			if r.Expected {
				st.succeeded++
				return true
			}
			if r.Final {
				st.fail(reached)
				return !stopping
			}
			if !sleep(issueCtx, plan.Retry.gap(attempt)) {
				st.fail(reached)
				return false
			}
		}
	}
	for w := range conc {
		st := &workerStats{errors: map[ErrorKind]ErrorCount{}}
		if count > 0 {
			st.latencies = make([]time.Duration, 0, count/conc+1)
		}
		stats[w] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each request's deadline context registers with its parent;
			// a parent per worker keeps workers from contending for one lock.
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			stream := plan.Feed.NewStream()
			var c conn
			c.init(plan.Client, plan.URL, plan.KeepResponses && plan.OnResult != nil)
			for issueCtx.Err() == nil {
				job := int(next.Add(1) - 1)
				if count > 0 && job >= count {
					return
				}
				d, err := stream.Delivery(job)
				if err != nil {
					errOnce.Do(func() { feedErr = err; stopIssuing() })
					return
				}
				if !deliver(ctx, issueCtx, &c, d, job, 1, "", st) {
					return
				}
				for k := 2; k <= 1+retries; k++ {
					if !deliver(ctx, issueCtx, &c, d, job, k, RepeatRetry, st) {
						return
					}
				}
				for k := 2; k <= 1+dups; k++ {
					dd := d
					if ds, ok := stream.(DuplicateStream); ok {
						if dd, err = ds.Duplicate(job, k-1); err != nil {
							errOnce.Do(func() { feedErr = err; stopIssuing() })
							return
						}
					}
					if !deliver(ctx, issueCtx, &c, dd, job, k, RepeatDuplicate, st) {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	rep := merge(stats)
	rep.URL = plan.URL
	rep.Started = start
	rep.Elapsed = time.Since(start)
	if s := rep.Elapsed.Seconds(); s > 0 {
		rep.Throughput = float64(rep.Requests) / s
	}
	rep.Interrupted = ctx.Err() != nil
	if feedErr != nil {
		return rep, fmt.Errorf("building a request body: %w", feedErr)
	}
	return rep, nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (st *workerStats) count(r Result, size, attempt int) {
	st.requests++
	st.bytes += int64(size)
	st.latencies = append(st.latencies, r.Latency)
	if attempt > 1 {
		st.retries++
	}
	switch {
	case r.Err == nil && r.Status >= 0 && r.Status < len(st.byStatus):
		st.byStatus[r.Status]++
	case r.Err == nil:
		if st.other == nil {
			st.other = map[int]int{}
		}
		st.other[r.Status]++
	case r.Kind != KindCanceled:
		ec := st.errors[r.Kind]
		if ec.Count == 0 {
			ec.Example = r.Explanation
		}
		ec.Count++
		st.errors[r.Kind] = ec
	}
}

func (st *workerStats) fail(reached bool) {
	st.failed++
	if !reached {
		st.unreached++
	}
}

func merge(stats []*workerStats) *Report {
	rep := &Report{ByStatus: map[int]int{}, Errors: map[ErrorKind]ErrorCount{}}
	var lat []time.Duration
	for _, st := range stats {
		rep.Requests += st.requests
		rep.Deliveries += st.deliveries
		rep.Retries += st.retries
		rep.Events += st.events
		rep.Succeeded += st.succeeded
		rep.Failed += st.failed
		rep.Unreached += st.unreached
		rep.BytesSent += st.bytes
		for code, n := range st.byStatus {
			if n > 0 {
				rep.ByStatus[code] += n
			}
		}
		for code, n := range st.other {
			rep.ByStatus[code] += n
		}
		for k, ec := range st.errors {
			cur := rep.Errors[k]
			if cur.Count == 0 {
				cur.Example = ec.Example
			}
			cur.Count += ec.Count
			rep.Errors[k] = cur
		}
		lat = append(lat, st.latencies...)
	}
	rep.Latency = Latencies(lat)
	return rep
}
