package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"

	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// PrettyOptions tune the human event log.
type PrettyOptions struct {
	// Raw also prints each request body, pretty-printed.
	Raw bool
	// Headers also prints each request's headers (-v), and forwarded apps'
	// whole response bodies.
	Headers bool
	// Width truncates summaries to fit; 0 never truncates (not a terminal).
	Width int
	// Location for times; nil means time.Local.
	Location *time.Location
}

// Pretty writes one line per event for people.
type Pretty struct {
	w    io.Writer
	st   Styles
	opts PrettyOptions
}

// NewPretty returns the human renderer writing to w with r's colours.
func NewPretty(w io.Writer, r *lipgloss.Renderer, opts PrettyOptions) *Pretty {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	return &Pretty{w: w, st: NewStyles(r), opts: opts}
}

// Styles returns the styles in use.
func (p *Pretty) Styles() Styles { return p.st }

const (
	kindWidth = 8
	typeWidth = 26
	indent    = "           " // lines that belong to the line above
)

func (p *Pretty) clock(t time.Time) string {
	return p.st.Dim.Render(t.In(p.opts.Location).Format("15:04:05"))
}

func (p *Pretty) badge(s Signature) string {
	switch s {
	case SigValid:
		return p.st.OK.Render("✓")
	case SigInvalid:
		return p.st.Fail.Render("✗")
	case SigMissing:
		return p.st.Fail.Render("∅")
	default:
		return p.st.Warn.Render("?")
	}
}

// SignatureLegend explains the badges (for the banner).
func (p *Pretty) SignatureLegend() string {
	return fmt.Sprintf("%s signed  %s bad signature  %s no signature  %s unchecked (no App Secret)",
		p.badge(SigValid), p.badge(SigInvalid), p.badge(SigMissing), p.badge(SigUnchecked))
}

// IsFailure reports whether an event is bad news: a failed status, an
// error item, or a message that carries errors.
func IsFailure(e Event) bool {
	return e.Kind == "error" || e.Type == "status.failed" || len(e.Errors) > 0
}

func (p *Pretty) kindStyle(e Event) lipgloss.Style {
	switch {
	case IsFailure(e):
		return p.st.Error
	case e.Kind == "message":
		return p.st.Message
	case e.Kind == "status":
		return p.st.Status
	}
	return p.st.Other
}

// Received prints the events of one answered POST.
func (p *Pretty) Received(req Request, events []Event) {
	var b strings.Builder
	if len(events) == 0 {
		fmt.Fprintf(&b, "%s %s %s %s\n", p.clock(req.Time), p.badge(req.Signature),
			p.st.Dim.Render(fmt.Sprintf("%-*s", kindWidth, "request")),
			p.st.Dim.Render(fmt.Sprintf("POST %s answered %d: an envelope with no events", req.Path, req.Status)))
	}
	for _, e := range events {
		p.eventLine(&b, e)
	}
	if p.opts.Headers {
		p.headers(&b, req.Header)
	}
	if p.opts.Raw {
		p.raw(&b, req.Body)
	}
	io.WriteString(p.w, b.String())
}

func (p *Pretty) eventLine(b *strings.Builder, e Event) {
	ks := p.kindStyle(e)
	kind := fmt.Sprintf("%-*s", kindWidth, kindLabel(e.Event))
	typ := fmt.Sprintf("%-*s", typeWidth, e.Type)
	who := Counterpart(e.Event)

	var marks []string
	if IsFailure(e) {
		marks = append(marks, p.st.BadgeFail.Render(" FAILED "))
	}
	switch {
	case e.Retry:
		marks = append(marks, p.st.BadgeWarn.Render(fmt.Sprintf(" RETRY #%d ", e.Copy))+
			p.st.Warn.Render(" "+firstSeen(e)))
	case e.Duplicate:
		marks = append(marks, p.st.BadgeWarn.Render(" DUPLICATE ")+p.st.Warn.Render(" "+firstSeen(e)))
	}
	if e.Stale {
		marks = append(marks, p.st.BadgeInfo.Render(" STALE ")+p.st.Info.Render(" "+HumanAge(e.Age)+" old"))
	}
	id := ShortID(e.ID)

	summary := e.Summary
	if p.opts.Width > 0 {
		used := 8 + 1 + 1 + 1 + kindWidth + 1 + max(typeWidth, runewidth.StringWidth(e.Type)) + 1
		if who != "" {
			used += runewidth.StringWidth(who) + 2
		}
		for _, m := range marks {
			used += lipgloss.Width(m) + 1
		}
		if id != "" {
			used += runewidth.StringWidth(id) + 2
		}
		if room := p.opts.Width - used; room < runewidth.StringWidth(summary) {
			summary = runewidth.Truncate(summary, max(room, 32), "…")
		}
	}
	summary = oneLine(summary)

	fmt.Fprintf(b, "%s %s %s %s", p.clock(e.Received), p.badge(e.Signature), ks.Render(kind), ks.Bold(IsFailure(e)).Render(typ))
	if who != "" {
		fmt.Fprintf(b, " %s ", p.st.Bold.Render(who))
	}
	if summary != "" {
		if IsFailure(e) {
			summary = p.st.Fail.Render(summary)
		}
		fmt.Fprintf(b, " %s", summary)
	}
	for _, m := range marks {
		fmt.Fprintf(b, " %s", m)
	}
	if id != "" {
		fmt.Fprintf(b, "  %s", p.st.Dim.Render(id))
	}
	b.WriteByte('\n')
}

func firstSeen(e Event) string {
	s := "first seen " + e.FirstSeen.Format("15:04:05")
	if d := e.Received.Sub(e.FirstSeen); d >= time.Second {
		s += fmt.Sprintf(" (%s earlier)", HumanAge(d))
	}
	if e.FirstRequest != 0 {
		s += fmt.Sprintf(" in request #%d", e.FirstRequest)
	}
	return s
}

// kindLabel is the kind column: message, status and error for the messages
// field, "event" for other fields (whose type already names the field).
func kindLabel(e webhook.Event) string {
	switch e.Kind {
	case "message", "status", "error":
		return e.Kind
	}
	return "event"
}

// Counterpart names who the event is about: the sender of a message (number
// or BSUID, and profile name), the recipient of a status.
func Counterpart(e webhook.Event) string {
	from, to, name := e.From, e.Recipient, e.ContactName
	switch {
	case from != "" && name != "":
		return from + " (" + name + ")"
	case from != "":
		return from
	case to != "" && name != "":
		return "→ " + to + " (" + name + ")"
	case to != "":
		return "→ " + to
	case name != "":
		return name
	}
	return ""
}

// ShortID is the tail of a message id, enough to tell events apart on screen
// (the full id is in --json and --raw).
func ShortID(id string) string {
	id = strings.TrimRight(id, "=")
	const n = 10
	if len(id) <= n+2 {
		return id
	}
	return "…" + id[len(id)-n:]
}

// HumanAge prints a duration the way people say it: 3s, 4m, 2h5m, 3d4h.
func HumanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%dh%dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dd", int(d.Hours())/24)
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func (p *Pretty) headers(b *strings.Builder, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s %s\n", indent, p.st.Key.Render(k+":"), p.st.Dim.Render(v))
		}
	}
}

func (p *Pretty) raw(b *strings.Builder, body []byte) {
	var out bytes.Buffer
	if err := json.Indent(&out, body, indent, "  "); err != nil {
		out.Reset()
		out.Write(body)
	}
	b.WriteString(indent)
	b.Write(out.Bytes())
	b.WriteByte('\n')
}

// Problem prints a request-level failure, in red, with its hint.
func (p *Pretty) Problem(pr Problem) {
	var b strings.Builder
	r := pr.Request
	badge := p.st.Fail.Render("✗")
	if pr.Kind == ProblemSignature {
		badge = p.badge(r.Signature)
	}
	style := p.st.Fail
	if pr.Kind == ProblemNotFound || pr.Kind == ProblemMethod {
		style = p.st.Warn // strays (favicon, scanners) are not the user's bug
	}
	status := fmt.Sprint(r.Status)
	if pr.Accepted {
		status = "200 (--accept-invalid)"
	}
	fmt.Fprintf(&b, "%s %s %s %s\n", p.clock(r.Time), badge,
		style.Render(fmt.Sprintf("%-*s", kindWidth, status)),
		style.Render(fmt.Sprintf("%s %s: %s", r.Method, r.Path, oneLine(pr.Message))))
	if pr.Hint != "" {
		fmt.Fprintf(&b, "%s%s %s\n", indent, p.st.Warn.Render("hint:"), pr.Hint)
	}
	if p.opts.Headers {
		p.headers(&b, r.Header)
	}
	if p.opts.Raw && len(r.Body) > 0 && pr.Kind != ProblemTooLarge {
		p.raw(&b, r.Body)
	}
	io.WriteString(p.w, b.String())
}

// Handshake prints an accepted verification request.
func (p *Pretty) Handshake(h Handshake) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s\n", p.clock(h.Request.Time), p.st.OK.Render("✓"),
		p.st.OK.Render(fmt.Sprintf("%-*s", kindWidth, "verify")),
		fmt.Sprintf("GET %s: handshake accepted, answered 200 with the challenge %q", h.Request.Path, truncateRunes(h.Challenge, 40)))
	if p.opts.Headers {
		p.headers(&b, h.Request.Header)
	}
	io.WriteString(p.w, b.String())
}

// Forwarded prints what the user's app answered, under the request's lines.
func (p *Pretty) Forwarded(f Forward) {
	var b strings.Builder
	what := "app"
	if f.Handshake {
		what = "app (handshake)"
	}
	switch {
	case f.Dropped > 0:
		fmt.Fprintf(&b, "%s%s %s\n", indent, p.st.Fail.Render("↳ "+what+":"), f.Err)
	case f.Err != "":
		fmt.Fprintf(&b, "%s%s %s\n", indent, p.st.Fail.Render("↳ "+what+" failed:"), f.Err)
	default:
		st := p.st.OK
		if !f.OK() {
			st = p.st.Fail
		}
		line := fmt.Sprintf("↳ %s %d %s in %s", what, f.Status, http.StatusText(f.Status), roundLatency(f.Latency))
		if f.Handshake && f.Status == http.StatusOK && !f.ChallengeOK {
			line += ", but the body is not the challenge: Meta would refuse it"
		}
		fmt.Fprintf(&b, "%s%s %s\n", indent, st.Render(line), p.st.Dim.Render(fmt.Sprintf("(request #%d)", f.Request)))
		if f.Status/100 != 2 && len(f.Body) > 0 {
			body := string(f.Body)
			if !p.opts.Headers {
				body = truncateRunes(oneLine(body), 200)
			}
			for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
				fmt.Fprintf(&b, "%s  %s\n", indent, p.st.Dim.Render(l))
			}
		}
	}
	io.WriteString(p.w, b.String())
}

// Summary prints the end-of-run summary.
func (p *Pretty) Summary(s Summary) { WriteSummary(p.w, p.st, s) }

func roundLatency(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
