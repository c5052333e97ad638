package weburl

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for raw, want := range map[string]string{
		"":                        "--to is empty",
		"127.0.0.1:18100/webhook": `has no scheme: write it in full, e.g. http://127.0.0.1:18100/webhook`,
		"localhost:3000":          "e.g. http://localhost:3000/webhook",
		"example.com/webhook":     "e.g. https://example.com/webhook",
		"ftp://example.com/x":     "only http:// and https:// URLs are supported, not ftp://",
		"http:///webhook":         "has no host",
		"http://host:99999/x":     "port 99999 is not a port number",
		"http://host:abc/x":       "the port is not a number",
		"http://ex ample.com/":    "contains a space",
		"http://example.com/%zz":  "a % is not followed by two hex digits",
		"http://exa\x1bmple.com/": `exa\x1bmple`,
	} {
		_, err := Parse("--to", raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "\x1b") {
			t.Errorf("Parse(%q): raw ESC in %q", raw, err)
		}
	}
	for _, ok := range []string{"http://127.0.0.1:3000/webhook", "https://example.com", "HTTPS://[::1]:8443/x?y=1"} {
		if _, err := Parse("--to", ok); err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
		}
	}
}
