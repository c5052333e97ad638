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
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"

	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
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
	// printed is set once a per-request line was written.
	printed bool
	// failed keeps the first failed deliveries of a run printed without
	// per-request lines, for the summary; more counts the rest.
	failed []sender.Result
	more   int
}

// failedListed is how many failed deliveries the summary lists by name.
const failedListed = 20

// Failed notes r for the summary's list of failed deliveries when it is a
// delivery's last attempt and did not get the expected status; a run too
// large for one line per request still says which deliveries failed.
func (p *SendPretty) Failed(r sender.Result) {
	if !r.Final || r.Expected || r.Kind == sender.KindCanceled {
		return
	}
	if len(p.failed) == failedListed {
		p.more++
		return
	}
	r.Sent, r.RespHead = nil, nil
	p.failed = append(p.failed, r)
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
		style = p.st.Fail
		if !r.Answered() {
			status = "---"
		}
	}
	name := termsafe.Line(r.Name)
	if w := p.opts.NameWidth; w > 0 && len(name) < w {
		name += strings.Repeat(" ", w-len(name))
	}
	fmt.Fprintf(&b, "%s %s  %s  %s", style.Render(mark), style.Render(status), name, p.st.Dim.Render(fmt.Sprintf("%8s", SendLatency(r.Latency))))
	var tags []string
	// serve's words: RETRY #n is the nth copy of the same bytes, DUPLICATE
	// the same events in other bytes.
	switch r.Repeat {
	case sender.RepeatRetry:
		tags = append(tags, fmt.Sprintf("RETRY #%d", r.Copy))
	case sender.RepeatDuplicate:
		tags = append(tags, fmt.Sprintf("DUPLICATE #%d", r.Copy))
	}
	if r.Attempt > 1 {
		tags = append(tags, fmt.Sprintf("RETRY #%d after a failure", r.Attempt))
	}
	if !r.Final {
		tags = append(tags, "will retry")
	}
	if len(tags) > 0 {
		b.WriteString("  " + p.st.Info.Render(strings.Join(tags, ", ")))
	}
	if r.Err != nil {
		b.WriteString("  " + p.st.Fail.Render(string(r.Kind)+":") + " " + termsafe.Line(afterKind(r.Kind, r.Explanation)))
	} else if note := statusNote(r.Status); note != "" && !r.Expected {
		b.WriteString("  " + p.st.Warn.Render(note))
	}
	b.WriteByte('\n')
	if p.opts.Verbose && r.Sent != nil {
		writeHeaders(&b, p.st, "> ", r.Sent)
	}
	if r.Answered() && (p.opts.Verbose || r.Status < 200 || r.Status >= 300 || r.Err != nil) {
		if p.opts.Verbose && r.RespHead != nil {
			writeHeaders(&b, p.st, "< ", r.RespHead)
		}
		p.body(&b, r)
	}
	io.WriteString(p.w, b.String())
	p.printed = true
}

// afterKind drops an explanation's own "TLS: " when the kind tag in front
// of it already says tls ("tls: TLS: …" said it twice).
func afterKind(kind sender.ErrorKind, why string) string {
	if p := string(kind) + ": "; len(why) > len(p) && strings.EqualFold(why[:len(p)], p) {
		return why[len(p):]
	}
	return why
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
			fmt.Fprintf(b, "    %s%s %s\n", st.Dim.Render(prefix), st.Key.Render(termsafe.Line(k)+":"), termsafe.Line(v))
		}
	}
}

// bodyLineBytes bounds one shown line of an answer body unless -v: a
// hostile body of 64 KiB of NUL bytes is one "line" of 256 KiB escaped.
const bodyLineBytes = 240

// body shows the start of an answer body as text: every line escaped
// (termsafe), at most BodyLines lines of at most bodyLineBytes bytes each
// unless -v, which shows the whole kept body (at most MaxResponseBody).
func (p *SendPretty) body(b *strings.Builder, r sender.Result) {
	body := bytes.TrimRight(r.Response, "\r\n")
	if len(body) == 0 {
		return
	}
	lines := bytes.Split(body, []byte("\n"))
	limit := p.opts.BodyLines
	if p.opts.Verbose {
		limit = len(lines)
	}
	for i, l := range lines {
		if i == limit {
			fmt.Fprintf(b, "    %s\n", p.st.Dim.Render(fmt.Sprintf("… %d more %s (-v shows all)", len(lines)-limit, sendPlural(len(lines)-limit, "line"))))
			break
		}
		l = bytes.TrimRight(l, "\r")
		shown := termsafe.Line(string(l))
		if !p.opts.Verbose {
			shown = cutLine(l, bodyLineBytes)
		}
		fmt.Fprintf(b, "    %s %s\n", p.st.Dim.Render("│"), shown)
	}
	if r.Truncated {
		fmt.Fprintf(b, "    %s\n", p.st.Dim.Render(fmt.Sprintf("… response cut at %d KiB", sender.MaxResponseBody>>10)))
	}
}

// FirstLine is the first non-empty line of an answer body, escaped and cut
// to about n bytes: what a list of failures shows of each answer.
func FirstLine(body []byte, n int) string {
	for _, l := range bytes.Split(body, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			return cutLine(l, n)
		}
	}
	return ""
}

// cutLine escapes one line of outside text (termsafe.Line) and keeps at
// most n bytes of the escaped form, so a line of control bytes, each four
// characters escaped, is as bounded as a line of letters.
func cutLine(l []byte, n int) string {
	cutInput := len(l) > n
	if cutInput {
		l = l[:n] // escaping only lengthens: n bytes of input are enough
	}
	shown := termsafe.Line(string(l))
	if len(shown) <= n && !cutInput {
		return shown
	}
	cut := min(n, len(shown))
	for cut > 0 && cut < len(shown) && !utf8.RuneStart(shown[cut]) {
		cut--
	}
	return shown[:cut] + "…"
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
	if p.printed {
		b.WriteByte('\n') // a blank line between the per-request lines and the summary, not above a summary alone
	}
	fmt.Fprintf(&b, "%s %s to %s in %s\n", st.Title.Render("Sent"), head, termsafe.Line(rep.URL), SendLatency(rep.Elapsed))

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
		line("errors", st.Fail.Render(fmt.Sprintf("%s ×%d", k, ec.Count))+" "+termsafe.Line(afterKind(sender.ErrorKind(k), ec.Example)))
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
	p.failures(&b)
	switch {
	case rep.Interrupted:
		fmt.Fprintf(&b, "%s after %d of the planned deliveries\n", st.Warn.Render("Interrupted"), rep.Deliveries)
	case rep.Failed == 0:
		fmt.Fprintf(&b, "%s %s\n", st.OK.Render("✓"), SendVerdict(rep, expect))
	default:
		fmt.Fprintf(&b, "%s %s\n", st.Fail.Render("✗"), SendVerdict(rep, expect))
	}
	io.WriteString(p.w, b.String())
}

// failures lists the failed deliveries noted by Failed: name, status (or
// the error's kind) and the first line of the answer or the error, escaped
// and cut short.
func (p *SendPretty) failures(b *strings.Builder) {
	if len(p.failed) == 0 {
		return
	}
	w := 0
	for _, r := range p.failed {
		w = max(w, len(termsafe.Line(r.Name)))
	}
	w = min(w, 40)
	for i, r := range p.failed {
		label := "          "
		if i == 0 {
			label = "failed    "
		}
		status := fmt.Sprintf("%3d", r.Status)
		what := FirstLine(r.Response, 100)
		switch {
		case r.Err != nil && !r.Answered():
			status = "---"
			what = string(r.Kind) + ": " + cutLine([]byte(afterKind(r.Kind, r.Explanation)), 160)
		case r.Err != nil:
			what = string(r.Kind) + ": " + cutLine([]byte(afterKind(r.Kind, r.Explanation)), 160)
		}
		name := termsafe.Line(r.Name)
		if len(name) < w {
			name += strings.Repeat(" ", w-len(name))
		}
		line := fmt.Sprintf("%s  %s", name, p.st.Fail.Render(status))
		if what != "" {
			line += "  " + what
		}
		fmt.Fprintf(b, "  %s %s\n", p.st.Key.Render(label), line)
	}
	if p.more > 0 {
		fmt.Fprintf(b, "  %s %s\n", p.st.Key.Render("          "), p.st.Dim.Render(fmt.Sprintf("… and %d more (-v lists every request, --json all of them)", p.more)))
	}
}

// SendVerdict is the last line of a run in words, also the error message of
// a failed run: "all 3 deliveries got 200", "2 of 3 deliveries did not get
// 200 (1 got no answer)". A delivery "got no answer" when no HTTP answer
// came at all (refused, DNS, TLS, timeout); one that reached the endpoint and
// timed out is counted there too, and the errors line says which it was.
func SendVerdict(rep *sender.Report, expect string) string {
	one := rep.Deliveries == 1
	switch {
	case rep.Failed == 0 && one:
		return "the delivery got " + expect
	case rep.Failed == 0:
		return fmt.Sprintf("all %d deliveries got %s", rep.Deliveries, expect)
	case one && rep.Unreached == 1:
		return "the delivery got no answer"
	case one:
		return "the delivery did not get " + expect
	case rep.Unreached == rep.Failed:
		return fmt.Sprintf("%d of %d deliveries got no answer", rep.Failed, rep.Deliveries)
	case rep.Unreached > 0:
		return fmt.Sprintf("%d of %d deliveries did not get %s (%d got no answer)", rep.Failed, rep.Deliveries, expect, rep.Unreached)
	}
	return fmt.Sprintf("%d of %d deliveries did not get %s", rep.Failed, rep.Deliveries, expect)
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
