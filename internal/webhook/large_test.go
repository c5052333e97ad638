package webhook_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// maxPayload is Meta's documented maximum webhook body: 3 MB.
const maxPayload = 3 * 1024 * 1024

// historyBody builds a history backfill as large as Meta allows: one chunk
// of threads full of messages, wire-encoded style (compact, escaped), just
// under limit bytes. It returns the body and how many messages it holds.
func historyBody(limit int) ([]byte, int) {
	var b bytes.Buffer
	b.WriteString(`{"object":"whatsapp_business_account","entry":[{"id":"104729385610274","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550142233","phone_number_id":"109283746501928"},"history":[{"metadata":{"phase":1,"chunk_order":7,"progress":42},"threads":[`)
	const tail = `]}]},"field":"history"}]}]}`
	count := 0
	for thread := 0; ; thread++ {
		user := strconv.Itoa(16505550000 + thread)
		head := fmt.Sprintf(`{"id":"%s","messages":[`, user)
		if thread > 0 {
			head = "," + head
		}
		if b.Len()+len(head)+600+len(tail) > limit {
			break
		}
		b.WriteString(head)
		for i := 0; i < 40; i++ {
			from, to := user, ""
			if i%2 == 1 {
				from, to = "15550142233", `"to":"`+user+`",`
			}
			id := "wamid." + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("\x1c\x18\x0b%s\x15\x02\x00\x12\x18\x14%020X\x00", user, count)))
			msg := fmt.Sprintf(`{"from":"%s",%s"id":"%s","timestamp":"%d","type":"text","text":{"body":"Mensaje %d: \u00bfllega ma\u00f1ana? \ud83c\udf35 https:\/\/example.com\/p\/%d"},"history_context":{"status":"READ"}}`,
				from, to, id, 1780000000+count, count, count)
			sep := ","
			if i == 0 {
				sep = ""
			}
			if b.Len()+len(sep)+len(msg)+2+len(tail) > limit {
				break
			}
			b.WriteString(sep)
			b.WriteString(msg)
			count++
		}
		b.WriteString("]}")
	}
	b.WriteString(tail)
	return b.Bytes(), count
}

func TestLargestHistoryBody(t *testing.T) {
	body, count := historyBody(maxPayload)
	if len(body) > maxPayload || len(body) < maxPayload-4096 {
		t.Fatalf("body is %d bytes, want just under %d", len(body), maxPayload)
	}
	n, err := webhook.Parse(body)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	events := n.Events()
	if len(events) != count {
		t.Fatalf("got %d events, want %d", len(events), count)
	}
	last := events[len(events)-1]
	if last.Kind != "history" || last.Type != "text" || len(last.Problems) > 0 || last.Status != "READ" {
		t.Errorf("last event: %+v", last)
	}
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		if seen[e.Key()] {
			t.Fatalf("duplicate key %s", e.Key())
		}
		seen[e.Key()] = true
	}
}

func benchmarkParse(b *testing.B, body []byte) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		n, err := webhook.Parse(body)
		if err != nil {
			b.Fatal(err)
		}
		if len(n.Events()) == 0 {
			b.Fatal("no events")
		}
	}
}

// BenchmarkParseEvents measures Parse+Events on a typical single message
// and on the largest legal body (3 MB of history). The shared_ cases are
// what serve does per request: ParseShared, Events and every event's Key.
func BenchmarkParseEvents(b *testing.B) {
	// Receivers see wire bytes (compact, escaped), not the readable files.
	wireOf := func(name string) []byte {
		f, _ := fixtures.Get(name)
		body, err := wire.Encode(f.Body)
		if err != nil {
			b.Fatal(err)
		}
		return body
	}
	textWire, statusWire := wireOf("messages.text"), wireOf("statuses.sent")
	adWire := wireOf("messages.text.ad_referral") // the body of go run ./internal/bench serve
	b.Run("message", func(b *testing.B) { benchmarkParse(b, textWire) })
	b.Run("message_ad_referral", func(b *testing.B) { benchmarkParse(b, adWire) })
	b.Run("status", func(b *testing.B) { benchmarkParse(b, statusWire) })
	b.Run("shared_ad_referral", func(b *testing.B) { benchmarkServePath(b, adWire) })
	b.Run("shared_status", func(b *testing.B) { benchmarkServePath(b, statusWire) })
	b.Run("shared_text_3MB", func(b *testing.B) { benchmarkServePath(b, bigText(textWire)) })
	b.Run("history_3MB", func(b *testing.B) {
		history, _ := historyBody(maxPayload)
		benchmarkParse(b, history)
	})
	// The reference: encoding/json into map[string]any, which types
	// nothing, keeps no raw bytes and builds no events.
	b.Run("history_3MB_reference_any", func(b *testing.B) {
		history, _ := historyBody(maxPayload)
		b.SetBytes(int64(len(history)))
		b.ReportAllocs()
		for b.Loop() {
			var v map[string]any
			if err := json.Unmarshal(history, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// bigText is a text message of about 3 MB in wire form, the body of
// go run ./internal/bench serve's 3 MB runs.
func bigText(textWire []byte) []byte {
	i := bytes.Index(textWire, []byte(`"body":"`)) + len(`"body":"`)
	filler := bytes.Repeat([]byte(`caf\u00e9 lorem ipsum \/ dolor `), (maxPayload-len(textWire))/31)
	return append(append(append([]byte{}, textWire[:i]...), filler...), textWire[i:]...)
}

func benchmarkServePath(b *testing.B, body []byte) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		n, err := webhook.ParseShared(body)
		if err != nil {
			b.Fatal(err)
		}
		evs := n.Events()
		for i := range evs {
			if evs[i].Key() == "" {
				b.Fatal("no key")
			}
		}
	}
}
