package sender

import (
	"slices"
	"time"
)

// LatencyStats summarises request latencies.
type LatencyStats struct {
	Count int           `json:"count"`
	Min   time.Duration `json:"min_ns"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

// Latencies computes the statistics of ds (which it sorts in place).
func Latencies(ds []time.Duration) LatencyStats {
	if len(ds) == 0 {
		return LatencyStats{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return LatencyStats{
		Count: len(ds),
		Min:   ds[0],
		Mean:  sum / time.Duration(len(ds)),
		P50:   percentile(ds, 50),
		P90:   percentile(ds, 90),
		P99:   percentile(ds, 99),
		Max:   ds[len(ds)-1],
	}
}

// percentile uses the nearest-rank method on sorted ds.
func percentile(ds []time.Duration, p int) time.Duration {
	rank := (p*len(ds) + 99) / 100 // ceil(p/100 × n)
	if rank < 1 {
		rank = 1
	}
	return ds[rank-1]
}
