// Command bench runs whole-process benchmarks that compare wa-hooks with a
// reference tool measured in the same run, and prints the ratio:
//
//	go run ./internal/bench serve|send|allowlist|attack|inspector
//
// These are benchmarks, not tests: they print numbers for issue notes and
// never fail on speed.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// benchmark is one named whole-process comparison.
type benchmark struct {
	about string
	run   func(args []string) error
}

// benchmarks lists the comparisons; one line each.
func benchmarks() map[string]benchmark {
	return map[string]benchmark{
		"sign":      {"wa-hooks sign vs openssl dgst -sha256 -hmac on a ~2 MB wire body; sign --wire and --check timings", runSign},
		"serve":     {"wa-hooks serve (--json and human, recording) vs a floor server (read, HMAC, record line, stdout line) and bare net/http, driven by wrk; 1 KB and 3 MB bodies", runServe},
		"send":      {"wa-hooks send messages.text -n 200000 -c 64 vs hey with the same body, count and concurrency", runSend},
		"attack":    {"the attacks of issue 17 on serve, bounded and on loopback: a table of attack and outcome", runAttack},
		"allowlist": {"wa-hooks allowlist vs bgpq4 and Meta's whois pipeline on a fake IRR server", runAllowlist},
		"inspector": {"the web inspector in headless Chromium: page with 10,000 recorded requests, event latency, serve throughput with the page following vs without", runInspector},
		"version":   {"wa-hooks --version vs a hello-world Go binary built the same way: start-up CPU and wall time, alternating runs", runVersion},
		"mock":      {"wa-hooks mock: Graph send calls/s and p99 vs a bare canned-answer handler, send→delivered lag, RSS with 10k users and 1M messages", runMock},
	}
}

func main() {
	all := benchmarks()
	if len(os.Args) < 2 || all[os.Args[1]].run == nil {
		names := make([]string, 0, len(all))
		for n, b := range all {
			names = append(names, fmt.Sprintf("  %-10s %s", n, b.about))
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: go run ./internal/bench NAME [flags]\n\n%s\n", strings.Join(names, "\n"))
		os.Exit(2)
	}
	if err := all[os.Args[1]].run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "bench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
