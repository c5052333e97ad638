package inspector

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/signature"

	"github.com/wa-hooks/wa-hooks/internal/receiver"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// BenchmarkFollow is what one request costs serve while a page follows:
// keeping it, building its row, and encoding the row for the stream.
func BenchmarkFollow(b *testing.B) {
	body := wireFixture(b, "messages.text")
	note, err := webhook.Parse(body)
	if err != nil {
		b.Fatal(err)
	}
	s := newStore(0, 0, false, testSecret, testToken)
	sub := s.subscribe(Filter{})
	var buf bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs := note.Events()
		re := []render.Event{{Event: evs[0], Request: uint64(i), Received: time.Now(), Signature: render.SigValid}}
		s.add(receiver.Observation{Request: render.Request{Seq: uint64(i + 1), Time: time.Now(), Method: "POST", Path: "/webhook", Body: body, Status: 200, Signature: render.SigValid}, Events: re}, false)
		<-sub.notify
		rows, _, _ := s.take(sub)
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(rows)
	}
}

// BenchmarkServeObserved is serve's receiver answering signed requests
// in-process: alone, with the inspector attached, and with a stream
// following (drained as the stream does). Compare the sub-benchmarks'
// cpu-µs/op (the process's CPU time per request, garbage collection
// included: steadier than ns/op on a shared machine): the difference is
// what the inspector adds per request. scan-MB is how much of the heap the
// garbage collector had to scan at its last collection (the kept history's
// pointers are most of it; not a timing, so not noisy). Run
// it long enough to fill the history (-benchtime 100000x) to see the
// steady state.
func BenchmarkServeObserved(b *testing.B) {
	body := wireFixture(b, "messages.text")
	sig := signature.Sign(testSecret, body)
	for _, mode := range []string{"alone", "inspector", "following"} {
		b.Run(mode, func(b *testing.B) {
			rc, err := receiver.New(receiver.Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
				StaleAfter: 10 * time.Minute, Sink: render.NewJSONLines(io.Discard, render.JSONOptions{})})
			if err != nil {
				b.Fatal(err)
			}
			var in *Inspector
			if mode != "alone" {
				ios, _, _, _ := iostreams.Test()
				in = New(Options{Addr: "127.0.0.1:0", AddrGiven: true, Token: "bench-token-0123"})
				if _, err := in.Start(context.Background(), receiver.CompanionEnv{IO: ios, Receiver: rc, Path: "/webhook",
					AppSecret: testSecret, VerifyToken: testToken}); err != nil {
					b.Fatal(err)
				}
			}
			done := make(chan struct{})
			if mode == "following" {
				sub := in.store.subscribe(Filter{})
				go func() {
					var buf bytes.Buffer
					for {
						select {
						case <-done:
							return
						case <-sub.notify:
							time.Sleep(streamEvery)
							rows, upd, skipped := in.store.take(sub)
							for _, ev := range burst(rows, upd, skipped, func() int { return in.store.count(Filter{}) }) {
								buf.Reset()
								_ = json.NewEncoder(&buf).Encode(ev.data)
							}
						}
					}
				}()
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, cpuOK := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
					req.Header.Set(signature.Header, sig)
					w := httptest.NewRecorder()
					rc.ServeHTTP(w, req)
				}
			})
			b.StopTimer()
			if cpu1, ok := processCPU(); ok && cpuOK {
				b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			}
			scan := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
			metrics.Read(scan)
			b.ReportMetric(float64(scan[0].Value.Uint64())/(1<<20), "scan-MB")
			close(done)
			rc.Close()
			if in != nil {
				in.Stop()
			}
		})
	}
}
