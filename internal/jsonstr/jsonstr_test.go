package jsonstr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestAppendAtEveryOffset puts each kind of byte that needs a look at
// every position of the words Append skips eight bytes at a time.
func TestAppendAtEveryOffset(t *testing.T) {
	for _, special := range []string{`"`, `\\`, "\x00", "\x1f", "\x7f", " ", "\xff", "é", "\u2028", "🌵", "\xe2\x80"} {
		for at := 0; at < 20; at++ {
			s := strings.Repeat("a", at) + special + strings.Repeat("b", 20-at)
			want, _ := json.Marshal(s)
			want = bytes.ReplaceAll(want, []byte(`\u003c`), []byte("<"))
			if got := Append(nil, s); !bytes.Equal(got, want) {
				t.Errorf("%q: got %s, want %s", s, got, want)
			}
		}
	}
}

func FuzzAppendMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\", "\x00\x1f\x7f", "\xff\xfe", "\u2028\u2029", "<a>&b", "🌵é", strings.Repeat("x", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := Append(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}
