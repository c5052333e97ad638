package inspector

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/receiver"
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// prettyOf re-serialises a wire body the way many frameworks do before
// checking a signature: the classic cause of a "wrong" signature.
func prettyOf(t *testing.T, body []byte) []byte {
	t.Helper()
	p, err := wire.Format(body, wire.Style{Escaping: wire.Unicode, Indent: "  "})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRowsAndFilters(t *testing.T) {
	r := newRig(t, rigOptions{})
	text := wireFixture(t, "messages.text")
	r.postSigned(text)
	r.postSigned(wireFixture(t, "statuses.failed.131026"))
	r.post(text, "sha256="+strings.Repeat("0", 64)) // 401
	all := r.waitRows("", 3)
	if all.Matched != 3 || all.Requests != 3 || all.MaxRequests != DefaultMaxRequests {
		t.Errorf("stats: %+v", all)
	}
	// Newest first.
	if all.Rows[0].Kind != "error" || all.Rows[2].Type != "text" {
		t.Errorf("order: %s, %s, %s", all.Rows[0].Type, all.Rows[1].Type, all.Rows[2].Type)
	}
	if got := all.Rows[2]; got.Who == "" || got.Summary == "" || got.Sig != "valid" || got.ID == "" {
		t.Errorf("a row lacks what serve's line shows: %+v", got)
	}
	if got := all.Rows[1]; len(got.Marks) == 0 || got.Marks[0] != "FAILED" {
		t.Errorf("failed status not marked: %+v", got)
	}
	for q, want := range map[string]string{
		"kind=status":                       "status.failed",
		"sig=invalid":                       "signature",
		"type=text":                         "text",
		"field=messages&q=" + "guadalajara": "text",
		"user=Camila":                       "text",
		"type=status.*&sig=valid":           "status.failed",
	} {
		p := r.waitRows(q, 1)
		if p.Rows[0].Type != want {
			t.Errorf("%s: got %s, want %s", q, p.Rows[0].Type, want)
		}
	}
	if p := r.waitRows("sig=missing", 0); p.Matched != 0 {
		t.Errorf("sig=missing matched %d", p.Matched)
	}
}

func TestRowsArePaged(t *testing.T) {
	r := newRig(t, rigOptions{})
	body := wireFixture(t, "messages.text")
	for range 5 {
		r.postSigned(body)
	}
	r.waitRows("", 5)
	var p1, p2 Page
	r.getJSON("/api/rows?limit=2", &p1)
	if len(p1.Rows) != 2 || !p1.More || p1.Matched != 5 {
		t.Fatalf("first page: %d rows, more %v, matched %d", len(p1.Rows), p1.More, p1.Matched)
	}
	r.getJSON("/api/rows?limit=10&before="+itoa(p1.Rows[1].Row), &p2)
	if len(p2.Rows) != 3 || p2.More || p2.Rows[0].Row >= p1.Rows[1].Row {
		t.Fatalf("second page: %+v", p2.Rows)
	}
	// The copies after the first are retries of it.
	if !strings.HasPrefix(strings.Join(p1.Rows[0].Marks, " "), "RETRY") {
		t.Errorf("a byte-identical copy is not marked RETRY: %v", p1.Rows[0].Marks)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestHistoryIsBounded(t *testing.T) {
	r := newRig(t, rigOptions{maxReqs: 3})
	body := wireFixture(t, "messages.text")
	for range 5 {
		r.postSigned(body)
	}
	deadline := time.Now().Add(10 * time.Second)
	var p Page
	for {
		r.getJSON("/api/rows", &p)
		if p.Evicted == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p.Requests != 3 || p.Evicted != 2 || len(p.Rows) != 3 || p.Rows[2].Seq != 3 {
		t.Fatalf("kept %d (evicted %d), oldest seq %d", p.Requests, p.Evicted, p.Rows[len(p.Rows)-1].Seq)
	}
}

func TestStreamSendsMatchingRows(t *testing.T) {
	r := newRig(t, rigOptions{})
	resp, err := http.Get(r.base + "/api/stream?kind=message")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan [2]string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				events <- [2]string{name, strings.TrimPrefix(line, "data: ")}
			}
		}
		close(events)
	}()
	next := func() [2]string {
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event on the stream")
		}
		return [2]string{}
	}
	if e := next(); e[0] != "hello" {
		t.Fatalf("first event %v", e)
	}
	r.postSigned(wireFixture(t, "statuses.delivered")) // filtered out
	r.postSigned(wireFixture(t, "messages.text"))
	e := next()
	var rows []Row
	if err := json.Unmarshal([]byte(e[1]), &rows); err != nil {
		t.Fatal(err)
	}
	if e[0] != "rows" || len(rows) != 1 || rows[0].Type != "text" {
		t.Fatalf("got %s %s, want the text message only", e[0], e[1])
	}
}

func TestDetailShowsSignatureDiagnosis(t *testing.T) {
	r := newRig(t, rigOptions{})
	wireBody := wireFixture(t, "messages.text")
	pretty := prettyOf(t, wireBody)
	// Signed over Meta's bytes, delivered re-serialised: 401 with a diagnosis.
	if st := r.post(pretty, signature.Sign(testSecret, wireBody)); st != http.StatusUnauthorized {
		t.Fatalf("answer %d", st)
	}
	row := r.waitRows("", 1).Rows[0]
	var d Detail
	r.getJSON("/api/requests/"+itoa(row.Request), &d)
	if d.Signature.Verdict != "invalid" || d.Signature.Match == nil {
		t.Fatalf("no diagnosis: %+v", d.Signature)
	}
	if d.Body == nil || *d.Body != string(pretty) {
		t.Errorf("the body is not the exact bytes received")
	}
	if d.Status != http.StatusUnauthorized || d.Problem == nil || d.Problem.Kind != "signature" {
		t.Errorf("problem: %+v", d.Problem)
	}
	raw, _ := json.Marshal(d)
	if bytes.Contains(raw, []byte(signature.Sign(testSecret, pretty)[7:])) {
		t.Error("the detail reveals the expected signature of the body")
	}
	if bytes.Contains(raw, []byte(testSecret)) {
		t.Error("the detail reveals the App Secret")
	}

	// A good one: every field of the event.
	r.postSigned(wireBody)
	row = r.waitRows("sig=valid", 1).Rows[0]
	r.getJSON("/api/requests/"+itoa(row.Request), &d)
	if len(d.Events) != 1 || d.Events[0].ID == "" || d.Events[0].From == "" || d.Events[0].Key == "" || len(d.Events[0].Raw) == 0 {
		t.Fatalf("event detail: %+v", d.Events)
	}
	if d.Signature.Verdict != "valid" || d.RequestLine != "POST /webhook HTTP/1.1" || d.HandledMS == nil {
		t.Errorf("detail: %+v", d)
	}
}

func TestActionsRefuseOtherPages(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.postSigned(wireFixture(t, "messages.text"))
	id := itoa(r.waitRows("", 1).Rows[0].Request)
	path := "/api/requests/" + id + "/replay"
	act := ActionRequest{Target: "url", URL: r.capture.url}
	cases := []struct {
		name string
		mod  func(*http.Request)
		want int
	}{
		{"no token", func(q *http.Request) { q.Header.Del(TokenHeader) }, http.StatusForbidden},
		{"wrong token", func(q *http.Request) { q.Header.Set(TokenHeader, "guess") }, http.StatusForbidden},
		{"token in the query only", func(q *http.Request) {
			q.Header.Del(TokenHeader)
			q.URL.RawQuery = "token=" + r.in.Token()
		}, http.StatusForbidden},
		{"another origin", func(q *http.Request) { q.Header.Set("Origin", "https://evil.example") }, http.StatusForbidden},
		{"cross-site fetch", func(q *http.Request) { q.Header.Set("Sec-Fetch-Site", "cross-site") }, http.StatusForbidden},
		{"a form post", func(q *http.Request) { q.Header.Set("Content-Type", "application/x-www-form-urlencoded") }, http.StatusUnsupportedMediaType},
		{"DNS rebinding", func(q *http.Request) { q.Host = "evil.example:4040" }, http.StatusMisdirectedRequest},
	}
	for _, c := range cases {
		if st, body := r.action(path, act, c.mod); st != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, st, body, c.want)
		}
	}
	if n := r.capture.count(); n != 0 {
		t.Fatalf("a refused action still sent %d request(s)", n)
	}
	if st, body := r.action(path, act, func(q *http.Request) { q.Header.Set("Origin", r.base) }); st != http.StatusOK {
		t.Fatalf("the page's own action: %d %s", st, body)
	}
	if r.capture.count() != 1 {
		t.Fatal("the allowed action sent nothing")
	}
}

func TestReplayExactAndAsIs(t *testing.T) {
	r := newRig(t, rigOptions{forward: true})
	body := wireFixture(t, "messages.text")
	sig := signature.Sign(testSecret, body)
	r.post(body, sig)
	row := r.waitRows("", 1).Rows[0]
	for r.capture.count() < 1 { // the forward of the original
		time.Sleep(5 * time.Millisecond)
	}
	path := "/api/requests/" + itoa(row.Request) + "/replay"
	for _, mode := range []string{ModeExact, ModeAsIs} {
		st, out := r.action(path, ActionRequest{Target: "forward", Mode: mode}, nil)
		var res ReplayResult
		_ = json.Unmarshal(out, &res)
		if st != http.StatusOK || !res.OK || res.Status != 200 {
			t.Fatalf("%s: %d %s", mode, st, out)
		}
		got := r.capture.last(t)
		if !bytes.Equal(got.Body, body) || got.Header.Get(signature.Header) != sig {
			t.Errorf("%s: sent %d bytes, signature %q", mode, len(got.Body), got.Header.Get(signature.Header))
		}
		if res.Body != "ok " || len(res.Headers) == 0 {
			t.Errorf("%s: the app's answer is not shown: %+v", mode, res)
		}
	}
	// As is keeps a bad header bad: the point is to reproduce it.
	r.post(body, "sha256="+strings.Repeat("a", 64))
	row = r.waitRows("sig=invalid", 1).Rows[0]
	r.action("/api/requests/"+itoa(row.Request)+"/replay", ActionRequest{Target: "url", URL: r.capture.url, Mode: ModeAsIs}, nil)
	if got := r.capture.last(t).Header.Get(signature.Header); got != "sha256="+strings.Repeat("a", 64) {
		t.Errorf("as is: signature %q", got)
	}
	// The forward result reached the detail (it is reported once the app
	// has answered, after serve answered: wait for it, bounded).
	var d Detail
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		d = Detail{}
		r.getJSON("/api/requests/1", &d)
		if d.Forward != nil || time.Now().After(deadline) {
			break
		}
	}
	if d.Forward == nil || d.Forward.Status != 200 || d.Forward.Body != "ok " {
		t.Errorf("forward result: %+v", d.Forward)
	}
}

func TestEditAndReplayResigns(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.postSigned(wireFixture(t, "messages.text"))
	row := r.waitRows("", 1).Rows[0]
	var d Detail
	r.getJSON("/api/requests/"+itoa(row.Request), &d)
	edited := strings.Replace(d.Pretty, "Guadalajara", "Monterrey ✓ </script>", 1)
	st, out := r.action("/api/requests/"+itoa(row.Request)+"/replay",
		ActionRequest{Target: "url", URL: r.capture.url, Mode: ModeEdited, Body: edited}, nil)
	if st != http.StatusOK {
		t.Fatalf("%d %s", st, out)
	}
	want, _ := wire.Encode([]byte(edited))
	got := r.capture.last(t)
	if !bytes.Equal(got.Body, want) {
		t.Fatalf("sent\n%s\nwant Meta's wire form\n%s", got.Body, want)
	}
	if got.Header.Get(signature.Header) != signature.Sign(testSecret, want) {
		t.Error("the edited body is not re-signed")
	}
	if !bytes.Contains(got.Body, []byte(`Monterrey \u2713 <\/script>`)) {
		t.Errorf("not in Meta's escaping: %s", got.Body)
	}
	if st, out := r.action("/api/requests/"+itoa(row.Request)+"/replay",
		ActionRequest{Target: "url", URL: r.capture.url, Mode: ModeEdited, Body: "{nope"}, nil); st != http.StatusBadRequest {
		t.Errorf("invalid JSON: %d %s", st, out)
	}
}

func TestCurlCommandReproducesTheDelivery(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	r := newRig(t, rigOptions{})
	r.postSigned(wireFixture(t, "messages.text"))
	row := r.waitRows("", 1).Rows[0]
	var d Detail
	r.getJSON("/api/requests/"+itoa(row.Request), &d)
	edited := strings.Replace(d.Pretty, "Guadalajara", "it's O'Higgins", 1)
	for _, a := range []ActionRequest{
		{Target: "url", URL: r.capture.url, Mode: ModeExact},
		{Target: "url", URL: r.capture.url, Mode: ModeEdited, Body: edited},
	} {
		st, out := r.action("/api/requests/"+itoa(row.Request)+"/curl", a, nil)
		var c Command
		if err := json.Unmarshal(out, &c); err != nil || st != http.StatusOK {
			t.Fatalf("%d %s", st, out)
		}
		r.action("/api/requests/"+itoa(row.Request)+"/replay", a, nil)
		viaPage := r.capture.last(t)
		if out, err := exec.Command("sh", "-c", c.Command).CombinedOutput(); err != nil {
			t.Fatalf("%s\n%v: %s", c.Command, err, out)
		}
		viaCurl := r.capture.last(t)
		if !bytes.Equal(viaCurl.Body, viaPage.Body) || viaCurl.Header.Get(signature.Header) != viaPage.Header.Get(signature.Header) {
			t.Errorf("%s: curl sent other bytes or another signature:\n%s\n%s", a.Mode, viaCurl.Body, viaPage.Body)
		}
	}
}

func TestSendCommandFixtureAndRecording(t *testing.T) {
	r := newRig(t, rigOptions{})
	body := wireFixture(t, "messages.text")
	r.postSigned(body)
	r.postSigned(wireFixture(t, "statuses.read"))
	rows := r.waitRows("", 2).Rows
	id := itoa(rows[1].Request)

	st, out := r.action("/api/requests/"+id+"/send-command", ActionRequest{Target: "url", URL: "http://localhost:3000/webhook"}, nil)
	var c Command
	_ = json.Unmarshal(out, &c)
	if st != http.StatusOK || !strings.Contains(c.Command, "wa-hooks send --raw --to 'http://localhost:3000/webhook' -") ||
		!strings.Contains(c.Command, string(body)) || strings.Contains(c.Command, testSecret) {
		t.Errorf("send command: %d %s", st, c.Command)
	}

	st, out = r.action("/api/requests/"+id+"/fixture", ActionRequest{}, nil)
	if enc, err := wire.Encode(out); st != http.StatusOK || err != nil || !bytes.Equal(enc, body) {
		t.Errorf("the fixture is not the body (%d, %v):\n%s", st, err, out)
	}

	st, out = r.action("/api/recording", map[string]any{"ids": []uint64{rows[0].Request, rows[1].Request}}, nil)
	res, err := recording.Read(bytes.NewReader(out))
	if st != http.StatusOK || err != nil || len(res.Records) != 2 {
		t.Fatalf("recording: %d %v %s", st, err, out)
	}
	if !bytes.Equal(res.Records[0].Body, body) || res.Records[0].Header.Get(signature.Header) == "" {
		t.Errorf("the recording does not keep the exact request")
	}
}

func TestSecretsNeverReachThePage(t *testing.T) {
	r := newRig(t, rigOptions{forward: true})
	r.capture.echo = "secret=" + testSecret + " token=" + testToken // a chatty app
	resp, err := http.Get(r.hooks.URL + "/webhook?hub.mode=subscribe&hub.verify_token=" + testToken + "&hub.challenge=42")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r.postSigned(wireFixture(t, "messages.text"))
	r.waitRows("", 2)
	deadline := time.Now().Add(10 * time.Second)
	var pages []string
	for {
		var d Detail
		r.getJSON("/api/requests/2", &d)
		if d.Forward != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, p := range []string{"/", "/api/rows", "/api/requests/1", "/api/requests/2", "/assets/app.js"} {
		resp, err := http.Get(r.base + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		pages = append(pages, string(b))
		if bytes.Contains(b, []byte(testSecret)) || bytes.Contains(b, []byte(testToken)) {
			t.Errorf("%s shows a secret:\n%s", p, b)
		}
	}
	if !strings.Contains(pages[3], "secret=****") {
		t.Errorf("the app's answer is not shown (masked): %s", pages[3])
	}
	_, out := r.action("/api/requests/2/replay", ActionRequest{Target: "forward"}, nil)
	if bytes.Contains(out, []byte(testSecret)) || bytes.Contains(out, []byte(testToken)) {
		t.Errorf("a replay's answer shows a secret: %s", out)
	}
}

func TestRedactAppliesToThePage(t *testing.T) {
	r := newRig(t, rigOptions{redact: true})
	body := wireFixture(t, "messages.text")
	r.postSigned(body)
	row := r.waitRows("", 1).Rows[0]
	if strings.Contains(row.Who, "16505550187") || strings.Contains(row.Summary, "Guadalajara") {
		t.Errorf("row not redacted: %+v", row)
	}
	var d Detail
	r.getJSON("/api/requests/"+itoa(row.Request), &d)
	if !d.Redacted || strings.Contains(*d.Body, "16505550187") || strings.Contains(*d.Body, "Guadalajara") {
		t.Errorf("body not redacted: %s", *d.Body)
	}
	// The detail parses the kept body again: its events are redacted too.
	evs, _ := json.Marshal(d.Events)
	if len(d.Events) != 1 || d.Events[0].From == "" || bytes.Contains(evs, []byte("16505550187")) || bytes.Contains(evs, []byte("Guadalajara")) {
		t.Errorf("events of the detail not redacted: %s", evs)
	}
	_, out := r.action("/api/requests/"+itoa(row.Request)+"/curl", ActionRequest{Target: "url", URL: r.capture.url}, nil)
	if bytes.Contains(out, []byte("16505550187")) {
		t.Errorf("copy as curl carries the real body: %s", out)
	}
	_, out = r.action("/api/recording", map[string]any{"ids": []uint64{row.Request}}, nil)
	if bytes.Contains(out, []byte("Guadalajara")) {
		t.Errorf("the recording download carries the real body")
	}
	// Replaying as received still sends the real bytes: they never reach the page.
	_, out = r.action("/api/requests/"+itoa(row.Request)+"/replay", ActionRequest{Target: "url", URL: r.capture.url}, nil)
	if got := r.capture.last(t).Body; !bytes.Equal(got, body) || bytes.Contains(out, []byte("Guadalajara")) {
		t.Errorf("replay with --redact: sent %d bytes; answer %s", len(got), out)
	}
}

func TestHistoryFromTheRecording(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooks.jsonl")
	rec, err := recording.Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	body := wireFixture(t, "messages.text")
	at := time.Now().Add(-time.Hour)
	for i := range 3 {
		_ = rec.Write(recording.Record{Time: at, Seq: uint64(i + 1), Method: "POST", Path: "/webhook", Status: 200, Signature: "valid", Body: body})
	}
	rec.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"torn`) // a crash mid-line
	f.Close()

	r := newRig(t, rigOptions{record: path, maxReqs: 2})
	p := r.waitRows("", 2)
	if !p.Rows[0].Restore || p.Rows[0].Seq != 3 || p.Rows[1].Seq != 2 {
		t.Errorf("restored rows: %+v", p.Rows)
	}
	if !strings.HasPrefix(strings.Join(p.Rows[0].Marks, " "), "RETRY") || !strings.Contains(strings.Join(p.Rows[0].Marks, " "), "STALE") {
		t.Errorf("restored rows lack the live rules' markers: %v", p.Rows[0].Marks)
	}
	r.postSigned(body)
	// The list already holds two rows: wait for the live one to be handed
	// over (observations reach the inspector after the answer).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		p := r.waitRows("", 2)
		if !p.Rows[0].Restore {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the live request is not first: %+v", p.Rows)
		}
	}
}

func TestBeyondLoopbackNeedsTheToken(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.in.loopback = false // as when listening on 0.0.0.0; the test itself stays on loopback
	h := r.in.Handler()
	get := func(target string, cookie *http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := get("/api/rows", nil); w.Code != http.StatusUnauthorized {
		t.Errorf("without the token: %d", w.Code)
	}
	w := get("/?token="+r.in.Token(), nil)
	if w.Code != http.StatusOK {
		t.Fatalf("with the token: %d", w.Code)
	}
	var c *http.Cookie
	for _, k := range w.Result().Cookies() {
		if k.Name == tokenCookie {
			c = k
		}
	}
	if c == nil || c.SameSite != http.SameSiteStrictMode || !c.HttpOnly {
		t.Fatalf("no SameSite=Strict cookie: %+v", c)
	}
	if w := get("/api/rows", c); w.Code != http.StatusOK {
		t.Errorf("with the cookie: %d", w.Code)
	}
}

func TestStreamBurstsInAFlood(t *testing.T) {
	rows := make([]Row, floodRows)
	for i := range rows {
		rows[i].Row = uint64(i + 31)
	}
	matched := func() int { return 1234 }
	evs := burst(rows[:3], nil, 0, matched)
	if len(evs) != 1 || evs[0].name != "rows" || len(evs[0].data.([]Row)) != 3 {
		t.Fatalf("a small burst: %+v", evs)
	}
	evs = burst(rows, rows[:2], 30, matched)
	if len(evs) != 2 || evs[0].name != "gap" || evs[1].name != "update" {
		t.Fatalf("a flood: %+v", evs)
	}
	g := evs[0].data.(Gap)
	if g.Skipped != 30 || g.Matched != 1234 || len(g.Rows) != floodRows {
		t.Errorf("gap: skipped %d, %d rows", g.Skipped, len(g.Rows))
	}
}

// observation is a live request of one event of fixture kind, as serve
// hands it over.
func observation(t testing.TB, seq uint64, kind string) receiver.Observation {
	body := wireFixture(t, kind)
	note, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	evs := note.Events()
	re := []render.Event{{Event: evs[0], Request: seq, Received: time.Now(), Signature: render.SigValid}}
	return receiver.Observation{Request: render.Request{Seq: seq, Time: time.Now(), Method: "POST", Path: "/webhook",
		Body: body, Status: 200, Signature: render.SigValid}, Events: re}
}

// A flood between two writes of a stream leaves the subscriber with the
// newest floodRows matching rows and a count of the rest, however many
// arrived; the history keeps every one.
func TestSubscriberCoalescesAFlood(t *testing.T) {
	for _, f := range []Filter{{Kind: "message"}, {}} {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) { testCoalesce(t, f) })
	}
}

func testCoalesce(t *testing.T, f Filter) {
	s := newStore(0, 0, false, testSecret, testToken)
	// Requests before any page is open get numbers, not rows.
	s.add(observation(t, 1, "messages.text"), false)
	if e := s.at(0); s.built.Load() != 0 || len(e.rowNo) != 1 {
		t.Fatalf("%d rows built with no page open", s.built.Load())
	}
	sub := s.subscribe(f)
	const n = 1000
	for i := uint64(2); i <= n; i++ {
		kind := "messages.text"
		if i%4 == 0 {
			kind = "statuses.delivered"
		}
		s.add(observation(t, i, kind), false)
	}
	s.add(receiver.Observation{Request: render.Request{Seq: n - 1}, Forward: &render.Forward{Request: n - 1, Status: 200}}, false)
	s.add(receiver.Observation{Request: render.Request{Seq: 3}, Forward: &render.Forward{Request: 3, Status: 500}}, false)
	rows, updates, skipped := s.take(sub)
	if built := s.built.Load(); built > 2*floodRows+1 {
		t.Errorf("%d rows built for %d shown: rows are built for requests the stream left out", built, len(rows)+len(updates))
	}
	want := n - 1 // the requests that arrived while subscribed
	if f.Kind != "" {
		want -= n / 4 // the statuses
	}
	if len(rows) != floodRows || skipped != want-floodRows {
		t.Fatalf("%d rows, %d skipped; want %d and %d", len(rows), skipped, floodRows, want-floodRows)
	}
	newest := uint64(n)
	if f.Kind != "" {
		newest = n - 1
	}
	if rows[len(rows)-1].Seq != newest {
		t.Errorf("newest row %+v: want request %d", rows[len(rows)-1], newest)
	}
	if i := slices.IndexFunc(rows, func(r Row) bool { return r.Seq == n-1 }); i < 0 || rows[i].Forward != "→ app 200" {
		t.Errorf("request %d without its forward result: %+v", n-1, rows)
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].Row <= rows[i-1].Row || f.Kind != "" && rows[i].Kind != f.Kind {
			t.Fatalf("rows out of order or unfiltered at %d: %+v", i, rows[i])
		}
	}
	if len(updates) != 1 || updates[0].Seq != 3 || updates[0].Forward != "→ app 500" {
		t.Errorf("updates %+v: want request 3's forward result", updates)
	}
	evs := burst(rows, updates, skipped, func() int { return s.count(f) })
	if g, ok := evs[0].data.(Gap); !ok || g.Matched != want+1 {
		t.Errorf("first event %+v: want a gap with %d matched", evs[0], want+1)
	}
	if r, u, k := s.take(sub); len(r)+len(u)+k != 0 {
		t.Errorf("taken twice: %d rows, %d updates, %d skipped", len(r), len(u), k)
	}
	// Nothing left out of the stream is lost from the history.
	p := s.page(f, 0, 1000)
	if p.Matched != want+1 || p.Rows[0].Seq != newest || p.Rows[len(p.Rows)-1].Seq != 1 {
		t.Errorf("history: %d matched, newest %d, oldest %d", p.Matched, p.Rows[0].Seq, p.Rows[len(p.Rows)-1].Seq)
	}
	if _, ok, _ := s.snapshot(p.Rows[len(p.Rows)/2].Request); !ok {
		t.Error("a skipped request's detail is gone")
	}
	// A quiet spell after the flood: one row, sent whole.
	s.add(observation(t, n+1, "messages.text"), false)
	if rows, _, skipped := s.take(sub); len(rows) != 1 || skipped != 0 || rows[0].Seq != n+1 {
		t.Errorf("after the flood: %d rows, %d skipped", len(rows), skipped)
	}
}

// Without a filter, a page and a count build rows only for what they show.
func TestUnfilteredReadsBuildOnlyShownRows(t *testing.T) {
	s := newStore(0, 0, false, testSecret, testToken)
	for i := uint64(1); i <= 50; i++ {
		s.add(observation(t, i, "messages.text"), false)
	}
	p := s.page(Filter{}, 0, 10)
	if len(p.Rows) != 10 || !p.More || p.Matched != 50 || p.Rows[0].Seq != 50 || p.Rows[9].Seq != 41 {
		t.Fatalf("page: %d rows, more %v, %d matched, newest %d", len(p.Rows), p.More, p.Matched, p.Rows[0].Seq)
	}
	older := s.page(Filter{}, p.Rows[9].Row, 10)
	if len(older.Rows) != 10 || older.Rows[0].Seq != 40 || older.Matched != 50 {
		t.Fatalf("older page: %d rows, newest %d, %d matched", len(older.Rows), older.Rows[0].Seq, older.Matched)
	}
	if n := s.count(Filter{}); n != 50 {
		t.Errorf("count %d, want 50", n)
	}
	if built := s.built.Load(); built != 20 {
		t.Errorf("%d rows built for the 20 shown", built)
	}
}

func TestHeaderPackedRoundTrip(t *testing.T) {
	h := http.Header{"Content-Type": {"application/json"}, "X-Many": {"a", "", "c\x00d"}, "": {"empty name"}}
	h.Set("X-Long", strings.Repeat("v", 300))
	got := unpackHeader(packHeader(h))
	if len(got) != len(h) {
		t.Fatalf("got %d names, want %d: %q", len(got), len(h), got)
	}
	for k, vs := range h {
		if !slices.Equal(got[k], vs) {
			t.Errorf("%q: got %q, want %q", k, got[k], vs)
		}
	}
	if h := unpackHeader(packHeader(h)[:7]); len(h) > 1 {
		t.Errorf("a torn header gave %q", h)
	}
}

// An --accept-invalid request arrives as its problem, then its events: the
// stream updates the row it sent and sends the rows the request gained.
func TestStreamSendsRowsARequestGains(t *testing.T) {
	for _, f := range []Filter{{}, {Sig: "invalid"}, {}} {
		s := newStore(0, 0, false, testSecret, testToken)
		s.forwarding = f.Sig != "" // the last: serve does not forward, the events still find their request
		sub := s.subscribe(f)
		o := observation(t, 7, "messages.text")
		o.Request.Signature = render.SigInvalid
		events := append(o.Events, o.Events[0])
		o.Events = nil
		o.Problem = &render.Problem{Request: o.Request, Kind: render.ProblemSignature, Message: "signature invalid", Accepted: true}
		s.add(o, false)
		first, _, _ := s.take(sub)
		if len(first) != 1 || first[0].Kind != "error" {
			t.Fatalf("%+v: problem rows %+v", f, first)
		}
		o.Problem, o.Events = nil, events
		s.add(o, false)
		rows, updates, skipped := s.take(sub)
		if len(updates) != 1 || updates[0].Row != first[0].Row || updates[0].Kind != "message" {
			t.Errorf("%+v: updates %+v, want row %d as a message", f, updates, first[0].Row)
		}
		if len(rows) != 1 || rows[0].Row <= first[0].Row || skipped != 0 || !slices.Contains(rows[0].Marks, "BAD SIGNATURE") {
			t.Errorf("%+v: new rows %+v (skipped %d), want the second event", f, rows, skipped)
		}
		if !s.forwarding && len(s.live) != 0 {
			t.Errorf("not forwarding, %d requests still wait for later parts", len(s.live))
		}
		s.add(observation(t, 8, "messages.text"), false)
		if !s.forwarding && len(s.live) != 0 {
			t.Errorf("not forwarding, a plain request waits for later parts")
		}
	}
}

// An isolated event is written at once; anything busier waits for the
// next batch, and a flood for the slower one.
func TestStreamWritesAnIsolatedEventAtOnce(t *testing.T) {
	for _, c := range []struct {
		since time.Duration
		last  int
		want  time.Duration
	}{
		{time.Second, 0, 0}, // the first event
		{quickEvery, 1, 0},  // one row a while ago
		{quickEvery / 2, 1, streamEvery - quickEvery/2}, // events close together
		{quickEvery, 2, streamEvery - quickEvery},       // the last write was a batch
		{0, floodRows, floodEvery},                      // a flood
		{time.Second, floodRows, floodEvery - time.Second},
	} {
		if got := streamWait(c.since, c.last); got != c.want {
			t.Errorf("since %v, last %d rows: wait %v, want %v", c.since, c.last, got, c.want)
		}
	}
}

// The history keeps bodies, not parsed events: a detail parses the body
// again and must show exactly the events serve parsed, with the markers
// serve gave them (here a retry of a body of three events).
func TestDetailEventsAreServesEvents(t *testing.T) {
	r := newRig(t, rigOptions{})
	body := wireFixture(t, "messages.batch.three_messages")
	r.postSigned(body)
	r.postSigned(body)
	rows := r.waitRows("", 6).Rows
	first, retry := rows[5], rows[0]
	if first.Seq == retry.Seq || !slices.ContainsFunc(retry.Marks, func(m string) bool { return strings.HasPrefix(m, "RETRY") }) {
		t.Fatalf("rows %+v: want the newest a retry of the oldest", rows)
	}
	note, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	want := note.Events()
	var d Detail
	r.getJSON("/api/requests/"+itoa(retry.Request), &d)
	if len(d.Events) != len(want) {
		t.Fatalf("%d events in the detail, want %d", len(d.Events), len(want))
	}
	for i, ev := range d.Events {
		got, _ := json.Marshal(ev.Event)
		exp, _ := json.Marshal(want[i])
		if !bytes.Equal(got, exp) {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, exp)
		}
		if ev.Key != want[i].Key() || ev.FirstRequest != first.Seq || ev.FirstSeen == nil || ev.FirstSeen.IsZero() ||
			!slices.ContainsFunc(ev.Marks, func(m string) bool { return strings.HasPrefix(m, "RETRY #") }) {
			t.Errorf("event %d markers: key %q, first request %d (want %d), first seen %v, marks %v", i, ev.Key, ev.FirstRequest, first.Seq, ev.FirstSeen, ev.Marks)
		}
	}
	// The rows come from what the history keeps of each event.
	for i := range 3 {
		r := rows[2-i] // the retry's rows, newest first
		if r.Event != i || r.Field != want[i].Field || r.Type != want[i].Type || r.ID != render.ShortID(want[i].ID) ||
			r.Who != termsafe.Line(render.Counterpart(want[i])) || r.Summary != termsafe.Line(want[i].Summary) {
			t.Errorf("row of event %d: %+v", i, r)
		}
	}
}

// The history is a ring whose ids follow each other: after it has wrapped
// round several times, ids still find their request, later parts reach a
// kept request and not an evicted one, and nothing evicted is remembered.
func TestHistoryRingKeepsIDs(t *testing.T) {
	s := newStore(5, 0, false, testSecret, testToken)
	for i := uint64(1); i <= 23; i++ {
		s.add(observation(t, i, "messages.text"), false)
	}
	s.add(receiver.Observation{Forward: &render.Forward{Request: 22, Status: 202}}, false)
	s.add(receiver.Observation{Forward: &render.Forward{Request: 3, Status: 500}}, false) // long evicted
	p := s.page(Filter{}, 0, 100)
	if p.Requests != 5 || p.Evicted != 18 || len(p.Rows) != 5 || p.Rows[0].Seq != 23 || p.Rows[4].Seq != 19 {
		t.Fatalf("kept %d, evicted %d, rows %+v", p.Requests, p.Evicted, p.Rows)
	}
	if p.Rows[1].Seq != 22 || p.Rows[1].Forward != "→ app 202" {
		t.Errorf("forward result of request 22: %+v", p.Rows[1])
	}
	for _, r := range p.Rows {
		e, ok, _ := s.snapshot(r.Request)
		if !ok || e.req.Seq != r.Seq {
			t.Errorf("request id %d: found %v, seq %d, want %d", r.Request, ok, e.req.Seq, r.Seq)
		}
	}
	if _, ok, _ := s.snapshot(p.Rows[4].Request - 1); ok {
		t.Error("an evicted request is still found")
	}
	if len(s.live) != 5 {
		t.Errorf("%d requests remembered for later parts, want the 5 kept", len(s.live))
	}
}
