package wire

import (
	"bytes"
	"encoding/json"
	"testing"
)

// benchBody is a realistic inbound text message, pretty-printed with
// non-ASCII text and URLs, repeated into a batch of 50 messages (~24 KB).
func benchBody(b *testing.B) []byte {
	b.Helper()
	msg := `{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=","timestamp":"1749416383","type":"image","image":{"caption":"Olá, café com pão? 👍 https://example.com/a/b","mime_type":"image/jpeg","sha256":"HCaHj+Yb0V/SPmA=","id":"1003383421387256","url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1003383421387256&source=webhook"}}`
	var msgs bytes.Buffer
	for i := 0; i < 50; i++ {
		if i > 0 {
			msgs.WriteByte(',')
		}
		msgs.WriteString(msg)
	}
	doc := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","messages":[` + msgs.String() + `]},"field":"messages"}]}]}`)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, doc, "", "  "); err != nil {
		b.Fatal(err)
	}
	return pretty.Bytes()
}

func BenchmarkEncode(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeWire measures the common case of a body that is already wire bytes.
func BenchmarkEncodeWire(b *testing.B) {
	body, _ := Encode(benchBody(b))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStdlibCompact is the reference: encoding/json's Compact does
// less (no re-escaping) and bounds what a streaming encoder can reach.
func BenchmarkStdlibCompact(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		if err := json.Compact(&out, body); err != nil {
			b.Fatal(err)
		}
	}
}
