package prefixset

import (
	"bytes"
	"net/netip"
	"strings"
)

// Extract reads back the prefixes of a file written in any output format
// (plain, nginx, apache, nftables, json, …): every CIDR-looking token outside
// comment lines. It is deliberately format-blind so that the shrink guard and
// `allowlist check --list` work on whatever file the user has, including one
// written by another tool. Tokens without a "/" are ignored: every format
// writes full CIDR notation.
func Extract(data []byte) []netip.Prefix {
	var out []netip.Prefix
	data = bytes.ReplaceAll(data, []byte(`\/`), []byte("/")) // JSON writers that escape "/"
	for _, line := range bytes.Split(data, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' || bytes.HasPrefix(t, []byte("//")) {
			continue
		}
		for _, tok := range strings.FieldsFunc(string(t), notPrefixChar) {
			if !strings.Contains(tok, "/") {
				continue
			}
			tok = strings.Trim(tok, "/")
			if p, err := netip.ParsePrefix(tok); err == nil && !p.Addr().Is4In6() {
				out = append(out, p.Masked())
			}
		}
	}
	return out
}

func notPrefixChar(r rune) bool {
	return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' || r == '.' || r == ':' || r == '/')
}
