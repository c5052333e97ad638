package render

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/wa-hooks/wa-hooks/internal/jsonstr"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// SchemaVersion is the "v" of every JSON line serve writes (and of the
// recording's lines). It grows only when a field changes meaning or goes
// away; new fields and new kinds do not change it. docs/schema holds the
// JSON Schema of each version.
const SchemaVersion = 1

// Line kinds that are not event kinds (see webhook.Kinds for those).
const (
	// KindRequestError is a request serve refused or could not handle
	// (bad signature, not JSON, too large, …): never one of Meta's errors.
	KindRequestError = "request_error"
	KindHandshake    = "handshake"
	KindForward      = "forward"
	KindNotPrinted   = "not_printed"
	KindSummary      = "summary"
)

// JSONLines writes one JSON object per line: one per event (kind message,
// echo, history, standby, status, error, unknown or the field name), and
// one per request-level problem (kind "request_error" with an "error"
// naming the problem), accepted handshake ("handshake"), forward result
// ("forward"), events the output could not take ("not_printed") and the
// final summary ("summary"). Every line carries "v", "time" and, where
// there is one, the "request" number that ties lines of one request
// together. Every line is valid UTF-8 and valid JSON, whatever came in.
type JSONLines struct {
	w       io.Writer
	headers bool
	raw     bool
	secrets []string
	buf     bytes.Buffer
	line    []byte // reused for every event line
	// key, tsBuf and ts hold the line's key and timestamp while it is
	// written.
	key, tsBuf []byte
	ts         string
}

// JSONOptions tune JSON lines.
type JSONOptions struct {
	// Headers adds the request headers to problem lines (-v).
	Headers bool
	// Body adds the whole request body to problem lines (--raw).
	Body bool
	// Secrets are masked in what came from outside (an app's answer).
	Secrets []string
}

// NewJSONLines returns the machine renderer writing to w.
func NewJSONLines(w io.Writer, opts JSONOptions) *JSONLines {
	return &JSONLines{w: w, headers: opts.Headers, raw: opts.Body, secrets: opts.Secrets}
}

// EventLine is the JSON form of one event.
type EventLine struct {
	V                  int       `json:"v"`
	Time               time.Time `json:"time"`
	Request            uint64    `json:"request"`
	Field              string    `json:"field"`
	Kind               string    `json:"kind"`
	Type               string    `json:"type"`
	ID                 string    `json:"id"`
	From               string    `json:"from"`
	Recipient          string    `json:"recipient"`
	ContactName        string    `json:"contact_name,omitempty"`
	PhoneNumberID      string    `json:"phone_number_id"`
	DisplayPhoneNumber string    `json:"display_phone_number,omitempty"`
	WABAID             string    `json:"waba_id"`
	// Timestamp is RFC 3339, or the value as sent when no RFC 3339 time
	// can carry it (past year 9999; see problems).
	Timestamp    *string             `json:"timestamp"`
	UserID       string              `json:"user_id,omitempty"`
	ParentUserID string              `json:"parent_user_id,omitempty"`
	WaID         string              `json:"wa_id,omitempty"`
	Username     string              `json:"username,omitempty"`
	GroupID      string              `json:"group_id,omitempty"`
	Status       string              `json:"status,omitempty"`
	Errors       []webhook.ErrorInfo `json:"errors,omitempty"`
	Summary      string              `json:"summary"`
	SummaryCut   bool                `json:"summary_cut,omitempty"`
	RawType      string              `json:"raw_type"`
	Unknown      bool                `json:"unknown"`
	Problems     []string            `json:"problems"`
	Signature    Signature           `json:"signature"`
	Failed       bool                `json:"failed"`
	Duplicate    bool                `json:"duplicate"`
	Retry        bool                `json:"retry"`
	FirstSeen    *time.Time          `json:"first_seen,omitempty"`
	FirstRequest uint64              `json:"first_request,omitempty"`
	Stale        bool                `json:"stale"`
	AgeSeconds   int64               `json:"age_seconds,omitempty"`
	Key          string              `json:"key"`
	Raw          json.RawMessage     `json:"raw"`
}

// NewEventLine builds the JSON form of e.
func NewEventLine(e Event) EventLine {
	l := eventLine(&e)
	if l.Key == "" {
		l.Key = e.Key()
	}
	var ts string
	switch {
	case e.RawTimestamp != "":
		ts = e.RawTimestamp
	case !e.Timestamp.IsZero():
		ts = formatTime(e.Timestamp.UTC())
	default:
		return l
	}
	l.Timestamp = &ts
	return l
}

// eventLine is NewEventLine without the key unless worked out already
// (DedupKey), the timestamp and the first-seen time, which point into
// memory of their own.
func eventLine(e *Event) EventLine {
	l := EventLine{
		V: SchemaVersion, Time: e.Received, Request: e.Request, Field: e.Field, Kind: e.Kind, Type: e.Type, ID: e.ID,
		From: e.From, Recipient: e.Recipient, ContactName: e.ContactName,
		PhoneNumberID: e.PhoneNumberID, DisplayPhoneNumber: e.DisplayPhoneNumber, WABAID: e.WABAID,
		UserID: e.UserID, ParentUserID: e.ParentUserID, WaID: e.WaID, Username: e.Username, GroupID: e.GroupID, Status: e.Status, Errors: e.Errors,
		RawType: e.RawType, Unknown: e.Unknown, Problems: e.Problems,
		Signature: e.Signature, Failed: IsFailure(*e),
		Duplicate: e.Duplicate || e.Retry, Retry: e.Retry, FirstRequest: e.FirstRequest,
		Stale: e.Stale, Key: e.DedupKey, Raw: e.Raw,
	}
	l.Summary, l.SummaryCut = cutSummary(e.Summary)
	if l.Problems == nil {
		l.Problems = []string{}
	}
	if l.Duplicate {
		fs := e.FirstSeen
		l.FirstSeen = &fs
	}
	if e.Stale {
		l.AgeSeconds = int64(e.Age / time.Second)
	}
	if len(l.Raw) == 0 {
		l.Raw = json.RawMessage("null")
	}
	return l
}

// MaxSummaryBytes bounds an event line's summary. Every text WhatsApp
// lets a user send (4,096 characters) fits whole; a longer one, such as a
// multi-megabyte history item's, would otherwise repeat the item beside
// "raw", which carries it exactly anyway.
const MaxSummaryBytes = 16 << 10

// cutSummary shortens s to at most MaxSummaryBytes, "…" included, at the
// start of a rune, and reports whether it did.
func cutSummary(s string) (string, bool) {
	if len(s) <= MaxSummaryBytes {
		return s, false
	}
	cut := MaxSummaryBytes - len("…")
	for k := 0; k < utf8.UTFMax && cut > 0 && !utf8.RuneStart(s[cut]); k++ {
		cut--
	}
	return s[:cut] + "…", true
}

// formatTime is time.Time's JSON text, for any time: one a JSON time
// cannot carry (past year 9999, an offset of a day) is given in UTC with
// as many year digits as it needs, still a string.
func formatTime(t time.Time) string {
	return string(appendTime(nil, t))
}

// appendTime appends formatTime(t).
func appendTime(b []byte, t time.Time) []byte {
	if !jsonTime(t) {
		t = t.UTC()
	}
	return t.AppendFormat(b, time.RFC3339Nano)
}

// ErrorLine is the JSON form of a request-level problem.
type ErrorLine struct {
	V         int         `json:"v"`
	Time      time.Time   `json:"time"`
	Request   uint64      `json:"request"`
	Kind      string      `json:"kind"` // always "request_error"
	Error     string      `json:"error"`
	Message   string      `json:"message"`
	Hint      string      `json:"hint,omitempty"`
	Status    int         `json:"status"`
	Accepted  bool        `json:"accepted,omitempty"`
	Method    string      `json:"method"`
	Path      string      `json:"path"`
	Query     string      `json:"query,omitempty"`
	Remote    string      `json:"remote,omitempty"`
	Signature Signature   `json:"signature,omitempty"`
	Header    http.Header `json:"headers,omitempty"`
	Body      *string     `json:"body,omitempty"`
	Size      int         `json:"size"`
}

func (j *JSONLines) write(v any) {
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return
	}
	_, _ = j.w.Write(j.buf.Bytes())
}

// Received writes one line per event.
func (j *JSONLines) Received(req Request, events []Event) {
	for i := range events {
		e := &events[i]
		l := eventLine(e)
		// The key and the timestamp are written into buffers of j's own
		// (a string each per line otherwise), and only read below.
		if l.Key == "" {
			j.key = e.AppendKey(j.key[:0])
			l.Key = unsafe.String(unsafe.SliceData(j.key), len(j.key))
		}
		switch {
		case e.RawTimestamp != "":
			j.ts = e.RawTimestamp
			l.Timestamp = &j.ts
		case !e.Timestamp.IsZero():
			j.tsBuf = appendTime(j.tsBuf[:0], e.Timestamp.UTC())
			j.ts = unsafe.String(unsafe.SliceData(j.tsBuf), len(j.tsBuf))
			l.Timestamp = &j.ts
		}
		line := appendEventHead(j.line[:0], &l)
		plain := e.RawPlain || plainRaw(l.Raw)
		switch {
		case len(l.Raw) >= bigRaw && plain:
			// A multi-megabyte item goes out as it is, not copied into
			// a line first.
			_, _ = j.w.Write(line)
			if o, ok := j.w.(OwnedWriter); ok {
				o.WriteOwned(l.Raw) // it points into the body, which nothing changes
			} else {
				_, _ = j.w.Write(l.Raw)
			}
			_, _ = j.w.Write([]byte("}\n"))
		case plain:
			line = append(append(line, l.Raw...), '}', '\n')
			_, _ = j.w.Write(line)
		default:
			buf := bytes.NewBuffer(line)
			appendRaw(buf, l.Raw)
			line = append(buf.Bytes(), '}', '\n')
			_, _ = j.w.Write(line)
		}
		if cap(line) <= 1<<20 { // a 3 MB item's line is not worth keeping
			j.line = line
		}
	}
}

// bigRaw is the size from which an item's JSON is written on its own.
const bigRaw = 64 << 10

// An OwnedWriter can keep what it is given instead of copying it: the
// caller never changes those bytes afterwards (a request body, which serve
// records and forwards as received, is never changed).
type OwnedWriter interface {
	WriteOwned(p []byte)
}

// encodeEventLine is the reference encoding of an event line (tests hold
// appendEventLine to it).
func (j *JSONLines) encodeEventLine(l EventLine) ([]byte, bool) {
	raw := l.Raw
	// The item's raw JSON is spliced in as is instead of letting
	// encoding/json re-validate and compact it (Parse already checked
	// it): Raw is the last field, so a one-byte placeholder is swapped.
	l.Raw = json.RawMessage("0")
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		return nil, false
	}
	j.buf.Truncate(j.buf.Len() - len("0}\n"))
	appendRaw(&j.buf, raw)
	j.buf.WriteString("}\n")
	return j.buf.Bytes(), true
}

// appendRaw writes an item's JSON on one line, as valid UTF-8: Parse
// checked its syntax, not its bytes, and a byte that is not UTF-8 can only
// sit inside a string, where U+FFFD replaces it as encoding/json would.
func appendRaw(buf *bytes.Buffer, raw json.RawMessage) {
	if !utf8.Valid(raw) {
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	if bytes.IndexByte(raw, '\n') >= 0 || bytes.IndexByte(raw, '\r') >= 0 {
		if err := json.Compact(buf, raw); err != nil {
			buf.WriteString("null")
		}
		return
	}
	buf.Write(raw)
}

// appendEventLine writes l as encodeEventLine does, without reflection:
// one line per event is most of what serve --json spends after parsing.
// It never fails: an event is never dropped for the way it is written.
func appendEventLine(b []byte, l *EventLine) []byte {
	return append(appendRawValue(appendEventHead(b, l), l.Raw), '}', '\n')
}

// appendEventHead writes the line up to its last value, raw's: up to and
// including `,"raw":`.
func appendEventHead(b []byte, l *EventLine) []byte {
	appendTime := func(key string, t time.Time) {
		if !jsonTime(t) {
			t = t.UTC()
		}
		b = append(t.AppendFormat(append(append(b, key...), '"'), time.RFC3339Nano), '"')
	}
	str := func(key, v string, omitEmpty bool) {
		if !omitEmpty || v != "" {
			b = jsonstr.Append(append(b, key...), v)
		}
	}
	b = strconv.AppendInt(append(b, `{"v":`...), int64(l.V), 10)
	appendTime(`,"time":`, l.Time)
	b = strconv.AppendUint(append(b, `,"request":`...), l.Request, 10)
	str(`,"field":`, l.Field, false)
	str(`,"kind":`, l.Kind, false)
	str(`,"type":`, l.Type, false)
	str(`,"id":`, l.ID, false)
	str(`,"from":`, l.From, false)
	str(`,"recipient":`, l.Recipient, false)
	str(`,"contact_name":`, l.ContactName, true)
	str(`,"phone_number_id":`, l.PhoneNumberID, false)
	str(`,"display_phone_number":`, l.DisplayPhoneNumber, true)
	str(`,"waba_id":`, l.WABAID, false)
	if l.Timestamp == nil {
		b = append(b, `,"timestamp":null`...)
	} else {
		str(`,"timestamp":`, *l.Timestamp, false)
	}
	str(`,"user_id":`, l.UserID, true)
	str(`,"parent_user_id":`, l.ParentUserID, true)
	str(`,"wa_id":`, l.WaID, true)
	str(`,"username":`, l.Username, true)
	str(`,"group_id":`, l.GroupID, true)
	str(`,"status":`, l.Status, true)
	if len(l.Errors) > 0 {
		b = append(b, `,"errors":[`...)
		for i, e := range l.Errors {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(append(b, `{"code":`...), int64(e.Code), 10)
			str(`,"title":`, e.Title, true)
			str(`,"details":`, e.Details, true)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	str(`,"summary":`, l.Summary, false)
	if l.SummaryCut {
		b = append(b, `,"summary_cut":true`...)
	}
	str(`,"raw_type":`, l.RawType, false)
	b = strconv.AppendBool(append(b, `,"unknown":`...), l.Unknown)
	b = append(b, `,"problems":[`...)
	for i, p := range l.Problems {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, p)
	}
	b = append(b, ']')
	str(`,"signature":`, string(l.Signature), false)
	b = strconv.AppendBool(append(b, `,"failed":`...), l.Failed)
	b = strconv.AppendBool(append(b, `,"duplicate":`...), l.Duplicate)
	b = strconv.AppendBool(append(b, `,"retry":`...), l.Retry)
	if l.FirstSeen != nil {
		appendTime(`,"first_seen":`, *l.FirstSeen)
	}
	if l.FirstRequest != 0 {
		b = strconv.AppendUint(append(b, `,"first_request":`...), l.FirstRequest, 10)
	}
	b = strconv.AppendBool(append(b, `,"stale":`...), l.Stale)
	if l.AgeSeconds != 0 {
		b = strconv.AppendInt(append(b, `,"age_seconds":`...), l.AgeSeconds, 10)
	}
	str(`,"key":`, l.Key, false)
	return append(b, `,"raw":`...)
}

// appendRawValue appends an item's JSON as appendRaw does.
func appendRawValue(b []byte, raw json.RawMessage) []byte {
	if !plainRaw(raw) {
		buf := bytes.NewBuffer(b)
		appendRaw(buf, raw)
		return buf.Bytes()
	}
	return append(b, raw...)
}

// plainRaw reports whether raw can be written as it is: on one line and
// valid UTF-8. Two IndexByte scans (vectorised) instead of ContainsAny's
// byte loop.
func plainRaw(raw []byte) bool {
	return bytes.IndexByte(raw, '\n') < 0 && bytes.IndexByte(raw, '\r') < 0 && utf8.Valid(raw)
}

// jsonTime reports whether time.Time.MarshalJSON accepts t: a year of four
// digits and a zone offset under a day.
func jsonTime(t time.Time) bool {
	_, off := t.Zone()
	return t.Year() >= 0 && t.Year() <= 9999 && off > -24*3600 && off < 24*3600
}

// Problem writes a kind "request_error" line.
func (j *JSONLines) Problem(p Problem) {
	r := p.Request
	l := ErrorLine{
		V: SchemaVersion, Time: r.Time, Request: r.Seq, Kind: KindRequestError, Error: p.Kind,
		Message: j.mask(p.Message), Hint: p.Hint,
		Status: r.Status, Accepted: p.Accepted, Method: r.Method, Path: r.Path, Query: r.Query,
		Remote: r.Remote, Signature: r.Signature, Size: len(r.Body),
	}
	if p.Accepted {
		l.Status = http.StatusOK
	}
	if j.headers {
		l.Header = r.Header
	}
	if j.raw && len(r.Body) > 0 && p.Kind != ProblemTooLarge {
		s := j.mask(string(r.Body))
		l.Body = &s
	}
	j.write(l)
}

// mask hides the secrets in text that came from outside.
func (j *JSONLines) mask(s string) string {
	if len(j.secrets) == 0 {
		return s
	}
	return termsafe.Mask(s, j.secrets...)
}

// Handshake writes a kind "handshake" line.
func (j *JSONLines) Handshake(h Handshake) {
	j.write(struct {
		V         int       `json:"v"`
		Time      time.Time `json:"time"`
		Request   uint64    `json:"request"`
		Kind      string    `json:"kind"`
		Status    int       `json:"status"`
		Challenge string    `json:"challenge"`
		Remote    string    `json:"remote,omitempty"`
	}{SchemaVersion, h.Request.Time, h.Request.Seq, KindHandshake, h.Request.Status, j.mask(h.Challenge), h.Request.Remote})
}

// Forwarded writes a kind "forward" line.
func (j *JSONLines) Forwarded(f Forward) {
	l := struct {
		V         int       `json:"v"`
		Time      time.Time `json:"time"`
		Request   uint64    `json:"request"`
		Kind      string    `json:"kind"`
		OK        bool      `json:"ok"`
		Handshake bool      `json:"handshake,omitempty"`
		URL       string    `json:"url"`
		Status    int       `json:"status,omitempty"`
		LatencyMS float64   `json:"latency_ms"`
		Error     string    `json:"error,omitempty"`
		Body      string    `json:"body,omitempty"`
		Dropped   int       `json:"dropped,omitempty"`
	}{SchemaVersion, time.Now(), f.Request, KindForward, f.OK(), f.Handshake, f.URL, f.Status,
		float64(f.Latency.Microseconds()) / 1000, j.mask(f.Err), "", f.Dropped}
	if f.Status/100 != 2 {
		l.Body = j.mask(string(f.Body))
	}
	j.write(l)
}

// NotPrinted writes a kind "not_printed" line: n events the output could
// not take while it was not being read.
func (j *JSONLines) NotPrinted(n int) {
	j.write(struct {
		V      int       `json:"v"`
		Time   time.Time `json:"time"`
		Kind   string    `json:"kind"`
		Events int       `json:"events"`
	}{SchemaVersion, time.Now(), KindNotPrinted, n})
}

// Summary writes a kind "summary" line.
func (j *JSONLines) Summary(s Summary) {
	j.write(struct {
		V    int    `json:"v"`
		Kind string `json:"kind"`
		Summary
		UptimeSeconds float64 `json:"uptime_seconds"`
	}{SchemaVersion, KindSummary, s, s.Uptime.Seconds()})
}
