package render

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// textWidth is how many terminal cells s takes, colour codes aside. Every
// width decision of the renderers uses it, so what is measured is what a
// terminal draws.
func textWidth(s string) int {
	// Most cells are printable ASCII without colour codes: one cell a byte.
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// cut shortens s to at most w cells, the last being "…"; colour codes are
// kept intact.
func cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if textWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// WrapIndent breaks s (which may hold colour codes) into lines of at most
// width cells: the first line continues after first cells already used,
// the others start after indent spaces. Words longer than a line are
// broken. width 0 never wraps (files and pipes keep one line).
func WrapIndent(s string, width, first, indent int) string {
	if width <= 0 || first+textWidth(s) <= width {
		return s
	}
	room := max(width-indent, 12)
	// A first line narrower than the others starts with a placeholder
	// word as wide as the difference, removed after wrapping.
	lead := ""
	if d := first - indent; d > 0 && d < room-4 {
		lead = strings.Repeat("x", d) + " "
	}
	lines := strings.Split(ansi.Wrap(lead+s, room, ""), "\n")
	lines[0] = strings.TrimPrefix(lines[0], lead)
	pad := strings.Repeat(" ", indent)
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
		if i > 0 {
			lines[i] = pad + strings.TrimLeft(lines[i], " ")
		}
	}
	return strings.Join(lines, "\n")
}

// safe is outside text made fit for one line of a terminal: secrets
// masked, control characters escaped, white space runs folded.
func safe(s string, secrets []string) string {
	if len(secrets) > 0 {
		s = termsafe.Mask(s, secrets...)
	}
	return termsafe.Line(oneLine(s))
}

func oneLine(s string) string {
	if !hasBreak(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// hasBreak reports whether s holds a tab, a newline or a carriage return:
// eight bytes at a time while none is a control character.
func hasBreak(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if (w-0x20*ones)&^w&highs != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '\r' || c == '\n' || c == '\t' {
			return true
		}
	}
	return false
}
