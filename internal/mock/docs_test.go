package mock

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWalkthroughApps runs the Go and Node apps of docs/mock.md exactly as
// printed there against the mock: a user writes, the app replies and marks
// it read, the reply's statuses reach the app.
func TestWalkthroughApps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the guide's apps")
	}
	doc, err := os.ReadFile("../../docs/mock.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```(go|js)\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	code := map[string]string{}
	for _, b := range blocks {
		code[b[1]] = b[2]
	}
	for _, lang := range []string{"go", "js"} {
		t.Run(lang, func(t *testing.T) {
			src := code[lang]
			if src == "" {
				t.Fatalf("docs/mock.md has no %s block", lang)
			}
			tool, file := "go", "app.go"
			if lang == "js" {
				tool, file = "node", "app.mjs"
			}
			bin, err := exec.LookPath(tool)
			if err != nil {
				t.Skipf("%s is not installed", tool)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, file), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{file}
			if lang == "go" {
				// Built first and run directly: `go run` would leave the app
				// running when the test stops it.
				build := exec.Command(bin, "build", "-o", "app", "app.go")
				build.Dir = dir
				if out, err := build.CombinedOutput(); err != nil {
					t.Fatalf("go build app.go: %v\n%s", err, out)
				}
				bin, args = filepath.Join(dir, "app"), nil
			}
			port := freePort(t)
			_, hs := startMock(t, nil, Options{Deterministic: true, Webhook: "http://127.0.0.1:" + port + "/webhook"})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GRAPH_API_BASE="+hs.URL, "WHATSAPP_TOKEN="+testToken, "APP_SECRET="+testSecret,
				"PHONE_NUMBER_ID=109283746501928", "PORT="+port)
			out := &lockedBuffer{}
			cmd.Stdout, cmd.Stderr = out, out
			cmd.WaitDelay = 5 * time.Second
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cancel(); _ = cmd.Wait() }()
			waitListen(t, "127.0.0.1:"+port, out)
			// The subscription handshake works with the app's verify token.
			if st, res := graphCall(t, "POST", hs.URL+"/v21.0/445566778899001/subscriptions?object=whatsapp_business_account&verify_token=my-verify-token&callback_url=http://127.0.0.1:"+port+"/webhook", testToken, ""); st != 200 {
				t.Fatalf("subscription: %d %v", st, res)
			}
			for _, u := range []string{"alice", "chen"} {
				var d Delivery
				control(t, hs.URL, "POST", "users/"+u+"/say", map[string]string{"text": "hi from " + u}, &d)
				if d.Status != 200 {
					t.Fatalf("%s: the app answered %+v\n%s", u, d, out.String())
				}
			}
			control(t, hs.URL, "POST", "users/alice/read", nil, nil)
			es := waitLog(t, hs.URL, func(es []Entry) bool {
				return strings.Count(strings.Join(statuses(es), ","), "read") >= 1 && len(statuses(es)) >= 5
			})
			replies := 0
			for _, e := range es {
				if e.Kind == "graph" && e.Status == 200 && strings.Contains(e.Summary, "You said: hi from") {
					replies++
				}
			}
			if replies != 2 {
				t.Errorf("%d replies answered 200, want 2 (alice by to, chen by recipient)\n%s\n%s", replies, dump(es), out.String())
			}
		})
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

func waitListen(t *testing.T, addr string, out *lockedBuffer) {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the app never listened on %s:\n%s", addr, out.String())
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
