package inspector

import (
	"bytes"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// The issue asks for a page usable keyboard-only: every key the help lists
// is driven here without a single click, from the help dialog to a replay
// that reaches the app.
func TestBrowserKeyboardOnly(t *testing.T) {
	r := newRig(t, rigOptions{forward: true})
	ctx := browser(t, 1280, 800)
	text := wireFixture(t, "messages.text")
	status := wireFixture(t, "statuses.read")
	r.postSigned(text)
	r.postSigned(status)
	r.waitRows("", 2)
	// Both were forwarded to the app (the capture server) as they came.
	for deadline := time.Now().Add(10 * time.Second); r.capture.count() < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	sent := r.capture.count()
	if sent != 2 {
		t.Fatalf("the app got %d forwards, want 2", sent)
	}

	blur := js(`void (document.activeElement && document.activeElement.blur())`)
	do(t, ctx, "load", chromedp.Navigate(r.base+"/"), waitJS(visibleRows+` === 2`))

	t.Log("? opens the help, Escape closes it")
	do(t, ctx, "help", blur, keyPress("?"), waitJS(`document.getElementById('help').open`),
		chromedp.KeyEvent("\u001b"), waitJS(`!document.getElementById('help').open`))

	t.Log("/ goes to the search box; typing filters; Escape gives the list the keys back")
	do(t, ctx, "search", blur, keyPress("/"),
		waitJS(`document.activeElement === document.getElementById('q')`),
		chromedp.KeyEvent("read"),
		waitJS(`document.getElementById('q').value === 'read'`), // the / itself is not typed
		waitJS(visibleRows+` === 1`),
		chromedp.KeyEvent("\u001b"),
		waitJS(`document.activeElement !== document.getElementById('q')`))
	if loc := get(t, ctx, "location", chromedp.Location()); !bytes.Contains([]byte(loc), []byte("q=read")) {
		t.Errorf("the search is not in the URL: %s", loc)
	}

	t.Log("/ again selects the search, so Backspace clears it; a selects every shown row")
	do(t, ctx, "clear search", blur, keyPress("/"),
		waitJS(`document.activeElement === document.getElementById('q')`),
		chromedp.KeyEvent("\b"))
	do(t, ctx, "search cleared", waitJS(visibleRows+` === 2 && location.search === ''`), chromedp.KeyEvent("\u001b"))
	// a selects the rows loaded so far: pressed again (it is idempotent)
	// until the unfiltered page has come back from the server.
	selected := ""
	for deadline := time.Now().Add(10 * time.Second); selected != "2" && time.Now().Before(deadline); {
		do(t, ctx, "a", keyPress("a"))
		selected = get(t, ctx, "selcount", chromedp.Evaluate[string](`document.getElementById('selcount').textContent`))
		if selected != "2" {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if selected != "2" {
		t.Fatalf("a selected %s rows, want 2", selected)
	}

	t.Log("g and Enter open the newest request; r replays it to the app exactly")
	do(t, ctx, "open and replay", blur, keyPress("g"), chromedp.KeyEvent("\r"),
		waitJS(`!!document.getElementById('replay')`),
		blur, keyPress("r"), waitJS(`!!document.getElementById('replay-result')`))
	if n := r.capture.count(); n != sent+1 {
		t.Fatalf("the app got %d requests after r, want %d", n, sent+1)
	}
	if last := r.capture.last(t); !bytes.Equal(last.Body, status) || last.Header.Get(signature.Header) != signature.Sign(testSecret, status) {
		t.Errorf("r replayed other bytes or signature:\n%s\n%s", last.Body, last.Header.Get(signature.Header))
	}

	t.Log("e opens the editor with the focus in it; Escape leaves the box, a second Escape closes the editor")
	do(t, ctx, "editor", blur, keyPress("e"),
		waitJS(`!document.getElementById('editor').hidden && document.activeElement === document.getElementById('edit-body')`),
		chromedp.KeyEvent("\u001b"), waitJS(`document.activeElement !== document.getElementById('edit-body')`),
		chromedp.KeyEvent("\u001b"), waitJS(`document.getElementById('editor').hidden`))

	t.Log("Tab reaches the controls, each with a visible focus")
	do(t, ctx, "tab", blur, chromedp.KeyEvent("\t"),
		waitJS(`document.activeElement !== document.body && getComputedStyle(document.activeElement).outlineStyle !== 'none'`))
}
