package behaviour

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/conformance"
	"github.com/wa-hooks/wa-hooks/internal/handshake"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

const (
	pass = conformance.Pass
	fail = conformance.Fail
	warn = conformance.Warn
	skip = conformance.Skip
)

const fixAnswer200 = "answer 200 to every correctly signed webhook, even one you do not handle; log it and go on"

func builtins() []checkDef {
	return []checkDef{
		{ID: "reply", Group: GroupBasics, Title: "Replies to a text message",
			Sends: "one text message from a user with a phone number",
			Must:  "answer 200 and call the Graph API about it (a reply or a read mark); the checks marked 'needs a reply' are skipped otherwise",
			run:   (*suite).checkReply},
		{ID: "batch", Group: GroupBatches, Title: "Every message of a batch handled", needs: needHandle,
			Sends: "three messages from three users in one value, two changes in one entry, two entries in one POST",
			Must:  "handle each of the seven messages (a reply or read mark to each user)",
			run:   (*suite).checkBatch},
		{ID: "redelivery", Group: GroupRedelivery, Title: "Retry and duplicate handled once", needs: needHandle,
			Sends: "a text, then the same bytes again (a retry); a text, then the same message in a new body beside a fresh one (a duplicate)",
			Must:  "answer 200 every time and reply to each message once",
			run:   (*suite).checkRedelivery},
		{ID: "no-phone", Group: GroupIdentities, Title: "Users without a phone number answered", needs: needSend,
			Sends: "a text from a BSUID-only user and one from a username-only user (no from, no wa_id)",
			Must:  "answer 200 and reply by recipient (the user's BSUID), which reaches the right user",
			run:   (*suite).checkNoPhone},
		{ID: "unknown-type", Group: GroupTolerance, Title: "Unknown message type, then a text", needs: needHandle,
			Sends: "a message of a type Meta may add later (poll_vote), then a text from the same user",
			Must:  "answer 200 to both and still handle the text",
			run:   (*suite).checkUnknownType},
		{ID: "unknown-field", Group: GroupTolerance, Title: "Unknown field, then a text", needs: needHandle,
			Sends: "a webhook for a field Meta may add later (conversation_insights), then a text",
			Must:  "answer 200 to both and still handle the text",
			run:   (*suite).checkUnknownField},
		{ID: "statuses", Group: GroupAnswers, Title: "Statuses of every kind answered 200",
			Sends: "every status of the catalog: sent, delivered, read, played, failed with each error, out of order",
			Must:  "answer each with 200 (Meta retries anything else for days)",
			run:   (*suite).checkStatuses},
		{ID: "other-fields", Group: GroupAnswers, Title: "Template and account webhooks get 200",
			Sends: "template status, quality and category updates, account and phone number updates (no metadata, no messages)",
			Must:  "answer each with 200 (Meta retries anything else for days)",
			run:   (*suite).checkOtherFields},
		{ID: "taps", Group: GroupDialogue, Title: "Button and list taps understood", needs: needSend,
			Sends: "the text that makes the app offer buttons or a list (--menu or a scenario's menu:, else the first check's text), then a tap on each option from a different user",
			Must:  "reply differently to different choices",
			run:   (*suite).checkTaps},
		{ID: "window", Group: GroupDialogue, Title: "24-hour window respected", needs: needSend,
			Sends: "a text written 25 hours ago (a late retry) from a user whose 24-hour window has closed",
			Must:  "send a template, not free-form text, or follow the 131047 failure of its free-form reply with a template (sending nothing passes too)",
			run:   (*suite).checkWindow},
		{ID: "forged", Group: GroupSecurity, Title: "Forged and unsigned webhooks refused",
			Sends: "a text with a wrong X-Hub-Signature-256 and one with none",
			Must:  "refuse both with 401 or 403 and not act on them (a 5xx is a warning: it crashed instead of refusing)",
			run:   (*suite).checkForged},
		{ID: "burst", Group: GroupLoad, Title: fmt.Sprintf("Answers in time under a burst of %d", Burst),
			Sends: fmt.Sprintf("%d text messages at once from 10 users (each posted by the mock at once, beside its ordered queue, so that they really overlap)", Burst),
			Must:  "answer every one with 200 within the budget (--budget)",
			run:   (*suite).checkBurst},
	}
}

// problem says what is wrong with the app's answer to a webhook that must
// get 200, or "" when it got 200.
func problem(d Delivery, err error) string {
	switch {
	case err != nil:
		return "the mock could not post the webhook: " + err.Error()
	case d.Status == http.StatusOK:
		return ""
	case d.Status == 0:
		why := termsafe.Line(d.Error)
		if why == "" {
			why = "no answer"
		}
		return why
	}
	return "answered " + statusText(d.Status)
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

func failed(c conformance.Check, reason, fix string) conformance.Check {
	c.Status, c.Reason, c.Fix = fail, reason, fix
	return c
}

func passed(c conformance.Check, reason string) conformance.Check {
	c.Status, c.Reason = pass, reason
	return c
}

// broken is the check's result when the suite itself could not go on
// (the mock refused a control call): not the app's fault, so a warning.
func broken(c conformance.Check, err error) conformance.Check {
	c.Status, c.Reason = warn, "could not run: "+err.Error()
	c.Fix = "check that the mock is a wa-hooks mock of the same version (wa-hooks mock)"
	return c
}

func took(d Delivery) string { return " in " + handshake.Round(latency(d)) }

// checkReply: one text, and whether the app calls the Graph API about it.
func (s *suite) checkReply(ctx context.Context, c conformance.Check) conformance.Check {
	u, err := s.user(ctx, "reply", "phone")
	if err != nil {
		return broken(c, err)
	}
	mark, err := s.t.mark(ctx)
	if err != nil {
		return broken(c, err)
	}
	s.baseText = "hello"
	d, err := s.mock.say(ctx, u.Name, s.baseText)
	c.HTTPStatus, c.Latency = d.Status, latency(d)
	if err != nil {
		return broken(c, err)
	}
	if down, why := s.down(d); down {
		s.report.Unreachable, s.report.UnreachableReason = true, why
		return failed(c, "could not reach the app: "+why, "start the app and give its webhook URL to --app")
	}
	s.reached = true
	if p := problem(d, nil); p != "" {
		return failed(c, p+" to a plain text message", fixAnswer200)
	}
	got, err := s.t.until(ctx, mark, s.opts.Timeout, func(es []Entry) bool { return handled(es, u.Name) })
	if err != nil && ctx.Err() == nil {
		return broken(c, err)
	}
	if handled(got, u.Name) {
		s.handles = true
		if ss := sends(got, u.Name); len(ss) > 0 {
			s.replies, s.first = true, ss[0]
			return passed(c, fmt.Sprintf("answered 200%s and replied with %s", took(d), ss[0].req.Type))
		}
		// Give a reply that follows the read mark its chance.
		got, _ = s.t.until(ctx, mark, s.opts.Settle, func(es []Entry) bool { return len(sends(es, u.Name)) > 0 })
		if ss := sends(got, u.Name); len(ss) > 0 {
			s.replies, s.first = true, ss[0]
			return passed(c, fmt.Sprintf("answered 200%s, marked it read and replied with %s", took(d), ss[0].req.Type))
		}
		return passed(c, fmt.Sprintf("answered 200%s and marked it read (no reply)", took(d)))
	}
	if bad := refused(got); len(bad) > 0 {
		return failed(c, "the app's Graph call was refused: "+refusal(bad[0]), fixFor(bad[0]))
	}
	c.Status = warn
	c.Reason = fmt.Sprintf("answered 200%s but made no Graph call within %s: the checks that need a reply are skipped", took(d), s.opts.Timeout)
	c.Fix = "if the app should reply, point its Graph API base URL at " + s.info.GraphBase + " and its access token at the mock's"
	return c
}

// refusal describes a Graph call the mock refused.
func refusal(e Entry) string {
	s := fmt.Sprintf("%s %s answered %s", e.Method, e.Path, statusText(e.Status))
	if e.ErrorCode != 0 {
		s += fmt.Sprintf(" (#%d)", e.ErrorCode)
	}
	if e.Summary != "" {
		s += ": " + e.Summary
	}
	return termsafe.Line(s)
}

func fixFor(e Entry) string {
	switch e.ErrorCode {
	case 190:
		return "give the app the mock's access token (WA_HOOKS_ACCESS_TOKEN of wa-hooks test/mock) as its Bearer token"
	case 100:
		return "send what the Cloud API documents for POST /{phone-number-id}/messages; the error names the parameter"
	}
	return "read the error the mock answered (wa-hooks mock log) and fix the call"
}

// checkBatch: seven messages in the three batch layouts Meta uses.
func (s *suite) checkBatch(ctx context.Context, c conformance.Check) conformance.Check {
	us, err := s.usersOf(ctx, "batch", "phone", 7)
	if err != nil {
		return broken(c, err)
	}
	now := s.opts.Now()
	msg := func(i int) inboundMsg { return s.build.text(us[i], fmt.Sprintf("batch message %d", i+1), now) }
	b := s.build
	layouts := []struct {
		name  string
		users []User
		body  func() ([]byte, error)
	}{
		{"three messages in one value", us[0:3], func() ([]byte, error) {
			return b.body(b.entry(messagesChange(b.value(us[0:3], []inboundMsg{msg(0), msg(1), msg(2)}))))
		}},
		{"two changes in one entry", us[3:5], func() ([]byte, error) {
			return b.body(b.entry(
				messagesChange(b.value(us[3:4], []inboundMsg{msg(3)})),
				messagesChange(b.value(us[4:5], []inboundMsg{msg(4)}))))
		}},
		{"two entries", us[5:7], func() ([]byte, error) {
			return b.body(
				b.entry(messagesChange(b.value(us[5:6], []inboundMsg{msg(5)}))),
				b.entry(messagesChange(b.value(us[6:7], []inboundMsg{msg(6)}))))
		}},
	}
	mark, err := s.t.mark(ctx)
	if err != nil {
		return broken(c, err)
	}
	for _, l := range layouts {
		raw, err := l.body()
		if err != nil {
			return broken(c, err)
		}
		d, err := s.mock.webhook(ctx, raw, SigValid)
		if p := problem(d, err); p != "" {
			return failed(c, fmt.Sprintf("%s: %s", l.name, p), fixAnswer200)
		}
	}
	allHandled := func(es []Entry) bool {
		for _, u := range us {
			if !handled(es, u.Name) {
				return false
			}
		}
		return true
	}
	got, err := s.t.until(ctx, mark, s.opts.Timeout, allHandled)
	if err != nil && ctx.Err() == nil {
		return broken(c, err)
	}
	var missed []string
	firstOnly := true
	for _, l := range layouts {
		n := 0
		for i, u := range l.users {
			if handled(got, u.Name) {
				n++
				if i > 0 {
					firstOnly = false
				}
			} else if i == 0 {
				firstOnly = false
			}
		}
		if n < len(l.users) {
			missed = append(missed, fmt.Sprintf("%s: %d of %d handled", l.name, n, len(l.users)))
		}
	}
	if len(missed) == 0 {
		return passed(c, "7 messages in 3 bodies (one value, two changes, two entries): each handled")
	}
	reason := strings.Join(missed, "; ")
	if firstOnly {
		reason += ": the app reads only the first message of a POST"
	}
	return failed(c, reason, "loop over every entry[], every changes[] and every value.messages[] of each POST: Meta batches up to 1000 updates in one")
}

// checkRedelivery: a retry (same bytes) and a duplicate (same message in a
// new body) must each be answered 200 and replied to once.
func (s *suite) checkRedelivery(ctx context.Context, c conformance.Check) conformance.Check {
	us, err := s.usersOf(ctx, "redelivery", "phone", 3)
	if err != nil {
		return broken(c, err)
	}
	retryUser, dupUser, freshUser := us[0], us[1], us[2]
	now := s.opts.Now()
	var problems []string

	// The retry: the very same bytes, as Meta resends an unanswered POST.
	raw, err := s.build.oneMessage(retryUser, s.build.text(retryUser, "is this sent twice?", now))
	if err != nil {
		return broken(c, err)
	}
	before, after, p, err := s.twice(ctx, retryUser, raw, raw, "")
	if err != nil {
		return broken(c, err)
	}
	if p != "" {
		return failed(c, p, "answer 200 to a retry too: Meta keeps resending what was not answered 200")
	}
	if after > before {
		problems = append(problems, fmt.Sprintf("replied again to a retry (the same bytes): %d message(s), then %d", before, after))
	}

	// The duplicate: the same message (same id) in a new body, beside a
	// fresh message from another user, as Meta delivers a message twice.
	m := s.build.text(dupUser, "and is this one?", now)
	first, err := s.build.oneMessage(dupUser, m)
	if err != nil {
		return broken(c, err)
	}
	second, err := s.build.body(s.build.entry(messagesChange(s.build.value([]User{freshUser, dupUser},
		[]inboundMsg{s.build.text(freshUser, "a new message", now), m}))))
	if err != nil {
		return broken(c, err)
	}
	before, after, p, err = s.twice(ctx, dupUser, first, second, freshUser.Name)
	if err != nil {
		return broken(c, err)
	}
	if p != "" {
		return failed(c, p, "answer 200 to a duplicate too: acknowledge it and skip it by message id")
	}
	if after > before {
		problems = append(problems, fmt.Sprintf("replied again to a duplicate (same message id, new body): %d message(s), then %d", before, after))
	}
	if len(problems) > 0 {
		return failed(c, strings.Join(problems, "; "), "remember the ids of the messages you handled (for days: Meta retries that long) and skip one you have seen, answering 200")
	}
	return passed(c, "a retry and a duplicate: each answered 200, each message replied to once")
}

// twice posts first, waits for the app to handle it and settle, posts
// second, and returns how many messages user got after each. wake is
// another user of the second body, whose handling shows it was read.
func (s *suite) twice(ctx context.Context, u User, first, second []byte, wake string) (before, after int, p string, err error) {
	mark, err := s.t.mark(ctx)
	if err != nil {
		return 0, 0, "", err
	}
	d, err := s.mock.webhook(ctx, first, SigValid)
	if pr := problem(d, err); pr != "" {
		return 0, 0, "the first delivery: " + pr, nil
	}
	if _, err := s.t.until(ctx, mark, s.opts.Timeout, func(es []Entry) bool { return handled(es, u.Name) }); err != nil {
		return 0, 0, "", err
	}
	got, err := s.t.quiet(ctx, mark, s.opts.Settle)
	if err != nil {
		return 0, 0, "", err
	}
	before = len(sends(got, u.Name))
	d, err = s.mock.webhook(ctx, second, SigValid)
	if pr := problem(d, err); pr != "" {
		return 0, 0, "the second delivery: " + pr, nil
	}
	if wake != "" {
		if _, err := s.t.until(ctx, mark, s.opts.Timeout, func(es []Entry) bool { return handled(es, wake) }); err != nil {
			return 0, 0, "", err
		}
	}
	got, err = s.t.quiet(ctx, mark, s.opts.Settle)
	return before, len(sends(got, u.Name)), "", err
}

// checkNoPhone: users with only a BSUID (and a username) must be answered
// by recipient.
func (s *suite) checkNoPhone(ctx context.Context, c conformance.Check) conformance.Check {
	var ok []string
	for _, identity := range []string{"bsuid-only", "username-only"} {
		u, err := s.user(ctx, "no-phone", identity)
		if err != nil {
			return broken(c, err)
		}
		mark, err := s.t.mark(ctx)
		if err != nil {
			return broken(c, err)
		}
		d, err := s.mock.say(ctx, u.Name, "hi, I have no phone number here")
		if p := problem(d, err); p != "" {
			return failed(c, fmt.Sprintf("%s to a message from a %s user (no from, no wa_id)", p, identity),
				"do not assume a phone number: read from_user_id and contacts[].user_id when from and wa_id are absent")
		}
		got, err := s.t.until(ctx, mark, s.opts.Timeout, func(es []Entry) bool { return len(sends(es, u.Name)) > 0 })
		if err != nil && ctx.Err() == nil {
			return broken(c, err)
		}
		if len(sends(got, u.Name)) == 0 {
			reason := fmt.Sprintf("no reply reached the %s user within %s", identity, s.opts.Timeout)
			if bad := refused(got); len(bad) > 0 {
				reason += "; the mock refused " + refusal(bad[0])
			}
			return failed(c, reason, `reply with "recipient": the user's BSUID (from_user_id) when the message has no from; "to" needs a phone number`)
		}
		ok = append(ok, identity)
	}
	return passed(c, "replies reached the "+strings.Join(ok, " and the ")+" user")
}

// unknownThenText posts raw (something the app may not know), checks it is
// answered 200, and then that a text from u is still handled.
func (s *suite) unknownThenText(ctx context.Context, c conformance.Check, u User, raw []byte, what string) conformance.Check {
	mark, err := s.t.mark(ctx)
	if err != nil {
		return broken(c, err)
	}
	d, err := s.mock.webhook(ctx, raw, SigValid)
	c.HTTPStatus, c.Latency = d.Status, latency(d)
	if p := problem(d, err); p != "" {
		return failed(c, p+" to "+what+": Meta retries it for days", "treat what you do not know as unsupported: log it, answer 200 and go on")
	}
	// Let whatever the app does about it happen first, so that it is not
	// taken for the handling of the text.
	if _, err := s.t.quiet(ctx, mark, s.opts.Settle); err != nil {
		return broken(c, err)
	}
	mark, err = s.t.mark(ctx)
	if err != nil {
		return broken(c, err)
	}
	d, err = s.mock.say(ctx, u.Name, "and now a plain text")
	if p := problem(d, err); p != "" {
		return failed(c, p+" to a text after "+what, "treat what you do not know as unsupported: log it, answer 200 and go on")
	}
	got, err := s.t.until(ctx, mark, s.opts.Timeout, func(es []Entry) bool { return handled(es, u.Name) })
	if err != nil && ctx.Err() == nil {
		return broken(c, err)
	}
	if !handled(got, u.Name) {
		return failed(c, fmt.Sprintf("the text after %s was never handled (waited %s): the app stopped on what it does not know", what, s.opts.Timeout),
			"skip a message type or field you do not know (log it) and keep handling the next ones")
	}
	return passed(c, "answered 200 to "+what+" and handled the text after it")
}

func (s *suite) checkUnknownType(ctx context.Context, c conformance.Check) conformance.Check {
	u, err := s.user(ctx, "unknown-type", "phone")
	if err != nil {
		return broken(c, err)
	}
	typ, obj, err := fixtureObject("messages.future_type")
	if err != nil {
		return broken(c, err)
	}
	raw, err := s.build.oneMessage(u, s.build.message(u, typ, obj, s.opts.Now()))
	if err != nil {
		return broken(c, err)
	}
	return s.unknownThenText(ctx, c, u, raw, "a "+typ+" message (a type it does not know)")
}

func (s *suite) checkUnknownField(ctx context.Context, c conformance.Check) conformance.Check {
	u, err := s.user(ctx, "unknown-field", "phone")
	if err != nil {
		return broken(c, err)
	}
	// A field Meta may add later, shaped like the fields it added last
	// (user_preferences, history, smb_message_echoes): with metadata. The
	// fields without metadata are the other-fields check's.
	b := s.build
	raw, err := b.body(b.entry(change{Field: "conversation_insights", Value: map[string]any{
		"messaging_product": "whatsapp",
		"metadata":          metadata{b.display(), b.info.Business.PhoneNumberID},
		"event":             "WEEKLY_DIGEST", "conversations_opened": 412,
	}}))
	if err != nil {
		return broken(c, err)
	}
	return s.unknownThenText(ctx, c, u, raw, "a conversation_insights webhook (a field it does not know)")
}

// answerAll posts each catalog event and wants 200 for every one.
func (s *suite) answerAll(ctx context.Context, c conformance.Check, names []string, what, why string) conformance.Check {
	var bad []string
	for _, name := range names {
		raw, err := s.build.fixtureBody(name)
		if err != nil {
			return broken(c, err)
		}
		d, err := s.mock.webhook(ctx, raw, SigValid)
		if err != nil {
			return broken(c, err)
		}
		if p := problem(d, nil); p != "" {
			bad = append(bad, name+" "+strings.TrimPrefix(p, "answered "))
		}
	}
	if len(bad) > 0 {
		shown := bad
		if len(shown) > 4 {
			shown = append(slices.Clone(shown[:4]), fmt.Sprintf("and %d more", len(bad)-4))
		}
		return failed(c, fmt.Sprintf("%d of %d not answered 200 (%s)%s", len(bad), len(names), strings.Join(shown, ", "), why),
			"answer 200 to every webhook, whatever its field; look at field (and value.messages / value.statuses) before reading anything else")
	}
	return passed(c, fmt.Sprintf("%d %s, each answered 200", len(names), what))
}

func catalogNames(keep func(fixtures.Fixture) bool) []string {
	var out []string
	for _, f := range fixtures.All() {
		if keep(f) {
			out = append(out, f.Name)
		}
	}
	return out
}

func (s *suite) checkStatuses(ctx context.Context, c conformance.Check) conformance.Check {
	names := catalogNames(func(f fixtures.Fixture) bool { return strings.HasPrefix(f.Name, "statuses.") })
	return s.answerAll(ctx, c, names, "status webhooks", ": a status the app does not track still needs 200")
}

// otherFields are the fields without messages the check sends: templates
// and the account's own webhooks.
var otherFields = []string{"message_template_status_update", "message_template_quality_update", "message_template_components_update",
	"template_category_update", "account_update", "account_alerts", "account_review_update", "phone_number_quality_update",
	"phone_number_name_update", "business_capability_update"}

func (s *suite) checkOtherFields(ctx context.Context, c conformance.Check) conformance.Check {
	names := catalogNames(func(f fixtures.Fixture) bool { return slices.Contains(otherFields, f.Field) })
	return s.answerAll(ctx, c, names, "template and account webhooks", ": these have no value.metadata and no messages")
}

// checkTaps: the app's replies to different choices of its own buttons or
// list must differ.
func (s *suite) checkTaps(ctx context.Context, c conformance.Check) conformance.Check {
	trigger, declared := s.menu()
	if !declared && s.first.req.Type != "interactive" {
		c.Status = skip
		c.Reason = fmt.Sprintf("the app answered %q with %s, not buttons or a list: say what makes it offer a choice with --menu TEXT or `menu:` in a scenario file", s.baseText, s.first.req.Type)
		return c
	}
	var replies []string
	var options []string
	for n := 1; n <= 3 && (options == nil || n <= len(options)); n++ {
		u, err := s.user(ctx, "taps", "phone")
		if err != nil {
			return broken(c, err)
		}
		mark, err := s.t.mark(ctx)
		if err != nil {
			return broken(c, err)
		}
		d, err := s.mock.say(ctx, u.Name, trigger)
		if p := problem(d, err); p != "" {
			return failed(c, fmt.Sprintf("%s to %q", p, trigger), fixAnswer200)
		}
		isMenu := func(es []Entry) bool {
			for _, x := range sends(es, u.Name) {
				if len(x.options()) > 0 {
					return true
				}
			}
			return false
		}
		got, err := s.t.until(ctx, mark, s.opts.Timeout, isMenu)
		if err != nil && ctx.Err() == nil {
			return broken(c, err)
		}
		if !isMenu(got) {
			return failed(c, fmt.Sprintf("said %q and got no buttons or list within %s", trigger, s.opts.Timeout),
				"make `menu:` a text your app answers with an interactive button or list message")
		}
		if options == nil {
			for _, x := range sends(got, u.Name) {
				options = x.options()
			}
			if len(options) < 2 {
				c.Status, c.Reason = skip, fmt.Sprintf("the app offered a single option (%q): nothing to compare", options[0])
				return c
			}
		}
		mark, err = s.t.mark(ctx)
		if err != nil {
			return broken(c, err)
		}
		d, err = s.mock.tap(ctx, u.Name, n)
		if p := problem(d, err); p != "" {
			return failed(c, fmt.Sprintf("%s to a tap on option %d (%q)", p, n, options[n-1]), fixAnswer200)
		}
		got, err = s.t.until(ctx, mark, s.opts.Timeout, func(es []Entry) bool { return len(sends(es, u.Name)) > 0 })
		if err != nil && ctx.Err() == nil {
			return broken(c, err)
		}
		ss := sends(got, u.Name)
		if len(ss) == 0 {
			return failed(c, fmt.Sprintf("no reply to a tap on option %d (%q) within %s", n, options[n-1], s.opts.Timeout),
				"handle interactive messages: button_reply and list_reply carry the id of the option the user chose")
		}
		replies = append(replies, ss[0].content())
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(replies)))
	if len(distinct) < len(replies) {
		return failed(c, fmt.Sprintf("the same reply to different choices (%d taps, %d different replies)", len(replies), len(distinct)),
			"read interactive.button_reply.id (or list_reply.id) and answer the choice the user made")
	}
	return passed(c, fmt.Sprintf("%d choices of %q, %d different replies", len(replies), trigger, len(distinct)))
}

// menu is the text that makes the app offer a choice: a scenario's
// `menu:`, else the first check's text.
func (s *suite) menu() (string, bool) {
	if s.opts.Menu != "" {
		return s.opts.Menu, true
	}
	for _, sc := range s.opts.Scenarios {
		if sc.Menu != "" {
			return sc.Menu, true
		}
	}
	return s.baseText, false
}

const fixWindow = "check the user's last message time: after 24 hours send an approved template, or send one when a status fails with 131047"

// checkWindow: a message from 25 hours ago (a late retry) must not get a
// free-form answer, or the app must handle the 131047 failure.
func (s *suite) checkWindow(ctx context.Context, c conformance.Check) conformance.Check {
	u, err := s.user(ctx, "window", "phone")
	if err != nil {
		return broken(c, err)
	}
	then := s.opts.Now().Add(-25 * time.Hour)
	if err := s.mock.closeWindow(ctx, u.Name, then); err != nil {
		return broken(c, err)
	}
	raw, err := s.build.oneMessage(u, s.build.text(u, "are you open tomorrow?", then))
	if err != nil {
		return broken(c, err)
	}
	mark, err := s.t.mark(ctx)
	if err != nil {
		return broken(c, err)
	}
	d, err := s.mock.webhook(ctx, raw, SigValid)
	if p := problem(d, err); p != "" {
		return failed(c, p+" to a message written 25 hours ago", fixAnswer200)
	}
	template := func(es []Entry) bool {
		return slices.ContainsFunc(sends(es, u.Name), func(x call) bool { return x.req.Type == "template" })
	}
	failure := func(es []Entry) bool {
		return slices.ContainsFunc(es, func(e Entry) bool { return e.User == u.Name && e.ErrorCode == 131047 })
	}
	got, err := s.t.until(ctx, mark, s.opts.Timeout, func(es []Entry) bool { return template(es) || failure(es) })
	if err != nil && ctx.Err() == nil {
		return broken(c, err)
	}
	switch {
	case template(got) && !failure(got):
		return passed(c, "answered a user outside the 24-hour window with a template")
	case !failure(got) && len(sends(got, u.Name)) == 0:
		return passed(c, "sent nothing to a user outside the 24-hour window")
	case !failure(got):
		// The mock fails such a send at delivery; no 131047 within the
		// timeout left the app no time to follow up, but the free-form
		// send to a closed window is the mistake itself.
		return failed(c, fmt.Sprintf("sent free-form text to a user whose last message is 25 hours old (no 131047 status reached it within %s)", s.opts.Timeout),
			fixWindow)
	}
	// The free-form reply failed with 131047; a template should follow.
	got, err = s.t.until(ctx, mark, s.opts.Timeout, template)
	if err != nil && ctx.Err() == nil {
		return broken(c, err)
	}
	if template(got) {
		return passed(c, "its free-form reply failed with 131047 and it followed up with a template")
	}
	return failed(c, fmt.Sprintf("sent free-form text to a user outside the 24-hour window; it failed with 131047 and no template followed within %s", s.opts.Timeout),
		fixWindow)
}

// checkBurst: Burst webhooks at once, each answered 200 within the budget.
func (s *suite) checkBurst(ctx context.Context, c conformance.Check) conformance.Check {
	us, err := s.usersOf(ctx, "burst", "phone", 10)
	if err != nil {
		return broken(c, err)
	}
	bodies := make([][]byte, Burst)
	now := s.opts.Now()
	for i := range bodies {
		u := us[i%len(us)]
		if bodies[i], err = s.build.oneMessage(u, s.build.text(u, fmt.Sprintf("burst %d", i+1), now)); err != nil {
			return broken(c, err)
		}
	}
	results, err := s.burst(ctx, bodies)
	if err != nil {
		return broken(c, err)
	}
	var slowest time.Duration
	late, refusedN, lost := 0, 0, 0
	for _, d := range results {
		slowest = max(slowest, latency(d))
		switch {
		case d.Status == 0:
			lost++
		case d.Status != http.StatusOK:
			refusedN++
		case latency(d) > s.opts.Budget:
			late++
		}
	}
	c.Latency = slowest
	if bad := late + refusedN + lost; bad > 0 {
		var parts []string
		if lost > 0 {
			parts = append(parts, fmt.Sprintf("%d got no answer", lost))
		}
		if late > 0 {
			parts = append(parts, fmt.Sprintf("%d answered after %s", late, s.opts.Budget))
		}
		if refusedN > 0 {
			parts = append(parts, fmt.Sprintf("%d answered non-200", refusedN))
		}
		return failed(c, fmt.Sprintf("%d of %d webhooks at once not answered 200 within %s: %s (slowest %s)", bad, Burst, s.opts.Budget, strings.Join(parts, ", "), handshake.Round(slowest)),
			"answer 200 at once and do the work afterwards (a queue or a goroutine); do not hold one lock across requests")
	}
	return passed(c, fmt.Sprintf("%d webhooks at once, each answered 200, the slowest in %s (budget %s)", Burst, handshake.Round(slowest), s.opts.Budget))
}

// burst has the mock post bodies to the app all at once: each call asks
// for "concurrent", so the mock posts it on its own beside its ordered
// queue (signed, logged, bounded by its webhook timeout), and the
// messages' own time opens the users' windows.
func (s *suite) burst(ctx context.Context, bodies [][]byte) ([]Delivery, error) {
	results := make([]Delivery, len(bodies))
	errs := make([]error, len(bodies))
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Go(func() { results[i], errs[i] = s.mock.concurrent(ctx, bodies[i]) })
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// checkForged: a forged and an unsigned webhook must be refused and must
// not make the app act.
func (s *suite) checkForged(ctx context.Context, c conformance.Check) conformance.Check {
	us, err := s.usersOf(ctx, "forged", "phone", 2)
	if err != nil {
		return broken(c, err)
	}
	mark, err := s.t.mark(ctx)
	if err != nil {
		return broken(c, err)
	}
	kinds := []struct{ sig, name string }{{SigForged, "a forged signature"}, {SigMissing, "no signature"}}
	var answers, warnings []string
	for i, k := range kinds {
		raw, err := s.build.oneMessage(us[i], s.build.text(us[i], "transfer all the money", s.opts.Now()))
		if err != nil {
			return broken(c, err)
		}
		d, err := s.mock.webhook(ctx, raw, k.sig)
		if err != nil {
			return broken(c, err)
		}
		switch {
		case d.Status == http.StatusUnauthorized || d.Status == http.StatusForbidden:
			answers = append(answers, fmt.Sprintf("%s refused with %d", k.name, d.Status))
		case d.Status >= 200 && d.Status < 300:
			return failed(c, fmt.Sprintf("accepted a webhook with %s (%s): anyone can post to the app", k.name, statusText(d.Status)), fixSignature)
		case d.Status >= 500:
			warnings = append(warnings, fmt.Sprintf("%s answered %s: it crashed instead of refusing", k.name, statusText(d.Status)))
		case d.Status == 0:
			warnings = append(warnings, fmt.Sprintf("%s got no answer (%s)", k.name, termsafe.Line(d.Error)))
		default:
			warnings = append(warnings, fmt.Sprintf("%s refused with %s; 401 or 403 says why", k.name, statusText(d.Status)))
		}
	}
	got, err := s.t.quiet(ctx, mark, s.opts.Settle)
	if err != nil && ctx.Err() == nil {
		return broken(c, err)
	}
	for i, k := range kinds {
		if cs := calls(got, us[i].Name); len(cs) > 0 {
			return failed(c, fmt.Sprintf("acted on a webhook with %s: it called %s about its user", k.name, termsafe.Line(cs[0].Path)), fixSignature)
		}
	}
	if len(warnings) > 0 {
		c.Status, c.Reason = warn, strings.Join(warnings, "; ")
		c.Fix = fixSignature
		return c
	}
	return passed(c, strings.Join(answers, ", ")+"; no Graph call followed")
}

const fixSignature = "verify X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the App Secret, compared in constant time) before anything else, and answer 401 when it is missing or wrong"
