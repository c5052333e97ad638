package receiver

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/wa-hooks/wa-hooks/internal/render"
)

// An app that never answers cannot make forwards pile up: over the queue's
// bounds requests are dropped, each said on screen and all counted.
func TestForwardQueueIsBounded(t *testing.T) {
	release := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer app.Close()
	defer close(release)
	fw, err := NewForwarder(ForwardOptions{URL: app.URL, Timeout: 300 * time.Millisecond, Concurrency: 1, QueueSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	rc, out := newJSONReceiver(t, func(o *Options) { o.Forwarder = fw })
	for i := 0; i < 10; i++ {
		body := bytes.Replace(wireFixture(t, "messages.text"), []byte("wamid."), []byte("wamid.Q"+string(rune('a'+i))), 1)
		if w := post(rc, body, signed(body)); w.Code != 200 {
			t.Fatalf("request %d: %d", i+1, w.Code)
		}
	}
	s := rc.Close()
	if s.ForwardDropped != 8 || s.Forwarded != 2 {
		t.Fatalf("dropped %d, forwarded %d; want 8 and 2 (queue of 2)", s.ForwardDropped, s.Forwarded)
	}
	dropped := 0
	for _, l := range lines(t, out.String()) {
		if l["kind"] == "forward" && l["dropped"] != nil {
			dropped += int(l["dropped"].(float64))
			if !strings.Contains(l["error"].(string), "already wait for the app") {
				t.Errorf("drop without its reason: %v", l)
			}
		}
	}
	if dropped != 8 {
		t.Fatalf("%d drops shown, want 8:\n%s", dropped, out)
	}
}

// A request that serve forwarded and got back is not forwarded again.
func TestForwardLoopIsCut(t *testing.T) {
	fw, err := NewForwarder(ForwardOptions{URL: "http://127.0.0.1:1/app"})
	if err != nil {
		t.Fatal(err)
	}
	rc, out := newJSONReceiver(t, func(o *Options) { o.Forwarder = fw })
	body := wireFixture(t, "messages.text")
	h := signed(body)
	for k, v := range fw.headers(nil) {
		h[k] = v[0]
	}
	post(rc, body, h)
	s := rc.Close()
	if s.ForwardDropped != 1 || !strings.Contains(out.String(), "got it back") {
		t.Fatalf("loop not cut: %+v\n%s", s, out)
	}
}

func TestPointsAt(t *testing.T) {
	any4 := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	anyAll := &net.TCPAddr{Port: 8080}
	lo4 := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	lo6 := &net.TCPAddr{IP: net.IPv6loopback, Port: 8080}
	for _, tc := range []struct {
		url  string
		ln   *net.TCPAddr
		want bool
	}{
		{"http://localhost:8080/webhook", lo4, true},
		{"http://LOCALHOST.:8080/webhook", lo6, true},
		{"http://127.0.0.1:8080/x", lo4, true},
		{"http://[::1]:8080/x", lo6, true},
		{"http://[::1]:8080/x", anyAll, true},
		{"http://0.0.0.0:8080/x", lo4, true},
		{"http://127.0.0.1:8080/x", any4, true},
		{"http://[::ffff:127.0.0.1]:8080/x", lo4, true},
		{"http://localhost:3000/webhook", lo4, false},
		{"http://[::1]:8080/x", lo4, false},
		{"http://example.com:8080/x", anyAll, false},
		{"https://127.0.0.1/x", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443}, true},
		{"http://127.0.0.1/x", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443}, false},
	} {
		if got := PointsAt(tc.url, tc.ln); got != tc.want {
			t.Errorf("PointsAt(%s, %s) = %v, want %v", tc.url, tc.ln, got, tc.want)
		}
	}
}

// On screen, a dropped request says so under its request, and the summary
// counts it beside the forwarded ones.
func TestForwardDropShown(t *testing.T) {
	var out bytes.Buffer
	r := lipgloss.NewRenderer(&out)
	r.SetColorProfile(termenv.Ascii)
	render.NewPretty(&out, r, render.PrettyOptions{}).Forwarded(render.Forward{Request: 7, Dropped: 1,
		Err: "not forwarded: 1024 requests (64 MiB) already wait for the app"})
	render.WriteSummary(&out, render.NewStyles(r), render.Summary{Forwarded: 3, ForwardDropped: 5})
	for _, want := range []string{"↳ app: not forwarded: 1024 requests", "forwarded    3, 5 not forwarded"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
}
