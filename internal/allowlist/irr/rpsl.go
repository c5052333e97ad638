// Package irr fetches route registrations for one origin AS from an IRR
// server (RADB and other IRRd instances) over the WHOIS port, in either of
// the two query styles IRRd speaks: RIPE-style "-i origin" answered in RPSL,
// and IRRd's own "!g"/"!6" commands answered with exact A<len> framing.
package irr

import (
	"bytes"
	"fmt"
	"strings"
)

// Attr is one RPSL attribute: a lower-cased name and its value with
// continuation lines joined by a space and end-of-line comments removed.
type Attr struct {
	Name  string
	Value string
}

// Object is one RPSL object; its class is the name of its first attribute.
type Object struct {
	Attrs []Attr
	Line  int // line number of the object's first attribute, for messages
}

// Class is the object's class ("route", "route6", "mntner", …).
func (o Object) Class() string {
	if len(o.Attrs) == 0 {
		return ""
	}
	return o.Attrs[0].Name
}

// Key is the value of the class attribute (the prefix for route objects).
func (o Object) Key() string {
	if len(o.Attrs) == 0 {
		return ""
	}
	return o.Attrs[0].Value
}

// Values returns every value of attribute name, in order.
func (o Object) Values(name string) []string {
	var vs []string
	for _, a := range o.Attrs {
		if a.Name == name {
			vs = append(vs, a.Value)
		}
	}
	return vs
}

// First returns the first value of attribute name, or "".
func (o Object) First(name string) string {
	for _, a := range o.Attrs {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// List returns the values of a list attribute (such as mnt-by), which may be
// both repeated and comma-separated, trimmed and without empty items.
func (o Object) List(name string) []string {
	var out []string
	for _, v := range o.Values(name) {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// RPSLAnswer is a parsed RIPE-style WHOIS answer.
type RPSLAnswer struct {
	Objects []Object
	// Messages are the server's "%" lines, without the leading "%" signs.
	Messages []string
	// NoEntries is set when the server said it found nothing.
	NoEntries bool
	// ServerError is the text of a "%% ERROR:" line, if any.
	ServerError string
}

// ParseError is an answer that is not RPSL at all, or ends mid-object.
type ParseError struct {
	Line      int
	Msg       string
	Truncated bool
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// ParseRPSL parses a RIPE-style answer: objects separated by blank lines,
// "attr: value" lines, continuation lines starting with a space, tab or "+",
// "#" comments (whole-line and end-of-line), and "%" server messages. A
// complete answer ends with a blank line after its last object; one that
// stops inside an object is reported as truncated, because the closing of
// the connection is the only end-of-answer signal WHOIS has.
func ParseRPSL(data []byte) (*RPSLAnswer, error) { return ParseRPSLAttrs(data, nil) }

// ParseRPSLAttrs is ParseRPSL keeping, besides each object's class
// attribute, only the attributes for which keep returns true (all when keep
// is nil). Skipping the rest (descr, remarks, changed, …) saves most of the
// allocations on a large answer; the syntax is checked all the same.
func ParseRPSLAttrs(data []byte, keep func(name string) bool) (*RPSLAnswer, error) {
	ans := &RPSLAnswer{Objects: make([]Object, 0, bytes.Count(data, []byte("\n\n")))}
	names := map[string]string{} // attribute names repeat in every object: allocate each once
	skipping := false            // the current attribute is not kept: neither are its continuation lines
	var cur *Object
	flush := func() {
		if cur != nil {
			ans.Objects = append(ans.Objects, *cur)
			cur = nil
		}
	}
	text := data
	lineNo := 0
	for len(text) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			// The last line has no newline: the answer was cut off.
			line, text = text, nil
			if cur != nil || len(bytes.TrimSpace(line)) > 0 {
				return nil, &ParseError{Line: lineNo, Msg: "answer ends in the middle of a line", Truncated: true}
			}
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			flush()
		case line[0] == '%':
			flush()
			msg := strings.TrimSpace(strings.TrimLeft(string(line), "%"))
			if strings.HasPrefix(string(line), "%%") && strings.HasPrefix(msg, "ERROR:") {
				ans.ServerError = strings.TrimSpace(strings.TrimPrefix(msg, "ERROR:"))
			}
			if strings.Contains(strings.ToLower(msg), "no entries found") {
				ans.NoEntries = true
			}
			ans.Messages = append(ans.Messages, msg)
		case line[0] == '#':
			// A whole-line comment; it does not end the object.
		case line[0] == ' ' || line[0] == '\t' || line[0] == '+':
			if cur == nil || len(cur.Attrs) == 0 {
				return nil, &ParseError{Line: lineNo, Msg: fmt.Sprintf("continuation line outside an object: %q", clip(line))}
			}
			if skipping {
				continue
			}
			v := stripCommentBytes(line[1:])
			a := &cur.Attrs[len(cur.Attrs)-1]
			if v != "" {
				if a.Value != "" {
					a.Value += " "
				}
				a.Value += v
			}
		default:
			name, rest, ok := splitAttr(line, names)
			if !ok {
				return nil, &ParseError{Line: lineNo, Msg: fmt.Sprintf("not an RPSL attribute line: %q", clip(line))}
			}
			if cur != nil && keep != nil && !keep(name) {
				skipping = true
				continue
			}
			skipping = false
			if cur == nil {
				cur = &Object{Line: lineNo, Attrs: make([]Attr, 0, 8)}
			}
			cur.Attrs = append(cur.Attrs, Attr{Name: name, Value: stripCommentBytes(rest)})
		}
	}
	if cur != nil {
		return nil, &ParseError{Line: lineNo, Msg: "answer ends inside an object (no blank line after it)", Truncated: true}
	}
	return ans, nil
}

// splitAttr splits "name: value" where name is letters, digits, "-" or "_"
// starting in column 0; names are lower-cased and interned in names. The
// value is returned raw, comment and spaces included.
func splitAttr(line []byte, names map[string]string) (name string, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", nil, false
	}
	for _, c := range line[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", nil, false
		}
	}
	name, ok = names[string(line[:i])]
	if !ok {
		name = strings.ToLower(string(line[:i]))
		names[string(line[:i])] = name
	}
	return name, line[i+1:], true
}

// stripComment removes an end-of-line "#" comment and surrounding space.
func stripComment(v string) string {
	if i := strings.IndexByte(v, '#'); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// stripCommentBytes is stripComment that allocates only the result.
func stripCommentBytes(v []byte) string {
	if i := bytes.IndexByte(v, '#'); i >= 0 {
		v = v[:i]
	}
	return string(bytes.TrimSpace(v))
}

func clip(b []byte) string {
	const max = 60
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
