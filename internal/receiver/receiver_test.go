package receiver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

const (
	testSecret = "test-app-secret-0123456789"
	testToken  = "test-verify-token"
)

var fixedNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// syncBuffer is a bytes.Buffer safe for handlers and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newJSONReceiver returns a receiver printing JSON lines into out.
func newJSONReceiver(t *testing.T, mod func(*Options)) (*Receiver, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	opts := Options{
		Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
		StaleAfter: 10 * time.Minute, Now: func() time.Time { return fixedNow },
		Sink: render.NewJSONLines(out, render.JSONOptions{}),
	}
	if mod != nil {
		mod(&opts)
	}
	rc, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return rc, out
}

// lines parses JSON lines.
func lines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func wireFixture(t testing.TB, name string) []byte {
	t.Helper()
	f, ok := fixtures.Get(name)
	if !ok {
		t.Fatalf("no fixture %s", name)
	}
	b, err := wire.Encode(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(rc http.Handler, body []byte, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, req)
	return w
}

func signed(body []byte) map[string]string {
	return map[string]string{signature.Header: signature.Sign(testSecret, body)}
}

func TestHandshake(t *testing.T) {
	cases := []struct {
		name   string
		query  string
		status int
		body   string
	}{
		{"accepted", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + testToken, 200, "1158201444"},
		{"non-numeric challenge echoed verbatim", "hub.mode=subscribe&hub.challenge=" + url.QueryEscape("a b/é") + "&hub.verify_token=" + testToken, 200, "a b/é"},
		{"wrong token", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope", 403, ""},
		{"wrong mode", "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=" + testToken, 403, ""},
		{"missing challenge", "hub.mode=subscribe&hub.verify_token=" + testToken, 403, ""},
		{"missing token", "hub.mode=subscribe&hub.challenge=1", 403, ""},
		{"no parameters", "", 403, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc, out := newJSONReceiver(t, nil)
			w := httptest.NewRecorder()
			rc.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhook?"+c.query, nil))
			rc.Close()
			if w.Code != c.status {
				t.Fatalf("status %d, want %d", w.Code, c.status)
			}
			if c.status == 200 {
				if got := w.Body.String(); got != c.body {
					t.Fatalf("body %q, want %q", got, c.body)
				}
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
					t.Fatalf("content type %q", ct)
				}
				return
			}
			if strings.Contains(w.Body.String(), testToken) {
				t.Fatal("the verify token leaked into the answer")
			}
			ls := lines(t, out.String())
			if len(ls) != 1 || ls[0]["kind"] != "request_error" || ls[0]["error"] != "handshake" {
				t.Fatalf("want one handshake error line, got %v", ls)
			}
			if strings.Contains(out.String(), testToken) {
				t.Fatal("the verify token leaked into the output")
			}
		})
	}
}

func TestPostValidEvents(t *testing.T) {
	rc, out := newJSONReceiver(t, nil)
	body := wireFixture(t, "messages.text")
	w := post(rc, body, signed(body))
	rc.Close()
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	ls := lines(t, out.String())
	if len(ls) != 1 {
		t.Fatalf("want 1 event line, got %d: %s", len(ls), out)
	}
	l := ls[0]
	for _, k := range []string{"time", "field", "kind", "type", "id", "from", "recipient", "phone_number_id", "waba_id", "timestamp", "summary", "signature", "duplicate", "raw"} {
		if _, ok := l[k]; !ok {
			t.Errorf("event line lacks %q: %v", k, l)
		}
	}
	if l["kind"] != "message" || l["type"] != "text" || l["signature"] != "valid" || l["duplicate"] != false {
		t.Fatalf("unexpected line %v", l)
	}
}

func TestSignatureFailures(t *testing.T) {
	body := wireFixture(t, "messages.text")
	cases := []struct {
		name   string
		header map[string]string
		sig    string
		msg    string
	}{
		{"missing", nil, "missing", "no signature"},
		{"mismatch", map[string]string{signature.Header: signature.Sign("other-secret", body)}, "invalid", "mismatch"},
		{"malformed", map[string]string{signature.Header: "sha256=xyz"}, "invalid", "not a 64-digit hex"},
		{"no prefix", map[string]string{signature.Header: strings.TrimPrefix(signature.Sign(testSecret, body), "sha256=")}, "invalid", "sha256="},
		{"legacy sha1 only", map[string]string{signature.Header: signature.SignSHA1(testSecret, body)}, "invalid", "sha1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc, out := newJSONReceiver(t, nil)
			w := post(rc, body, c.header)
			rc.Close()
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", w.Code)
			}
			ls := lines(t, out.String())
			if len(ls) != 1 {
				t.Fatalf("want 1 line, got %s", out)
			}
			l := ls[0]
			if l["kind"] != "request_error" || l["error"] != "signature" || l["signature"] != c.sig || l["status"] != float64(401) {
				t.Fatalf("unexpected line %v", l)
			}
			if !strings.Contains(l["message"].(string), c.msg) {
				t.Fatalf("message %q lacks %q", l["message"], c.msg)
			}
			if l["hint"] == nil || l["hint"] == "" {
				t.Fatalf("no hint: %v", l)
			}
			if strings.Contains(out.String(), testSecret) || strings.Contains(w.Body.String(), signature.Sign(testSecret, body)) {
				t.Fatal("secret or expected signature leaked")
			}
		})
	}
}

func TestAcceptInvalid(t *testing.T) {
	rc, out := newJSONReceiver(t, func(o *Options) { o.AcceptInvalid = true })
	body := wireFixture(t, "messages.text")
	w := post(rc, body, map[string]string{signature.Header: signature.Sign("wrong", body)})
	rc.Close()
	if w.Code != 200 {
		t.Fatalf("status %d, want 200 with --accept-invalid", w.Code)
	}
	ls := lines(t, out.String())
	if len(ls) != 2 || ls[0]["kind"] != "request_error" || ls[0]["accepted"] != true || ls[1]["signature"] != "invalid" {
		t.Fatalf("want a flagged error line then an invalid event, got %s", out)
	}
}

func TestUnchecked(t *testing.T) {
	rc, out := newJSONReceiver(t, func(o *Options) { o.AppSecret = "" })
	body := wireFixture(t, "messages.text")
	w := post(rc, body, nil)
	rc.Close()
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if ls := lines(t, out.String()); len(ls) != 1 || ls[0]["signature"] != "unchecked" {
		t.Fatalf("want unchecked, got %s", out)
	}
}

func TestRequestProblems(t *testing.T) {
	rc, out := newJSONReceiver(t, func(o *Options) { o.MaxBody = 1024 })
	big := bytes.Repeat([]byte("x"), 2048)
	if w := post(rc, big, signed(big)); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize: %d", w.Code)
	}
	bad := []byte(`{"object":"whatsapp_business_account","entry":[`)
	if w := post(rc, bad, signed(bad)); w.Code != http.StatusBadRequest {
		t.Fatalf("bad JSON: %d", w.Code)
	}
	notEnvelope := []byte(`[1,2,3]`)
	if w := post(rc, notEnvelope, signed(notEnvelope)); w.Code != http.StatusBadRequest {
		t.Fatalf("not an envelope: %d", w.Code)
	}
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, httptest.NewRequest(http.MethodPut, "/webhook", nil))
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") == "" {
		t.Fatalf("PUT: %d allow %q", w.Code, w.Header().Get("Allow"))
	}
	w = httptest.NewRecorder()
	rc.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/other", nil))
	if w.Code != http.StatusNotFound {
		t.Fatalf("other path: %d", w.Code)
	}
	w = httptest.NewRecorder()
	rc.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if w.Code != 200 {
		t.Fatalf("healthz: %d", w.Code)
	}
	s := rc.Close()
	want := []string{"too_large", "json", "json", "method", "not_found"}
	ls := lines(t, out.String())
	if len(ls) != len(want) {
		t.Fatalf("want %d lines, got %s", len(want), out)
	}
	for i, l := range ls {
		if l["kind"] != "request_error" || l["error"] != want[i] {
			t.Errorf("line %d: want error %s, got %v", i, want[i], l)
		}
	}
	if !strings.Contains(ls[1]["message"].(string), "entry") && !strings.Contains(ls[1]["message"].(string), "JSON") {
		t.Errorf("bad JSON message does not say where: %v", ls[1]["message"])
	}
	if s.Requests != 5 || s.ByStatus[400] != 2 {
		t.Errorf("summary %+v", s)
	}
}

func TestDuplicatesAndRetries(t *testing.T) {
	rc, out := newJSONReceiver(t, nil)
	body := wireFixture(t, "messages.text")
	post(rc, body, signed(body))
	post(rc, body, signed(body)) // a retry: same bytes
	pretty, err := wire.Format(body, wire.Style{Escaping: wire.Unicode, Indent: "  "})
	if err != nil {
		t.Fatal(err)
	}
	post(rc, pretty, signed(pretty)) // same event, other bytes: a duplicate
	s := rc.Close()
	ls := lines(t, out.String())
	if len(ls) != 3 {
		t.Fatalf("want 3 lines, got %s", out)
	}
	if ls[0]["duplicate"] != false || ls[1]["duplicate"] != true || ls[1]["retry"] != true || ls[2]["duplicate"] != true || ls[2]["retry"] != false {
		t.Fatalf("duplicate flags wrong: %v / %v / %v", ls[0], ls[1], ls[2])
	}
	if ls[2]["first_request"] != float64(1) {
		t.Fatalf("first copy not named: %v", ls[2])
	}
	if s.Duplicates != 2 || s.Retries != 1 {
		t.Fatalf("summary %+v", s)
	}
}

// A retry is the same bytes whatever came with them: a valid signature, a
// wrong or missing one (--accept-invalid), or no App Secret at all. Bytes
// that differ by one are never a retry.
func TestRetriesAreTheSameBytes(t *testing.T) {
	body := wireFixture(t, "messages.text")
	other := bytes.Replace(body, []byte(`"wamid.`), []byte(`"wamid.X`), 1)
	for _, c := range []struct {
		name   string
		secret string
	}{{"signed", testSecret}, {"no secret", ""}} {
		t.Run(c.name, func(t *testing.T) {
			rc, out := newJSONReceiver(t, func(o *Options) { o.AppSecret, o.AcceptInvalid = c.secret, true })
			post(rc, body, signed(body))
			post(rc, other, signed(other))
			post(rc, body, map[string]string{signature.Header: signature.Sign("not-the-secret", body)})
			post(rc, body, nil)
			post(rc, other, nil)
			s := rc.Close()
			var evs []map[string]any
			for _, l := range lines(t, out.String()) {
				if l["kind"] == "message" {
					evs = append(evs, l)
				}
			}
			want := []struct {
				retry bool
				first float64
			}{{false, 0}, {false, 0}, {true, 1}, {true, 1}, {true, 2}}
			if len(evs) != len(want) {
				t.Fatalf("want %d event lines, got %s", len(want), out)
			}
			for i, w := range want {
				if evs[i]["retry"] != w.retry || (w.retry && evs[i]["first_request"] != w.first) {
					t.Errorf("request %d: retry %v first_request %v, want %v %v", i+1, evs[i]["retry"], evs[i]["first_request"], w.retry, w.first)
				}
			}
			if s.Retries != 3 {
				t.Errorf("summary counts %d retries, want 3", s.Retries)
			}
		})
	}
}

// rawSink keeps what the receiver says of each event's raw JSON.
type rawSink struct {
	nopSink
	plain []bool
}

func (s *rawSink) Received(_ render.Request, evs []render.Event) {
	for _, e := range evs {
		s.plain = append(s.plain, e.RawPlain)
	}
}

// The receiver vouches for the raw JSON of a body's events when the parse
// found the body plain (Meta's wire form), unless --redact gave them raw
// JSON of its own; an indented body and one with raw UTF-8 are left to
// the sink to check.
func TestReceiverVouchesForPlainRaw(t *testing.T) {
	wireBody := wireFixture(t, "messages.text")
	f, _ := fixtures.Get("messages.text")
	utf := bytes.Replace(wireBody, []byte(`"body":"`), []byte("\"body\":\"caf\xc3\xa9 "), 1)
	for _, c := range []struct {
		name   string
		body   []byte
		redact bool
		want   bool
	}{{"wire", wireBody, false, true}, {"indented", f.Body, false, false}, {"raw UTF-8", utf, false, false}, {"redacted", wireBody, true, false}} {
		sink := &rawSink{}
		rc, _ := newJSONReceiver(t, func(o *Options) { o.Sink, o.Redact = sink, c.redact })
		if w := post(rc, c.body, signed(c.body)); w.Code != 200 {
			t.Fatalf("%s: status %d", c.name, w.Code)
		}
		rc.Close()
		if len(sink.plain) != 1 || sink.plain[0] != c.want {
			t.Errorf("%s: RawPlain %v, want [%v]", c.name, sink.plain, c.want)
		}
	}
}

func TestStale(t *testing.T) {
	rc, out := newJSONReceiver(t, nil)
	body := wireFixture(t, "messages.text") // fixture timestamps are well before fixedNow
	post(rc, body, signed(body))
	rc.Close()
	if ls := lines(t, out.String()); ls[0]["stale"] != true {
		t.Fatalf("not marked stale: %v", ls[0])
	}
}

func TestFilter(t *testing.T) {
	rc, out := newJSONReceiver(t, func(o *Options) { o.Filter = Filter{Types: []string{"status.failed"}} })
	for _, n := range []string{"messages.text", "statuses.failed.131047", "statuses.read"} {
		b := wireFixture(t, n)
		post(rc, b, signed(b))
	}
	s := rc.Close()
	ls := lines(t, out.String())
	if len(ls) != 1 || ls[0]["type"] != "status.failed" {
		t.Fatalf("filter let through: %s", out)
	}
	if s.Events != 3 {
		t.Fatalf("filtered events must still be counted: %+v", s)
	}
	f := Filter{Types: []string{"status"}}
	for _, tc := range []struct {
		typ, kind string
		want      bool
	}{{"status.read", "status", true}, {"text", "message", false}} {
		e := render.Event{}
		e.Type, e.Kind = tc.typ, tc.kind
		if got := f.Match(e.Event); got != tc.want {
			t.Errorf("Filter status on %s: %v", tc.typ, got)
		}
	}
}

func TestRecordingKeepsExactBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	rec, err := recording.Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := newJSONReceiver(t, func(o *Options) { o.Recorder = rec })
	good := wireFixture(t, "messages.text.non_ascii")
	notUTF8 := []byte{0xff, 0xfe, '{', 0x00}
	post(rc, good, signed(good))
	post(rc, notUTF8, signed(notUTF8))
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhook?hub.mode=subscribe&hub.challenge=42&hub.verify_token="+testToken, nil))
	rc.Close()
	rec.Close()
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte(testToken)) || bytes.Contains(raw, []byte(testSecret)) {
		t.Fatal("a secret reached the recording")
	}
	res, err := recording.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 3 || res.Skipped != 0 {
		t.Fatalf("records %d skipped %d", len(res.Records), res.Skipped)
	}
	if !bytes.Equal(res.Records[0].Body, good) || res.Records[0].Status != 200 || res.Records[0].Signature != "valid" {
		t.Fatalf("first record differs: %+v", res.Records[0])
	}
	if !bytes.Equal(res.Records[1].Body, notUTF8) || res.Records[1].Status != 400 {
		t.Fatalf("non-UTF-8 body not kept: %q", res.Records[1].Body)
	}
	if !bytes.Contains(raw, []byte(`"body_base64"`)) {
		t.Fatal("non-UTF-8 body not stored as base64")
	}
	if q := res.Records[2].Query; !strings.Contains(q, "hub.verify_token=****") || res.Records[2].Status != 200 {
		t.Fatalf("handshake record %+v", res.Records[2])
	}
}

func TestForwardSameBytesAndHeaders(t *testing.T) {
	type got struct {
		body   []byte
		header http.Header
		query  string
	}
	ch := make(chan got, 4)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- got{b, r.Header.Clone(), r.URL.RawQuery}
		if r.Method == http.MethodGet {
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		w.WriteHeader(500)
		io.WriteString(w, "app exploded")
	}))
	defer app.Close()
	fw, err := NewForwarder(ForwardOptions{URL: app.URL + "/hook", Header: http.Header{"X-Extra": {"yes"}}, Handshakes: true})
	if err != nil {
		t.Fatal(err)
	}
	rc, out := newJSONReceiver(t, func(o *Options) { o.Forwarder = fw })
	body := wireFixture(t, "messages.text.non_ascii")
	hdr := signed(body)
	hdr["User-Agent"] = "facebookexternalua"
	hdr[signature.LegacyHeader] = signature.SignSHA1(testSecret, body)
	if w := post(rc, body, hdr); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	g := <-ch
	if !bytes.Equal(g.body, body) {
		t.Fatal("forwarded body differs")
	}
	for _, k := range []string{signature.Header, signature.LegacyHeader, "User-Agent", "Content-Type"} {
		if g.header.Get(k) != http.Header(map[string][]string{}).Get(k) && g.header.Get(k) == "" {
			t.Errorf("header %s not forwarded", k)
		}
	}
	if g.header.Get(signature.Header) != hdr[signature.Header] || g.header.Get("User-Agent") != "facebookexternalua" || g.header.Get("X-Extra") != "yes" {
		t.Fatalf("headers differ: %v", g.header)
	}
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhook?hub.mode=subscribe&hub.challenge=77&hub.verify_token="+testToken, nil))
	if g := <-ch; g.query == "" || !strings.Contains(g.query, "hub.challenge=77") {
		t.Fatalf("handshake not forwarded with its query: %q", g.query)
	}
	rc.Close()
	var fwd []map[string]any
	for _, l := range lines(t, out.String()) {
		if l["kind"] == "forward" {
			fwd = append(fwd, l)
		}
	}
	if len(fwd) != 2 {
		t.Fatalf("want 2 forward lines, got %s", out)
	}
	for _, l := range fwd {
		if l["handshake"] == true {
			if l["ok"] != true {
				t.Errorf("handshake forward: %v", l)
			}
		} else if l["ok"] != false || l["status"] != float64(500) || l["body"] != "app exploded" {
			t.Errorf("post forward: %v", l)
		}
	}
}

func TestForwardToDownApp(t *testing.T) {
	app := httptest.NewServer(http.NotFoundHandler())
	u := app.URL
	app.Close()
	fw, err := NewForwarder(ForwardOptions{URL: u, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rc, out := newJSONReceiver(t, func(o *Options) { o.Forwarder = fw })
	body := wireFixture(t, "messages.text")
	if w := post(rc, body, signed(body)); w.Code != 200 {
		t.Fatalf("a down app must not change the answer: %d", w.Code)
	}
	s := rc.Close()
	if s.ForwardFailures != 1 || !strings.Contains(out.String(), `"kind":"forward","ok":false`) {
		t.Fatalf("failure not reported: %+v %s", s, out)
	}
}

func TestRedact(t *testing.T) {
	rc, out := newJSONReceiver(t, func(o *Options) { o.Redact = true })
	body := wireFixture(t, "messages.text")
	post(rc, body, signed(body))
	rc.Close()
	l := lines(t, out.String())[0]
	from := l["from"].(string)
	if !strings.HasPrefix(from, "****") {
		t.Fatalf("from not masked: %q", from)
	}
	if strings.Contains(out.String(), "Do you ship") || strings.Contains(out.String(), "Camila") {
		t.Fatalf("text or name not masked: %s", out)
	}
	if strings.Contains(out.String(), "US.2084") {
		t.Fatalf("BSUID not masked: %s", out)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	sink := render.NewJSONLines(io.Discard, render.JSONOptions{})
	for _, o := range []Options{
		{Path: "webhook", VerifyToken: "t", Sink: sink},
		{Path: HealthPath, VerifyToken: "t", Sink: sink},
		{Path: "/webhook", Sink: sink},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4MiB": 4 << 20, "3MB": 3e6, "512k": 512 << 10, "100": 100, "1.5m": 3 << 19} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "-1", "4XB", "0"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}

// A handler may send its answer before it returns (when it prints), so
// every answer must carry its own length: never chunked.
func TestAnswersCarryContentLength(t *testing.T) {
	rc, _ := newJSONReceiver(t, nil)
	srv := httptest.NewServer(rc)
	defer func() { srv.Close(); rc.Close() }()
	body := wireFixture(t, "messages.text")
	for _, tc := range []struct {
		name, method, path, sig string
		body                    []byte
		status                  int
	}{
		{"event", http.MethodPost, "/webhook", signature.Sign(testSecret, body), body, 200},
		{"bad signature", http.MethodPost, "/webhook", signature.Sign("other", body), body, 401},
		{"bad JSON", http.MethodPost, "/webhook", signature.Sign(testSecret, []byte("{")), []byte("{"), 400},
		{"wrong path", http.MethodPost, "/other", "", body, 404},
		{"wrong method", http.MethodPut, "/webhook", "", body, 405},
		{"handshake", http.MethodGet, "/webhook?hub.mode=subscribe&hub.verify_token=" + testToken + "&hub.challenge=42", "", nil, 200},
		{"refused handshake", http.MethodGet, "/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42", "", nil, 403},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, bytes.NewReader(tc.body))
		if tc.sig != "" {
			req.Header.Set(signature.Header, tc.sig)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if len(resp.TransferEncoding) > 0 || resp.ContentLength != int64(len(got)) {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v for a %d-byte answer", tc.name, resp.ContentLength, resp.TransferEncoding, len(got))
		}
	}
}

// The demo takes a free port when its own is in use, and says so.
func TestDemoListensElsewhereWhenThePortIsTaken(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, _, err := listen(Config{Addr: busy.Addr().String()}); err == nil {
		t.Fatal("a port in use was taken without --demo")
	}
	ln, moved, err := listen(Config{Addr: busy.Addr().String(), Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if ln.Addr().String() == busy.Addr().String() || !strings.Contains(moved, "in use") {
		t.Fatalf("listening on %s, said %q", ln.Addr(), moved)
	}
	if reachableFromNetwork(ln.Addr()) {
		t.Error("127.0.0.1 reported as reachable from the network")
	}
	if !reachableFromNetwork(&net.TCPAddr{IP: net.IPv4zero, Port: 1}) {
		t.Error("0.0.0.0 not reported as reachable from the network")
	}
}
