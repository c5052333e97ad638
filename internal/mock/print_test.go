package mock

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
)

func TestGraphLinesFitTheTerminalAndEscapeOutsideText(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.StdoutTTY = true
	ios.SetTerminalWidth(100)
	p := newPrinter(ios, false)
	p.entry(Entry{Kind: "graph", Time: time.Now(), Method: "POST", Path: "/v21.0/109283746501928/messages", Status: 200,
		Summary: "text: " + strings.Repeat("long ", 40) + "\x1b[31mred\x1b[0m"}, nil)
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if w := lipgloss.Width(l); w > 100 {
			t.Errorf("line is %d wide: %q", w, l)
		}
	}
	out.Reset()
	ios.StdoutTTY = false
	p.entry(Entry{Kind: "graph", Time: time.Now(), Method: "POST", Path: "/x", Status: 400, Summary: "bad \x1b[2J text"}, nil)
	if strings.Contains(out.String(), "\x1b[2J") {
		t.Errorf("a control sequence reached the terminal: %q", out.String())
	}
}

func TestPrinterCountsWhatItCannotShowWhenFarBehind(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	p := newPrinter(ios, false)
	waiting := printBehind + 1
	p.backlog = func() int { return waiting }
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p.entry(Entry{Kind: "graph", Time: at, Method: "POST", Path: "/v21.0/1/messages", Status: 200, Summary: "first"}, nil)
	p.entry(Entry{Kind: "webhook", Time: at, Summary: "second"}, nil)
	if out.Len() != 0 {
		t.Fatalf("printed while far behind: %q", out.String())
	}
	waiting = 0
	p.entry(Entry{Kind: "graph", Time: at, Method: "POST", Path: "/v21.0/1/messages", Status: 200, Summary: "third"}, nil)
	got := out.String()
	if !strings.Contains(got, "1 Graph calls and 1 webhooks not shown") || !strings.Contains(got, "third") || strings.Contains(got, "first") {
		t.Errorf("after catching up: %q", got)
	}
	// Behind for longer than a second: a count once a second.
	out.Reset()
	waiting = printBehind + 1
	for i := range 3 {
		p.entry(Entry{Kind: "graph", Time: at.Add(time.Duration(i) * 600 * time.Millisecond), Summary: "x"}, nil)
	}
	if got := out.String(); !strings.Contains(got, "3 Graph calls and 0 webhooks not shown") {
		t.Errorf("long backlog: %q", got)
	}
}

// The Graph line renders its fixed parts once; it must print what
// rendering every part each time printed, with colour and without.
func TestGraphLineMatchesStyledRendering(t *testing.T) {
	for _, mode := range []iostreams.ColorMode{iostreams.ColorAlways, iostreams.ColorNever} {
		ios, _, out, _ := iostreams.Test()
		ios.Mode = mode
		p := newPrinter(ios, false)
		st := p.st
		for _, e := range []Entry{
			{Kind: "graph", Time: time.Now(), Method: "POST", Path: "/v21.0/1/messages", Status: 200, LatencyMS: 1.25, Summary: "text: hi"},
			{Kind: "graph", Time: time.Now(), Method: "GET", Path: "/x", Status: 400, LatencyMS: 0.04},
		} {
			out.Reset()
			p.entry(e, nil)
			badge, style := st.OK.Render("✓"), st.Info
			if e.Status != 200 {
				badge, style = st.Fail.Render("✗"), st.Fail
			}
			want := fmt.Sprintf("%s %s %s %s %s", st.Dim.Render(e.Time.Local().Format("15:04:05")), badge,
				style.Render(fmt.Sprintf("%-8s", "graph")), fmt.Sprintf("%-7s %d", e.Method, e.Status), e.Path)
			if e.Summary != "" {
				want += "  " + e.Summary
			}
			want += st.Dim.Render(fmt.Sprintf("  %.1fms", e.LatencyMS)) + "\n"
			if mode == iostreams.ColorAlways && !strings.Contains(want, "\x1b[") {
				t.Fatalf("no colour to compare: %q", want)
			}
			if out.String() != want {
				t.Errorf("colour %v:\n got %q\nwant %q", mode, out.String(), want)
			}
		}
	}
}

// The lines' exact shape without colour: serve's columns.
func TestGraphAndSummaryLinesKeepTheirColumns(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	p := newPrinter(ios, false)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	p.entry(Entry{Kind: "graph", Time: at, Method: "POST", Path: "/v21.0/1/messages", Status: 200, LatencyMS: 1.25, Summary: "text: hi → alice"}, nil)
	p.entry(Entry{Kind: "graph", Time: at, Method: "GET", Path: "/v21.0/1", Status: 400, LatencyMS: 0.5}, nil)
	p.entry(Entry{Kind: "webhook", Time: at, Summary: "3 updates in one POST", Coalesced: 3}, nil)
	want := fmt.Sprintf("%s ✓ %-8s %-7s %d %s  %s  %sms\n", "03:04:05", "graph", "POST", 200, "/v21.0/1/messages", "text: hi → alice", "1.2") +
		fmt.Sprintf("%s ✗ %-8s %-7s %d %s  %sms\n", "03:04:05", "graph", "GET", 400, "/v21.0/1", "0.5") +
		fmt.Sprintf("%s → %-8s %s\n", "03:04:05", "webhook", "3 updates in one POST")
	if got := out.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// A live terminal prints a burst whole, then a flood as one count a
// second, and lines again once the flood is over.
func TestPrinterSumsUpAFlood(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	p := newPrinter(ios, false)
	p.budget = newLineBudget()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	graph := func(i int, t time.Time) {
		p.entry(Entry{Kind: "graph", Time: t, Method: "POST", Path: "/v21.0/1/messages", Status: 200, Summary: fmt.Sprintf("send %d", i)}, nil)
	}
	for i := range printBurst - 1 { // a burst: every line
		graph(i, at)
	}
	if n := strings.Count(out.String(), "send "); n != printBurst-1 {
		t.Fatalf("a burst of %d printed %d lines", printBurst-1, n)
	}
	out.Reset()
	// 5,000 a second for 3 seconds: counts once a second, no lines.
	for i := range 15_000 {
		graph(i, at.Add(time.Duration(i)*200*time.Microsecond))
	}
	got := out.String()
	if n := strings.Count(got, "send "); n > 0 {
		t.Errorf("%d lines printed in a flood", n)
	}
	if n := strings.Count(got, "not shown: more than 500 a second"); n < 2 || n > 4 {
		t.Errorf("%d counts in 3 seconds of flood:\n%s", n, got)
	}
	// Calm again: the next entry shows the last count and its own line
	// (before the count's own timer, stopped here, could say it).
	p.mu.Lock()
	p.lastCount.Stop()
	p.mu.Unlock()
	out.Reset()
	graph(-1, at.Add(10*time.Second))
	if got := out.String(); !strings.Contains(got, "not shown") || !strings.Contains(got, "send -1") {
		t.Errorf("after the flood: %q", got)
	}
	// `mock log` (no budget) prints every entry, however many.
	out.Reset()
	p.budget = nil
	for i := range 3 * printBurst {
		graph(i, at.Add(20*time.Second))
	}
	if n := strings.Count(out.String(), "send "); n != 3*printBurst {
		t.Errorf("without a budget %d of %d lines", n, 3*printBurst)
	}
}

// When a flood stops, its last count is said without waiting for another
// entry, and whatever is still counted when the mock stops is said then.
func TestPrinterSaysTheLastCountOfAFlood(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	p := newPrinter(ios, false)
	p.budget = newLineBudget()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	flood := func(from time.Time) {
		for i := range printBurst + 2000 {
			p.entry(Entry{Kind: "graph", Time: from.Add(time.Duration(i) * 100 * time.Microsecond), Method: "POST",
				Path: "/v21.0/1/messages", Status: 200, Summary: "send"}, nil)
		}
	}
	said := func() string {
		p.mu.Lock()
		defer p.mu.Unlock()
		return out.String()
	}
	const counted = "not shown: more than 500 a second"
	flood(at)
	before := strings.Count(said(), counted)
	for deadline := time.Now().Add(10 * time.Second); strings.Count(said(), counted) == before; {
		if time.Now().After(deadline) {
			t.Fatalf("the flood's last count was never said:\n%s", said())
		}
		time.Sleep(20 * time.Millisecond)
	}

	flood(at.Add(time.Minute))
	before = strings.Count(said(), counted)
	p.done()
	if got := strings.Count(said(), counted); got != before+1 {
		t.Errorf("stopping said %d counts, want 1", got-before)
	}
}
