package cmd_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

func TestScriptMock(t *testing.T) {
	runScripts(t, "mock", map[string]func(*testscript.TestScript, bool, []string){
		"mockapp":     mockApp,
		"appsaw":      mockAppSaw,
		"follow":      mockFollow,
		"follow-wait": mockFollowWait,
		"follow-stop": mockFollowStop,
	})
}

// echoApp is a WhatsApp app for the scripts: it checks every webhook
// (signature with $WA_HOOKS_APP_SECRET, wire form, Meta's headers), replies
// to every text through the mock's Graph API and marks it read.
type echoApp struct {
	mu       sync.Mutex
	graph    string
	token    string
	secret   string
	statuses []string
	types    []string
	problems []string
	answers  []int
	calls    int
}

var echoApps sync.Map // name → *echoApp

// mockapp NAME GRAPH_BASE [STATUS...]: start an echo app; $NAME is its
// webhook URL. It answers the given statuses to its first webhooks, then 200.
func mockApp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: mockapp NAME GRAPH_BASE [STATUS...]")
	}
	a := &echoApp{graph: args[1], token: ts.Getenv("WA_HOOKS_ACCESS_TOKEN"), secret: ts.Getenv("WA_HOOKS_APP_SECRET")}
	for _, s := range args[2:] {
		var n int
		fmt.Sscan(s, &n)
		a.answers = append(a.answers, n)
	}
	srv := httptest.NewServer(http.HandlerFunc(a.serve))
	ts.Defer(srv.Close)
	echoApps.Store(ts.MkAbs(args[0]), a)
	ts.Setenv(args[0], srv.URL+"/webhook")
}

func (a *echoApp) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	a.mu.Lock()
	a.calls++
	answer := 200
	if a.calls <= len(a.answers) {
		answer = a.answers[a.calls-1]
	}
	if res := signature.Verify(a.secret, body, r.Header.Get("X-Hub-Signature-256")); !res.OK() {
		a.problems = append(a.problems, "bad signature: "+res.String())
	}
	if !wire.IsWire(body) || r.Header.Get("User-Agent") != "facebookexternalua" || r.Header.Get("Content-Type") != "application/json" {
		a.problems = append(a.problems, "not Meta's wire form or headers: "+string(body))
	}
	var env struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct {
						ID, From, Type string
						FromUserID     string `json:"from_user_id"`
						Text           struct{ Body string }
					}
					Statuses []struct{ Status string }
				}
			}
		}
	}
	_ = json.Unmarshal(body, &env)
	var replies []string
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			for _, s := range c.Value.Statuses {
				a.statuses = append(a.statuses, s.Status)
			}
			for _, m := range c.Value.Messages {
				a.types = append(a.types, m.Type)
				if m.Type != "text" || answer != 200 {
					continue
				}
				to := fmt.Sprintf(`"to":%q`, m.From)
				if m.From == "" {
					to = fmt.Sprintf(`"recipient":%q`, m.FromUserID)
				}
				replies = append(replies, `{"messaging_product":"whatsapp",`+to+`,"type":"text","text":{"body":"you said: `+m.Text.Body+`"}}`,
					`{"messaging_product":"whatsapp","status":"read","message_id":"`+m.ID+`","typing_indicator":{"type":"text"}}`)
			}
		}
	}
	a.mu.Unlock()
	for _, rb := range replies {
		req, _ := http.NewRequest("POST", a.graph+"/v21.0/109283746501928/messages", strings.NewReader(rb))
		req.Header.Set("Authorization", "Bearer "+a.token)
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				a.mu.Lock()
				a.problems = append(a.problems, fmt.Sprintf("graph answered %d: %s", resp.StatusCode, b))
				a.mu.Unlock()
			}
		}
	}
	w.WriteHeader(answer)
}

// appsaw NAME STATUS,...: within 10 s the app has seen these statuses in
// this order (and nothing it found wrong); "-" for none.
func mockAppSaw(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: appsaw NAME STATUS,...")
	}
	v, ok := echoApps.Load(ts.MkAbs(args[0]))
	if !ok {
		ts.Fatalf("no mockapp %s", args[0])
	}
	a := v.(*echoApp)
	want := strings.Split(args[1], ",")
	if args[1] == "-" {
		want = nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.mu.Lock()
		got, problems := slices.Clone(a.statuses), slices.Clone(a.problems)
		a.mu.Unlock()
		if len(problems) > 0 {
			ts.Fatalf("the app found problems: %s", strings.Join(problems, "; "))
		}
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("the app saw statuses %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// follow NAME ARGS...: start `wa-hooks ARGS...` in the background, its
// stdout going to NAME.stdout as it prints (testscript's own background
// commands show their output only once they end).
// follow-wait NAME REGEXP: within 20 s NAME.stdout matches REGEXP.
// follow-stop NAME: interrupt it and wait for it to end.
var followers sync.Map // *testscript.TestScript + NAME → *exec.Cmd

func mockFollow(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: follow NAME ARGS...")
	}
	c := exec.Command(lookPath(ts, "wa-hooks"), args[1:]...)
	c.Dir = ts.MkAbs(".")
	c.Env = scriptEnv(ts)
	out, err := os.Create(ts.MkAbs(args[0] + ".stdout"))
	ts.Check(err)
	c.Stdout, c.Stderr = out, out
	ts.Check(c.Start())
	followers.Store(followerKey(ts, args[0]), c)
	ts.Defer(func() { _ = c.Process.Kill(); _ = c.Wait(); out.Close() })
}

func followerKey(ts *testscript.TestScript, name string) string {
	return fmt.Sprintf("%p/%s", ts, name)
}

func mockFollowWait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: follow-wait NAME REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(ts.MkAbs(args[0] + ".stdout"))
		if re.Match(b) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s printed nothing matching %s within 20 s:\n%s", args[0], args[1], b)
		}
	}
}

func mockFollowStop(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: follow-stop NAME")
	}
	v, ok := followers.LoadAndDelete(followerKey(ts, args[0]))
	if !ok {
		ts.Fatalf("no follower %s", args[0])
	}
	c := v.(*exec.Cmd)
	ts.Check(c.Process.Signal(os.Interrupt))
	_ = c.Wait() // an interrupted follower ends as it likes; what it printed is what counts
}
