// Package memtune sets the garbage collector of a long-running command
// (serve): a higher GOGC, so the collector runs rarely while the heap
// is small, and a soft memory limit, so it works harder only as the heap
// nears what the command promises to stay within. GOGC and GOMEMLIMIT in
// the environment are the user's and win.
package memtune

import "runtime/debug"

// Setting is a memory limit (bytes) and a GC percentage.
type Setting struct {
	Limit     int64
	GCPercent int
}

// Serve is `wa-hooks serve`'s. What serve keeps stays well below the
// limit: the inspector holds at most 16 MiB of bodies in memory (the rest
// in its spool), the bodies being read at most the receiver's in-flight
// bytes, and a large recording line is written in pieces; 16 clients
// posting 3 MB bodies leave a live heap of ~15 MB (peak RSS ~90 MB),
// 10,000 kept 1 KB deliveries ~25 MB. 64 MiB ran the collector 1.5 times
// as often as 80 MiB at 1 KB (16 cycles against 11 in the same run) for
// 15 MB less RSS at 3 MB; 128 MiB let the 3 MB peak reach 128 MB.
var Serve = Setting{Limit: 80 << 20, GCPercent: 400}

// Apply sets s.Limit unless GOMEMLIMIT is set, and s.GCPercent unless GOGC
// or GOMEMLIMIT is set (a limit of the user's own with our GOGC could let
// the heap grow to it at every cycle). getenv nil changes nothing (tests
// that run commands in-process).
func (s Setting) Apply(getenv func(string) string) {
	if getenv == nil || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(s.Limit)
	if getenv("GOGC") == "" {
		debug.SetGCPercent(s.GCPercent)
	}
}
