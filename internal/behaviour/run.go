// Package behaviour checks what an app does with Meta's webhooks, not only
// what it answers: it drives the mock (a local twin of the Cloud API) to post
// webhooks to the app and reads, in the mock's log, the Graph calls the app
// makes in return. The result is the same Report, one Check per line, that
// verify prints, so the same renderers and exit codes apply.
package behaviour

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/conformance"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/suggest"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// Defaults for Options.
const (
	// DefaultTimeout is how long a check waits for a Graph call it expects.
	DefaultTimeout = 5 * time.Second
	// DefaultSettle is how long a check watches for something that must
	// not happen (a second reply, a reply to a forged webhook).
	DefaultSettle = time.Second
	// DefaultBudget is the time an app has to answer one webhook: what the
	// mock allows by default, like Meta.
	DefaultBudget = 10 * time.Second
	// Burst is how many webhooks the burst check posts at once.
	Burst = 50
)

// Options configure one run of the behaviour suite.
type Options struct {
	// App is the app's webhook URL, for the report; the mock posts to it.
	App string
	// Mock is the base URL of the mock's control API.
	Mock string
	// Scenarios are parsed scenario files, run after the built-in checks.
	Scenarios []*Scenario
	// Menu is a text that makes the app answer with buttons or a list,
	// for the taps check; a scenario's menu: is used when it is empty.
	Menu string
	// Only restricts the run to these check IDs and groups ("scenarios"
	// for the scenario files).
	Only   []string
	Strict bool

	Timeout time.Duration
	Settle  time.Duration
	Budget  time.Duration

	Reporter conformance.Reporter
	Now      func() time.Time
}

// Groups of the built-in checks, in report order.
const (
	GroupBasics     = "basics"
	GroupBatches    = "batches"
	GroupRedelivery = "redelivery"
	GroupIdentities = "identities"
	GroupTolerance  = "tolerance"
	GroupAnswers    = "answers"
	GroupDialogue   = "conversation"
	GroupLoad       = "load"
	GroupSecurity   = "security"
	GroupScenarios  = "scenarios"
)

// need says what a check needs the app to do at all.
type need int

const (
	needNothing need = iota
	needHandle       // some Graph call about a user's message
	needSend         // a message sent back
)

// checkDef is one built-in check: what it sends and what the app must do,
// in words (for -v, --json and the docs), and how it judges.
type checkDef struct {
	ID, Group, Title string
	Sends, Must      string
	needs            need
	run              func(s *suite, ctx context.Context, c conformance.Check) conformance.Check
}

// Checks lists the built-in checks in report order.
func Checks() []checkDef { return builtins() }

// IDs returns the check IDs and groups --only accepts.
func IDs() []string {
	var out []string
	for _, d := range builtins() {
		if !slices.Contains(out, d.Group) {
			out = append(out, d.Group)
		}
		out = append(out, d.ID)
	}
	return append(out, GroupScenarios)
}

// suite is one run's state.
type suite struct {
	opts    Options
	mock    *mockClient
	info    Info
	t       *tracker
	build   builder
	report  *conformance.Report
	nonce   string
	users   int
	appHost string

	// What the first check learnt about the app.
	reached  bool
	handles  bool // it did something about a text message
	replies  bool // it sent a message back
	first    call // its first reply
	baseText string
}

// exitFor maps a finished report to the error carrying the exit code.
func exitFor(ctx context.Context, rep *conformance.Report) error {
	if ctx.Err() != nil {
		return exit.New(exit.Interrupted, ctx.Err())
	}
	switch code := rep.ExitCode(); code {
	case exit.Unreachable:
		return exit.Errorf(code, "could not reach the app at %s: %s", rep.URL, rep.UnreachableReason)
	case exit.OK:
		return nil
	default:
		return exit.Silent(code)
	}
}

// Run runs the suite and returns the report.
func Run(ctx context.Context, opts Options) (*conformance.Report, error) {
	s, err := prepare(opts)
	if err != nil {
		return nil, err
	}
	if s.info, err = s.mock.info(ctx); err != nil {
		return nil, exit.Errorf(exit.Failure, "the mock at %s does not answer its control API: %v", s.opts.Mock, err)
	}
	s.build = builder{info: s.info, now: s.opts.Now}
	if _, err := s.t.mark(ctx); err != nil {
		return nil, exit.Errorf(exit.Failure, "reading the mock's log: %v", err)
	}
	s.run(ctx)
	return s.report, s.opts.Reporter.Finish(s.report)
}

func prepare(opts Options) (*suite, error) {
	if opts.App == "" {
		return nil, exit.Errorf(exit.Usage, "missing the app's webhook URL: pass --app http://127.0.0.1:3000/webhook")
	}
	u, err := url.Parse(opts.App)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, exit.Errorf(exit.Usage, "invalid --app %q: give the app's webhook URL, like http://127.0.0.1:3000/webhook", opts.App)
	}
	if err := checkOnly(opts.Only); err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	if opts.Budget <= 0 {
		opts.Budget = DefaultBudget
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Reporter == nil {
		opts.Reporter = nopReporter{}
	}
	// The control API answers a webhook once the app answered it (or the
	// mock gave up), so its client waits longer than any budget.
	mc := newMockClient(opts.Mock, opts.Budget+opts.Timeout+30*time.Second)
	return &suite{
		opts:    opts,
		mock:    mc,
		t:       &tracker{c: mc},
		report:  &conformance.Report{URL: u.Redacted(), Strict: opts.Strict},
		nonce:   nonce(),
		appHost: u.Host,
	}, nil
}

// checkOnly rejects an unknown --only name, with the likely one.
func checkOnly(only []string) error {
	known := IDs()
	for _, o := range only {
		if slices.Contains(known, o) || strings.HasPrefix(o, "scenario:") {
			continue
		}
		hint := ""
		if c := suggest.Closest(o, known); c != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", c)
		}
		return exit.Errorf(exit.Usage, "invalid --only %q%s: use a check or group of `wa-hooks test --help`, or scenarios", o, hint)
	}
	return nil
}

// selected reports whether --only lets a check run.
func (s *suite) selected(id, group string) bool {
	return len(s.opts.Only) == 0 || slices.Contains(s.opts.Only, id) || slices.Contains(s.opts.Only, group)
}

func (s *suite) run(ctx context.Context) {
	s.opts.Reporter.Start(s.report)
	defs := builtins()
	// The first check runs even when --only leaves it out: the others need
	// to know whether the app replies at all.
	base := s.runCheck(ctx, defs[0])
	if s.selected(defs[0].ID, defs[0].Group) {
		s.add(base)
	}
	// The burst comes last, after the scenarios: an app it overwhelms may
	// take a while to catch up, and that should not fail other checks.
	last := len(defs) - 1
	for _, d := range defs[1:last] {
		s.builtin(ctx, d)
	}
	for _, sc := range s.opts.Scenarios {
		id := "scenario:" + sc.Name
		if !s.selected(id, GroupScenarios) {
			continue
		}
		c := conformance.Check{ID: id, Group: GroupScenarios, Title: sc.Name}
		switch {
		case ctx.Err() != nil:
			c.Status, c.Reason = conformance.Skip, "interrupted"
		case !s.reached:
			c.Status, c.Reason = conformance.Skip, "the app could not be reached"
		default:
			c = s.withLog(ctx, func(ctx context.Context) conformance.Check { return s.runScenario(ctx, sc, c) })
		}
		s.add(c)
	}
	s.builtin(ctx, defs[last])
}

// builtin runs one built-in check when --only and the app let it.
func (s *suite) builtin(ctx context.Context, d checkDef) {
	switch {
	case !s.selected(d.ID, d.Group):
		return
	case ctx.Err() != nil:
		s.add(skipped(d, "interrupted"))
	case !s.reached:
		s.add(skipped(d, "the app could not be reached"))
	case s.unmet(d.needs) != "":
		s.add(skipped(d, s.unmet(d.needs)))
	default:
		s.add(s.runCheck(ctx, d))
	}
}

// unmet says why a check cannot run against this app, or "".
func (s *suite) unmet(n need) string {
	switch {
	case n >= needHandle && !s.handles:
		return "needs the app to reply: it made no Graph call for a plain text message (see the first check)"
	case n >= needSend && !s.replies:
		return "needs the app to send messages: it only marked the text read"
	}
	return ""
}

func skipped(d checkDef, reason string) conformance.Check {
	return conformance.Check{ID: d.ID, Group: d.Group, Title: d.Title, Status: conformance.Skip, Reason: reason}
}

// runCheck runs one built-in check, with what it sends and expects and
// every webhook and Graph call it caused in the detail.
func (s *suite) runCheck(ctx context.Context, d checkDef) conformance.Check {
	c := conformance.Check{ID: d.ID, Group: d.Group, Title: d.Title}
	c = s.withLog(ctx, func(ctx context.Context) conformance.Check { return d.run(s, ctx, c) })
	c.Detail = append([]string{"sends: " + d.Sends, "the app must: " + d.Must}, c.Detail...)
	return c
}

// withLog runs fn and appends the log entries of its run to the check.
func (s *suite) withLog(ctx context.Context, fn func(context.Context) conformance.Check) conformance.Check {
	mark := s.t.seen()
	c := fn(ctx)
	if ctx.Err() != nil && c.Status != conformance.Pass {
		return conformance.Check{ID: c.ID, Group: c.Group, Title: c.Title, Status: conformance.Skip, Reason: "interrupted"}
	}
	_ = s.t.sync(ctx, 0)
	for _, e := range s.t.after(mark) {
		c.Detail = append(c.Detail, entryLine(e))
	}
	return c
}

// entryLine shows one log entry on one line, escaped.
func entryLine(e Entry) string {
	arrow, what := "→", "webhook"
	if e.Kind == "graph" {
		arrow, what = "←", e.Method+" "+e.Path
	} else if e.Field != "" {
		what += " " + e.Field
	}
	status := fmt.Sprint(e.Status)
	if e.Delivery != nil && e.Kind != "graph" {
		status = fmt.Sprint(e.Delivery.Status)
		if e.Delivery.Status == 0 {
			status = "no answer"
		}
	}
	if e.ErrorCode != 0 {
		status += fmt.Sprintf(" (#%d)", e.ErrorCode)
	}
	line := fmt.Sprintf("%s %s %s", arrow, what, status)
	if e.Summary != "" {
		line += ": " + e.Summary
	}
	return termsafe.Line(line)
}

func (s *suite) add(c conformance.Check) {
	c = s.report.Add(c)
	s.opts.Reporter.Check(c)
}

// user creates a fresh simulated user for one check, so that what the app
// does for it cannot be confused with another check's.
func (s *suite) user(ctx context.Context, check, identity string) (User, error) {
	s.users++
	name := fmt.Sprintf("%s-%s-%d", check, s.nonce, s.users)
	u, err := s.mock.createUser(ctx, name, identity, "Test "+check)
	if err != nil {
		return User{}, fmt.Errorf("creating a %s user in the mock: %v", identity, err)
	}
	if u.Name == "" {
		u.Name = name
	}
	return u, nil
}

// users creates n fresh users of one identity.
func (s *suite) usersOf(ctx context.Context, check, identity string, n int) ([]User, error) {
	out := make([]User, n)
	for i := range out {
		u, err := s.user(ctx, check, identity)
		if err != nil {
			return nil, err
		}
		out[i] = u
	}
	return out, nil
}

// noteUnreachable decides, after a webhook got no answer at all, whether
// the app is down (nothing listens) rather than slow.
func (s *suite) down(d Delivery) (bool, string) {
	if d.Status != 0 {
		return false, ""
	}
	conn, err := net.DialTimeout("tcp", s.appHost, 2*time.Second)
	if err != nil {
		var ne net.Error
		why := err.Error()
		if errors.As(err, &ne) && ne.Timeout() {
			why = "connection timed out"
		} else if strings.Contains(why, "refused") {
			why = "connection refused: is the app running on " + s.appHost + "?"
		}
		return true, why
	}
	conn.Close()
	return false, ""
}

// nonce is a short random tag that keeps the names of this run's users
// apart from those of another run against the same mock.
func nonce() string {
	const letters = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

type nopReporter struct{}

func (nopReporter) Start(*conformance.Report)        {}
func (nopReporter) Check(conformance.Check)          {}
func (nopReporter) Finish(*conformance.Report) error { return nil }
