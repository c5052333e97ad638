package inspector

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// firefoxPath finds the browser; CI installs Debian's firefox-esr
// (.ci/run). Without one the Firefox tests fail rather than skip.
func firefoxPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no firefox to run the Firefox browser tests: apt-get install firefox-esr (.ci/run does)")
	return ""
}

// firefox is a headless Firefox driven over WebDriver BiDi (the standard
// protocol Firefox speaks on --remote-debugging-port), with just the
// commands the tests need: navigate, evaluate, keys.
type firefox struct {
	t   testing.TB
	ws  *websocket.Conn
	ctx context.Context
	top string // the browsing context (tab)

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan bidiReply
}

type bidiReply struct {
	Type    string          `json:"type"` // success | error | event
	ID      int             `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

// prefs keep a fresh profile off the network (this machine has none
// beyond loopback) and quiet.
const firefoxPrefs = `user_pref("app.update.enabled", false);
user_pref("app.update.auto", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.startup.page", 0);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.topsites.contile.enabled", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("remote.prefs.recommended", true);
user_pref("ui.prefersReducedMotion", 1);
`

func startFirefox(t testing.TB, width, height int) *firefox {
	t.Helper()
	profile := t.TempDir()
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	cmd := exec.CommandContext(ctx, firefoxPath(t), "--headless", "--no-remote", "--profile", profile,
		"--remote-debugging-port", "0", fmt.Sprintf("--width=%d", width), fmt.Sprintf("--height=%d", height), "about:blank")
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_DISABLE_AUTO_SAFE_MODE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting firefox: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	// Firefox prints where WebDriver BiDi listens.
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
		}
	}()
	var url string
	select {
	case url = <-addr:
	case <-time.After(60 * time.Second):
		t.Fatal("firefox did not say where WebDriver BiDi listens")
	}
	ws, _, err := websocket.Dial(ctx, url+"/session", nil)
	if err != nil {
		t.Fatalf("connecting to firefox: %v", err)
	}
	ws.SetReadLimit(64 << 20)
	f := &firefox{t: t, ws: ws, ctx: ctx, waiting: map[int]chan bidiReply{}}
	go f.read()
	f.call("session.new", map[string]any{"capabilities": map[string]any{}})
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	f.decode(f.call("browsingContext.getTree", map[string]any{}), &tree)
	if len(tree.Contexts) == 0 {
		t.Fatal("firefox has no tab")
	}
	f.top = tree.Contexts[0].Context
	f.call("browsingContext.setViewport", map[string]any{"context": f.top, "viewport": map[string]int{"width": width, "height": height}})
	return f
}

func (f *firefox) read() {
	for {
		_, b, err := f.ws.Read(f.ctx)
		if err != nil {
			f.mu.Lock()
			for id, ch := range f.waiting {
				ch <- bidiReply{Type: "error", Error: "connection closed", Message: err.Error()}
				delete(f.waiting, id)
			}
			f.mu.Unlock()
			return
		}
		var r bidiReply
		if json.Unmarshal(b, &r) != nil || r.Type == "event" {
			continue
		}
		f.mu.Lock()
		ch := f.waiting[r.ID]
		delete(f.waiting, r.ID)
		f.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// call sends one command and waits for its answer; an error fails the test.
func (f *firefox) call(method string, params any) json.RawMessage {
	f.t.Helper()
	f.mu.Lock()
	f.nextID++
	id := f.nextID
	ch := make(chan bidiReply, 1)
	f.waiting[id] = ch
	f.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := f.ws.Write(f.ctx, websocket.MessageText, b); err != nil {
		f.t.Fatalf("%s: %v", method, err)
	}
	select {
	case r := <-ch:
		if r.Type == "error" {
			f.t.Fatalf("%s: %s: %s", method, r.Error, r.Message)
		}
		return r.Result
	case <-f.ctx.Done():
		f.t.Fatalf("%s: %v", method, f.ctx.Err())
	}
	return nil
}

func (f *firefox) decode(b json.RawMessage, v any) {
	f.t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		f.t.Fatalf("%v: %s", err, b)
	}
}

// Driver methods (browserDriver).

func (f *firefox) Navigate(url string) {
	f.t.Helper()
	f.call("browsingContext.navigate", map[string]any{"context": f.top, "url": url, "wait": "complete"})
}

// Eval runs expr in the page and returns its value as JSON.
func (f *firefox) Eval(expr string) json.RawMessage {
	f.t.Helper()
	res := f.call("script.evaluate", map[string]any{"expression": "JSON.stringify((() => (" + expr + "))()) ?? 'null'",
		"target": map[string]string{"context": f.top}, "awaitPromise": true, "resultOwnership": "none"})
	var r struct {
		Type    string                 `json:"type"`
		Result  struct{ Value string } `json:"result"`
		Details struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	f.decode(res, &r)
	if r.Type != "success" {
		f.t.Fatalf("evaluate %s: %s", expr, r.Details.Text)
	}
	return json.RawMessage(r.Result.Value)
}

// Key presses one key on the focused element (WebDriver key values:
// "\uE007" is Enter).
func (f *firefox) Key(k string) {
	f.t.Helper()
	f.call("input.performActions", map[string]any{"context": f.top, "actions": []any{map[string]any{
		"type": "key", "id": "keyboard", "actions": []any{map[string]string{"type": "keyDown", "value": k}, map[string]string{"type": "keyUp", "value": k}}}}})
}

func (f *firefox) Screenshot() []byte {
	f.t.Helper()
	var r struct {
		Data []byte `json:"data"` // base64 in JSON
	}
	f.decode(f.call("browsingContext.captureScreenshot", map[string]any{"context": f.top}), &r)
	return r.Data
}

func (f *firefox) Name() string { return "firefox" }
