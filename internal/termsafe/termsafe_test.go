package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTextEscapesWhatATerminalWouldObey(t *testing.T) {
	cases := []struct{ in, text, line string }{
		{"hello", "hello", "hello"},
		{"olá 👋", "olá 👋", "olá 👋"},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`, `\x1b]0;pwned\x07`},
		{"\x1b]52;c;aGk=\x1b\\", `\x1b]52;c;aGk=\x1b\`, `\x1b]52;c;aGk=\x1b\`},
		{"a\x1b[2Kb", `a\x1b[2Kb`, `a\x1b[2Kb`},
		{"csi\u009b31m", `csi\u009b31m`, `csi\u009b31m`},
		{"two\nlines\tx", "two\nlines\tx", `two\nlines\tx`},
		{"cr\rover", `cr\rover`, `cr\rover`},
		{"del\x7f", `del\x7f`, `del\x7f`},
		{"nul\x00", `nul\x00`, `nul\x00`},
		{"bad\xffutf8", `bad\xffutf8`, `bad\xffutf8`},
		{"rtl\u202egnp.exe", `rtl\u202egnp.exe`, `rtl\u202egnp.exe`},
		{"sep\u2028x", `sep\u2028x`, `sep\u2028x`},
	}
	for _, c := range cases {
		if got := Text(c.in); got != c.text {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.text)
		}
		if got := Line(c.in); got != c.line {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.line)
		}
	}
}

// Every byte that needs a look is found wherever it falls in the words
// clean skips eight at a time.
func TestCleanAtEveryOffset(t *testing.T) {
	for _, bad := range []string{"\x00", "\x1b", "\x1f", "\x7f", "\r", "\xff", "\u009b", "\u202e", "\u2028"} {
		for at := 0; at < 20; at++ {
			s := strings.Repeat("a", at) + bad + strings.Repeat("b", 20-at)
			if clean(s, true) {
				t.Errorf("%q taken for clean", s)
			}
		}
	}
	for at := 0; at < 20; at++ {
		if s := strings.Repeat("a", at) + "é\t" + strings.Repeat("~", 20-at); !clean(s, false) || clean(s, true) {
			t.Errorf("%q: a tab and é are clean in text, not in a line", s)
		}
	}
}

func TestNothingDangerousSurvives(t *testing.T) {
	var all strings.Builder
	for c := 0; c < 256; c++ {
		all.WriteByte(byte(c))
	}
	for r := rune(0x80); r < 0x3000; r++ {
		all.WriteRune(r)
	}
	for _, out := range []string{Text(all.String()), Line(all.String())} {
		if !utf8.ValidString(out) {
			t.Fatal("output is not valid UTF-8")
		}
		for _, r := range out {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unsafeRune(r) {
				t.Fatalf("control %U survived", r)
			}
		}
	}
	if strings.ContainsAny(Line(all.String()), "\n\t\r") {
		t.Fatal("Line kept a line break or tab")
	}
}

func TestBytesIsBounded(t *testing.T) {
	body := make([]byte, 64<<10) // a hostile error page of NUL bytes
	got := Bytes(body, 40)
	if !strings.HasSuffix(got, "… (65496 more bytes)") || strings.Contains(got, "\x00") {
		t.Fatalf("Bytes = %q", got)
	}
	if got := Bytes([]byte("ok"), 40); got != "ok" {
		t.Fatalf("short body changed: %q", got)
	}
	// A cut never splits a rune.
	if got := Bytes([]byte("ééééé"), 3); !strings.HasPrefix(got, "é…") {
		t.Fatalf("cut inside a rune: %q", got)
	}
}

func TestMask(t *testing.T) {
	got := Mask("token tok3n-secret echoed: tok3n-secret", "tok3n-secret", "")
	if strings.Contains(got, "tok3n-secret") || got != "token **** echoed: ****" {
		t.Fatalf("Mask = %q", got)
	}
}

func BenchmarkLineClean(b *testing.B) {
	s := "Hello, this is a perfectly ordinary message summary"
	for b.Loop() {
		_ = Line(s)
	}
}
