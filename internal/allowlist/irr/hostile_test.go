package irr

import (
	"strings"
	"testing"
)

// TestServerTextIsEscaped: error text from the server reaches messages
// (and so the terminal) with its control characters escaped, in both query
// styles and from a saved answer.
func TestServerTextIsEscaped(t *testing.T) {
	const evil = "\x1b]52;c;ZWNobw==\x07\x1b[2K\x9b1m"
	o := Options{Server: "s:43", ASN: "AS32934", MaxBytes: 1 << 20}
	_, err := readRPSL(strings.NewReader("%% ERROR: "+evil+"\n\n\n"), o, "q")
	if err == nil || KindOf(err) != ServerError {
		t.Fatalf("err = %v", err)
	}
	errs := []error{err}
	_, err = ParseAnswer([]byte("F "+evil+"\n"), InputIRRd, "file:x", o)
	errs = append(errs, err)
	_, err = ParseAnswer([]byte("%% ERROR: "+evil+"\n\n"), InputRPSL, "file:x", o)
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			t.Fatal("no error")
		}
		if strings.ContainsAny(err.Error(), "\x1b\x07\u009b") {
			t.Errorf("raw control characters in %q", err)
		}
		if !strings.Contains(err.Error(), `\x1b]52`) {
			t.Errorf("escaped text missing from %q", err)
		}
	}
}

func TestDetectInput(t *testing.T) {
	for in, want := range map[string]string{
		"A12\n1.2.3.0/24\nC\n":             InputIRRd,
		"D\n":                              InputIRRd,
		"route: 1.2.3.0/24\norigin: AS1\n": InputRPSL,
		"% comment\n\nroute: x\n":          InputRPSL,
		"# list\n157.240.0.0/16\n":         InputPlain,
		"fe80::/10\n":                      InputPlain,
		"2a03:2880::/32, 1.2.3.4\n":        InputPlain,
		"157.240.0.1\n":                    InputPlain,
		"":                                 InputPlain,
	} {
		if got := DetectInput([]byte(in)); got != want {
			t.Errorf("DetectInput(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzParseAnswer: a saved answer of any shape, in any format, never
// panics, and every route it accepts has a canonical prefix of its origin.
func FuzzParseAnswer(f *testing.F) {
	f.Add([]byte("A12\n1.2.3.0/24\nC\n"), uint8(0))
	f.Add([]byte("route: 157.240.0.0/16\norigin: AS32934\nsource: RADB\n\n"), uint8(1))
	f.Add([]byte("157.240.0.0/16, 2a03:2880::/32 # x\n10.0.0.1\n,,,\n"), uint8(3))
	f.Add([]byte(",,,\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		format := InputFormats[int(kind)%len(InputFormats)]
		ans, err := ParseAnswer(data, format, "file:fuzz", Options{ASN: "AS32934", MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		for _, r := range ans.Routes {
			if r.Err == nil && (!r.Prefix.IsValid() || r.Prefix.Masked() != r.Prefix || r.Prefix.Addr().Is4In6()) {
				t.Fatalf("accepted %v from %q", r.Prefix, data)
			}
		}
	})
}
