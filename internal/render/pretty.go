package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/wa-hooks/wa-hooks/internal/termsafe"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// PrettyOptions tune the human event log.
type PrettyOptions struct {
	// Raw also prints each request body, pretty-printed.
	Raw bool
	// Headers also prints each request's headers (-v), forwarded apps'
	// whole response bodies and each event's problems, and lists every
	// event of a run of alike ones instead of one line with a count.
	Headers bool
	// Width fits every line to a terminal this wide; 0 never shortens
	// anything (not a terminal: files and pipes get everything).
	Width int
	// Location for times; nil means time.Local.
	Location *time.Location
	// Secrets (App Secret, verify token) are masked in everything printed
	// that came from outside: an app's error page may echo them.
	Secrets []string
}

// Pretty writes one line per event for people.
type Pretty struct {
	w    io.Writer
	st   Styles
	opts PrettyOptions
	// plain is set when the renderer has no colours: styles are then the
	// identity, and Render (a fifth of serve's CPU with colour off) is not
	// called at all.
	plain bool
	// badges caches the rendered signature badges.
	badges map[Signature]string
	// last is the request whose lines were printed last; recent names
	// what the last few requests were, so that a forward result printed
	// under another request's lines says which event it belongs to.
	last   uint64
	recent recentRequests
}

// recentRequests remembers what the last recentSize requests were.
type recentRequests struct {
	what map[uint64]string
	ring [recentSize]uint64
	next int
}

const recentSize = 256

func (r *recentRequests) add(seq uint64, what string) {
	if r.what == nil {
		r.what = make(map[uint64]string, recentSize)
	}
	if old := r.ring[r.next]; old != 0 {
		delete(r.what, old)
	}
	r.ring[r.next] = seq
	r.next = (r.next + 1) % recentSize
	r.what[seq] = what
}

// printed notes that request seq's lines were just printed.
func (p *Pretty) printed(seq uint64, what string) {
	p.last = seq
	if seq != 0 {
		p.recent.add(seq, what)
	}
}

// NewPretty returns the human renderer writing to w with r's colours.
func NewPretty(w io.Writer, r *lipgloss.Renderer, opts PrettyOptions) *Pretty {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	p := &Pretty{w: w, st: NewStyles(r), opts: opts, plain: r.ColorProfile() == termenv.Ascii}
	p.badges = map[Signature]string{
		SigValid:     p.paint(p.st.OK, "✓"),
		SigInvalid:   p.paint(p.st.Fail, "✗"),
		SigMissing:   p.paint(p.st.Fail, "∅"),
		SigUnchecked: p.paint(p.st.Warn, "?"),
	}
	return p
}

// Styles returns the styles in use.
func (p *Pretty) Styles() Styles { return p.st }

const (
	kindWidth = 8
	typeWidth = 26
	// reqWidth is the request number column ("#12 "), wider numbers push.
	reqWidth = 5
	// minSummary is how much of a summary a line keeps before the
	// counterpart and id columns give way.
	minSummary = 20
	// indentWidth puts lines that belong to the line above under its
	// request number.
	indentWidth = 11
)

var indent = strings.Repeat(" ", indentWidth)

// paint renders s in style, or returns it as is when colour is off.
func (p *Pretty) paint(st lipgloss.Style, s string) string {
	if p.plain || s == "" {
		return s
	}
	return st.Render(s)
}

// safe prepares outside text for one line.
func (p *Pretty) safe(s string) string { return safe(s, p.opts.Secrets) }

func (p *Pretty) clock(t time.Time) string {
	var b [8]byte
	return p.paint(p.st.Dim, string(t.In(p.opts.Location).AppendFormat(b[:0], "15:04:05")))
}

func (p *Pretty) badge(s Signature) string {
	if b, ok := p.badges[s]; ok {
		return b
	}
	return p.badges[SigUnchecked]
}

func reqLabel(n uint64) string {
	if n == 0 {
		return strings.Repeat(" ", reqWidth)
	}
	b := strconv.AppendUint(append(make([]byte, 0, reqWidth+4), '#'), n, 10)
	for len(b) < reqWidth || b[len(b)-1] != ' ' {
		b = append(b, ' ')
	}
	return string(b)
}

// kindCell is the kind column: label padded to kindWidth.
func kindCell(label string) string {
	if len(label) >= kindWidth {
		return label
	}
	return label + strings.Repeat(" ", kindWidth-len(label))
}

// SignatureLegend explains the badges (for the banner).
func (p *Pretty) SignatureLegend() string {
	return fmt.Sprintf("%s signed  %s bad signature  %s no signature  %s unchecked (no App Secret)",
		p.badge(SigValid), p.badge(SigInvalid), p.badge(SigMissing), p.badge(SigUnchecked))
}

// IsFailure reports whether an event is bad news: a failed status, an
// error item, or a message that carries errors.
func IsFailure(e Event) bool {
	return e.Kind == webhook.KindError || e.Type == "status.failed" || len(e.Errors) > 0
}

func (p *Pretty) kindStyle(e Event) lipgloss.Style {
	switch {
	case IsFailure(e):
		return p.st.Error
	case e.Kind == webhook.KindMessage:
		return p.st.Message
	case e.Kind == webhook.KindStatus:
		return p.st.Status
	case e.Kind == webhook.KindEcho:
		return p.st.Info
	case e.Kind == webhook.KindStandby:
		return p.st.Warn
	case e.Kind == webhook.KindHistory:
		return p.st.Key
	case e.Kind == webhook.KindUnknown || e.Unknown:
		return p.st.Warn
	}
	return p.st.Other
}

// Received prints the events of one answered POST. A run of alike events
// (a flood of one message in one body) is one line with a count, unless
// -v asked for every line.
func (p *Pretty) Received(req Request, events []Event) {
	var b strings.Builder
	if len(events) == 0 {
		p.writeLine(&b, fmt.Sprintf("%s %s %s%s %s", p.clock(req.Time), p.badge(req.Signature), reqLabel(req.Seq),
			p.paint(p.st.Dim, fmt.Sprintf("%-*s", kindWidth, "request")),
			p.paint(p.st.Dim, fmt.Sprintf("POST %s answered %d: an envelope with no events", p.safe(req.Path), req.Status))))
	}
	for i := 0; i < len(events); {
		n := 1
		if !p.opts.Headers {
			for i+n < len(events) && alike(events[i], events[i+n]) {
				n++
			}
		}
		p.eventLine(&b, events[i], n)
		i += n
	}
	if p.opts.Headers {
		p.headers(&b, req.Header)
	}
	if p.opts.Raw {
		p.raw(&b, req.Body)
	}
	if len(events) > 0 {
		p.printed(req.Seq, p.what(events[0]))
	} else {
		p.printed(req.Seq, "an empty envelope")
	}
	io.WriteString(p.w, b.String())
}

// alike reports whether two events would print the same line but for
// their id.
func alike(a, b Event) bool {
	return a.Kind == b.Kind && a.Type == b.Type && a.Summary == b.Summary && a.From == b.From &&
		a.Recipient == b.Recipient && a.ContactName == b.ContactName && a.Signature == b.Signature &&
		a.Duplicate == b.Duplicate && a.Retry == b.Retry && a.Stale == b.Stale && a.Unknown == b.Unknown &&
		len(a.Problems) == len(b.Problems) && len(a.Errors) == len(b.Errors)
}

// what names an event for a line printed away from it.
func (p *Pretty) what(e Event) string {
	s := e.Type
	if who := Counterpart(e.Event); who != "" {
		s += " " + who
	}
	return p.safe(s)
}

// mark is a marker after the summary, in a long form and a short one for
// narrow terminals.
type mark struct {
	long, short string
	style       lipgloss.Style
	badge       bool // inverse label: padded with a space each side
	detail      bool // dropped first on a very narrow terminal
}

func (p *Pretty) marks(e Event, count int) []mark {
	var ms []mark
	if IsFailure(e) {
		ms = append(ms, mark{"FAILED", "FAILED", p.st.BadgeFail, true, false})
	}
	switch {
	case e.Retry:
		ms = append(ms, mark{fmt.Sprintf("RETRY #%d", e.Copy), fmt.Sprintf("RETRY #%d", e.Copy), p.st.BadgeWarn, true, false},
			mark{firstSeen(e), fmt.Sprintf("of #%d", e.FirstRequest), p.st.Warn, false, true})
	case e.Duplicate:
		ms = append(ms, mark{"DUPLICATE", "DUP", p.st.BadgeWarn, true, false},
			mark{firstSeen(e), fmt.Sprintf("of #%d", e.FirstRequest), p.st.Warn, false, true})
	}
	if e.Stale {
		ms = append(ms, mark{"STALE", "STALE", p.st.BadgeInfo, true, false}, mark{HumanAge(e.Age) + " old", HumanAge(e.Age), p.st.Info, false, true})
	}
	if e.Kind == webhook.KindStandby {
		ms = append(ms, mark{"another app holds this thread: do not reply", "no reply", p.st.Warn, false, true})
	}
	if e.Unknown {
		ms = append(ms, mark{"UNKNOWN", "UNKNOWN", p.st.BadgeWarn, true, false})
	}
	if n := len(e.Problems); n > 0 {
		long := "⚠ " + p.safe(e.Problems[0])
		if n > 1 {
			long += fmt.Sprintf(" (+%d more)", n-1)
		}
		ms = append(ms, mark{long, fmt.Sprintf("⚠%d", n), p.st.Warn, false, false})
	}
	if count > 1 {
		ms = append(ms, mark{fmt.Sprintf("×%d alike (-v lists each)", count), fmt.Sprintf("×%d", count), p.st.BadgeInfo, false, false})
	}
	return ms
}

// eventLine prints one event (count > 1: the first of a run of alike
// ones). On a terminal the line is fitted to the width: the summary gives
// way first down to minSummary, then the markers shorten, the id tail and
// the counterpart go, the type shortens, and the summary takes what is left.
func (p *Pretty) eventLine(b *strings.Builder, e Event, count int) {
	typ := p.safe(e.Type)
	who := p.safe(Counterpart(e.Event))
	summary := p.safe(e.Summary)
	id := p.safe(ShortID(e.ID))
	ms := p.marks(e, count)
	req := reqLabel(e.Request)
	head := func() int { return 8 + 1 + 1 + 1 + len(req) + kindWidth + 1 }

	short, tiny, pad := false, false, true
	if w := p.opts.Width; w > 0 {
		// Widths are worked out once per piece and again only for a piece
		// a step changes: measuring is most of the cost of fitting.
		typW, whoW, sumW, idW := textWidth(typ), textWidth(who), textWidth(summary), textWidth(id)
		longW, shortW, tinyW := 0, 0, 0
		for _, m := range ms {
			extra := 1
			if m.badge {
				extra = 3
			}
			longW += extra + textWidth(m.long)
			shortW += extra + textWidth(m.short)
			if !m.detail {
				tinyW += extra + textWidth(m.short)
			}
		}
		width := func() int {
			n := head() + typW
			if pad {
				n = head() + max(typeWidth, typW)
			}
			if who != "" {
				n += 1 + whoW + 1
			}
			switch {
			case tiny:
				n += tinyW
			case short:
				n += shortW
			default:
				n += longW
			}
			if id != "" {
				n += 2 + idW
			}
			return n
		}
		// How much room the summary gets: what the rest leaves.
		room := func() int { return w - width() - 1 }
		setWho := func(s string) { who, whoW = s, textWidth(s) }
		cutType := func(least int) {
			need := min(minSummary, sumW) - room()
			typ = cut(typ, max(least, typW-need))
			typW = textWidth(typ)
		}
		steps := []func(){
			func() { pad = false },
			func() { short = true },
			func() { id = "" },
			func() { setWho(shortWho(who)) },
			func() { setWho(cut(who, 14)) },
			func() { setWho("") },
			func() { cutType(12) },
			func() { tiny = true },
			func() { req = strings.TrimRight(req, " ") + " " },
			func() { cutType(8) },
		}
		for _, step := range steps {
			if room() >= min(minSummary, sumW) {
				break
			}
			step()
		}
		if sumW > room() {
			summary = cut(summary, room())
		}
		if r := room(); r < 0 { // still too wide: the type takes what is left
			typ = cut(typ, typW+r)
		}
	}

	ks := p.kindStyle(e)
	typCell := typ
	if pad {
		typCell += strings.Repeat(" ", max(0, typeWidth-textWidth(typ)))
	}
	typeStyle := ks
	if IsFailure(e) && !p.plain {
		typeStyle = ks.Bold(true)
	}
	var line strings.Builder
	line.WriteString(p.clock(e.Received))
	line.WriteByte(' ')
	line.WriteString(p.badge(e.Signature))
	line.WriteByte(' ')
	line.WriteString(p.paint(p.st.Dim, req))
	line.WriteString(p.paint(ks, kindCell(KindLabel(e.Kind))))
	line.WriteByte(' ')
	line.WriteString(p.paint(typeStyle, typCell))
	if who != "" {
		line.WriteByte(' ')
		line.WriteString(p.paint(p.st.Bold, who))
		line.WriteByte(' ')
	}
	if summary != "" {
		line.WriteByte(' ')
		if IsFailure(e) {
			summary = p.paint(p.st.Fail, summary)
		}
		line.WriteString(summary)
	}
	for _, m := range ms {
		if tiny && m.detail {
			continue
		}
		t := m.long
		if short {
			t = m.short
		}
		line.WriteByte(' ')
		if m.badge {
			t = " " + t + " "
		}
		line.WriteString(p.paint(m.style, t))
	}
	if id != "" {
		line.WriteString("  ")
		line.WriteString(p.paint(p.st.Dim, id))
	}
	p.writeLine(b, strings.TrimRight(line.String(), " "))
	if p.opts.Headers {
		for _, pr := range e.Problems {
			p.writeLine(b, indent+p.paint(p.st.Warn, "problem: ")+p.safe(pr))
		}
	}
}

// shortWho keeps the number or BSUID of a counterpart and drops the name.
func shortWho(who string) string {
	if i := strings.Index(who, " ("); i > 0 {
		return who[:i]
	}
	return who
}

// writeLine ends a line, cut to the terminal width.
func (p *Pretty) writeLine(b *strings.Builder, line string) {
	if p.opts.Width > 0 {
		line = cut(line, p.opts.Width)
	}
	b.WriteString(line)
	b.WriteByte('\n')
}

// writeWrapped writes text that must not be lost to a narrow terminal (a
// hint, an app's answer): wrapped under indent rather than cut.
func (p *Pretty) writeWrapped(b *strings.Builder, prefix, text string) {
	b.WriteString(prefix)
	b.WriteString(WrapIndent(text, p.opts.Width, textWidth(prefix), indentWidth+2))
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

// KindLabel is the kind column: who is talking for message-like events
// (message, echo, history, standby), status, error and unknown, and
// "event" for other fields (whose type already names the field).
func KindLabel(kind string) string {
	for _, k := range webhook.Kinds() {
		if kind == k {
			return k
		}
	}
	return "event"
}

// Counterpart names who the event is about: the sender of a message (number
// or BSUID, and profile name), the recipient of a status, of an echo and of
// anything else the business sent.
func Counterpart(e webhook.Event) string {
	from, to, name := e.From, e.Recipient, e.ContactName
	if to != "" && (e.Kind == webhook.KindEcho || (from != "" && from == e.DisplayPhoneNumber)) {
		from = "" // the business wrote: the user is the recipient
	}
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

func (p *Pretty) headers(b *strings.Builder, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			p.writeWrapped(b, indent+p.paint(p.st.Key, p.safe(k)+":")+" ", p.paint(p.st.Dim, p.safe(v)))
		}
	}
}

func (p *Pretty) raw(b *strings.Builder, body []byte) {
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		out.Reset()
		out.Write(body)
	}
	text := termsafe.Mask(termsafe.Text(out.String()), p.opts.Secrets...)
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		p.writeWrapped(b, indent, l)
	}
}

// Problem prints a request-level failure, in red, with its hint.
func (p *Pretty) Problem(pr Problem) {
	var b strings.Builder
	r := pr.Request
	badge := p.paint(p.st.Fail, "✗")
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
	head := fmt.Sprintf("%s %s %s%s ", p.clock(r.Time), badge, p.paint(p.st.Dim, reqLabel(r.Seq)),
		p.paint(style, fmt.Sprintf("%-*s", kindWidth, status)))
	p.writeWrapped(&b, head, p.paint(style, fmt.Sprintf("%s %s: %s", p.safe(r.Method), p.safe(r.Path), p.safe(pr.Message))))
	if pr.Hint != "" {
		p.writeWrapped(&b, indent+p.paint(p.st.Warn, "hint:")+" ", p.safe(pr.Hint))
	}
	if p.opts.Headers {
		p.headers(&b, r.Header)
	}
	if p.opts.Raw && len(r.Body) > 0 && pr.Kind != ProblemTooLarge {
		p.raw(&b, r.Body)
	}
	p.printed(r.Seq, p.safe(r.Method)+" answered "+status)
	io.WriteString(p.w, b.String())
}

// Handshake prints an accepted verification request.
func (p *Pretty) Handshake(h Handshake) {
	var b strings.Builder
	head := fmt.Sprintf("%s %s %s%s ", p.clock(h.Request.Time), p.paint(p.st.OK, "✓"), p.paint(p.st.Dim, reqLabel(h.Request.Seq)),
		p.paint(p.st.OK, fmt.Sprintf("%-*s", kindWidth, "verify")))
	p.writeWrapped(&b, head, fmt.Sprintf("GET %s: handshake accepted, answered 200 with the challenge %q",
		p.safe(h.Request.Path), truncateRunes(p.safe(h.Challenge), 40)))
	if p.opts.Headers {
		p.headers(&b, h.Request.Header)
	}
	p.printed(h.Request.Seq, "the handshake")
	io.WriteString(p.w, b.String())
}

// Forwarded prints what the user's app answered. The line names its
// request; printed away from that request's lines, it also says which
// event that was.
func (p *Pretty) Forwarded(f Forward) {
	var b strings.Builder
	what := "app"
	if f.Handshake {
		what = "app (handshake)"
	}
	ref := ""
	if f.Request != p.last {
		if w, ok := p.recent.what[f.Request]; ok {
			ref = p.paint(p.st.Dim, " (for "+w+")")
		}
	}
	arrow := fmt.Sprintf("↳ #%d %s", f.Request, what)
	switch {
	case f.Dropped > 0:
		p.writeWrapped(&b, indent+p.paint(p.st.Fail, "↳ "+what+":")+" ", p.safe(f.Err))
	case f.Err != "":
		p.writeWrapped(&b, indent+p.paint(p.st.Fail, arrow+" failed:")+" ", p.safe(f.Err)+ref)
	default:
		st := p.st.OK
		if !f.OK() {
			st = p.st.Fail
		}
		line := fmt.Sprintf("%s %d %s in %s", arrow, f.Status, http.StatusText(f.Status), roundLatency(f.Latency))
		if f.Handshake && f.Status == http.StatusOK && !f.ChallengeOK {
			line += ", but the body is not the challenge: Meta would refuse it"
		}
		p.writeWrapped(&b, indent, p.paint(st, line)+ref)
		if f.Status/100 != 2 && len(f.Body) > 0 {
			if p.opts.Headers {
				body := termsafe.Mask(termsafe.Bytes(f.Body, 0), p.opts.Secrets...)
				for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
					p.writeWrapped(&b, indent+"  ", p.paint(p.st.Dim, l))
				}
			} else {
				p.writeLine(&b, indent+"  "+p.paint(p.st.Dim, truncateRunes(p.safe(string(f.Body)), 200)))
			}
		}
	}
	io.WriteString(p.w, b.String())
}

// NotPrinted says that n events were not printed because the output was
// not being read.
func (p *Pretty) NotPrinted(n int) {
	var b strings.Builder
	p.writeWrapped(&b, indent, p.paint(p.st.Warn, fmt.Sprintf(
		"⚠ %d event%s not printed: the output was not being read (a pager or a full pipe); every request was still answered, recorded and counted",
		n, plural(n))))
	p.last = 0
	io.WriteString(p.w, b.String())
}

// Summary prints the end-of-run summary.
func (p *Pretty) Summary(s Summary) { WriteSummaryWidth(p.w, p.st, s, p.opts.Width) }

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

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
