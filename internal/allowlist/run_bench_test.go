package allowlist

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irrtest"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
)

// BenchmarkRun measures one whole in-process run (fetch from the fake
// server on loopback, filter, aggregate, render) for each query style.
func BenchmarkRun(b *testing.B) {
	srv, err := irrtest.Start(irrtest.Generate(1, 3000), irrtest.Normal)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	for _, mode := range []string{"irrd", "rpsl"} {
		b.Run(mode, func(b *testing.B) {
			ios, _, _, _ := iostreams.Test()
			o := Options{
				Source: Source{ASN: "AS32934", Server: srv.Addr, Query: mode, ShortestV4: 12, ShortestV6: 24,
					ConnectTimeout: time.Second, Timeout: 5 * time.Second, MaxBytes: 16 << 20},
				Format: "plain", Name: "meta_webhooks", MaxShrink: "30%", MaxGrowth: "100%", MinPrefixes: 10,
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := Run(context.Background(), ios, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRunScattered is issue 17.14's case: 200,000 /32s that no
// aggregation merges, written to a file (first run) and then fetched again
// over that file (second run: read back, shrink guard, diff). The second
// run used to take 80 times the first (a quadratic diff); the ratio is
// reported against the first run measured in the same benchmark.
func BenchmarkRunScattered(b *testing.B) {
	srv, err := irrtest.Start(irrtest.Scattered(200_000), irrtest.Normal)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	o := Options{
		Source: Source{ASN: "AS32934", Server: srv.Addr, Query: "irrd", ShortestV4: 12, ShortestV6: 24,
			ConnectTimeout: time.Second, Timeout: time.Minute, MaxBytes: 16 << 20},
		Format: "plain", Name: "meta_webhooks", MaxShrink: "30%", MaxGrowth: "100%", MinPrefixes: 10,
	}
	dir := b.TempDir()
	var first, second time.Duration
	for i := 0; b.Loop(); i++ {
		o.Output = filepath.Join(dir, fmt.Sprintf("list-%d.txt", i))
		ios, _, _, _ := iostreams.Test()
		t0 := time.Now()
		if err := Run(context.Background(), ios, o); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := Run(context.Background(), ios, o); err != nil {
			b.Fatal(err)
		}
		first += t1.Sub(t0)
		second += time.Since(t1)
	}
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "ms-first/op")
	b.ReportMetric(float64(second.Milliseconds())/float64(b.N), "ms-second/op")
	b.ReportMetric(float64(second)/float64(first), "second/first")
}
