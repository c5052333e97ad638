package receiver

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// BenchmarkEventPath is serve's work per 1 KB delivery after the body is
// read, as go run ./internal/bench serve sends it (the ad-referral message,
// a new wamid each time): verify, parse, events, dedup and the line, in
// each output mode. No recording: that is the floor's work too.
func BenchmarkEventPath(b *testing.B) {
	base := wireFixture(b, "messages.text.ad_referral")
	const pool = 4096 // more than DedupSize below: every event is new
	bodies, sigs := newWamids(base, pool)
	for _, s := range []struct {
		name string
		sink func() render.Sink
	}{
		{"json", func() render.Sink { return render.NewJSONLines(io.Discard, render.JSONOptions{}) }},
		{"pretty", func() render.Sink { return newPlainPretty(io.Discard, 0) }},
	} {
		b.Run(s.name, func(b *testing.B) {
			rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken, Sink: s.sink(), DedupSize: pool / 4})
			if err != nil {
				b.Fatal(err)
			}
			defer rc.Close()
			b.ReportAllocs()
			postEach(b, rc, bodies, sigs)
		})
	}
}

// newWamids makes n copies of a body, each with a wamid of its own, and
// their signatures: n new deliveries.
func newWamids(base []byte, n int) (bodies [][]byte, sigs []string) {
	at := bytes.Index(base, []byte(`"wamid.`)) + len(`"wamid.`)
	bodies, sigs = make([][]byte, n), make([]string, n)
	for i := range bodies {
		bodies[i] = append(append(append([]byte{}, base[:at]...), fmt.Sprintf("bench%08d", i)...), base[at:]...)
		sigs[i] = signature.Sign(testSecret, bodies[i])
	}
	return bodies, sigs
}
