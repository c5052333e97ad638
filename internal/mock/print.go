package mock

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// printer shows the conversation on the terminal: one line per Graph call
// in serve's style, and each webhook through serve's own event renderer.
type printer struct {
	ios    *iostreams.IO
	json   bool
	pretty *render.Pretty
	st     render.Styles
	w      io.Writer
	buf    *bufio.Writer // w: the terminal, written when the log is caught up
	// backlog says how many entries wait behind the one being printed
	// (nil: never behind). Past printBehind the human lines give way to a
	// count, so a terminal never holds the mock back.
	backlog func() int
	// mu: entry runs on the log's one feeding goroutine, the count of what
	// was not shown may also be said by lastCount's timer and by done.
	mu          sync.Mutex
	skipped     [2]int // Graph calls, webhooks not shown
	skippedFrom time.Time
	skippedWhy  string
	// lastCount says the count of a flood that has stopped: without it the
	// last second's count waited for the next entry, or was never said.
	lastCount *time.Timer
	// budget (nil: none) bounds the lines a second of a live terminal:
	// past it, as when behind, entries are counted instead of printed.
	budget *lineBudget
	line   graphLine
}

// printBehind is how far the terminal may fall behind the log before
// entries are counted instead of printed.
const printBehind = 256

// A live terminal prints up to printBurst lines at once and printRate a
// second after that: nobody reads more, and rendering a flood of lines
// nobody reads would cost the mock a tenth of its CPU under load. A test
// suite's burst of sends still shows whole.
const (
	printRate  = 500
	printBurst = 2000
)

var floodWhy = "more than " + strconv.Itoa(printRate) + " a second"

// lineBudget is a token bucket of entries, refilled by the entries' times.
// Every entry spends one, printed or not; once it is spent the terminal
// counts (flooded) until the entries have come slower than printRate for
// long enough to refill half of it, so a flood shows as one count a
// second, not as lines and counts in turn.
type lineBudget struct {
	tokens  float64
	at      time.Time
	flooded bool
}

func newLineBudget() *lineBudget { return &lineBudget{tokens: printBurst} }

// take spends an entry's worth at t: false while flooded.
func (b *lineBudget) take(t time.Time) bool {
	if !b.at.IsZero() && t.After(b.at) {
		b.tokens = min(printBurst, b.tokens+t.Sub(b.at).Seconds()*printRate)
	}
	if t.After(b.at) {
		b.at = t
	}
	b.tokens = max(b.tokens-1, 0)
	switch {
	case b.tokens < 1:
		b.flooded = true
	case b.flooded && b.tokens >= printBurst/2:
		b.flooded = false
	}
	return !b.flooded
}

func newPrinter(ios *iostreams.IO, asJSON bool) *printer {
	p := &printer{ios: ios, json: asJSON, buf: bufio.NewWriterSize(ios.Out, 64<<10)}
	p.w = p.buf
	// Cut to the terminal's width only on a terminal: piped lines stay
	// whole, as serve's do.
	width := 0
	if ios.StdoutTTY {
		width = ios.TerminalWidth()
	}
	p.pretty = render.NewPretty(p.buf, ios.Renderer(), render.PrettyOptions{Width: width})
	p.st = p.pretty.Styles()
	p.line = newGraphLine(p.st)
	return p
}

// entry prints e. Lines are written out once no entry waits behind this
// one: at once when the mock is calm, in a few large writes when busy.
func (p *printer) entry(e Entry, body []byte) {
	if p.ios.Quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.show(e, body)
	if p.skipped != [2]int{} {
		p.sayCountLater()
	}
	if p.backlog == nil || p.backlog() == 0 {
		_ = p.buf.Flush()
	}
}

// sayCountLater arranges for the count of what was not shown to be said
// a second after the last entry, when no entry has come to say it.
// Called with p.mu held.
func (p *printer) sayCountLater() {
	if p.lastCount != nil {
		p.lastCount.Reset(time.Second)
		return
	}
	p.lastCount = time.AfterFunc(time.Second, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.skipped != [2]int{} {
			p.showSkipped(time.Now())
		}
	})
}

// done says what is still counted and not shown; the mock is stopping.
func (p *printer) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastCount != nil {
		p.lastCount.Stop()
	}
	if p.skipped != [2]int{} {
		p.showSkipped(time.Now())
	}
	_ = p.buf.Flush()
}

func (p *printer) show(e Entry, body []byte) {
	if p.json {
		b, _ := json.Marshal(e)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	why := ""
	switch {
	case p.backlog != nil && p.backlog() > printBehind:
		why = "the terminal fell behind"
	case p.budget != nil && !p.budget.take(e.Time):
		why = floodWhy
	}
	if why != "" {
		if p.skipped == [2]int{} {
			p.skippedFrom = e.Time
		}
		p.skippedWhy = why
		if e.Kind == "graph" {
			p.skipped[0]++
		} else {
			p.skipped[1]++
		}
		if e.Time.Sub(p.skippedFrom) >= time.Second {
			p.showSkipped(e.Time) // once a second while behind
		}
		return
	}
	if p.skipped != [2]int{} {
		p.showSkipped(e.Time)
	}
	switch e.Kind {
	case "graph":
		p.graph(e)
	case "webhook":
		p.webhook(e, body)
	}
}

func (p *printer) showSkipped(at time.Time) {
	fmt.Fprintf(p.w, "%s %s %s\n", p.st.Dim.Render(at.Local().Format("15:04:05")), p.st.Warn.Render("…"),
		p.st.Dim.Render(fmt.Sprintf("%d Graph calls and %d webhooks not shown: %s (wa-hooks mock log has every one)", p.skipped[0], p.skipped[1], p.skippedWhy)))
	p.skipped = [2]int{}
	_ = p.buf.Flush() // shown now, even while the log stays far ahead
}

// graphLine holds a Graph line's styled parts that never change, so a
// busy mock does not render them again for every call.
type graphLine struct {
	okBadge, failBadge, okLabel, failLabel string
	hookArrow, hookLabel                   string // a webhook's summary line
	dim                                    func(string) string
}

func newGraphLine(st render.Styles) graphLine {
	return graphLine{okBadge: st.OK.Render("✓"), failBadge: st.Fail.Render("✗"),
		okLabel: st.Info.Render(fmt.Sprintf("%-8s", "graph")), failLabel: st.Fail.Render(fmt.Sprintf("%-8s", "graph")),
		hookArrow: st.Warn.Render("→"), hookLabel: st.Other.Render(fmt.Sprintf("%-8s", "webhook")),
		dim: wrapStyle(st.Dim)}
}

// padded is s left-aligned in width runes, as fmt's %-*s.
func padded(s string, width int) string {
	if n := width - utf8.RuneCountInString(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// wrapStyle renders single-line plain text as st does, by wrapping it in
// what st puts around a marker (when st only adds codes around its text;
// else through st itself).
func wrapStyle(st lipgloss.Style) func(string) string {
	const marker = "\x00"
	out := st.Render(marker)
	before, after, ok := strings.Cut(out, marker)
	if !ok || strings.Contains(after, marker) || strings.ContainsAny(before+after, " \n\t") {
		return func(s string) string { return st.Render(s) }
	}
	return func(s string) string { return before + s + after }
}

func (p *printer) graph(e Entry) {
	g := &p.line
	badge, label := g.okBadge, g.okLabel
	if e.Status != http.StatusOK {
		badge, label = g.failBadge, g.failLabel
	}
	line := g.dim(e.Time.Local().Format("15:04:05")) + " " + badge + " " + label + " " +
		padded(e.Method, 7) + " " + strconv.Itoa(e.Status) + " " + termsafe.Line(e.Path)
	lat := "  " + strconv.FormatFloat(e.LatencyMS, 'f', 1, 64) + "ms"
	if e.Summary != "" {
		sum := termsafe.Line(e.Summary)
		// Fit the terminal like serve's lines do (no limit when not a terminal).
		if w := p.ios.TerminalWidth(); w > 0 && p.ios.StdoutTTY {
			room := w - lipgloss.Width(line) - 2 - len(lat)
			sum = runewidth.Truncate(sum, max(room, 24), "…")
		}
		line += "  " + sum
	}
	line += g.dim(lat) + "\n"
	_, _ = io.WriteString(p.w, line)
}

func (p *printer) webhook(e Entry, body []byte) {
	var parsed []webhook.Event
	ok := false
	if e.Coalesced == 0 && len(body) > 0 { // a coalesced webhook is one line: its updates sum up
		parsed, ok = e.WebhookEvents(body)
	}
	if !ok {
		g := &p.line
		_, _ = io.WriteString(p.w, g.dim(e.Time.Local().Format("15:04:05"))+" "+g.hookArrow+" "+g.hookLabel+" "+termsafe.Line(e.Summary)+"\n")
	} else {
		var events []render.Event
		for _, ev := range parsed {
			sig := render.SigValid
			switch e.Signature {
			case sigForged:
				sig = render.SigInvalid
			case sigMissing:
				sig = render.SigMissing
			}
			re := render.Event{Event: ev, Received: e.Time, Signature: sig, Retry: e.Attempt > 1 || e.Duplicate, Copy: e.Attempt}
			re.Summary = termsafe.Line(re.Summary)
			re.ContactName = termsafe.Line(re.ContactName)
			events = append(events, re)
		}
		p.pretty.Received(render.Request{Time: e.Time, Method: "POST", Path: e.Path, Status: e.Status}, events)
	}
	if d := e.Delivery; d != nil {
		f := render.Forward{Request: e.Seq, Method: "POST", URL: e.Path, Status: d.Status,
			Latency: time.Duration(d.LatencyMS * float64(time.Millisecond)), Err: termsafe.Line(d.Error)}
		if f.Err == "" && f.Status == 0 {
			f.Err = "no answer"
		}
		if f.Err != "" && !strings.HasPrefix(f.Err, "no webhook") {
			f.Err += " (Meta would retry)"
		}
		p.pretty.Forwarded(f)
	}
}
