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

	"github.com/wa-hooks/wa-hooks/internal/sender"
)

// SendOptions shape send's human output.
type SendOptions struct {
	// Verbose shows the headers sent and whole response bodies.
	Verbose bool
	// NameWidth pads source names so columns line up.
	NameWidth int
	// BodyLines is how many lines of a non-2xx response body to show (default 5).
	BodyLines int
}

// SendPretty prints send's results for people.
type SendPretty struct {
	w    io.Writer
	st   Styles
	opts SendOptions
}

// NewSendPretty returns a renderer writing to w with r's colours.
func NewSendPretty(w io.Writer, r *lipgloss.Renderer, opts SendOptions) *SendPretty {
	if opts.BodyLines == 0 {
		opts.BodyLines = 5
	}
	return &SendPretty{w: w, st: NewStyles(r), opts: opts}
}

// StatusStyle colours a status by class; only 200 is what Meta calls success.
func (p *SendPretty) statusStyle(code int, expected bool) lipgloss.Style {
	switch {
	case expected:
		return p.st.OK
	case code >= 200 && code < 400:
		return p.st.Warn
	}
	return p.st.Fail
}

// Result prints one request: mark, status, source, latency, and what went
// wrong (response body or connection error explained).
func (p *SendPretty) Result(r sender.Result) {
	var b strings.Builder
	mark, status := "✓", fmt.Sprintf("%3d", r.Status)
	style := p.statusStyle(r.Status, r.Expected)
	if !r.Expected {
		mark = "✗"
	}
	if r.Err != nil {
		status = "---"
		style = p.st.Fail
	}
	name := r.Name
	if w := p.opts.NameWidth; w > 0 && len(name) < w {
		name += strings.Repeat(" ", w-len(name))
	}
	fmt.Fprintf(&b, "%s %s  %s  %s", style.Render(mark), style.Render(status), name, p.st.Dim.Render(fmt.Sprintf("%8s", SendLatency(r.Latency))))
	var tags []string
	if r.Duplicate > 1 {
		tags = append(tags, fmt.Sprintf("duplicate #%d", r.Duplicate))
	}
	if r.Attempt > 1 {
		tags = append(tags, fmt.Sprintf("retry #%d", r.Attempt-1))
	}
	if !r.Final {
		tags = append(tags, "will retry")
	}
	if len(tags) > 0 {
		b.WriteString("  " + p.st.Info.Render(strings.Join(tags, ", ")))
	}
	if r.Err != nil {
		b.WriteString("  " + p.st.Fail.Render(string(r.Kind)+":") + " " + r.Explanation)
	} else if note := statusNote(r.Status); note != "" && !r.Expected {
		b.WriteString("  " + p.st.Warn.Render(note))
	}
	b.WriteByte('\n')
	if p.opts.Verbose && r.Sent != nil {
		writeHeaders(&b, p.st, "> ", r.Sent)
	}
	if r.Err == nil && (p.opts.Verbose || r.Status < 200 || r.Status >= 300) {
		if p.opts.Verbose && r.RespHead != nil {
			writeHeaders(&b, p.st, "< ", r.RespHead)
		}
		p.body(&b, r)
	}
	io.WriteString(p.w, b.String())
}

func statusNote(code int) string {
	switch {
	case code >= 300 && code < 400:
		return "Meta does not follow redirects: point the webhook at the final URL"
	case code > 200 && code < 300:
		return "Meta counts only 200 as delivered and would retry"
	}
	return ""
}

func writeHeaders(b *strings.Builder, st Styles, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "    %s%s %s\n", st.Dim.Render(prefix), st.Key.Render(k+":"), v)
		}
	}
}

func (p *SendPretty) body(b *strings.Builder, r sender.Result) {
	body := bytes.TrimRight(r.Response, "\r\n")
	if len(body) == 0 {
		return
	}
	lines := strings.Split(string(body), "\n")
	limit := p.opts.BodyLines
	if p.opts.Verbose {
		limit = len(lines)
	}
	for i, l := range lines {
		if i == limit {
			fmt.Fprintf(b, "    %s\n", p.st.Dim.Render(fmt.Sprintf("… %d more lines (-v shows all)", len(lines)-limit)))
			break
		}
		fmt.Fprintf(b, "    %s %s\n", p.st.Dim.Render("│"), strings.TrimRight(l, "\r"))
	}
	if r.Truncated {
		fmt.Fprintf(b, "    %s\n", p.st.Dim.Render(fmt.Sprintf("… response cut at %d KiB", sender.MaxResponseBody>>10)))
	}
}

// Summary prints the end-of-run report.
func (p *SendPretty) Summary(rep *sender.Report, expect string) {
	var b strings.Builder
	st := p.st
	line := func(label, value string) {
		fmt.Fprintf(&b, "  %s %s\n", st.Key.Render(fmt.Sprintf("%-10s", label)), value)
	}
	head := fmt.Sprintf("%d %s", rep.Requests, sendPlural(rep.Requests, "request"))
	if rep.Events != rep.Deliveries && rep.Events > 0 {
		head += fmt.Sprintf(" (%d events)", rep.Events)
	}
	fmt.Fprintf(&b, "\n%s %s to %s in %s\n", st.Title.Render("Sent"), head, rep.URL, SendLatency(rep.Elapsed))

	codes := make([]int, 0, len(rep.ByStatus))
	for c := range rep.ByStatus {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		text := http.StatusText(c)
		if text == "" {
			text = "status"
		}
		parts = append(parts, p.statusStyle(c, c == http.StatusOK).Render(fmt.Sprintf("%d %s", c, text))+fmt.Sprintf(" ×%d", rep.ByStatus[c]))
	}
	if len(parts) > 0 {
		line("status", strings.Join(parts, ", "))
	}
	kinds := make([]string, 0, len(rep.Errors))
	for k := range rep.Errors {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		ec := rep.Errors[sender.ErrorKind(k)]
		line("errors", st.Fail.Render(fmt.Sprintf("%s ×%d", k, ec.Count))+" "+ec.Example)
	}
	if rep.Retries > 0 {
		line("retries", fmt.Sprint(rep.Retries))
	}
	if len(rep.ByStatus) > 0 {
		line("rate", fmt.Sprintf("%.1f req/s, %s sent", rep.Throughput, sendBytes(rep.BytesSent)))
		l := rep.Latency
		line("latency", fmt.Sprintf("min %s  p50 %s  p90 %s  p99 %s  max %s",
			SendLatency(l.Min), SendLatency(l.P50), SendLatency(l.P90), SendLatency(l.P99), SendLatency(l.Max)))
	}
	switch {
	case rep.Interrupted:
		fmt.Fprintf(&b, "%s after %d of the planned deliveries\n", st.Warn.Render("Interrupted"), rep.Deliveries)
	case rep.Failed == 0:
		fmt.Fprintf(&b, "%s all %d %s got %s\n", st.OK.Render("✓"), rep.Deliveries, sendPlural(rep.Deliveries, "delivery"), expect)
	case rep.Unreached == rep.Failed:
		fmt.Fprintf(&b, "%s %d of %d %s never reached the endpoint\n", st.Fail.Render("✗"), rep.Failed, rep.Deliveries, sendPlural(rep.Deliveries, "delivery"))
	case rep.Unreached > 0:
		fmt.Fprintf(&b, "%s %d of %d %s did not get %s (%d never reached the endpoint)\n", st.Fail.Render("✗"), rep.Failed, rep.Deliveries, sendPlural(rep.Deliveries, "delivery"), expect, rep.Unreached)
	default:
		fmt.Fprintf(&b, "%s %d of %d %s did not get %s\n", st.Fail.Render("✗"), rep.Failed, rep.Deliveries, sendPlural(rep.Deliveries, "delivery"), expect)
	}
	io.WriteString(p.w, b.String())
}

func sendPlural(n int, word string) string {
	if n == 1 {
		return word
	}
	if strings.HasSuffix(word, "y") {
		return word[:len(word)-1] + "ies"
	}
	return word + "s"
}

// SendLatency formats a duration with three significant figures.
func SendLatency(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// sendBytes formats a byte count.
func sendBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

// SendProgress is one line of the progress bar: done of total (or elapsed
// of the planned duration), the rate so far and failures.
func SendProgress(st Styles, width int, done, total, failed int64, elapsed, planned time.Duration) string {
	frac := 0.0
	counter := fmt.Sprintf("%d", done)
	switch {
	case total > 0:
		frac = float64(done) / float64(total)
		counter = fmt.Sprintf("%d/%d", done, total)
	case planned > 0:
		frac = elapsed.Seconds() / planned.Seconds()
		counter = fmt.Sprintf("%d in %s/%s", done, elapsed.Round(time.Second), planned)
	}
	frac = min(max(frac, 0), 1)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	tail := fmt.Sprintf(" %s  %.0f req/s", counter, rate)
	if failed > 0 {
		tail += "  " + st.Fail.Render(fmt.Sprintf("%d failed", failed))
	}
	barW := max(min(width-lipgloss.Width(tail)-4, 40), 10)
	filled := int(frac * float64(barW))
	bar := st.OK.Render(strings.Repeat("█", filled)) + st.Dim.Render(strings.Repeat("░", barW-filled))
	return fmt.Sprintf("%s %3.0f%%%s", bar, frac*100, tail)
}

// SendReport is the --json document.
type SendReport struct {
	*sender.Report
	Expect  string          `json:"expect"`
	OK      bool            `json:"ok"`
	Results []SendResultDoc `json:"results,omitempty"`
}

// SendResultDoc is one request in the --json report.
type SendResultDoc struct {
	sender.Result
	Response string `json:"response,omitempty"`
}

// WriteSendJSON writes the report as one indented JSON document.
func WriteSendJSON(w io.Writer, doc SendReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
