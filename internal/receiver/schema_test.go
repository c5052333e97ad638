package receiver

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/schemacheck"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// What serve writes for the whole catalog, a retry, bad requests and a
// handshake matches docs/schema: every JSON line, and every line of the
// recording.
func TestOutputAndRecordingMatchTheSchemas(t *testing.T) {
	out := &syncBuffer{}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	rec, err := recording.Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken, StaleAfter: time.Hour,
		Recorder: rec, Sink: render.NewJSONLines(out, render.JSONOptions{Headers: true, Body: true})})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures.All() {
		body, err := wire.Encode(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		post(rc, body, signed(body))
		if f.Name == "messages.text" {
			post(rc, body, signed(body)) // a retry
		}
	}
	post(rc, []byte("{\xff not json"), nil)
	post(rc, []byte(`{"object":"whatsapp_business_account","entry":[]}`), map[string]string{"X-Hub-Signature-256": "sha256=00"})
	get(rc, "/webhook?hub.mode=subscribe&hub.verify_token="+testToken+"&hub.challenge=42")
	get(rc, "/webhook?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=42")
	get(rc, "/elsewhere")
	s := rc.Close()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	sink := render.NewJSONLines(out, render.JSONOptions{})
	sink.Summary(s)

	lines, err := mustSchema(t, schemacheck.ServeLine).ValidateLines([]byte(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	if lines < len(fixtures.All())+5 {
		t.Fatalf("only %d lines", lines)
	}
	recorded, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := mustSchema(t, schemacheck.Recording).ValidateLines(recorded); err != nil || n < len(fixtures.All()) {
		t.Fatalf("%d recording lines: %v", n, err)
	}
}

func mustSchema(t *testing.T, name string) *schemacheck.Schema {
	t.Helper()
	s, err := schemacheck.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(rc http.Handler, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

// FuzzParse's find: a history message dated past year 9999 and a body with
// invalid UTF-8 still give one valid JSON line per event, nothing dropped.
func TestEveryEventReachesJSON(t *testing.T) {
	out := &syncBuffer{}
	rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
		Sink: render.NewJSONLines(out, render.JSONOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range [][]byte{
		[]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"history","value":{"metadata":{},"history":[{"metadata":{"phase":0},"threads":[{"id":"1","messages":[{"from":"1","id":"wamid.H","timestamp":"0270000000000000","type":"text","text":{"body":"x"}}]}]}]}}]}]}`),
		[]byte("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":\"messages\",\"value\":{\"metadata\":{},\"contacts\":[{\"profile\":{\"name\":\"\xff\xfe\"}}],\"messages\":[{\"from\":\"1\",\"id\":\"wamid.U\",\"timestamp\":\"1700000000\",\"type\":\"text\",\"text\":{\"body\":\"caf\xe9\"}}]}}]}]}"),
	} {
		if w := post(rc, body, signed(body)); w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	rc.Close()
	n, err := mustSchema(t, schemacheck.ServeLine).ValidateLines([]byte(out.String()))
	if err != nil || n != 2 {
		t.Fatalf("%d valid lines, want 2: %v\n%s", n, err, out.String())
	}
	if !strings.Contains(out.String(), `"timestamp":"0270000000000000"`) {
		t.Errorf("the far timestamp is not kept as sent: %s", out.String())
	}
}
