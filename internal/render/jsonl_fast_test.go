package render

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// The hand-written event line must be byte for byte the encoding/json one.

func TestEventLineMatchesEncoder(t *testing.T) {
	j := NewJSONLines(io.Discard, JSONOptions{})
	received := time.Date(2026, 11, 25, 18, 30, 0, 123000000, time.UTC)
	n := 0
	for _, e := range catalogEvents(t, received) {
		sameLine(t, j, e.Type, e)
		n++
	}
	odd := webhook.Event{Field: "x\"y", Kind: "<&>", Type: "t\u2028\u2029", Summary: "bad \xff \x01 \x7f\t\n\r\b\f \\ 🌵",
		ContactName: "é", Errors: []webhook.ErrorInfo{{Code: -1}, {Code: 2, Title: "\"", Details: "d"}},
		Raw: json.RawMessage("{\n  \"a\": 1\n}")}
	sameLine(t, j, "odd", Event{Event: odd, Received: received})
	odd.Raw = nil
	sameLine(t, j, "no raw", Event{Event: odd, Received: received})
	if n < 50 {
		t.Fatalf("only %d events", n)
	}
}

// Received writes the key and the timestamp from buffers of its own: its
// lines are still NewEventLine's, one after another.
func TestReceivedWritesNewEventLine(t *testing.T) {
	events := catalogEvents(t, time.Date(2026, 11, 25, 18, 30, 0, 123000000, time.UTC))
	events = append(events, Event{Event: webhook.Event{Kind: "message", ID: "wamid.\"x\"", RawTimestamp: "99999999999999"}})
	var out bytes.Buffer
	NewJSONLines(&out, JSONOptions{}).Received(Request{}, events)
	var want []byte
	for _, e := range events {
		l := NewEventLine(e)
		want = appendEventLine(want, &l)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatal("Received's lines differ from NewEventLine's")
	}
}

// catalogEvents is every event of the fixture catalog as the receiver
// would hand it over, in turn plain, duplicate, a stale retry in another
// zone and unchecked without a receive time.
func catalogEvents(t *testing.T, received time.Time) []Event {
	t.Helper()
	var out []Event
	for _, f := range fixtures.All() {
		note, err := webhook.Parse(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range note.Events() {
			e := Event{Event: ev, Request: uint64(i + 1), Received: received, Signature: SigValid}
			switch len(out) % 4 {
			case 1:
				e.Duplicate, e.FirstSeen, e.FirstRequest = true, received.Add(-time.Hour), 7
			case 2:
				e.Retry, e.Copy, e.Stale, e.Age = true, 2, true, 90*time.Minute
				e.Received = received.In(time.FixedZone("IST", 5*3600+1800))
			case 3:
				e.Signature, e.Received = SigUnchecked, time.Time{}
			}
			out = append(out, e)
		}
	}
	return out
}

func sameLine(t *testing.T, j *JSONLines, name string, e Event) {
	t.Helper()
	l := NewEventLine(e)
	want, ok := j.encodeEventLine(l)
	if !ok {
		t.Fatalf("%s: the reference could not encode the line", name)
	}
	want = bytes.Clone(want)
	got := appendEventLine(nil, &l)
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got  %s\n want %s", name, got, want)
	}
}

// An event is never dropped for the way it is written: times no RFC 3339
// text can carry, invalid UTF-8 and control characters still give a valid
// line of valid UTF-8.
func TestEventLineIsAlwaysValidJSON(t *testing.T) {
	far := webhook.Event{Field: "history", Kind: "history", Type: "text", Summary: "bad \xff\xfe text \x1b[2J",
		Timestamp: time.Date(10525, 1, 1, 0, 0, 0, 0, time.UTC), RawTimestamp: "0270000000000000",
		Problems: []string{"timestamp \"0270000000000000\" is after year 9999: kept as sent"},
		Raw:      json.RawMessage("{\"text\":{\"body\":\"bad \xff\xfe\"}}")}
	for _, received := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Now()} {
		var out bytes.Buffer
		NewJSONLines(&out, JSONOptions{}).Received(Request{}, []Event{{Event: far, Received: received}})
		if !utf8.Valid(out.Bytes()) || !json.Valid(out.Bytes()) || bytes.Count(out.Bytes(), []byte("\n")) != 1 {
			t.Fatalf("received %v: not one valid line: %q", received, out.Bytes())
		}
		var l map[string]any
		_ = json.Unmarshal(out.Bytes(), &l)
		if l["timestamp"] != "0270000000000000" || l["problems"].([]any)[0] == nil {
			t.Fatalf("raw timestamp lost: %v", l)
		}
	}
}

// A summary longer than MaxSummaryBytes is cut at a rune and marked; the
// item's raw JSON stays whole, and a large one written on its own gives
// the same line as the one built whole.
func TestLongSummaryIsCutAndRawKept(t *testing.T) {
	text := strings.Repeat("a", MaxSummaryBytes-6) + strings.Repeat("é", 100)
	raw := `{"text":{"body":"` + strings.Repeat(`caf\u00e9 \/ `, bigRaw/10) + `"}}`
	e := Event{Event: webhook.Event{Field: "messages", Kind: "message", Type: "text", Summary: `"` + text + `"`, Raw: json.RawMessage(raw)}}
	var out bytes.Buffer
	NewJSONLines(&out, JSONOptions{}).Received(Request{}, []Event{e})
	l := NewEventLine(e)
	if got := appendEventLine(nil, &l); !bytes.Equal(out.Bytes(), got) {
		t.Fatal("the line written in parts differs from the line built whole")
	}
	sameLine(t, NewJSONLines(io.Discard, JSONOptions{}), "long", e)
	var line struct {
		Summary    string          `json:"summary"`
		SummaryCut bool            `json:"summary_cut"`
		Raw        json.RawMessage `json:"raw"`
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if !line.SummaryCut || len(line.Summary) > MaxSummaryBytes || !utf8.ValidString(line.Summary) ||
		!strings.HasSuffix(line.Summary, "é…") || !strings.HasPrefix(line.Summary, `"aaa`) {
		t.Fatalf("summary of %d bytes, cut %v, ends %q", len(line.Summary), line.SummaryCut, line.Summary[len(line.Summary)-8:])
	}
	if string(line.Raw) != raw {
		t.Fatal("raw was not kept whole")
	}
	for pad := 4; pad <= 8; pad++ { // the cut lands on each byte of a rune in turn
		s, cut := cutSummary(`"` + strings.Repeat("a", MaxSummaryBytes-pad) + strings.Repeat("🌵", 10))
		if !cut || len(s) > MaxSummaryBytes || len(s) < MaxSummaryBytes-3 || !utf8.ValidString(s) || !strings.HasSuffix(s, "…") {
			t.Fatalf("pad %d: cut to %d bytes %q", pad, len(s), s[len(s)-8:])
		}
	}
	short := Event{Event: webhook.Event{Summary: `"` + strings.Repeat("a", MaxSummaryBytes-2) + `"`}}
	if l := NewEventLine(short); l.SummaryCut || len(l.Summary) != MaxSummaryBytes {
		t.Fatalf("a summary of exactly MaxSummaryBytes was cut to %d", len(l.Summary))
	}
}

// A raw JSON the caller vouches for (RawPlain) goes out as it is: for an
// item that is plain, small or large, the line is the one Received writes
// after checking for itself; one that is not plain is still made plain
// when nobody vouches for it.
func TestVouchedRawIsWrittenAsChecked(t *testing.T) {
	large := `{"text":{"body":"` + strings.Repeat(`caf\u00e9 \/ `, bigRaw/10) + `"}}`
	for _, raw := range []string{`{"a":1}`, large, `{"b":"\u00e9"}`} {
		e := Event{Event: webhook.Event{Field: "messages", Kind: "message", Type: "text", Raw: json.RawMessage(raw)}}
		var checked, vouched bytes.Buffer
		NewJSONLines(&checked, JSONOptions{}).Received(Request{}, []Event{e})
		e.RawPlain = true
		NewJSONLines(&vouched, JSONOptions{}).Received(Request{}, []Event{e})
		if !bytes.Equal(checked.Bytes(), vouched.Bytes()) {
			t.Fatalf("raw of %d bytes: the vouched line differs from the checked one", len(raw))
		}
	}
	e := Event{Event: webhook.Event{Kind: "message", Raw: json.RawMessage("{\n\"a\": \"\xff\"\n}")}}
	var out bytes.Buffer
	NewJSONLines(&out, JSONOptions{}).Received(Request{}, []Event{e})
	if bytes.Count(out.Bytes(), []byte("\n")) != 1 || !utf8.Valid(out.Bytes()) || !json.Valid(out.Bytes()) {
		t.Fatalf("an unvouched raw with line breaks and a bad byte was not made plain: %q", out.Bytes())
	}
}
