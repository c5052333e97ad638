package memtune

import (
	"math"
	"runtime/debug"
	"testing"
)

// current reads the collector's settings and puts back what they were.
func current(t *testing.T) (limit int64, percent int) {
	t.Helper()
	limit = debug.SetMemoryLimit(-1) // -1 reads without changing
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return limit, percent
}

func TestApplyLeavesTheUsersSettings(t *testing.T) {
	limit0, percent0 := debug.SetMemoryLimit(-1), debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetMemoryLimit(limit0); debug.SetGCPercent(percent0) })
	s := Setting{Limit: 123 << 20, GCPercent: 321}
	for _, c := range []struct {
		name        string
		env         map[string]string
		wantLimit   int64
		wantPercent int
	}{
		{"nothing set: both ours", nil, 123 << 20, 321},
		{"GOGC set: the limit only", map[string]string{"GOGC": "50"}, 123 << 20, 100},
		{"GOMEMLIMIT set: neither", map[string]string{"GOMEMLIMIT": "1GiB"}, math.MaxInt64, 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			debug.SetGCPercent(100)
			s.Apply(func(k string) string { return c.env[k] })
			if limit, percent := current(t); limit != c.wantLimit || percent != c.wantPercent {
				t.Errorf("limit %d, GOGC %d; want %d, %d", limit, percent, c.wantLimit, c.wantPercent)
			}
		})
	}
	debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(100)
	s.Apply(nil)
	if limit, percent := current(t); limit != math.MaxInt64 || percent != 100 {
		t.Errorf("no getenv: limit %d, GOGC %d; want both untouched", limit, percent)
	}
}
