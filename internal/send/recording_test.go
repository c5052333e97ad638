package send

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// A recording is indexed, not loaded: deliveries read their line again, the
// recorded signature is replayed unless --resign, and what cannot be
// replayed (GETs, torn lines, cut bodies) is left out and counted.
func TestRecordingFeedStreams(t *testing.T) {
	var buf bytes.Buffer
	write := func(r recording.Record) {
		b, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	forged := "sha256=" + strings.Repeat("0", 64)
	write(recording.Record{Seq: 1, Method: "GET", Path: "/webhook"})
	write(recording.Record{Seq: 2, Method: "POST", Body: []byte(`{"a":1}`), Header: map[string][]string{"X-Hub-Signature-256": {forged}}})
	buf.WriteString(`{"seq":3,"method":"POST","bo` + "\n") // torn by a crash
	write(recording.Record{Seq: 4, Method: "POST", Body: []byte("\x00binary"), Truncated: true})
	write(recording.Record{Seq: 5, Method: "POST", Body: []byte("\xffnot utf-8")})
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	feed, scan, err := openRecording(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	if feed.Len() != 2 || scan.skipped != 1 || scan.firstSkip != 3 || scan.truncated != 1 || scan.posts != 2 {
		t.Fatalf("len %d, scan %+v", feed.Len(), scan)
	}
	feed.opts = payload.Options{Secret: "app-secret"}
	d, err := feed.Delivery(0)
	if err != nil || string(d.Body) != `{"a":1}` || d.Name != "rec.jsonl#2" || d.Header.Get(signature.Header) != forged {
		t.Fatalf("delivery 0: %q %q %v, %v", d.Name, d.Body, d.Header, err)
	}
	if d, _ := feed.Delivery(3); string(d.Body) != "\xffnot utf-8" || d.Header.Get(signature.Header) != "" {
		t.Errorf("delivery 3 (second pass): %q %v", d.Body, d.Header)
	}
	feed.resign = true
	if d, _ := feed.Delivery(0); d.Header.Get(signature.Header) != signature.Sign("app-secret", []byte(`{"a":1}`)) {
		t.Errorf("--resign: %v", d.Header)
	}
}
