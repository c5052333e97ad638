package allowlist

import (
	"context"
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
				Format: "plain", Name: "meta_webhooks", MaxShrink: "30%", MinPrefixes: 10,
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
