package behaviour

import (
	"bufio"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/conformance"
	"github.com/wa-hooks/wa-hooks/internal/mock"
)

// wajsVersion is the whatsapp-api-js release the outcome below was read
// from; a newer one may fix what it gets wrong.
const wajsVersion = "6.3.0"

// TestSuiteAgainstWhatsAppAPIJS runs the whole suite against a bot written
// with the npm package whatsapp-api-js (testdata/wajs-bot.mjs): an app
// nobody here wrote, on a library people use. The outcome is the
// library's, recorded in the apptest note: it reads only the first message
// of each POST and value.metadata before the field. Skipped without node,
// npm or the registry, and with -short.
func TestSuiteAgainstWhatsAppAPIJS(t *testing.T) {
	if testing.Short() {
		t.Skip("installs an npm package")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not installed")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	if out, err := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "whatsapp-api-js@"+wajsVersion).CombinedOutput(); err != nil {
		t.Skipf("npm install whatsapp-api-js failed (registry unreachable?): %v\n%s", err, out)
	}
	bot, err := os.ReadFile(filepath.Join("testdata", "wajs-bot.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bot.mjs"), bot, 0o644); err != nil {
		t.Fatal(err)
	}

	// The mock first (the bot needs its URL), pointed at the bot once it
	// says where it listens.
	var srv *mock.Server
	ms := httptest.NewUnstartedServer(nil)
	ms.Start()
	t.Cleanup(ms.Close)
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "bot.mjs"))
	cmd.Env = append(os.Environ(), "MOCK_BASE="+ms.URL, "TOKEN="+testToken, "SECRET="+testSecret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
				port <- p
			}
		}
	}()
	var appURL string
	select {
	case p := <-port:
		appURL = "http://127.0.0.1:" + p + "/webhook"
	case <-time.After(30 * time.Second):
		t.Fatal("the bot did not start")
	}
	o := fast(Options{App: appURL, Mock: ms.URL})
	srv, err = mock.New(mock.Options{Webhook: appURL, AppSecret: testSecret, AccessToken: testToken,
		Deterministic: true, NoRetry: true, WebhookTimeout: o.Budget, BaseURL: ms.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ms.Config.Handler = srv.Handler()

	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]conformance.Status{}
	for _, c := range rep.Checks {
		got[c.ID] = c.Status
		t.Logf("%-5s %-14s %s", c.Status, c.ID, c.Reason)
	}
	t.Log(rep.Summary.String())
	// What whatsapp-api-js 6.3.0 gets right and wrong, as the suite sees it.
	want := map[string]conformance.Status{
		"reply": pass, "no-phone": pass, "unknown-type": pass, "unknown-field": pass, "statuses": pass,
		"taps": pass, "burst": pass, "forged": pass,
		// Only entry[0].changes[0].value.messages[0] is read.
		"batch": fail,
		// No memory of handled message ids.
		"redelivery": fail,
		// value.metadata.phone_number_id is read before the field: a TypeError.
		"other-fields": fail,
		// The bot replies free-form to a 25-hour-old message and ignores
		// the 131047 that follows (the library leaves the window to the bot).
		"window": fail,
	}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("%s: %s, want %s", id, got[id], st)
		}
	}
}
