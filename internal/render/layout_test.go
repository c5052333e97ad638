package render

import (
	"strings"
	"testing"
)

// Long values (the banner's verify-token line, the summary's lists) wrap
// under their column, each line within the width, nothing lost.
func TestWrapIndent(t *testing.T) {
	text := "wa-hooks-0123456789abcdef01234567  (generated for this run: paste it in Meta App Dashboard → WhatsApp → Configuration → Verify token, or set verify_token / WA_HOOKS_VERIFY_TOKEN to keep one)"
	for _, width := range []int{50, 80, 120} {
		got := WrapIndent(text, width, 16, 16)
		lines := strings.Split(got, "\n")
		if len(lines) < 2 {
			t.Fatalf("width %d: not wrapped: %q", width, got)
		}
		for i, l := range lines {
			w := textWidth(l)
			if i == 0 {
				w += 16
			}
			if w > width {
				t.Errorf("width %d: line %d is %d wide: %q", width, i, w, l)
			}
			if i > 0 && !strings.HasPrefix(l, strings.Repeat(" ", 16)) {
				t.Errorf("width %d: line %d has no hanging indent: %q", width, i, l)
			}
		}
		if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(text), " ") {
			t.Errorf("width %d: text changed: %q", width, got)
		}
	}
	if got := WrapIndent(text, 0, 16, 16); got != text {
		t.Errorf("wrapped without a terminal: %q", got)
	}
}

// A tab, newline or carriage return folds wherever it falls in the words
// hasBreak skips eight at a time.
func TestOneLineAtEveryOffset(t *testing.T) {
	for _, br := range []string{"\t", "\n", "\r", "\r\n  \t"} {
		for at := 1; at < 20; at++ {
			s := strings.Repeat("a", at) + br + strings.Repeat("b", 20-at)
			if got, want := oneLine(s), strings.Repeat("a", at)+" "+strings.Repeat("b", 20-at); got != want {
				t.Errorf("oneLine(%q) = %q", s, got)
			}
		}
	}
	if s := strings.Repeat("\x1b", 17); oneLine(s) != s {
		t.Error("a control character that is not a break was folded")
	}
}
