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
	p := newRPSLParser(keep, func(p *rpslParser) {
		obj := Object{Line: p.objLine, Attrs: make([]Attr, len(p.attrs))}
		for i, a := range p.attrs {
			obj.Attrs[i] = Attr{Name: a.name, Value: string(p.value(i))}
		}
		ans.Objects = append(ans.Objects, obj)
	})
	for len(data) > 0 {
		var line []byte
		final := false
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data, final = data, nil, true
		}
		if err := p.line(line, final); err != nil {
			return nil, err
		}
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	p.answer(ans)
	return ans, nil
}

// rpslParser is the RPSL syntax as a line-at-a-time machine, so that an
// answer can be parsed while it arrives, without holding all of it (Meta's
// is close to a megabyte). It hands each finished object to onObject; the
// object's attributes and values live in the parser's buffers and are valid
// only during that call.
type rpslParser struct {
	keep     func(name string) bool
	onObject func(p *rpslParser)
	names    map[string]int // raw attribute name → its index in seen
	seen     []seenName     // attribute names as they were first met
	next     int            // index in seen of the name most likely to come next

	lineNo   int
	inObject bool
	skipping bool // the current attribute is not kept: neither are its continuation lines
	nonBlank bool // some line had more than white space
	objLine  int  // line number of the current object's first attribute
	attrs    []rawAttr
	values   []byte // the current object's values, back to back

	messages    []string
	noEntries   bool
	serverError string
}

// seenName is an attribute name as written and lower-cased.
type seenName struct{ raw, name string }

// rawAttr is an attribute whose value is values[start:end].
type rawAttr struct {
	name       string
	start, end int
}

func newRPSLParser(keep func(string) bool, onObject func(*rpslParser)) *rpslParser {
	return &rpslParser{keep: keep, onObject: onObject, names: map[string]int{}, attrs: make([]rawAttr, 0, 16)}
}

// value is the i-th attribute's value in the current object.
func (p *rpslParser) value(i int) []byte { return p.values[p.attrs[i].start:p.attrs[i].end] }

func (p *rpslParser) flush() {
	if p.inObject {
		p.onObject(p)
		p.inObject = false
	}
}

// line takes one line without its "\n"; final marks the answer's last bytes
// when they had no newline, which means the answer was cut off.
func (p *rpslParser) line(line []byte, final bool) error {
	p.lineNo++
	// Most lines start with a letter: only the others need the full test.
	blank := len(line) == 0 || (line[0] <= ' ' || line[0] >= 0x80) && len(bytes.TrimSpace(line)) == 0
	if !blank {
		p.nonBlank = true
	}
	if final && (p.inObject || !blank) {
		return &ParseError{Line: p.lineNo, Msg: "answer ends in the middle of a line", Truncated: true}
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	switch {
	case blank:
		p.flush()
	case line[0] == '%':
		p.flush()
		msg := strings.TrimSpace(strings.TrimLeft(string(line), "%"))
		if bytes.HasPrefix(line, []byte("%%")) && strings.HasPrefix(msg, "ERROR:") {
			p.serverError = strings.TrimSpace(strings.TrimPrefix(msg, "ERROR:"))
		}
		if strings.Contains(strings.ToLower(msg), "no entries found") {
			p.noEntries = true
		}
		p.messages = append(p.messages, msg)
	case line[0] == '#':
		// A whole-line comment; it does not end the object.
	case line[0] == ' ' || line[0] == '\t' || line[0] == '+':
		if !p.inObject {
			return &ParseError{Line: p.lineNo, Msg: fmt.Sprintf("continuation line outside an object: %q", clip(line))}
		}
		if p.skipping {
			return nil
		}
		if v := stripCommentTrim(line[1:]); len(v) > 0 {
			a := &p.attrs[len(p.attrs)-1] // the last kept attribute's value ends values
			if a.end > a.start {
				p.values = append(p.values, ' ')
			}
			p.values = append(p.values, v...)
			a.end = len(p.values)
		}
	default:
		name, rest, ok := p.attrName(line)
		if !ok {
			return &ParseError{Line: p.lineNo, Msg: fmt.Sprintf("not an RPSL attribute line: %q", clip(line))}
		}
		if p.inObject && p.keep != nil && !p.keep(name) {
			p.skipping = true
			return nil
		}
		p.skipping = false
		if !p.inObject {
			p.inObject, p.objLine = true, p.lineNo
			p.attrs, p.values = p.attrs[:0], p.values[:0]
		}
		start := len(p.values)
		p.values = append(p.values, stripCommentTrim(rest)...)
		p.attrs = append(p.attrs, rawAttr{name: name, start: start, end: len(p.values)})
	}
	return nil
}

// end is called after the last line.
func (p *rpslParser) end() error {
	if p.inObject {
		return &ParseError{Line: p.lineNo, Msg: "answer ends inside an object (no blank line after it)", Truncated: true}
	}
	return nil
}

// answer copies the server's messages into ans.
func (p *rpslParser) answer(ans *RPSLAnswer) {
	ans.Messages, ans.NoEntries, ans.ServerError = p.messages, p.noEntries, p.serverError
}

// attrName splits "name: value" where name is letters, digits, "-" or "_"
// starting in column 0; names are lower-cased, and each distinct one is
// checked and allocated once. The value is returned raw, comment and spaces
// included. Objects list their attributes in the same order again and
// again, so the name after the last one seen is tried first, before the map.
func (p *rpslParser) attrName(line []byte) (name string, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", nil, false
	}
	raw := line[:i]
	if p.next < len(p.seen) && string(raw) == p.seen[p.next].raw {
		p.next++
		return p.seen[p.next-1].name, line[i+1:], true
	}
	k, known := p.names[string(raw)]
	if !known {
		for _, c := range raw {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", nil, false
			}
		}
		k = len(p.seen)
		p.seen = append(p.seen, seenName{raw: string(raw), name: strings.ToLower(string(raw))})
		p.names[p.seen[k].raw] = k
	}
	p.next = k + 1
	return p.seen[k].name, line[i+1:], true
}

// stripCommentTrim removes an end-of-line "#" comment and surrounding space.
func stripCommentTrim(v []byte) []byte {
	if i := bytes.IndexByte(v, '#'); i >= 0 {
		v = v[:i]
	}
	return bytes.TrimSpace(v)
}

func clip(b []byte) string {
	const max = 60
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
