package send

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/payload"
)

// TestIdentityOnARecording: a recorded body rewritten for --identity is no
// longer the recorded bytes, so it loses its recorded signature and is
// re-encoded and signed like any other source.
func TestIdentityOnARecording(t *testing.T) {
	f, _ := fixtures.Get("messages.text")
	rec := payload.Source{Name: "rec.jsonl#1", Body: f.Body, Raw: true, Header: http.Header{"X-Hub-Signature-256": {"sha256=00"}}}
	out, err := withIdentity([]payload.Source{rec}, Options{Identity: "bsuid-only"})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Raw || out[0].Header != nil || out[0].Name != rec.Name {
		t.Errorf("rewritten recording = %+v", out[0])
	}
	if strings.Contains(string(out[0].Body), `"wa_id"`) {
		t.Error("bsuid-only kept wa_id")
	}
	if _, err := withIdentity([]payload.Source{{Name: "x.json", Body: []byte(`[1]`)}}, Options{Identity: "phone"}); err == nil || !strings.Contains(err.Error(), "x.json: --identity phone:") {
		t.Errorf("a body that is not a webhook: %v", err)
	}
	same, err := withIdentity([]payload.Source{rec}, Options{})
	if err != nil || !same[0].Raw {
		t.Error("without --identity the sources must be untouched")
	}
}
