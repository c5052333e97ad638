package webhook

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// quoteAll and truncateAll are the plain definitions quote and truncate
// must match: collapse all white space, never cut (summaries are whole up
// to MaxQuotedText; only a terminal shortens them).
func quoteAll(s string) string {
	return `"` + strings.Join(strings.Fields(s), " ") + `"`
}

func truncateAll(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

func quoteSeeds() []string {
	return []string{
		"", " ", "hi", "  hi  there  ", "\t\n\v\f\r x \u00a0\u0085\u2003\u3000 y ",
		strings.Repeat("a", 79), strings.Repeat("a", 80), strings.Repeat("a", 81), strings.Repeat("é", 81),
		strings.Repeat("ab ", 27), strings.Repeat("ab ", 26) + "abc", strings.Repeat("word  ", 200),
		strings.Repeat("x", 78) + " y", strings.Repeat("x", 79) + " y", strings.Repeat("x", 79) + "  yz",
		"bad \xff\xfe bytes \xed\xa0\x80" + strings.Repeat("\xc3", 90), strings.Repeat("🌵", 100),
		strings.Repeat(" ", 1000) + "end",
	}
}

func TestQuoteMatchesWholeText(t *testing.T) {
	for _, s := range quoteSeeds() {
		if got, want := quote(s), quoteAll(s); got != want {
			t.Errorf("quote(%q) = %q, want %q", s, got, want)
		}
		for _, max := range []int{1, 2, 16, 80, 100} {
			if got, want := truncate(s, max), truncateAll(s, max); got != want {
				t.Errorf("truncate(%q, %d) = %q, want %q", s, max, got, want)
			}
		}
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range quoteSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := quote(s), quoteAll(s); got != want {
			t.Fatalf("quote(%q) = %q, want %q", s, got, want)
		}
		if got, want := truncate(s, 16), truncateAll(s, 16); got != want {
			t.Fatalf("truncate(%q, 16) = %q, want %q", s, got, want)
		}
	})
}

// A text longer than MaxQuotedText is quoted up to it, at a rune, and
// marked; a shorter one is whole.
func TestQuoteBoundsLongText(t *testing.T) {
	long := strings.Repeat("café lorem  ipsum ", (3<<20)/19)
	q := quote(long)
	if len(q) > MaxQuotedText+len(`"…"`) || !strings.HasSuffix(q, `…"`) || !strings.HasPrefix(q, `"café lorem ipsum café`) || !utf8.ValidString(q) {
		t.Fatalf("quoted %d bytes of %d: %q…%q", len(q), len(long), q[:24], q[len(q)-24:])
	}
	whole := strings.Repeat("é", MaxQuotedText/2)
	if got := quote(whole); got != `"`+whole+`"` {
		t.Fatalf("a text of exactly MaxQuotedText bytes was cut to %d", len(got))
	}
}
