package behaviour

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/behaviour/behaviourtest"
	"github.com/wa-hooks/wa-hooks/internal/conformance"
	"github.com/wa-hooks/wa-hooks/internal/mock"
)

const (
	testSecret = "test-app-secret"
	testToken  = "test-access-token"
)

// fast keeps the suite's run short where it can: a short settle and a
// short timeout (the test apps make their Graph calls before they answer
// the webhook, so both only matter to the buggy apps that never make
// them). Timing is never asserted: the budget is generous even for -race
// on a loaded machine, and the slow app sleeps longer than its budget
// whenever requests overlap.
func fast(o Options) Options {
	o.Timeout, o.Settle, o.Budget = 4*time.Second, 150*time.Millisecond, 15*time.Second
	o.Menu = "menu"
	return o
}

// harness runs one app against a mock and returns the report.
type harness func(t *testing.T, app *behaviourtest.App, o Options) *conformance.Report

// expected is what a buggy app must get: exactly this check not passing
// (failed, or a warning for 500-on-forged), every other check passing.
var expected = map[behaviourtest.Bug]struct {
	id     string
	status conformance.Status
}{
	behaviourtest.FirstOnly:     {"batch", conformance.Fail},
	behaviourtest.RepliesTwice:  {"redelivery", conformance.Fail},
	behaviourtest.MetadataFirst: {"other-fields", conformance.Fail},
	behaviourtest.CrashNoPhone:  {"no-phone", conformance.Fail},
	behaviourtest.BlockUnknown:  {"unknown-type", conformance.Fail},
	behaviourtest.SlowBurst:     {"burst", conformance.Fail},
	behaviourtest.Forged500:     {"forged", conformance.Warn},
	behaviourtest.IgnoresWindow: {"window", conformance.Fail},
	// Free-form first, then a template on the 131047: a pass.
	behaviourtest.FollowsUp131047: {"window", conformance.Pass},
}

// runBugs runs the correct app and every buggy one at once (they spend
// their time waiting, so -parallel's CPU-sized limit would only serialise
// them) and then judges each report.
func runBugs(t *testing.T, run harness, apps []behaviourtest.Bug, pending map[behaviourtest.Bug]string) {
	reports := make([]*conformance.Report, len(apps))
	var wg sync.WaitGroup
	for i, bug := range apps {
		if pending[bug] != "" {
			continue
		}
		app := &behaviourtest.App{Bug: bug}
		o := fast(Options{})
		if bug == behaviourtest.SlowBurst {
			// Its webhooks one at a time are quick; overlapping ones take
			// longer than the budget, by construction.
			o.Budget, app.Slow = 3*time.Second, 4*time.Second
		}
		wg.Go(func() { reports[i] = run(t, app, o) })
	}
	wg.Wait()
	for i, bug := range apps {
		rep := reports[i]
		if rep == nil && pending[bug] == "" {
			t.Fatalf("%s: no report", bug)
		}
		name := string(bug)
		if bug == behaviourtest.Correct {
			name = "correct"
		}
		t.Run(name, func(t *testing.T) {
			if why := pending[bug]; why != "" {
				t.Skip(why)
			}
			want, buggy := expected[bug]
			if len(rep.Checks) != len(builtins()) {
				t.Errorf("%d checks, want %d", len(rep.Checks), len(builtins()))
			}
			for _, c := range rep.Checks {
				switch {
				case buggy && c.ID == want.id && c.Status != want.status:
					t.Errorf("%s: %s (%s), want %s", c.ID, c.Status, c.Reason, want.status)
				case buggy && c.ID == want.id && c.Fix == "" && want.status != conformance.Pass:
					t.Errorf("%s: no fix for %s", c.ID, c.Reason)
				case (!buggy || c.ID != want.id) && c.Status != conformance.Pass:
					t.Errorf("%s: %s: %s\n%s", c.ID, c.Status, c.Reason, strings.Join(c.Detail, "\n"))
				}
			}
			if wantCode := map[bool]int{false: 0, true: 5}[buggy && want.status == conformance.Fail]; rep.ExitCode() != wantCode {
				t.Errorf("exit code %d, want %d", rep.ExitCode(), wantCode)
			}
		})
	}
}

func TestScenariosRunAgainstMock(t *testing.T) {
	t.Parallel()
	parse := func(name, src string) *Scenario {
		sc, err := ParseScenario(name, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	good, err := ParseScenario("example.yaml", Example())
	if err != nil {
		t.Fatal(err)
	}
	reads := parse("reads.yaml", `name: reads and silence
users: [{name: ana}]
steps:
  - say: hi
    expect:
      - marks_read: true
      - sends: text
        text: "^Echo: hi$"
  - read: true
    expect:
      - sends_nothing: true
        within: 300ms
`)
	wrong := parse("wrong.yaml", `name: wrong colour
users: [{name: ana}]
steps:
  - say: menu
    expect:
      - sends: interactive
        buttons: [Red, Blue]
  - tap: 1
    expect:
      - sends: text
        text: (?i)blue
        within: 300ms
`)
	chatty := parse("chatty.yaml", `name: not silent
users: [{name: bo}]
steps:
  - say: anything
    expect:
      - sends_nothing: true
        within: 300ms
`)
	o := fast(Options{Scenarios: []*Scenario{good, reads, wrong, chatty}, Only: []string{GroupScenarios}})
	rep := withMock(t, &behaviourtest.App{}, o)
	if len(rep.Checks) != 4 {
		t.Fatalf("checks: %+v", rep.Checks)
	}
	for i, want := range []struct {
		id     string
		status conformance.Status
		reason string
	}{
		{"scenario:greeting and menu", conformance.Pass, "6 steps, 4 expectations met"},
		{"scenario:reads and silence", conformance.Pass, "2 steps, 3 expectations met"},
		{"scenario:wrong colour", conformance.Fail, `step 2 (ana taps 1, line 8), line 10: expected text to ana matching (?i)blue within 300ms; it sent text "You chose Red"`},
		{"scenario:not silent", conformance.Fail, `step 1 (bo says "anything", line 4), line 6: expected no message to bo within 300ms; it sent text "Echo: anything"`},
	} {
		c := rep.Checks[i]
		if c.ID != want.id || c.Status != want.status || c.Reason != want.reason {
			t.Errorf("%s %s: %s\nwant %s %s: %s", c.ID, c.Status, c.Reason, want.id, want.status, want.reason)
		}
	}
}

// withMock runs the suite against the real mock, in process, the way
// `wa-hooks test` starts it.
func withMock(t *testing.T, app *behaviourtest.App, o Options) *conformance.Report {
	t.Helper()
	as := httptest.NewUnstartedServer(app)
	as.Start()
	t.Cleanup(as.Close)
	srv, err := mock.New(mock.Options{Webhook: as.URL + "/webhook", AppSecret: testSecret, AccessToken: testToken,
		Deterministic: true, NoRetry: true, WebhookTimeout: o.Budget})
	if err != nil {
		t.Error(err)
		return nil
	}
	ms := httptest.NewServer(srv.Handler())
	srv.SetBaseURL(ms.URL)
	t.Cleanup(func() { ms.Close(); srv.Close() })
	app.Secret, app.Token, app.Graph = testSecret, testToken, func() string { return ms.URL }
	o.App, o.Mock = as.URL+"/webhook", ms.URL
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Error(err) // not Fatal: called from a goroutine
	}
	return rep
}

func TestSuiteAgainstMock(t *testing.T) {
	t.Parallel()
	// Every buggy app of the issue, and the two window apps: all on the
	// real mock (the burst through its "concurrent" webhooks, the window
	// through a 25-hour-old message and its 131047 at delivery).
	apps := append([]behaviourtest.Bug{behaviourtest.Correct}, behaviourtest.Bugs...)
	runBugs(t, withMock, append(apps, behaviourtest.IgnoresWindow, behaviourtest.FollowsUp131047), nil)
}
