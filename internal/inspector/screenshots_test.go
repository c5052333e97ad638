package inspector

import (
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

var update = flag.Bool("update", false, "rewrite the screenshots in docs/images")

// TestScreenshots regenerates docs/images/inspector-*.png:
//
//	go test ./internal/inspector -run TestScreenshots -update
func TestScreenshots(t *testing.T) {
	if !*update {
		t.Skip("regenerates docs/images/inspector-*.png with -update")
	}
	dir := filepath.Join("..", "..", "docs", "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, rigOptions{forward: true})
	// The whole catalog, as `serve --demo` posts it, then the usual trouble.
	for _, f := range fixtures.All() {
		b, err := wire.Encode(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		r.postSigned(b)
	}
	text := wireFixture(t, "messages.text")
	r.postSigned(text) // a retry
	pretty, _ := wire.Format(text, wire.Style{Escaping: wire.Unicode, Indent: "  "})
	r.post(pretty, signature.Sign(testSecret, text))
	r.postSigned(wireFixture(t, "messages.interactive.button_reply"))
	n := len(fixtures.All()) + 3
	deadline := time.Now().Add(20 * time.Second)
	for p := (Page{}); p.Requests < n || r.capture.count() < n-1; r.getJSON("/api/rows?limit=1", &p) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests, %d forwarded", p.Requests, r.capture.count())
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := browser(t, 1440, 900)
	save := func(name string) {
		t.Helper()
		png := get(t, c, name, chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do(t, c, "load", chromedp.Navigate(r.base+"/"), waitJS(`document.getElementById('conn').classList.contains('live') && `+visibleRows+` > 10`))
	// The list and a text message's detail.
	do(t, c, "open", js(`void document.querySelectorAll('.row:not([hidden]) a')[0].click()`),
		waitJS(`!!document.getElementById('edit')`))
	save("inspector-list.png")

	// The signature diagnosis of a re-serialised body.
	do(t, c, "diagnosis", js(`void document.querySelectorAll('.row:not([hidden]) a')[1].click()`),
		waitJS(`!!document.getElementById('sigbox') && document.getElementById('sigbox').classList.contains('invalid')`))
	save("inspector-signature.png")

	// Edit and replay, with the app's answer.
	do(t, c, "edit", js(`void document.querySelectorAll('.row:not([hidden]) a')[2].click()`),
		waitJS(`!!document.getElementById('edit') && document.getElementById('sigbox').classList.contains('valid')`),
		chromedp.Click(chromedp.CSS(`#edit`)),
		js(`void (() => { const t = document.getElementById('edit-body'); t.value = t.value.replace('Guadalajara', 'Monterrey') })()`),
		chromedp.Click(chromedp.CSS(`#send-edited`)),
		waitJS(`!!document.getElementById('replay-result')`),
		js(`void document.getElementById('editor').scrollIntoView()`))
	save("inspector-replay.png")

	// A filtered view: failed statuses only.
	do(t, c, "filter", chromedp.Navigate(r.base+"/?type=status.failed"),
		waitJS(`document.getElementById('conn').classList.contains('live') && `+visibleRows+` > 1`),
		js(`void document.querySelectorAll('.row:not([hidden]) a')[0].click()`),
		waitJS(`!!document.querySelector('.event')`))
	save("inspector-filter.png")

	screenshotConversations(t, c, save)
}

// screenshotConversations is the chat beside the mock: a user's messages,
// the app's replies with their ticks, its buttons, a tap, a failure.
func screenshotConversations(t *testing.T, c context.Context, save func(string)) {
	r := newMockRig(t)
	r.echo = func(text string) string {
		switch text {
		case "Do you ship to Lima?":
			return "Yes! Delivery to Lima takes 3–5 working days. Want me to start an order?"
		case "Great, thanks":
			return "You're welcome — order #4817 is on its way."
		}
		return "echo: " + text
	}
	say := func(text string) {
		if code, b := r.do(http.MethodPost, "/api/mock/users/alice/say", map[string]string{"text": text}, nil); code != 200 {
			t.Fatalf("say: %d %s", code, b)
		}
	}
	say("Do you ship to Lima?")
	r.do(http.MethodPost, "/api/mock/users/alice/read", map[string]string{}, nil)
	say("menu")
	r.do(http.MethodPost, "/api/mock/users/alice/tap", map[string]int{"n": 1}, nil)
	say("Great, thanks")
	// A reply the Graph API refuses (no text body): Meta's code and title.
	r.graph(`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{}}`)
	r.waitFor("alice", "the last reply delivered", func(c Conversation) bool {
		b := find(c, "out", "You're welcome — order #4817 is on its way.")
		return b != nil && b.Status == "delivered" && c.Bubbles[len(c.Bubbles)-1].Status == "refused"
	})
	do(t, c, "conversations", chromedp.Navigate(r.base+"/#c=alice"),
		waitJS(`document.querySelectorAll('#bubbles .bubble').length >= 9 && document.getElementById('conn').classList.contains('live')`),
		js(`void (() => { document.getElementById('say').value = 'Can I pay on delivery?'; document.getElementById('say').focus() })()`))
	save("inspector-conversations.png")
}
