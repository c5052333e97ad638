package payload_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/sender"
)

// BenchmarkRun measures the whole send hot path (fresh values, HMAC, POST,
// bookkeeping) against a loopback server; b.N requests over 64 connections.
func BenchmarkRun(b *testing.B) {
	body, err := os.ReadFile("testdata/text.json")
	if err != nil {
		b.Fatal(err)
	}
	feed, err := payload.Build([]payload.Source{{Name: "text", Body: body}}, payload.Options{Secret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	client, err := sender.NewClient(sender.ClientOptions{Conns: 64})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	rep, err := sender.Run(context.Background(), sender.Plan{URL: srv.URL, Client: client, Feed: feed, Count: b.N, Concurrency: 64})
	if err != nil || rep.Failed != 0 {
		b.Fatalf("%v %+v", err, rep)
	}
}

// BenchmarkDelivery measures building one signed delivery with fresh values.
func BenchmarkDelivery(b *testing.B) {
	body, err := os.ReadFile("testdata/text.json")
	if err != nil {
		b.Fatal(err)
	}
	feed, err := payload.Build([]payload.Source{{Name: "text", Body: body}}, payload.Options{Secret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	s := feed.NewStream()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; b.Loop(); i++ {
		if _, err := s.Delivery(i); err != nil {
			b.Fatal(err)
		}
	}
}
