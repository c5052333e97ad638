package irr

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// Input formats for ParseAnswer.
const (
	InputAuto  = "auto"
	InputRPSL  = ModeRPSL
	InputIRRd  = ModeIRRd
	InputPlain = "plain" // one prefix (or address) per line or field, "#" comments
)

// InputFormats lists the accepted input formats.
var InputFormats = []string{InputAuto, InputRPSL, InputIRRd, InputPlain}

// DetectInput guesses the format of an answer saved to a file: IRRd
// framing starts with A<len>, C, D or F; RPSL with "%" or "attr:"; anything
// else is a plain prefix list.
func DetectInput(data []byte) string {
	for _, line := range bytes.Split(data, []byte("\n")) {
		t := strings.TrimSpace(string(line))
		if t == "" || t[0] == '#' {
			continue
		}
		fields := strings.FieldsFunc(t, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
		if len(fields) == 0 {
			continue // only separators
		}
		first := fields[0]
		if _, err := netip.ParsePrefix(first); err == nil {
			return InputPlain
		}
		if _, err := netip.ParseAddr(first); err == nil {
			return InputPlain
		}
		switch {
		case t == "C" || t == "D" || t[0] == 'F' && (len(t) == 1 || t[1] == ' '):
			return InputIRRd
		case t[0] == 'A' && len(t) > 1 && strings.Trim(t[1:], "0123456789") == "":
			return InputIRRd
		case t[0] == '%':
			return InputRPSL
		}
		if i := strings.IndexByte(t, ':'); i > 0 && strings.Trim(strings.ToLower(t[:i]), "abcdefghijklmnopqrstuvwxyz0123456789-_") == "" {
			return InputRPSL
		}
		return InputPlain
	}
	return InputPlain
}

// ParseAnswer reads an answer saved to a file (or piped in) as if a server
// had sent it, with the same rules and errors as Fetch: an RPSL answer (as
// `whois -h whois.radb.net -- '-i origin AS32934'` prints it), an IRRd one
// (the A<len> … C replies to !g and !6), or a plain prefix list. name says
// where it came from ("file:meta.rpsl", "stdin"). o.ASN is the origin of
// the prefixes of IRRd and plain inputs, which carry none.
func ParseAnswer(data []byte, format, name string, o Options) (*Answer, error) {
	if format == "" || format == InputAuto {
		format = DetectInput(data)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Kind: Empty, Msg: fmt.Sprintf("%s is empty", name)}
	}
	o.Server = name
	var ans *Answer
	var err error
	switch format {
	case InputRPSL:
		// A saved answer may lack the blank line a server ends with; a
		// cut inside an object still shows (a line without its newline,
		// or a continuation with nothing before it).
		if bytes.HasSuffix(data, []byte("\n")) && !bytes.HasSuffix(data, []byte("\n\n")) {
			data = append(data[:len(data):len(data)], '\n')
		}
		ans, err = readRPSL(bytes.NewReader(data), o, "input "+name)
	case InputIRRd:
		ans, err = parseIRRdInput(data, name, o)
	case InputPlain:
		ans, err = parsePlainInput(data, name, o)
	default:
		return nil, fmt.Errorf("unknown input format %q: use %s", format, strings.Join(InputFormats, ", "))
	}
	if err != nil {
		return nil, err
	}
	ans.Server, ans.Mode, ans.Query, ans.Bytes, ans.Attempts = name, format, "input ("+format+")", len(data), 1
	return ans, nil
}

func parseIRRdInput(data []byte, name string, o Options) (*Answer, error) {
	replies, err := ParseReplies(data, o.MaxBytes)
	if err != nil {
		return nil, &Error{Kind: Malformed, Msg: fmt.Sprintf("%s is not an IRRd answer: %v", name, err), Err: err}
	}
	ans := &Answer{}
	for _, rep := range replies {
		switch rep.Code {
		case 'A':
			for _, tok := range strings.Fields(string(rep.Data)) {
				p, err := ParsePrefix(tok, strings.Contains(tok, ":"))
				ans.Routes = append(ans.Routes, Route{Key: tok, Prefix: p, Err: err, Origin: o.ASN})
			}
		case 'F', 'E':
			return nil, &Error{Kind: Malformed, Msg: fmt.Sprintf("%s holds an error answer: %s", name, termsafe.Line(clipS(rep.Message)))}
		}
	}
	if len(ans.Routes) == 0 {
		return nil, &Error{Kind: Empty, Msg: fmt.Sprintf("%s holds no prefixes", name)}
	}
	return ans, nil
}

// parsePlainInput reads prefixes separated by white space or commas, with
// "#" comments; a bare address is a /32 or /128. A token that is not a
// prefix is a registration with an unusable prefix: dropped and named.
func parsePlainInput(data []byte, name string, o Options) (*Answer, error) {
	ans := &Answer{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, tok := range strings.FieldsFunc(string(line), func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == ';' }) {
			key := tok
			if a, err := netip.ParseAddr(tok); err == nil && a.Zone() == "" {
				key = netip.PrefixFrom(a, a.BitLen()).String()
			}
			p, err := ParsePrefix(key, strings.Contains(key, ":"))
			ans.Routes = append(ans.Routes, Route{Key: tok, Prefix: p, Err: err, Origin: o.ASN})
		}
	}
	if len(ans.Routes) == 0 {
		return nil, &Error{Kind: Empty, Msg: fmt.Sprintf("%s holds no prefixes", name)}
	}
	return ans, nil
}
