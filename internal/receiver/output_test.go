package receiver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// textBody is messages.text saying something else, with its own wamid.
func textBody(t *testing.T, text string) []byte {
	t.Helper()
	b := wireFixture(t, "messages.text")
	b = bytes.Replace(b, []byte("Guadalajara"), []byte(text), 1)
	return bytes.Replace(b, []byte(`"id":"wamid.`), []byte(`"id":"wamid.`+text), 1)
}

// A slow app and a failing one: every forward line names its own request,
// and one printed under another request's lines says which event it is for.
func TestForwardLinesNameTheirRequest(t *testing.T) {
	release := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case bytes.Contains(body, []byte("slowcity")):
			<-release
		case bytes.Contains(body, []byte("failcity")):
			http.Error(w, "boom: token "+testToken, http.StatusInternalServerError)
			return
		}
	}))
	defer app.Close()
	fw, err := NewForwarder(ForwardOptions{URL: app.URL, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken, Forwarder: fw,
		Now: func() time.Time { return fixedNow }, Sink: render.NewPretty(out, plainRenderer(out),
			render.PrettyOptions{Location: time.UTC, Secrets: []string{testSecret, testToken}})})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"slowcity", "failcity", "fastcity"} {
		body := textBody(t, text)
		if w := post(rc, body, signed(body)); w.Code != 200 {
			t.Fatalf("%s: %d", text, w.Code)
		}
	}
	// The slow app answers only once the others' results are printed.
	for deadline := time.Now().Add(10 * time.Second); strings.Count(out.String(), "↳") < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("forward results missing:\n%s", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	rc.Close()
	s := out.String()

	requestOf := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\S+ \S #(\d+) +message +text +\S+ \(Camila Reyes\) +"Hi! Do you ship to (\w+)\?"`).FindAllStringSubmatch(s, -1) {
		requestOf[m[2]] = m[1]
	}
	if len(requestOf) != 3 {
		t.Fatalf("event lines with request numbers missing:\n%s", s)
	}
	for city, want := range map[string]string{"failcity": "500 Internal Server Error", "slowcity": "200 OK", "fastcity": "200 OK"} {
		if !regexp.MustCompile(`↳ #` + requestOf[city] + ` app ` + want).MatchString(s) {
			t.Errorf("no %q forward line for %s's request #%s:\n%s", want, city, requestOf[city], s)
		}
	}
	// The slow app's answer came after the others: it says what it is for.
	if !strings.Contains(s, "↳ #"+requestOf["slowcity"]+" app 200 OK") || !strings.Contains(s, "(for text 16505550187 (Camila Reyes))") {
		t.Errorf("the late forward line does not name its event:\n%s", s)
	}
	// The app's error page echoed the verify token: masked.
	if strings.Contains(s, testToken) || !strings.Contains(s, "boom: token ****") {
		t.Errorf("verify token printed from the app's answer:\n%s", s)
	}
}

// A body of 700 alike messages (verify's near-3 MB check) is one line with
// a count; -v lists every one.
func TestFloodCollapses(t *testing.T) {
	one := `{"from":"16505550187","id":"wamid.X%d","timestamp":"1792915400","type":"text","text":{"body":"load test"}}`
	items := make([]string, 700)
	for i := range items {
		items[i] = fmt.Sprintf(one, i)
	}
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{},"messages":[` +
		strings.Join(items, ",") + `]}}]}]}`)
	for _, verbose := range []bool{false, true} {
		out := &syncBuffer{}
		rc, err := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
			Sink: render.NewPretty(out, plainRenderer(out), render.PrettyOptions{Location: time.UTC, Headers: verbose})})
		if err != nil {
			t.Fatal(err)
		}
		post(rc, body, signed(body))
		if s := rc.Close(); s.Events != 700 {
			t.Fatalf("events %d", s.Events)
		}
		lines := strings.Count(out.String(), `"load test"`)
		switch {
		case !verbose && (lines != 1 || !strings.Contains(out.String(), "×700 alike")):
			t.Errorf("not collapsed: %d lines:\n%.500s", lines, out.String())
		case verbose && lines != 700:
			t.Errorf("-v shows %d lines, want 700", lines)
		}
	}
}

// Echoes, history and standby messages have kinds of their own on screen
// and in JSON, and --type message means inbound user messages only.
func TestWhoIsTalkingKinds(t *testing.T) {
	names := map[string]string{"smb_message_echoes.text": "echo", "history.chunk": "history", "standby.text": "standby", "messages.text": "message"}
	for name, kind := range names {
		body := wireFixture(t, name)
		out := &syncBuffer{}
		rc, _ := New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
			Sink: render.NewPretty(out, plainRenderer(out), render.PrettyOptions{Location: time.UTC})})
		post(rc, body, signed(body))
		rc.Close()
		if !regexp.MustCompile(`#\d+ +` + kind + ` `).MatchString(out.String()) {
			t.Errorf("%s: no %q kind on screen: %s", name, kind, out.String())
		}
		jl := &syncBuffer{}
		rc, _ = New(Options{Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken, Sink: render.NewJSONLines(jl, render.JSONOptions{})})
		post(rc, body, signed(body))
		rc.Close()
		var l map[string]any
		if err := json.Unmarshal([]byte(strings.SplitN(jl.String(), "\n", 2)[0]), &l); err != nil || l["kind"] != kind {
			t.Errorf("%s: JSON kind %v, want %q (%v)", name, l["kind"], kind, err)
		}
	}
	f := Filter{Types: []string{"message"}}
	for name, kind := range names {
		n := parseFixture(t, name)
		if got := f.Match(n[0]); got != (kind == "message") {
			t.Errorf("--type message matches %s: %v", name, got)
		}
	}
	if err := (Filter{Types: []string{"echo", "standby", "history"}}).Check(); err != nil {
		t.Errorf("kinds refused as --type: %v", err)
	}
}

func plainRenderer(w io.Writer) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(w)
	r.SetColorProfile(termenv.Ascii)
	return r
}

func parseFixture(t *testing.T, name string) []webhook.Event {
	t.Helper()
	n, err := webhook.Parse(wireFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return n.Events()
}

func TestFilterCheck(t *testing.T) {
	for _, ok := range []Filter{
		{Fields: []string{"messages", "standby", "account_*"}},
		{Types: []string{"message", "status.failed", "interactive", "interactive.*", "history.chunk", "calls.connect", "account_update"}},
	} {
		if err := ok.Check(); err != nil {
			t.Errorf("%+v refused: %v", ok, err)
		}
	}
	for f, want := range map[*Filter]string{
		{Fields: []string{"mesages"}}:     `did you mean "messages"?`,
		{Types: []string{"bogus"}}:        "matches no type",
		{Types: []string{"status.faild"}}: `did you mean "status.failed"?`,
		{Types: []string{"[x"}}:           "not a valid pattern",
	} {
		if err := f.Check(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want %q", *f, err, want)
		}
	}
}
