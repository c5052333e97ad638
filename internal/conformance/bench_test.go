package conformance

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/handshake"
)

// BenchmarkBuildBodies measures building every delivery body, the near-3 MB
// batch included (fresh ids, wire encoding, signatures).
func BenchmarkBuildBodies(b *testing.B) {
	for b.Loop() {
		if _, err := buildBodies(testSecret); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyLoopback is a whole verify run (9 handshake and transport
// checks, 9 deliveries) against a correct endpoint on loopback.
func BenchmarkVerifyLoopback(b *testing.B) {
	srv := httptest.NewServer(endpoint{})
	defer srv.Close()
	o := Options{URL: srv.URL + "/webhook", VerifyToken: testToken, AppSecret: testSecret, Timeout: 10 * time.Second}
	for b.Loop() {
		rep, err := Run(context.Background(), o)
		if err != nil || rep.Summary.Failed != 0 {
			b.Fatalf("run failed: %v %+v", err, rep.Summary)
		}
	}
}

// BenchmarkBareRequests is the reference for BenchmarkVerifyLoopback: the
// same requests (3 GETs, 9 POSTs with the same bodies, built once) sent by a
// plain client with nothing judged or reported.
func BenchmarkBareRequests(b *testing.B) {
	srv := httptest.NewServer(endpoint{})
	defer srv.Close()
	set, err := buildBodies(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	u := mustURL(srv.URL + "/webhook")
	gets := []string{
		handshake.RequestURL(u, handshake.Query{Challenge: "1158201444", Token: testToken}),
		handshake.RequestURL(u, handshake.Query{Challenge: "1158201444", Token: "wrong"}),
		handshake.RequestURL(u, handshake.Query{Challenge: "1158201444", Token: testToken, OmitMode: true}),
	}
	posts := []delivery{set.Text, set.Batch, set.Status, set.Unknown, set.Escaped, set.Text, set.Large, set.Forged, set.Unsigned}
	client := &http.Client{}
	do := func(req *http.Request) {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for b.Loop() {
		for _, g := range gets {
			req, _ := http.NewRequest(http.MethodGet, g, nil)
			do(req)
		}
		for _, d := range posts {
			req, _ := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(d.Body))
			req.Header = d.Header
			do(req)
		}
	}
}
