package recording

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRoundTripExactBytes(t *testing.T) {
	bodies := [][]byte{
		[]byte(`{"text":"caf\u00e9 \/ <b>&amp;"}`),
		[]byte("raw UTF-8: café ☕ \u2028 line\nbreak\ttab \x7f del"),
		{0xff, 0x00, 0xc3, 0x28},
		{},
		nil,
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	rec, err := Open(path, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bodies {
		if err := rec.Write(Record{Time: time.Unix(int64(i), 0), Seq: uint64(i + 1), Method: "POST", Path: "/webhook", Status: 200, Body: b}); err != nil {
			t.Fatal(err)
		}
	}
	if rec.Count() != len(bodies) {
		t.Fatalf("count %d", rec.Count())
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != len(bodies) {
		t.Fatalf("read %d records", len(res.Records))
	}
	for i, b := range bodies {
		if !bytes.Equal(res.Records[i].Body, b) {
			t.Errorf("record %d: body %q, want %q", i, res.Records[i].Body, b)
		}
		if res.Records[i].Seq != uint64(i+1) {
			t.Errorf("record %d: seq %d", i, res.Records[i].Seq)
		}
	}
}

// A body the caller vouches for as UTF-8 (BodyUTF8) is written as the
// writer's own check would have it, small or streamed: the same file.
func TestVouchedBodyIsWrittenAsChecked(t *testing.T) {
	small := []byte(`{"text":"caf\u00e9 \/ \"q\""}`)
	large := bytes.Repeat([]byte(`{"t":"caf\u00e9 \/"}`), streamBody/10)
	write := func(vouch bool) []byte {
		path := filepath.Join(t.TempDir(), "r.jsonl")
		rec, err := Open(path, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range [][]byte{small, large} {
			if err := rec.Write(Record{Time: time.Unix(int64(i), 0), Seq: uint64(i + 1), Method: "POST", Path: "/webhook", Status: 200, Body: b, BodyUTF8: vouch}); err != nil {
				t.Fatal(err)
			}
		}
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	checked, vouched := write(false), write(true)
	if !bytes.Equal(checked, vouched) || !bytes.Contains(vouched, []byte(`"body":"{`)) {
		t.Fatalf("the vouched recording differs from the checked one (%d and %d bytes)", len(vouched), len(checked))
	}
}

func TestTornLastLineTolerated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	good := `{"time":"2026-01-01T00:00:00Z","seq":1,"method":"POST","path":"/webhook","status":200,"body":"{}"}` + "\n"
	torn := `{"time":"2026-01-01T00:00:01Z","seq":2,"method":"PO`
	if err := os.WriteFile(path, []byte(good+torn), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := ReadFile(path)
	if err != nil || len(res.Records) != 1 || res.Skipped != 1 || res.FirstSkip != 2 {
		t.Fatalf("read %+v, %v", res, err)
	}
	// Appending after a crash starts on a fresh line.
	rec, err := Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Write(Record{Seq: 3, Method: "POST", Status: 200, Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	rec.Close()
	res, err = ReadFile(path)
	if err != nil || len(res.Records) != 2 || res.Records[1].Seq != 3 || res.Skipped != 1 {
		t.Fatalf("after append: %+v, %v", res, err)
	}
}

func TestSecretsMasked(t *testing.T) {
	q := MaskQuery("hub.mode=subscribe&hub.challenge=12&hub.verify_token=s3cret&x=1")
	if strings.Contains(q, "s3cret") || !strings.Contains(q, "hub.verify_token=****") || !strings.Contains(q, "hub.challenge=12") {
		t.Fatalf("MaskQuery: %s", q)
	}
	if q := MaskQuery("hub%2Everify_token=s3cret"); strings.Contains(q, "s3cret") {
		t.Fatalf("escaped key not masked: %s", q)
	}
	h := SafeHeader(http.Header{"Authorization": {"Bearer abc"}, "X-Hub-Signature-256": {"sha256=00"}})
	if h.Get("Authorization") != Masked || h.Get("X-Hub-Signature-256") != "sha256=00" {
		t.Fatalf("SafeHeader: %v", h)
	}
}

// TestConcurrentWritersShareWrites: many writers at once (as serve under load)
// lose no line, tear none, and each Write returns only once its own line is
// in the file.
func TestConcurrentWritersShareWrites(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "r.jsonl")
		rec, err := Open(path, fsync)
		if err != nil {
			t.Fatal(err)
		}
		const writers, each = 16, 50
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			go func() {
				for i := 0; i < each; i++ {
					seq := uint64(w*each + i + 1)
					body := bytes.Repeat([]byte{'a' + byte(w)}, 1+i*97%3000)
					if err := rec.Write(Record{Seq: seq, Method: "POST", Path: "/webhook", Status: 200, Body: body}); err != nil {
						errs <- err
						return
					}
					data, err := os.ReadFile(path)
					if err != nil {
						errs <- err
						return
					}
					if !bytes.Contains(data, []byte(fmt.Sprintf(`"seq":%d,`, seq))) {
						errs <- fmt.Errorf("Write of seq %d returned before its line was in the file", seq)
						return
					}
				}
				errs <- nil
			}()
		}
		for w := 0; w < writers; w++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if rec.Count() != writers*each {
			t.Fatalf("fsync=%v: Count() = %d, want %d", fsync, rec.Count(), writers*each)
		}
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		if err := rec.Write(Record{Seq: 1}); err == nil {
			t.Fatal("Write after Close must fail")
		}
		res, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Records) != writers*each || res.Skipped != 0 {
			t.Fatalf("fsync=%v: read %d records, %d skipped; want %d, 0", fsync, len(res.Records), res.Skipped, writers*each)
		}
		seen := map[uint64]bool{}
		for _, r := range res.Records {
			w := int(r.Seq-1) / each
			if len(r.Body) == 0 || !bytes.Equal(r.Body, bytes.Repeat([]byte{'a' + byte(w)}, len(r.Body))) || seen[r.Seq] {
				t.Fatalf("record seq %d is damaged or repeated", r.Seq)
			}
			seen[r.Seq] = true
		}
	}
}

// BenchmarkWriteParallel: serve under load, many requests recording at once.
func BenchmarkWriteParallel(b *testing.B) {
	for _, fsync := range []bool{false, true} {
		b.Run(fmt.Sprintf("fsync=%v", fsync), func(b *testing.B) {
			rec, err := Open(filepath.Join(b.TempDir(), "r.jsonl"), fsync)
			if err != nil {
				b.Fatal(err)
			}
			defer rec.Close()
			body := bytes.Repeat([]byte("x"), 1024)
			b.SetParallelism(8)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := rec.Write(Record{Method: "POST", Path: "/webhook", Status: 200, Body: body}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkEncode is the part of a recording line built before the write:
// a text message in Meta's wire form with the headers Meta sends.
func BenchmarkEncode(b *testing.B) {
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color? Caf\u00e9 \ud83d\ude00 \/ \"quoted\""}}]},"field":"messages"}]}]}`)
	h := http.Header{
		"Content-Type":        {"application/json"},
		"User-Agent":          {"facebookexternalua"},
		"X-Hub-Signature-256": {"sha256=" + strings.Repeat("ab", 32)},
		"Accept":              {"*/*"},
		"Accept-Encoding":     {"deflate, gzip"},
		"Content-Length":      {"1052"},
	}
	r := Record{Time: time.Now(), Seq: 12345, Remote: "127.0.0.1:54321", Method: "POST", Path: "/webhook",
		Header: h, Signature: "valid", Status: 200, Body: body}
	var buf bytes.Buffer
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := r.encode(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeLarge builds the line of a ~3 MB wire-form body in a fresh
// buffer, as serve does for each request: B/op is what one such line costs.
func BenchmarkEncodeLarge(b *testing.B) {
	msg := []byte(`{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Caf\u00e9 \/ \"quoted\""}},`)
	body := append([]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messages":[`), bytes.Repeat(msg, (3<<20)/len(msg))...)
	body = append(body[:len(body)-1], `]},"field":"messages"}]}]}`...)
	r := Record{Time: time.Now(), Seq: 1, Method: "POST", Path: "/webhook", Status: 200, Body: body}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := r.encode(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEscapedExtraSizesTheLineExactly(t *testing.T) {
	body := []byte("{\"a\":\"x\\\"y\",\n\t\"b\":\"\\\\\"}\r\n")
	var plain bytes.Buffer
	writeJSONString(&plain, body, escapedExtra(body))
	if got, want := plain.Len(), len(body)+escapedExtra(body)+2; got != want {
		t.Fatalf("escaped body is %d bytes, escapedExtra predicted %d", got, want)
	}
}

// The escaped body decodes to the exact bytes, whatever runs of plain
// bytes, escapes and control characters it is made of, wherever they fall
// in the eight-byte words the encoder tests, and however little room the
// buffer had.
func TestJSONStringGivesBackTheExactBytes(t *testing.T) {
	pieces := []string{"", "a", "abcdefg", "abcdefgh", "abcdefghijklmnopq", "\"", "\\", "\n", "\r", "\t",
		"\x00", "\x01", "\x1f", "\x7f", " ", "é", "🌵", "\u2028", "\\u00e9", "\\/", "<&>", "~\x7f\u0080"}
	for _, a := range pieces {
		for _, b := range pieces {
			for _, c := range pieces {
				for pad := 0; pad < 9; pad++ {
					in := []byte(strings.Repeat("x", pad) + a + b + strings.Repeat("y", 9-pad) + c + a)
					roundTrip(t, in)
				}
			}
		}
	}
	all := make([]byte, 0, 4*128)
	for k := 0; k < 4; k++ {
		for c := byte(0); c < 0x80; c++ {
			all = append(all, c)
		}
	}
	roundTrip(t, all)
	roundTrip(t, bytes.Repeat([]byte("\x01"), 100)) // five bytes more than planned, a hundred times
}

func roundTrip(t *testing.T, in []byte) {
	t.Helper()
	for _, prefix := range [][]byte{nil, []byte(`{"body":`), make([]byte, 3, 3)} {
		out := appendJSONString(prefix, in, escapedExtra(in))
		if !bytes.Equal(out[:len(prefix)], prefix) {
			t.Fatalf("%q: the prefix changed", in)
		}
		var got string
		if err := json.Unmarshal(out[len(prefix):], &got); err != nil || got != string(in) {
			t.Fatalf("%q: encoded as %q, decoded %q (%v)", in, out[len(prefix):], got, err)
		}
	}
}
