package inspector

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

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
		rows, _, _ := sub.take()
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(rows)
	}
}
