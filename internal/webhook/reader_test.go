package webhook

import (
	"encoding/json"
	"strings"
	"testing"
)

// A string is read as encoding/json reads it, wherever its escapes, quotes
// and bytes above ASCII fall in the eight-byte words the reader tests.
func TestStringsReadAsEncodingJSON(t *testing.T) {
	pieces := []string{"", "a", "abcdefgh", "abcdefghijklmnopq", `\"`, `\\`, `\/`, `\n`, `\t`, `\b`, `\f`,
		`\u00e9`, `\u00C9`, `\uFEFF`, `\u0000`, `\ud83d\ude00`, `\ud83d`, `\ude00x`, `\ud83dabc`, `\ud83d\u0041`, "é", "🌵", "\u2028", "\x7f", "<&>", "\xff", "\xe2\x80", "\xc3"}
	for _, a := range pieces {
		for _, b := range pieces {
			for pad := 0; pad < 9; pad++ {
				lit := `"` + strings.Repeat("x", pad) + a + strings.Repeat("y", 9-pad) + b + a + `"`
				var want string
				if err := json.Unmarshal([]byte(lit), &want); err != nil {
					t.Fatalf("%s: %v", lit, err)
				}
				r := &reader{s: lit}
				got, ok := r.str()
				if !ok || got != want || r.i != len(lit) {
					t.Fatalf("%s: read %q (ok %v, at %d of %d), encoding/json %q", lit, got, ok, r.i, len(lit), want)
				}
			}
		}
	}
	for _, bad := range []string{`"abcdefgh`, "\"abcdefg\x01h\"", `"abcdefgh\x"`, `"abcdefgh\u12"`, `"abcdefgh\u00g0"`, `"abcdefgh\u0:00"`, `"abcdefghijklmno\`,
		"\"ab\\u00e9cdefgh\x01\"", "\"abcdefghij\\n\x1f\"", `"abcdefghij\u00e9\q"`, `"abc\ud83d\u00g0"`} {
		if _, ok := (&reader{s: bad}).str(); ok {
			t.Errorf("%q read as a string", bad)
		}
	}
}

// BenchmarkUnescapeText decodes a string value with escapes: the 3 MB text
// of go run ./internal/bench serve in Meta's wire form (an escape every
// few words), and a short one.
func BenchmarkUnescapeText(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
	}{{"3MB", (3 << 20) / 31}, {"short", 2}} {
		s := strings.Repeat(`caf\u00e9 lorem ipsum \/ dolor `, c.n)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			for b.Loop() {
				if _, ok, valid, _ := unescapeChecked(s); !ok || !valid {
					b.Fatal("not decoded")
				}
			}
		})
	}
}
