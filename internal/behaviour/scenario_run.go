package behaviour

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/conformance"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// runScenario plays a scenario's steps against the app through the mock
// and judges each expectation; the first unmet one fails the check.
func (s *suite) runScenario(ctx context.Context, sc *Scenario, c conformance.Check) conformance.Check {
	names := map[string]string{} // scenario name → the mock's user name
	for _, su := range sc.Users {
		s.users++
		name := fmt.Sprintf("%s-%s-%d", su.Name, s.nonce, s.users)
		profile := su.ProfileName
		if profile == "" {
			profile = su.Name
		}
		u, err := s.mock.createUser(ctx, name, su.Identity, profile)
		if err != nil {
			return broken(c, fmt.Errorf("creating user %s in the mock: %v", su.Name, err))
		}
		if u.Name != "" {
			name = u.Name
		}
		names[su.Name] = name
	}
	timeout := sc.Timeout
	if timeout <= 0 {
		timeout = s.opts.Timeout
	}
	met := 0
	for i, st := range sc.Steps {
		where := fmt.Sprintf("step %d (%s, line %d)", i+1, describeStep(st), st.Line)
		mark, err := s.t.mark(ctx)
		if err != nil {
			return broken(c, err)
		}
		if reason, fix := s.act(ctx, st, names[st.User]); reason != "" {
			return failed(c, where+": "+reason, fix)
		}
		used := map[uint64]bool{}
		for _, e := range st.Expect {
			within := e.Within
			if within <= 0 {
				within = timeout
				if e.Kind == ExpectNothing {
					within = s.opts.Settle
				}
			}
			if reason := s.expect(ctx, mark, e, names[e.To], within, used); reason != "" {
				return failed(c, fmt.Sprintf("%s, line %d: %s", where, e.Line, reason), fixExpect(e))
			}
			met++
		}
	}
	return passed(c, fmt.Sprintf("%d steps, %d expectations met", len(sc.Steps), met))
}

func describeStep(st Step) string {
	switch st.Kind {
	case StepSay:
		return fmt.Sprintf("%s says %q", st.User, cut(st.Text, 40))
	case StepSend:
		return fmt.Sprintf("%s sends %s", st.User, st.Fixture)
	case StepTap:
		return fmt.Sprintf("%s taps %d", st.User, st.Option)
	case StepRead:
		return st.User + " reads"
	}
	return "wait " + st.Wait.String()
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// act performs a step; a non-empty reason is why it failed.
func (s *suite) act(ctx context.Context, st Step, user string) (reason, fix string) {
	var d Delivery
	var err error
	switch st.Kind {
	case StepSay:
		d, err = s.mock.say(ctx, user, st.Text)
	case StepSend:
		d, err = s.mock.send(ctx, user, st.Fixture, st.Set)
	case StepTap:
		d, err = s.mock.tap(ctx, user, st.Option)
	case StepRead:
		d, err = s.mock.read(ctx, user)
	case StepWait:
		t := time.NewTimer(st.Wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		return "", ""
	}
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == "nothing_to_tap" {
		return "nothing to tap: the app sent " + st.User + " no buttons or list", "make the step before it get buttons or a list from the app"
	}
	if p := problem(d, err); p != "" {
		return p, fixAnswer200
	}
	return "", ""
}

// expect waits for one expectation over the entries after mark, not
// counting the calls an earlier expectation of the step matched.
func (s *suite) expect(ctx context.Context, mark int64, e Expectation, user string, within time.Duration, used map[uint64]bool) string {
	fresh := func(es []Entry) []call {
		var out []call
		for _, c := range calls(es, user) {
			if !used[c.Seq] && accepted(c.Entry) {
				out = append(out, c)
			}
		}
		return out
	}
	if e.Kind == ExpectNothing {
		got, _ := s.t.quiet(ctx, mark, within)
		for _, c := range fresh(got) {
			if !c.isRead() {
				return fmt.Sprintf("expected no message to %s within %s; it sent %s", e.To, within, shown(c))
			}
		}
		return ""
	}
	// take waits for a fresh call that ok accepts, and marks it used.
	take := func(ok func(call) bool) (bool, []Entry) {
		find := func(es []Entry) *call {
			for _, c := range fresh(es) {
				if ok(c) {
					return &c
				}
			}
			return nil
		}
		got, _ := s.t.until(ctx, mark, within, func(es []Entry) bool { return find(es) != nil })
		if c := find(got); c != nil {
			used[c.Seq] = true
			return true, got
		}
		return false, got
	}
	if e.Kind == ExpectRead {
		if ok, _ := take(call.isRead); ok {
			return ""
		}
		return fmt.Sprintf("expected the app to mark %s's message read within %s; it did not", e.To, within)
	}
	ok, got := take(func(c call) bool { return !c.isRead() && e.matches(c) })
	if ok {
		return ""
	}
	want := "expected " + e.describe()
	var seen []string
	for _, c := range fresh(got) {
		if !c.isRead() {
			seen = append(seen, shown(c))
		}
	}
	if len(seen) == 0 {
		if bad := refused(got); len(bad) > 0 {
			return fmt.Sprintf("%s within %s; the mock refused %s", want, within, refusal(bad[0]))
		}
		return fmt.Sprintf("%s within %s; it sent %s nothing", want, within, e.To)
	}
	return fmt.Sprintf("%s within %s; it sent %s", want, within, strings.Join(seen, ", "))
}

func (e Expectation) matches(c call) bool {
	if e.Type != "any" && e.Type != c.req.Type {
		return false
	}
	if e.Text != nil && !e.Text.MatchString(c.text()) {
		return false
	}
	if e.Buttons != nil && !slices.Equal(e.Buttons, c.options()) {
		return false
	}
	return true
}

func (e Expectation) describe() string {
	s := "a message"
	if e.Type != "any" {
		s = e.Type
	}
	s += " to " + e.To
	if e.Text != nil {
		s += " matching " + e.Text.String()
	}
	if e.Buttons != nil {
		s += " with buttons [" + strings.Join(e.Buttons, ", ") + "]"
	}
	return s
}

// shown is what the app sent, in a few words, escaped.
func shown(c call) string {
	s := c.req.Type
	if t := c.text(); t != "" {
		s += fmt.Sprintf(" %q", cut(t, 60))
	}
	if o := c.options(); len(o) > 0 {
		s += " [" + strings.Join(o, ", ") + "]"
	}
	return termsafe.Line(s)
}

func fixExpect(e Expectation) string {
	switch e.Kind {
	case ExpectNothing:
		return "the app must stay silent here; see what it sent with -v"
	case ExpectRead:
		return `mark the message read: POST /{phone-number-id}/messages {"messaging_product":"whatsapp","status":"read","message_id":…}`
	}
	return "see every webhook and Graph call of the scenario with -v, and `wa-hooks mock log`"
}
