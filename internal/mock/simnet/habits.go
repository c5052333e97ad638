package simnet

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Habits are Meta's delivery habits, each the share of webhooks (or of
// messages) it applies to, and the delays of a message's statuses. Meta
// publishes none of these numbers; the realistic defaults are the mock's.
type Habits struct {
	// Batch is the chance that a webhook carries the other updates due at
	// the same time (several statuses or messages in one POST).
	Batch float64 `json:"batch"`
	// OutOfOrder is the chance that a message's read arrives before its delivered.
	OutOfOrder float64 `json:"out_of_order"`
	// SkipDelivered is the chance that delivered is never sent (the user
	// had the chat open: only read comes).
	SkipDelivered float64 `json:"skip_delivered"`
	// Duplicate is the chance that a webhook is posted twice.
	Duplicate float64 `json:"duplicate"`
	// SentDelay and DeliveredDelay are the typical delays from the send to
	// its sent and delivered statuses (each jittered ±50 %).
	SentDelay      time.Duration `json:"sent_delay"`
	DeliveredDelay time.Duration `json:"delivered_delay"`
	// ReadDelay is how long after delivery a user reads the app's message
	// by themselves; 0: only when told (mock read USER).
	ReadDelay time.Duration `json:"read_delay"`
}

// Realistic are the defaults: rare habits, sub-second statuses, users who
// read within a few seconds.
func Realistic() Habits {
	return Habits{Batch: 0.10, OutOfOrder: 0.03, SkipDelivered: 0.05, Duplicate: 0.02,
		SentDelay: 150 * time.Millisecond, DeliveredDelay: 600 * time.Millisecond, ReadDelay: 3 * time.Second}
}

// Deterministic turns every habit off: no batches, statuses in order and at
// once, no duplicates, reads only when asked for.
func Deterministic() Habits { return Habits{} }

// Dice is a seeded source of the habits' coin flips, safe for concurrent use.
type Dice struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewDice returns dice seeded with seed (the same seed, the same flips).
func NewDice(seed uint64) *Dice {
	return &Dice{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Roll returns true with probability p.
func (d *Dice) Roll(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.r.Float64() < p
}

// Jitter returns a duration within ±50 % of base.
func (d *Dice) Jitter(base time.Duration) time.Duration {
	if base <= 0 {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return base/2 + time.Duration(d.r.Int64N(int64(base)+1))
}

// Uint64 is a random number from the dice (for ids).
func (d *Dice) Uint64() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.r.Uint64()
}
