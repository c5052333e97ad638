package inspector

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/send"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// chromium finds the browser the end-to-end tests drive. CI installs
// Debian's chromium (.ci/run); without one the tests fail rather than
// skip, so a missing browser is noticed.
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium to run the browser tests: apt-get install chromium (.ci/run does)")
	return ""
}

// browser starts a fresh headless Chromium with the flags that work in CI.
func browser(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

func do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func get[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitJS polls a JavaScript condition in the page (no sleeping on a clock:
// the test waits for what it needs, bounded by the timeout).
func waitJS(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))
}

func js(expr string) chromedp.Action[chromedp.Void] { return chromedp.Evaluate[chromedp.Void](expr) }

const visibleRows = `document.querySelectorAll('.row:not([hidden])').length`

func TestBrowser(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := browser(t, 1366, 860)
	text := wireFixture(t, "messages.text")

	t.Log("the page loads and goes live")
	do(t, ctx, "load", chromedp.Navigate(r.base+"/"), waitJS(`document.getElementById('conn').classList.contains('live')`))

	t.Log("live events appear after a send")
	ios, _, _, errOut := iostreams.Test()
	if err := send.Run(context.Background(), ios, send.Options{To: r.hooks.URL + "/webhook", AppSecret: testSecret, KeepIDs: true,
		Sources: []string{"messages.text", "statuses.read", "statuses.delivered"}, Concurrency: 1, RetryScale: 1,
		ExpectStatus: []string{"200"}, Timeout: 10 * time.Second}); err != nil {
		t.Fatalf("send: %v\n%s", err, errOut)
	}
	do(t, ctx, "live rows", waitJS(visibleRows+` === 3`))
	if first := get(t, ctx, "first row", chromedp.Text(chromedp.CSS(`.row:not([hidden]) .type`))); strings.TrimSpace(first) != "status.delivered" {
		t.Errorf("the newest row is %q, want status.delivered", first)
	}

	t.Log("a filter narrows the list and is kept in the URL")
	do(t, ctx, "filter",
		chromedp.SetValue(chromedp.CSS(`select[name=kind]`), "message"),
		js(`void document.querySelector('select[name=kind]').dispatchEvent(new Event('change', {bubbles: true}))`),
		waitJS(visibleRows+` === 1`))
	if loc := get(t, ctx, "location", chromedp.Location()); !strings.Contains(loc, "kind=message") {
		t.Errorf("the filter is not in the URL: %s", loc)
	}
	do(t, ctx, "clear filter", chromedp.Click(chromedp.CSS(`button[type=reset]`)), waitJS(visibleRows+` === 3`))

	t.Log("j/k move through the list with the focus; x selects for the recording")
	do(t, ctx, "keys",
		js(`void (document.activeElement && document.activeElement.blur())`),
		chromedp.KeyEvent("g"), chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("k"),
		waitJS(`document.activeElement && document.activeElement.closest('.row') && document.activeElement.closest('.row').dataset.i === '1'`),
		chromedp.KeyEvent("x"),
		waitJS(`document.getElementById('selcount').textContent === '1' && !document.getElementById('download').disabled`),
		chromedp.KeyEvent("x"),
		waitJS(`document.getElementById('selcount').textContent === '0'`))

	t.Log("the detail shows the diagnosis of a re-serialised body (opened with the keyboard)")
	pretty, _ := wire.Format(text, wire.Style{Escaping: wire.Unicode, Indent: "  "})
	r.post(pretty, signature.Sign(testSecret, text))
	do(t, ctx, "diagnosis",
		waitJS(visibleRows+` === 4`),
		js(`void (document.activeElement && document.activeElement.blur())`),
		chromedp.KeyEvent("g"), chromedp.KeyEvent("\r"),
		waitJS(`!!document.getElementById('sigbox')`))
	diag := get(t, ctx, "diagnosis text", chromedp.Text(chromedp.CSS(`#sigbox`)))
	if !strings.Contains(diag, "invalid") || !strings.Contains(diag, "It matches") {
		t.Errorf("no diagnosis in the detail: %q", diag)
	}

	t.Log("edit and replay delivers the edited bytes, re-signed, to the capture server")
	do(t, ctx, "open the text message",
		js(`void document.querySelectorAll('.row:not([hidden]) a')[3].click()`),
		waitJS(`!!document.getElementById('edit') && document.getElementById('sigbox').classList.contains('valid')`),
		chromedp.Click(chromedp.CSS(`#edit`)))
	edited := get(t, ctx, "edit", chromedp.Evaluate[string](`(() => { const t = document.getElementById('edit-body'); t.value = t.value.replace('Guadalajara', 'Monterrey'); return t.value })()`))
	do(t, ctx, "send edited",
		chromedp.SetValue(chromedp.CSS(`#target`), "url"),
		js(`void document.getElementById('target').dispatchEvent(new Event('change'))`),
		chromedp.SendKeys(chromedp.CSS(`#target-url`), r.capture.url),
		chromedp.Click(chromedp.CSS(`#send-edited`)),
		waitJS(`!!document.getElementById('replay-result')`))
	want, err := wire.Encode([]byte(edited))
	if err != nil || !bytes.Contains(want, []byte("Monterrey")) {
		t.Fatalf("edited body: %v %s", err, edited)
	}
	got := r.capture.last(t)
	if !bytes.Equal(got.Body, want) || got.Header.Get(signature.Header) != signature.Sign(testSecret, want) {
		t.Fatalf("the capture server got\n%s\n%s\nwant\n%s", got.Body, got.Header.Get(signature.Header), want)
	}

	t.Log("copy as curl, run in a shell, reproduces the delivery")
	do(t, ctx, "copy as curl", chromedp.Click(chromedp.CSS(`#copy-curl`)), waitJS(`!!document.getElementById('cmd-out')`))
	cmd := get(t, ctx, "command", chromedp.Value(chromedp.CSS(`#cmd-out`)))
	if out, err := exec.Command("sh", "-c", cmd).CombinedOutput(); err != nil {
		t.Fatalf("%s\n%v: %s", cmd, err, out)
	}
	got = r.capture.last(t)
	if !bytes.Equal(got.Body, text) || got.Header.Get(signature.Header) != signature.Sign(testSecret, text) {
		t.Errorf("curl delivered other bytes:\n%s", got.Body)
	}
}
