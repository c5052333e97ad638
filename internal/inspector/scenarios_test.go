package inspector

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/send"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// browserDriver is what the scenarios below need of a browser, so the
// same scenario runs in Chromium (chromedp, DevTools protocol) and in
// Firefox (WebDriver BiDi).
type browserDriver interface {
	Name() string
	Navigate(url string)
	// Eval returns the JSON of the expression's value.
	Eval(expr string) json.RawMessage
	// Key presses a key on the focused element (WebDriver key values).
	Key(k string)
}

// WebDriver key values (the Chromium driver maps them to chromedp's).
const (
	keyEnter  = "\uE007"
	keyEscape = "\uE00C"
)

type chromeDriver struct {
	t   testing.TB
	ctx context.Context
}

func (c chromeDriver) Name() string { return "chromium" }
func (c chromeDriver) Navigate(url string) {
	c.t.Helper()
	do(c.t, c.ctx, "navigate", chromedp.Navigate(url))
}
func (c chromeDriver) Eval(expr string) json.RawMessage {
	c.t.Helper()
	return json.RawMessage(get(c.t, c.ctx, "evaluate "+expr, chromedp.Evaluate[string](`JSON.stringify((() => (`+expr+`))()) ?? 'null'`)))
}

// Key sends a key as a keyboard does (see keyPress).
func (c chromeDriver) Key(k string) {
	c.t.Helper()
	switch k {
	case keyEnter:
		k = "\r"
	case keyEscape:
		k = "\u001b"
	}
	do(c.t, c.ctx, "key", keyPress(k))
}

// keyPress presses the keys of k as a keyboard does: one keyDown that
// carries the text, then keyUp (chromedp.KeyEvent sends the text as a
// separate char event, which a browser never does and which a page's
// preventDefault on keydown cannot stop).
func keyPress(k string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range k {
			var down *input.DispatchKeyEventParams
			for _, e := range kb.Encode(r) {
				switch e.Type {
				case kb.KeyDown:
					down = e
					continue
				case kb.KeyChar:
					down.Text, down.UnmodifiedText = e.Text, e.UnmodifiedText
					continue
				}
				for _, ev := range []*input.DispatchKeyEventParams{down, e} {
					if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *ev); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// until polls a condition in the page (bounded; no clock assertion).
func until(t testing.TB, d browserDriver, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for string(d.Eval("!!("+cond+")")) != "true" {
		if time.Now().After(deadline) {
			t.Fatalf("%s (%s): never true: %s\nstatus line: %s\n%s", what, d.Name(), cond,
				d.Eval(`(document.getElementById('compose-result') || {}).textContent`), d.Eval(`document.body.innerText.slice(0, 1500)`))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func evalString(t testing.TB, d browserDriver, expr string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(d.Eval(expr), &s); err != nil {
		t.Fatalf("%s: not a string: %v", expr, err)
	}
	return s
}

func run(d browserDriver, js string) { d.Eval("(() => { " + js + "; return null })()") }

// scenarioRequests is the request list beside serve: the page loads and
// goes live, events appear after a send, a filter narrows the list (and is
// in the URL), the keyboard moves and selects, the detail diagnoses a
// re-serialised body, edit-and-replay delivers the edited bytes re-signed,
// and copy-as-curl reproduces a delivery.
func scenarioRequests(t *testing.T, d browserDriver, r *rig) {
	text := wireFixture(t, "messages.text")
	d.Navigate(r.base + "/")
	until(t, d, "live", `document.getElementById('conn').classList.contains('live')`)

	ios, _, _, errOut := iostreams.Test()
	if err := send.Run(context.Background(), ios, send.Options{To: r.hooks.URL + "/webhook", AppSecret: testSecret, KeepIDs: true,
		Sources: []string{"messages.text", "statuses.read", "statuses.delivered"}, Concurrency: 1, RetryScale: 1,
		ExpectStatus: []string{"200"}, Timeout: 10 * time.Second}); err != nil {
		t.Fatalf("send: %v\n%s", err, errOut)
	}
	until(t, d, "live rows", visibleRows+` === 3`)
	if first := evalString(t, d, `document.querySelector('.row:not([hidden]) .type').textContent`); strings.TrimSpace(first) != "status.delivered" {
		t.Errorf("%s: the newest row is %q, want status.delivered", d.Name(), first)
	}

	run(d, `const s = document.querySelector('select[name=kind]'); s.value = 'message'; s.dispatchEvent(new Event('change', {bubbles: true}))`)
	until(t, d, "filter", visibleRows+` === 1`)
	if loc := evalString(t, d, `location.href`); !strings.Contains(loc, "kind=message") {
		t.Errorf("%s: the filter is not in the URL: %s", d.Name(), loc)
	}
	run(d, `document.querySelector('button[type=reset]').click()`)
	until(t, d, "clear filter", visibleRows+` === 3`)

	run(d, `document.activeElement && document.activeElement.blur()`)
	for _, k := range []string{"g", "j", "j", "k"} {
		d.Key(k)
	}
	until(t, d, "j/k", `document.activeElement && document.activeElement.closest('.row') && document.activeElement.closest('.row').dataset.i === '1'`)
	d.Key("x")
	until(t, d, "x selects", `document.getElementById('selcount').textContent === '1' && !document.getElementById('download').disabled`)
	d.Key("x")
	until(t, d, "x again", `document.getElementById('selcount').textContent === '0'`)

	pretty, _ := wire.Format(text, wire.Style{Escaping: wire.Unicode, Indent: "  "})
	r.post(pretty, signature.Sign(testSecret, text))
	until(t, d, "the re-serialised request", visibleRows+` === 4`)
	run(d, `document.activeElement && document.activeElement.blur()`)
	d.Key("g")
	d.Key(keyEnter)
	until(t, d, "diagnosis", `!!document.getElementById('sigbox')`)
	if diag := evalString(t, d, `document.getElementById('sigbox').textContent`); !strings.Contains(diag, "invalid") || !strings.Contains(diag, "It matches") {
		t.Errorf("%s: no diagnosis in the detail: %q", d.Name(), diag)
	}

	run(d, `document.querySelectorAll('.row:not([hidden]) a')[3].click()`)
	until(t, d, "open the text message", `!!document.getElementById('edit') && document.getElementById('sigbox').classList.contains('valid')`)
	run(d, `document.getElementById('edit').click()`)
	until(t, d, "editor", `!!document.getElementById('edit-body')`)
	edited := evalString(t, d, `(() => { const t = document.getElementById('edit-body'); t.value = t.value.replace('Guadalajara', 'Monterrey'); return t.value })()`)
	run(d, `const s = document.getElementById('target'); s.value = 'url'; s.dispatchEvent(new Event('change'));
		const u = document.getElementById('target-url'); u.value = `+strconv.Quote(r.capture.url)+`; u.dispatchEvent(new Event('input', {bubbles: true}));
		document.getElementById('send-edited').click()`)
	until(t, d, "replayed", `!!document.getElementById('replay-result')`)
	want, err := wire.Encode([]byte(edited))
	if err != nil || !bytes.Contains(want, []byte("Monterrey")) {
		t.Fatalf("edited body: %v %s", err, edited)
	}
	got := r.capture.last(t)
	if !bytes.Equal(got.Body, want) || got.Header.Get(signature.Header) != signature.Sign(testSecret, want) {
		t.Fatalf("%s: the capture server got\n%s\n%s\nwant\n%s", d.Name(), got.Body, got.Header.Get(signature.Header), want)
	}

	run(d, `document.getElementById('copy-curl').click()`)
	until(t, d, "curl", `!!document.getElementById('cmd-out')`)
	cmd := evalString(t, d, `document.getElementById('cmd-out').value`)
	if out, err := exec.Command("sh", "-c", cmd).CombinedOutput(); err != nil {
		t.Fatalf("%s\n%v: %s", cmd, err, out)
	}
	got = r.capture.last(t)
	if !bytes.Equal(got.Body, text) || got.Header.Get(signature.Header) != signature.Sign(testSecret, text) {
		t.Errorf("%s: curl delivered other bytes:\n%s", d.Name(), got.Body)
	}
}

const bubbleSel = `#bubbles .bubble`

// scenarioChat is the conversations view beside the mock: the user's
// message and the app's reply show, the reply's ticks reach read, writing
// in the box makes the app receive a signed webhook with that text, the
// app's buttons can be tapped with the keyboard, hostile text stays text,
// and a message links to its webhook in the request list.
func scenarioChat(t *testing.T, d browserDriver, r *mockRig) {
	d.Navigate(r.base + "/")
	until(t, d, "users", `document.querySelectorAll('#userlist .user').length === 3 && document.getElementById('chat-title').textContent.startsWith('alice')`)
	until(t, d, "live", `document.getElementById('conn').classList.contains('live')`)

	// Write as alice with the keyboard: c focuses the box, Enter sends.
	run(d, `document.activeElement && document.activeElement.blur()`)
	d.Key("c")
	until(t, d, "the box has the focus", `document.activeElement === document.getElementById('say')`)
	for _, k := range "Hi there" {
		d.Key(string(k))
	}
	d.Key(keyEnter)
	until(t, d, "the user's message", `[...document.querySelectorAll('`+bubbleSel+`.in .btext')].some((e) => e.textContent === 'Hi there')`)
	if got := r.texts(); !slices.Contains(got, "Hi there") {
		t.Fatalf("%s: the app received %q (signed webhooks only)", d.Name(), got)
	}
	d.Key(keyEscape)
	until(t, d, "Esc leaves the box", `document.activeElement === document.getElementById('bubbles')`)
	until(t, d, "the app's reply, delivered", `[...document.querySelectorAll('`+bubbleSel+`.out')].some((e) => e.querySelector('.btext').textContent === 'echo: Hi there' && e.dataset.status === 'delivered')`)
	until(t, d, "read by the app", `!!document.querySelector('`+bubbleSel+`.in .ticks.read')`)

	// The user reads (R, the "Read all" button's key): the reply's ticks turn to read.
	run(d, `document.activeElement && document.activeElement.blur()`)
	d.Key("R")
	until(t, d, "ticks read", `[...document.querySelectorAll('`+bubbleSel+`.out')].some((e) => e.dataset.status === 'read' && e.querySelector('.ticks.read'))`)

	// The app's buttons, tapped with the keyboard.
	run(d, `const s = document.getElementById('say'); s.value = 'menu'; document.getElementById('compose').requestSubmit()`)
	until(t, d, "the app's buttons", `!document.getElementById('taps').hidden && document.querySelectorAll('#taps button').length === 2`)
	run(d, `document.activeElement && document.activeElement.blur()`)
	d.Key("2")
	until(t, d, "the tap", `[...document.querySelectorAll('`+bubbleSel+`.in .btext')].some((e) => e.textContent === 'No thanks')`)
	if got := r.texts(); !slices.Contains(got, "No thanks") {
		t.Errorf("%s: the app received %q after the tap", d.Name(), got)
	}

	// Hostile text stays text.
	hostile := `<img src=x onerror="document.title='pwned'"><b>bold</b>`
	run(d, `const s = document.getElementById('say'); s.value = `+strconv.Quote(hostile)+`; document.getElementById('compose').requestSubmit()`)
	until(t, d, "the hostile message", `[...document.querySelectorAll('`+bubbleSel+`.in .btext')].some((e) => e.textContent === `+strconv.Quote(hostile)+`)`)
	if n := string(d.Eval(`document.querySelectorAll('#bubbles img, #bubbles b').length`)); n != "0" {
		t.Errorf("%s: message text became %s elements", d.Name(), n)
	}

	// Another user, with the keyboard; then the webhook of a message.
	run(d, `document.activeElement && document.activeElement.blur()`)
	d.Key("j")
	until(t, d, "the next user", `!document.getElementById('chat-title').textContent.startsWith('alice')`)
	d.Key("k")
	until(t, d, "back to alice", `document.getElementById('chat-title').textContent.startsWith('alice') && document.querySelectorAll('`+bubbleSel+`').length >= 6`)
	run(d, `document.querySelector('`+bubbleSel+`.in .reqlink').click()`)
	until(t, d, "the webhook's detail", `document.getElementById('chat').hidden && !!document.getElementById('sigbox') && document.getElementById('sigbox').classList.contains('valid')`)
	if f := evalString(t, d, `document.getElementById('detail').textContent`); !strings.Contains(f, "200") {
		t.Errorf("%s: the webhook's detail does not show the app's answer", d.Name())
	}
	d.Key("v")
	until(t, d, "back to the conversations", `!document.getElementById('chat').hidden`)
}

func TestBrowserConversations(t *testing.T) {
	r := newMockRig(t)
	scenarioChat(t, chromeDriver{t, browser(t, 1366, 860)}, r)
}

// TestFirefox runs the browser scenarios in Firefox (WebDriver BiDi).
func TestFirefox(t *testing.T) {
	f := startFirefox(t, 1366, 860)
	t.Run("requests", func(t *testing.T) {
		f.t = t
		scenarioRequests(t, f, newRig(t, rigOptions{}))
	})
	t.Run("conversations", func(t *testing.T) {
		f.t = t
		scenarioChat(t, f, newMockRig(t))
	})
}
