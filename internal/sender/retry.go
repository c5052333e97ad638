package sender

import "time"

// MetaRetryWindow is how long Meta keeps re-delivering an unacknowledged
// webhook before dropping it.
const MetaRetryWindow = 7 * 24 * time.Hour

// metaBackoff is our model of Meta's "decreasing frequency" retries: the first
// retry is immediate, then the gaps grow until they reach a day, and
// deliveries stop after seven days. Meta publishes only that outline, not the
// exact gaps; these are the gaps wa-hooks uses.
var metaBackoff = []time.Duration{
	0,
	15 * time.Second,
	time.Minute,
	5 * time.Minute,
	15 * time.Minute,
	30 * time.Minute,
	time.Hour,
	2 * time.Hour,
	4 * time.Hour,
	8 * time.Hour,
	16 * time.Hour,
}

// MetaSchedule returns the gaps before each retry of Meta's schedule, filling
// the rest of the seven-day window with daily retries.
func MetaSchedule() []time.Duration {
	s := append([]time.Duration(nil), metaBackoff...)
	var total time.Duration
	for _, d := range s {
		total += d
	}
	for total+24*time.Hour <= MetaRetryWindow {
		s = append(s, 24*time.Hour)
		total += 24 * time.Hour
	}
	return s
}

// Retry says whether and how failed deliveries are re-sent.
type Retry struct {
	// Enabled turns retries on; off, every delivery is tried once.
	Enabled bool
	// Scale multiplies every gap of the schedule: 1 is real time, 1e-5 runs
	// the seven-day schedule in about six seconds.
	Scale float64
	// Max caps the number of attempts (first try included); 0 means the whole schedule.
	Max int
	// Schedule overrides MetaSchedule (tests).
	Schedule []time.Duration
}

// DefaultRetryScale compresses Meta's seven days into about six seconds.
const DefaultRetryScale = 1e-5

// attempts is the total number of tries a delivery gets.
func (r Retry) attempts() int {
	if !r.Enabled {
		return 1
	}
	n := len(r.schedule()) + 1
	if r.Max > 0 && r.Max < n {
		n = r.Max
	}
	return n
}

func (r Retry) schedule() []time.Duration {
	if r.Schedule != nil {
		return r.Schedule
	}
	return MetaSchedule()
}

// gap is the wait before attempt n+1 (n is 1-based: gap(1) precedes the first retry).
func (r Retry) gap(n int) time.Duration {
	s := r.schedule()
	if n-1 >= len(s) {
		return 0
	}
	scale := r.Scale
	if scale <= 0 {
		scale = DefaultRetryScale
	}
	return time.Duration(float64(s[n-1]) * scale)
}
