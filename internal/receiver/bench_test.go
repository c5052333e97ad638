package receiver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// benchBody is messages.text in wire form, padded to about size bytes.
func benchBody(b *testing.B, size int) []byte {
	base := wireFixture(b, "messages.text")
	if size <= len(base) {
		return base
	}
	i := bytes.Index(base, []byte(`"body":"`)) + len(`"body":"`)
	filler := bytes.Repeat([]byte(`caf\u00e9 lorem \/ ipsum `), (size-len(base))/25+1)
	return append(append(append([]byte{}, base[:i]...), filler...), base[i:]...)
}

// BenchmarkHandler measures the whole POST path: read, verify, parse,
// record (to a temp file), answer, then the worker's JSON line.
func BenchmarkHandler(b *testing.B) {
	for _, size := range []int{1 << 10, 3 << 20} {
		b.Run(fmt.Sprintf("body=%dKiB", size>>10), func(b *testing.B) {
			body := benchBody(b, size)
			sig := signature.Sign(testSecret, body)
			rec, err := recording.Open(filepath.Join(b.TempDir(), "r.jsonl"), false)
			if err != nil {
				b.Fatal(err)
			}
			defer rec.Close()
			rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
				Recorder: rec, Sink: render.NewJSONLines(io.Discard, render.JSONOptions{})})
			if err != nil {
				b.Fatal(err)
			}
			defer rc.Close()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			postN(b, rc, body, sig)
		})
	}
}

// BenchmarkOutput compares serve's two output modes on the same 1 KiB
// POST: the human line (colour off, as in a pipe) against the JSON line,
// which is the reference the human line's cost is judged by.
func BenchmarkOutput(b *testing.B) {
	body := benchBody(b, 1<<10)
	sig := signature.Sign(testSecret, body)
	sinks := []struct {
		name string
		sink func() render.Sink
	}{
		{"json", func() render.Sink { return render.NewJSONLines(io.Discard, render.JSONOptions{}) }},
		{"pretty", func() render.Sink { return newPlainPretty(io.Discard, 0) }},
		{"pretty-80", func() render.Sink { return newPlainPretty(io.Discard, 80) }},
	}
	for _, s := range sinks {
		b.Run(s.name, func(b *testing.B) {
			rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken, Sink: s.sink()})
			if err != nil {
				b.Fatal(err)
			}
			defer rc.Close()
			b.ReportAllocs()
			postN(b, rc, body, sig)
		})
	}
}

// postN posts the signed body b.N times, each answer must be 200.
func postN(b *testing.B, rc *Receiver, body []byte, sig string) {
	postEach(b, rc, [][]byte{body}, []string{sig})
}

// postEach posts b.N signed bodies, taking them from bodies in turn (sigs
// are their signatures); each answer must be 200. The timer starts here.
func postEach(b *testing.B, rc *Receiver, bodies [][]byte, sigs []string) {
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set(signature.Header, sigs[i%len(bodies)])
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkServe3MB is serve --json --record's work per 3 MB delivery, as
// go run ./internal/bench serve sends it: a new text message each time
// (no retry, no duplicate), recorded to a file, its line written through
// serve's Output. What it costs above the floor server is ours.
func BenchmarkServe3MB(b *testing.B) {
	base := benchBody(b, 3<<20)
	const pool = 8 // more than DedupSize below: every body is new
	bodies, sigs := newWamids(base, pool)
	rec, err := recording.Open(filepath.Join(b.TempDir(), "r.jsonl"), false)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	out := NewOutput(io.Discard, 0)
	defer out.Close(time.Second)
	rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken, DedupSize: pool / 2,
		Recorder: rec, Sink: render.NewJSONLines(out, render.JSONOptions{}), Flush: func() { _ = out.Flush() }})
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	b.SetBytes(int64(len(base)))
	b.ReportAllocs()
	postEach(b, rc, bodies, sigs)
}
