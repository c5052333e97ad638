package mock

import (
	"bufio"
	"context"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOutsideClientWhatsAppAPIJS drives the mock with an app built on the
// npm package whatsapp-api-js: the library sends the reply and the read,
// answers the subscription handshake, checks every webhook's signature and
// parses the statuses. It is skipped when node or the npm registry is not
// available.
func TestOutsideClientWhatsAppAPIJS(t *testing.T) {
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
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "whatsapp-api-js@6")
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("npm install whatsapp-api-js failed (registry unreachable?): %v\n%s", err, out)
	}
	script, err := os.ReadFile("testdata/wajs-app.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.mjs"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	_, hs := startMock(t, nil, Options{Deterministic: true})
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "app.mjs"))
	cmd.Env = append(os.Environ(), "MOCK_BASE="+hs.URL, "TOKEN="+testToken, "SECRET="+testSecret)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var mu sync.Mutex
	var lines []string
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			l := sc.Text()
			if p, ok := strings.CutPrefix(l, "LISTENING "); ok {
				port <- p
			}
			mu.Lock()
			lines = append(lines, l)
			mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var appURL string
	select {
	case p := <-port:
		appURL = "http://127.0.0.1:" + p + "/webhook"
	case <-time.After(30 * time.Second):
		t.Fatal("the node app did not start")
	}
	// Meta's subscription call: the mock runs the handshake against the
	// library's verification code before it accepts the callback.
	q := url.Values{"object": {"whatsapp_business_account"}, "callback_url": {appURL}, "verify_token": {"verify-me"},
		"fields": {"messages"}, "access_token": {"445566778899001|" + testSecret}}
	st, out := graphCall(t, "POST", hs.URL+"/v21.0/445566778899001/subscriptions?"+q.Encode(), "", "")
	if st != 200 {
		t.Fatalf("subscription: %d %v", st, out)
	}
	q.Set("verify_token", "wrong")
	if st, out := graphCall(t, "POST", hs.URL+"/v21.0/445566778899001/subscriptions?"+q.Encode(), "", ""); st != 400 {
		t.Errorf("subscription with a wrong verify token: %d %v, want 400 (2200)", st, out)
	}
	var d Delivery
	control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "hola"}, &d)
	if d.Status != 200 {
		t.Fatalf("the library refused the inbound webhook: %+v", d)
	}
	waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 2 })
	control(t, hs.URL, "POST", "users/alice/read", nil, &d)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		all := strings.Join(lines, "\n")
		mu.Unlock()
		if strings.Contains(all, "STATUS read") {
			for _, want := range []string{"REPLY {", `"wa_id":"15550100001"`, "READ {\"success\":true}", "STATUS sent", "STATUS delivered", "free_customer_service"} {
				if !strings.Contains(all, want) {
					t.Errorf("the app's output lacks %q:\n%s", want, all)
				}
			}
			if strings.Contains(all, "ERROR") {
				t.Errorf("the library failed on a webhook:\n%s", all)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the app never saw its message read:\n%s", all)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
