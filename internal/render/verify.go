package render

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"

	"github.com/wa-hooks/wa-hooks/internal/conformance"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// VerifyOptions shape the verify report for people.
type VerifyOptions struct {
	// Width wraps reasons to the terminal; 0 never wraps (logs, pipes).
	Width int
	// Verbose prints what each check sent and got back, and every skipped
	// check on its own line.
	Verbose bool
	// Quiet prints only failures, warnings and the summary line.
	Quiet bool
	// Heading starts the first line ("Verifying" when empty; test says "Testing").
	Heading string
}

// VerifyPretty prints the verify report like a test runner: a line per
// check as soon as it is known, then the summary line.
type VerifyPretty struct {
	w     io.Writer
	st    Styles
	plain lipgloss.Style
	opts  VerifyOptions
	group string
	// printed is set once anything was written (a heading then follows a
	// blank line).
	printed bool
	// pending is a run of skipped checks with one reason, printed as one
	// line when it is long (nine "no App Secret" lines say nothing more).
	pending []conformance.Check
}

// collapseSkips is the shortest run of skips with one reason shown as one line.
const collapseSkips = 4

var groupNouns = map[string]string{
	conformance.GroupHandshake:  "handshake",
	conformance.GroupDeliveries: "delivery",
}

// NewVerifyPretty returns a report printer writing to w with r's colours.
func NewVerifyPretty(w io.Writer, r *lipgloss.Renderer, opts VerifyOptions) *VerifyPretty {
	return &VerifyPretty{w: w, st: NewStyles(r), plain: r.NewStyle(), opts: opts}
}

// titleWidth aligns reasons; wider titles push their reason right.
const titleWidth = 38

var groupTitles = map[string]string{
	conformance.GroupHandshake:  "Handshake",
	conformance.GroupDeliveries: "Deliveries",
}

// Start prints what is being verified.
func (p *VerifyPretty) Start(r *conformance.Report) {
	if p.opts.Quiet {
		return
	}
	heading := p.opts.Heading
	if heading == "" {
		heading = "Verifying"
	}
	line := p.st.Bold.Render(heading+" "+r.URL) + "\n"
	if r.Challenge != "" {
		line = p.st.Bold.Render(heading+" "+r.URL) + p.st.Dim.Render(" (challenge "+r.Challenge+")") + "\n"
	}
	fmt.Fprint(p.w, line)
	p.printed = true
}

// Check prints one check: mark, title, reason, and a fix line when needed.
// With Quiet only failures and warnings are printed.
func (p *VerifyPretty) Check(c conformance.Check) {
	if p.opts.Quiet && c.Status != conformance.Fail && c.Status != conformance.Warn {
		return
	}
	if c.Status == conformance.Skip && !p.opts.Verbose {
		if len(p.pending) > 0 && (p.pending[0].Reason != c.Reason || p.pending[0].Group != c.Group) {
			p.flushSkips()
		}
		p.pending = append(p.pending, c)
		return
	}
	p.flushSkips()
	p.print(c)
}

// flushSkips prints the pending run of skipped checks: one line for a long
// run with one reason, else a line each.
func (p *VerifyPretty) flushSkips() {
	run := p.pending
	p.pending = nil
	if len(run) < collapseSkips {
		for _, c := range run {
			p.print(c)
		}
		return
	}
	c := run[0]
	c.Title = fmt.Sprintf("%d %s checks skipped", len(run), groupNouns[c.Group])
	p.print(c)
}

func (p *VerifyPretty) print(c conformance.Check) {
	if c.Group != p.group {
		p.group = c.Group
		if p.printed {
			fmt.Fprintln(p.w)
		}
		title, ok := groupTitles[c.Group]
		if !ok && c.Group != "" { // another suite's group (test's): its name, capitalised
			title = strings.ToUpper(c.Group[:1]) + c.Group[1:]
		}
		fmt.Fprintf(p.w, "%s\n", p.st.Title.Render(title))
		p.printed = true
	}
	mark, style := p.mark(c.Status)
	title := c.Title + strings.Repeat(" ", max(1, titleWidth-runewidth.StringWidth(c.Title)))
	indent := 4 + titleWidth
	// Reasons, fixes and details quote what the endpoint answered.
	reason := termsafe.Line(c.Reason)
	if c.Strict {
		reason += " (warning, failed by --strict)"
	}
	reasonStyle := p.st.Dim
	if c.Status == conformance.Fail || c.Status == conformance.Warn {
		reasonStyle = p.plain
	}
	fmt.Fprintf(p.w, "  %s %s%s\n", style.Render(mark), title, p.wrap(reasonStyle, reason, indent))
	if c.Fix != "" && c.Status != conformance.Pass && c.Status != conformance.Skip {
		fmt.Fprintf(p.w, "%s%s\n", strings.Repeat(" ", indent), p.wrap(p.st.Info, "fix: "+termsafe.Line(c.Fix), indent))
	}
	if p.opts.Verbose {
		for _, d := range c.Detail {
			fmt.Fprintf(p.w, "%s%s\n", strings.Repeat(" ", indent), p.wrap(p.st.Dim, termsafe.Line(d), indent))
		}
	}
}

// Finish prints the summary line, exactly "N passed, N failed, N warnings, N skipped".
func (p *VerifyPretty) Finish(r *conformance.Report) error {
	p.flushSkips()
	style := p.st.OK
	switch {
	case r.Summary.Failed > 0 || r.Unreachable:
		style = p.st.Fail
	case r.Summary.Warnings > 0:
		style = p.st.Warn
	}
	// Deliveries judged by their HTTP answers alone: `test` sees more.
	if !p.opts.Quiet && slices.ContainsFunc(r.Checks, func(c conformance.Check) bool {
		return c.Group == conformance.GroupDeliveries && c.Status != conformance.Skip
	}) {
		fmt.Fprintf(p.w, "\n%s\n", p.wrap(p.st.Dim, "These checks see only HTTP answers. To see what the app does with webhooks (its replies to batches, retries, users without a phone number): wa-hooks test --app "+r.URL, 0))
	}
	sep := "\n"
	if !p.printed {
		sep = "" // nothing came before the summary (-q, all passed)
	}
	_, err := fmt.Fprintf(p.w, "%s%s\n", sep, style.Render(r.Summary.String()))
	return err
}

func (p *VerifyPretty) mark(s conformance.Status) (string, lipgloss.Style) {
	switch s {
	case conformance.Pass:
		return "✓", p.st.OK
	case conformance.Fail:
		return "✗", p.st.Fail
	case conformance.Warn:
		return "!", p.st.Warn
	}
	return "–", p.st.Dim
}

// wrap breaks s to the terminal width, continuing lines at indent, and
// styles each line's text (not the indentation).
func (p *VerifyPretty) wrap(style lipgloss.Style, s string, indent int) string {
	lines := p.breakLines(s, indent)
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return strings.Join(lines, "\n"+strings.Repeat(" ", indent))
}

func (p *VerifyPretty) breakLines(s string, indent int) []string {
	room := p.opts.Width - indent
	if p.opts.Width == 0 || room < 30 || runewidth.StringWidth(s) <= room {
		return []string{s}
	}
	var lines []string
	var cur strings.Builder
	for _, word := range strings.Fields(s) {
		if cur.Len() > 0 && runewidth.StringWidth(cur.String())+1+runewidth.StringWidth(word) > room {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	return append(lines, cur.String())
}

// VerifyJSON writes the whole report as one indented JSON document when the
// run ends.
type VerifyJSON struct{ w io.Writer }

// NewVerifyJSON returns a JSON report writer.
func NewVerifyJSON(w io.Writer) *VerifyJSON { return &VerifyJSON{w: w} }

func (*VerifyJSON) Start(*conformance.Report) {}
func (*VerifyJSON) Check(conformance.Check)   {}

// Finish writes the report.
func (j *VerifyJSON) Finish(r *conformance.Report) error {
	enc := json.NewEncoder(j.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
