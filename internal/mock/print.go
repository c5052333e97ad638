package mock

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

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
}

func newPrinter(ios *iostreams.IO, asJSON bool) *printer {
	p := &printer{ios: ios, json: asJSON, w: ios.Out}
	p.pretty = render.NewPretty(ios.Out, ios.Renderer(), render.PrettyOptions{Width: ios.TerminalWidth()})
	p.st = p.pretty.Styles()
	return p
}

func (p *printer) entry(e Entry, body []byte) {
	if p.ios.Quiet {
		return
	}
	if p.json {
		b, _ := json.Marshal(e)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	switch e.Kind {
	case "graph":
		p.graph(e)
	case "webhook":
		p.webhook(e, body)
	}
}

func (p *printer) graph(e Entry) {
	st := p.st
	badge, style := st.OK.Render("✓"), st.Info
	if e.Status != http.StatusOK {
		badge, style = st.Fail.Render("✗"), st.Fail
	}
	line := fmt.Sprintf("%s %s %s %s %s",
		st.Dim.Render(e.Time.Local().Format("15:04:05")), badge,
		style.Render(fmt.Sprintf("%-8s", "graph")),
		fmt.Sprintf("%-7s %d", e.Method, e.Status),
		termsafe.Line(e.Path))
	lat := fmt.Sprintf("  %.1fms", e.LatencyMS)
	if e.Summary != "" {
		sum := termsafe.Line(e.Summary)
		// Fit the terminal like serve's lines do (no limit when not a terminal).
		if w := p.ios.TerminalWidth(); w > 0 && p.ios.StdoutTTY {
			room := w - lipgloss.Width(line) - 2 - len(lat)
			sum = runewidth.Truncate(sum, max(room, 24), "…")
		}
		line += "  " + sum
	}
	line += st.Dim.Render(lat)
	fmt.Fprintln(p.w, line)
}

func (p *printer) webhook(e Entry, body []byte) {
	n, err := webhook.Parse(body)
	if err != nil || len(body) == 0 {
		fmt.Fprintf(p.w, "%s %s %s %s\n", p.st.Dim.Render(e.Time.Local().Format("15:04:05")), p.st.Warn.Render("→"),
			p.st.Other.Render(fmt.Sprintf("%-8s", "webhook")), termsafe.Line(e.Summary))
	} else {
		var events []render.Event
		for _, ev := range n.Events() {
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
