package simnet

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits are the business number's throughput and the pair rate per user.
type Limits struct {
	// MPS is messages per second per business number (Meta: 80 by
	// default); 0 turns the limit off.
	MPS float64 `json:"mps"`
	// PairBurst messages to one user may go at once, then one per
	// PairEvery (Meta: about one per 6 s with short bursts); 0 turns it off.
	PairBurst int           `json:"pair_burst"`
	PairEvery time.Duration `json:"pair_every"`
}

// DefaultLimits are Meta's documented values.
func DefaultLimits() Limits { return Limits{MPS: 80, PairBurst: 45, PairEvery: 6 * time.Second} }

// maxPairs bounds the pair limiters kept; past it the oldest are forgotten.
const maxPairs = 100_000

// Limiter applies Limits. Safe for concurrent use.
type Limiter struct {
	l     Limits
	total *rate.Limiter
	mu    sync.Mutex
	pairs map[string]*rate.Limiter
}

// NewLimiter returns a limiter for l.
func NewLimiter(l Limits) *Limiter {
	lim := &Limiter{l: l, pairs: map[string]*rate.Limiter{}}
	if l.MPS > 0 {
		lim.total = rate.NewLimiter(rate.Limit(l.MPS), max(int(l.MPS), 1))
	}
	return lim
}

// Allow reports which limit, if any, a message to user now exceeds:
// "throughput", "pair" or "".
func (l *Limiter) Allow(user string, now time.Time) string {
	if l.l.PairBurst > 0 && l.l.PairEvery > 0 {
		l.mu.Lock()
		p := l.pairs[user]
		if p == nil {
			if len(l.pairs) >= maxPairs {
				clear(l.pairs)
			}
			p = rate.NewLimiter(rate.Every(l.l.PairEvery), l.l.PairBurst)
			l.pairs[user] = p
		}
		ok := p.AllowN(now, 1)
		l.mu.Unlock()
		if !ok {
			return "pair"
		}
	}
	if l.total != nil && !l.total.AllowN(now, 1) {
		return "throughput"
	}
	return ""
}
