package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

func renderer(colour bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(&bytes.Buffer{})
	if colour {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return r
}

var at = time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)

func sampleEvent() Event {
	return Event{
		Event: webhook.Event{Field: "messages", Kind: "message", Type: "text", From: "16505550187", ContactName: "Ana",
			ID: "wamid.HBgLMTY1MDU1NTAxODcVAgASGBQzQUJDRA==", Summary: `"` + strings.Repeat("long text ", 30) + `"`,
			Raw: json.RawMessage(`{"id":"x"}`)},
		Request: 7, Received: at, Signature: SigValid,
	}
}

func TestPrettyColourOnlyWhenAsked(t *testing.T) {
	for _, colour := range []bool{false, true} {
		var out bytes.Buffer
		p := NewPretty(&out, renderer(colour), PrettyOptions{Location: time.UTC})
		p.Received(Request{Seq: 7, Time: at}, []Event{sampleEvent()})
		if got := strings.Contains(out.String(), "\x1b["); got != colour {
			t.Errorf("colour %v: escape codes present = %v: %q", colour, got, out.String())
		}
		if plain := stripANSI(out.String()); !strings.Contains(plain, "09:30:00 ✓ #7   message  text") {
			t.Errorf("line shape: %q", out.String())
		}
	}
}

func TestPrettyTruncatesToWidthOnlyOnTerminals(t *testing.T) {
	var out bytes.Buffer
	NewPretty(&out, renderer(false), PrettyOptions{Location: time.UTC, Width: 120}).Received(Request{}, []Event{sampleEvent()})
	line := strings.TrimRight(out.String(), "\n")
	if w := lipgloss.Width(line); w > 120 || !strings.Contains(line, "…") {
		t.Errorf("width %d, line %q", w, line)
	}
	out.Reset()
	NewPretty(&out, renderer(false), PrettyOptions{Location: time.UTC}).Received(Request{}, []Event{sampleEvent()})
	if strings.Contains(out.String(), "text …") || !strings.Contains(out.String(), strings.Repeat("long text ", 29)) {
		t.Errorf("truncated without a width: %q", out.String())
	}
}

func TestPrettyMarkers(t *testing.T) {
	e := sampleEvent()
	e.Summary = "hi"
	e.Duplicate, e.FirstSeen, e.FirstRequest = true, at.Add(-90*time.Second), 3
	e.Stale, e.Age = true, 50*time.Hour
	fail := sampleEvent()
	fail.Kind, fail.Type, fail.Summary = "status", "status.failed", "failed · 131047"
	var out bytes.Buffer
	NewPretty(&out, renderer(false), PrettyOptions{Location: time.UTC}).Received(Request{}, []Event{e, fail})
	s := out.String()
	for _, want := range []string{"DUPLICATE", "first seen 09:28:30 (1m earlier) in request #3", "STALE", "2d old", "FAILED"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in %q", want, s)
		}
	}
}

func TestForwardLines(t *testing.T) {
	var out bytes.Buffer
	p := NewPretty(&out, renderer(false), PrettyOptions{})
	p.Forwarded(Forward{Request: 2, Status: 500, Latency: 1500 * time.Microsecond, Body: []byte("boom\nstack")})
	p.Forwarded(Forward{Request: 3, Err: "connection refused: is your app running?"})
	p.Forwarded(Forward{Request: 4, Handshake: true, Status: 200, Body: []byte("nope")})
	s := out.String()
	for _, want := range []string{"↳ #2 app 500 Internal Server Error in 1.5ms", "boom stack", "↳ #3 app failed: connection refused", "but the body is not the challenge"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in %q", want, s)
		}
	}
}

func TestJSONLines(t *testing.T) {
	var out bytes.Buffer
	j := NewJSONLines(&out, JSONOptions{})
	e := sampleEvent()
	e.Raw = json.RawMessage("{\n  \"id\": \"x\"\n}") // pretty raw must still be one line
	j.Received(Request{}, []Event{e})
	j.Problem(Problem{Request: Request{Seq: 9, Method: "POST", Path: "/webhook", Status: 401, Signature: SigMissing, Body: []byte("{}")}, Kind: ProblemSignature, Message: "no signature", Hint: "sign it"})
	j.Summary(Summary{Requests: 2, Uptime: 3 * time.Second})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %q", out.String())
	}
	var ev, er, su map[string]any
	for i, v := range []*map[string]any{&ev, &er, &su} {
		if err := json.Unmarshal([]byte(lines[i]), v); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, lines[i])
		}
	}
	if ev["kind"] != "message" || ev["raw"].(map[string]any)["id"] != "x" || ev["request"] != float64(7) {
		t.Errorf("event line %v", ev)
	}
	if er["kind"] != "request_error" || er["error"] != "signature" || er["signature"] != "missing" || er["status"] != float64(401) || er["hint"] != "sign it" {
		t.Errorf("error line %v", er)
	}
	if su["kind"] != "summary" || su["uptime_seconds"] != float64(3) {
		t.Errorf("summary line %v", su)
	}
}

func TestHumanAgeAndShortID(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Second: "5s", 3 * time.Minute: "3m", 2*time.Hour + 5*time.Minute: "2h5m", 49 * time.Hour: "2d"} {
		if got := HumanAge(d); got != want {
			t.Errorf("HumanAge(%s) = %s, want %s", d, got, want)
		}
	}
	if got := ShortID("wamid.HBgLMTY1MDU1NTAxODcVAgASGBQzQUJDRA=="); got != "…GBQzQUJDRA" {
		t.Errorf("ShortID = %s", got)
	}
	if got := ShortID("abc"); got != "abc" {
		t.Errorf("ShortID short = %s", got)
	}
}

func TestWriteSummary(t *testing.T) {
	var out bytes.Buffer
	WriteSummary(&out, NewStyles(renderer(false)), Summary{
		Uptime: 61 * time.Second, Requests: 3, ByStatus: map[int]int{200: 2, 401: 1}, Events: 2,
		ByField: map[string]int{"messages": 2}, ByType: map[string]int{"text": 1, "status.read": 1},
		SignatureFailures: 1, Problems: map[string]int{"signature": 1}, RecordPath: "r.jsonl", Recorded: 3,
	})
	for _, want := range []string{"Summary after 1m1s", "requests     3 (200 2, 401 1)", "by type      status.read 1, text 1", "bad sigs     1", "recorded     3 requests to r.jsonl"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in\n%s", want, out.String())
		}
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Outside text never reaches the terminal raw: message text, names, types,
// paths and an app's answer are escaped, and secrets masked.
func TestPrettyEscapesOutsideText(t *testing.T) {
	var out bytes.Buffer
	p := NewPretty(&out, renderer(false), PrettyOptions{Location: time.UTC, Secrets: []string{"tok3n"}, Headers: true, Raw: true})
	e := sampleEvent()
	e.Summary = "\"hi\x1b]0;pwned\x07\" tok3n"
	e.ContactName = "Ana\x1b[2J"
	e.Type = "unknown\u009b31m"
	e.Problems = []string{"bad \x1b]52;c;aGk=\x07"}
	p.Received(Request{Seq: 1, Body: []byte("{\"a\":\"\x1b[31mred tok3n\"}"), Header: map[string][]string{"X-\x1b": {"v\x07"}}}, []Event{e})
	p.Problem(Problem{Request: Request{Seq: 2, Method: "P\x1bOST", Path: "/x\x07", Status: 404}, Kind: ProblemNotFound, Message: "no \x1b[1m"})
	p.Forwarded(Forward{Request: 1, Status: 500, Body: []byte("error page \x1b]0;t\x07 token=tok3n")})
	p.Handshake(Handshake{Request: Request{Seq: 3, Path: "/webhook"}, Challenge: "\x1b[5m"})
	s := out.String()
	if strings.ContainsAny(s, "\x1b\x07") || strings.Contains(s, "\u009b") {
		t.Fatalf("control characters reached the terminal: %q", s)
	}
	if strings.Contains(s, "tok3n") {
		t.Fatalf("secret printed: %q", s)
	}
	for _, want := range []string{`\x1b]0;pwned\x07`, `Ana\x1b[2J`, "token=****"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in %q", want, s)
		}
	}
}

// On a narrow terminal nothing exceeds the width: problem lines and hints,
// forward results, handshakes, notices, headers and bodies wrap or fit.
func TestNothingExceedsTheWidth(t *testing.T) {
	for _, width := range []int{50, 80} {
		var out bytes.Buffer
		p := NewPretty(&out, renderer(false), PrettyOptions{Location: time.UTC, Width: width, Headers: true, Raw: true})
		long := strings.Repeat("word ", 40) + strings.Repeat("x", 120)
		e := sampleEvent()
		e.Problems = []string{long}
		e.Duplicate, e.FirstSeen, e.FirstRequest, e.Stale, e.Age = true, at, 3, true, time.Hour
		p.Received(Request{Seq: 123456, Header: map[string][]string{"X-Long": {long}}, Body: []byte(`{"a":"` + long + `"}`)}, []Event{e})
		p.Problem(Problem{Request: Request{Seq: 2, Method: "POST", Path: "/webhook", Status: 401}, Kind: ProblemSignature, Message: long, Hint: long})
		p.Forwarded(Forward{Request: 1, Status: 500, Latency: time.Second, Body: []byte(long)})
		p.Forwarded(Forward{Request: 9, Err: long})
		p.Handshake(Handshake{Request: Request{Seq: 3, Path: "/webhook"}, Challenge: long})
		p.NotPrinted(1234)
		p.Summary(Summary{ByType: map[string]int{long: 1}, ByField: map[string]int{"messages": 1}, RecordPath: long, Recorded: 1})
		for i, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
			if w := lipgloss.Width(line); w > width {
				t.Errorf("width %d: line %d is %d wide: %q", width, i+1, w, line)
			}
		}
	}
}
