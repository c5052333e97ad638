package mock

import (
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
