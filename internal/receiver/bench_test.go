package receiver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

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
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set(signature.Header, sig)
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
