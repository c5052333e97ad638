package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/schemacheck"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

func loadSchema(t *testing.T, name string) *schemacheck.Schema {
	t.Helper()
	s, err := schemacheck.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every kind of line serve --json writes matches docs/schema: each event
// of the catalog in every marker state, odd events, each request-level
// problem, handshakes, forwards, not_printed and the summary.
func TestJSONLinesMatchTheSchema(t *testing.T) {
	var out bytes.Buffer
	j := NewJSONLines(&out, JSONOptions{Headers: true, Body: true, Secrets: []string{"s3cret"}})
	received := time.Date(2026, 11, 25, 18, 30, 0, 123000000, time.UTC)
	j.Received(Request{}, catalogEvents(t, received))
	odd := webhook.Event{Field: "history", Kind: "history", Type: "text", Summary: "bad \xff", RawTimestamp: "0270000000000000",
		Timestamp: time.Date(10525, 1, 1, 0, 0, 0, 0, time.UTC), Problems: []string{"timestamp after year 9999"},
		Raw: json.RawMessage("{\"body\":\"\xff\"}")}
	j.Received(Request{}, []Event{{Event: odd, Received: received, Signature: SigMissing}})
	big := webhook.Event{Field: "messages", Kind: "message", Type: "text", Summary: `"` + strings.Repeat("é", MaxSummaryBytes) + `"`,
		Raw: json.RawMessage(`{"text":{"body":"` + strings.Repeat(`\u00e9`, MaxSummaryBytes) + `"}}`)}
	j.Received(Request{}, []Event{{Event: big, Received: received, Signature: SigValid}})
	for _, kind := range []string{ProblemSignature, ProblemJSON, ProblemTooLarge, ProblemMethod, ProblemNotFound, ProblemHandshake, ProblemBody, ProblemRecord} {
		j.Problem(Problem{Request: Request{Seq: 3, Time: received, Method: "POST", Path: "/webhook", Status: 400,
			Signature: SigInvalid, Body: []byte("{\xff}"), Header: map[string][]string{"X-A": {"b"}}}, Kind: kind, Message: "m", Hint: "h"})
	}
	j.Problem(Problem{Request: Request{Seq: 4, Time: received, Method: "POST", Path: "/webhook", Status: 401}, Kind: ProblemSignature, Message: "m", Accepted: true})
	j.Handshake(Handshake{Request: Request{Seq: 5, Time: received, Status: 200, Remote: "127.0.0.1:1"}, Challenge: "123"})
	j.Forwarded(Forward{Request: 6, URL: "http://localhost:3000", Status: 500, Latency: time.Millisecond, Body: []byte("s3cret \xff")})
	j.Forwarded(Forward{Request: 7, URL: "http://localhost:3000", Err: "refused", Handshake: true})
	j.NotPrinted(12)
	j.Summary(Summary{Requests: 2, ByStatus: map[int]int{200: 2}, ByField: map[string]int{}, ByType: map[string]int{},
		Problems: map[string]int{"json": 1}, Uptime: time.Second, NotPrinted: 12})
	n, err := loadSchema(t, schemacheck.ServeLine).ValidateLines(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if n < 150 {
		t.Fatalf("only %d lines", n)
	}
	if bytes.Contains(out.Bytes(), []byte("s3cret")) {
		t.Error("a secret reached a JSON line")
	}
}

// A line that breaks the contract is caught: the schema is not a blank
// cheque.
func TestSchemaRefusesBrokenLines(t *testing.T) {
	s := loadSchema(t, schemacheck.ServeLine)
	for _, bad := range []string{
		`{"v":2,"kind":"summary"}`,
		`{"v":1,"kind":"message","time":"x"}`,
		`{"v":1,"kind":"request_error","time":"2026-01-01T00:00:00Z","request":1,"error":"nope","message":"","status":1,"method":"","path":"","size":0}`,
	} {
		if err := s.Validate([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// send --json and verify --json reports match their schemas.
func TestReportsMatchTheirSchemas(t *testing.T) {
	for file, schema := range map[string]string{"send.json.golden": schemacheck.SendReport, "verify.json.golden": schemacheck.VerifyReport} {
		doc, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if err := loadSchema(t, schema).Validate(doc); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}
