// Package wire turns any JSON document into the bytes Meta puts on the wire
// for a WhatsApp webhook, and into the other common serialisations of the
// same value (JSON.stringify, json.Marshal, json.dumps, pretty-printed) so a
// signature mismatch can be traced to the re-encoding that caused it.
//
// Meta's wire form, as seen in captured deliveries: compact (no whitespace),
// keys in their original order, numbers exactly as written, every non-ASCII
// character as a lowercase \uXXXX escape (characters outside the BMP as a
// UTF-16 surrogate pair) and "/" as "\/". That is PHP/Hack json_encode with
// its default flags, which also explains the choices the captures do not
// show directly:
//
//   - "<", ">", "&", "'" and "@" stay as they are (json_encode escapes them
//     only with JSON_HEX_* flags; no captured WhatsApp body shows them
//     escaped). The escaped "@" reported for some Messenger integrations is
//     unconfirmed for WhatsApp.
//   - U+2028 and U+2029 are non-ASCII, so they become \u2028 and \u2029 like
//     every other non-ASCII character.
//   - Control characters can only appear escaped in valid JSON; escapes in
//     the input are kept byte for byte (only the hex digits of \u escapes are
//     lowercased, as Meta writes them). That makes the encoding idempotent
//     and leaves an already wire-encoded body unchanged.
//
// The encoder streams over the input once and never builds a value tree, so
// numbers (IDs above 2^53) and duplicate keys survive untouched.
package wire

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Escaping selects how string contents are written.
type Escaping int

const (
	// Meta keeps every escape in the input, writes non-ASCII as lowercase
	// \uXXXX (surrogate pairs outside the BMP) and "/" as "\/".
	Meta Escaping = iota
	// Keep copies string contents byte for byte: only whitespace between
	// tokens changes (what a minifier or re-indenter that keeps strings does).
	Keep
	// Unicode decodes every escape and writes raw UTF-8, escaping only what
	// JSON requires: JavaScript's JSON.stringify, and most re-serialisers.
	Unicode
	// GoHTML is Go's encoding/json: raw UTF-8, but "<", ">", "&", U+2028 and
	// U+2029 as \u003c, \u003e, \u0026, \u2028, \u2029.
	GoHTML
	// ASCII is Python's json.dumps default (ensure_ascii): non-ASCII as
	// lowercase \uXXXX, "/" unescaped.
	ASCII
)

// Style is a serialisation: how strings are escaped and how tokens are laid out.
type Style struct {
	Escaping Escaping
	// Indent, when not empty, pretty-prints with one Indent per level, a
	// newline before every member and ": " between key and value.
	Indent string
	// Spaced writes ", " and ": " between tokens in compact output, as
	// Python's json.dumps does by default.
	Spaced bool
	// EscapeASCII lists printable ASCII characters to write as \u00xx
	// inside strings, for example "@" for senders that want to mimic the
	// escaped "@" some Messenger integrations report. Escapes already in the
	// input are not touched by Meta and Keep.
	EscapeASCII string
}

// MaxDepth bounds nesting so hostile input cannot exhaust the stack.
const MaxDepth = 10000

// Encode turns doc, any JSON document, into Meta's wire bytes. A leading
// UTF-8 byte order mark is dropped (Meta never sends one). Invalid JSON is a
// *SyntaxError naming the offset.
func Encode(doc []byte) ([]byte, error) {
	return Format(doc, Style{Escaping: Meta})
}

// IsWire reports whether doc is already exactly Meta's wire form.
func IsWire(doc []byte) bool {
	out, err := Encode(doc)
	return err == nil && string(out) == string(doc)
}

// Format re-serialises doc in the given style, keeping key order and numbers.
func Format(doc []byte, style Style) ([]byte, error) {
	e := encoder{in: doc, style: style, out: make([]byte, 0, len(doc)+len(doc)/8+16)}
	for c := 0; c < 0x20; c++ {
		e.special[c] = true
	}
	for _, c := range `"\/<>&` {
		e.special[c] = true
	}
	for i := 0; i < len(style.EscapeASCII); i++ {
		if c := style.EscapeASCII[i]; c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			e.special[c], e.extra[c] = true, true
		}
	}
	if len(doc) >= 3 && doc[0] == 0xEF && doc[1] == 0xBB && doc[2] == 0xBF {
		e.pos = 3
	}
	e.skipSpace()
	if e.pos >= len(e.in) {
		return nil, e.errorf("empty document: expected a JSON value")
	}
	if err := e.value(0); err != nil {
		return nil, err
	}
	e.skipSpace()
	if e.pos < len(e.in) {
		return nil, e.errorf("unexpected %s after the end of the JSON value", describe(e.in, e.pos))
	}
	return e.out, nil
}

// SyntaxError is invalid JSON input, located by byte offset, line and column.
type SyntaxError struct {
	Offset int // 0-based byte offset of the problem
	Line   int // 1-based
	Column int // 1-based, in bytes
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at line %d, column %d (byte offset %d): %s", e.Line, e.Column, e.Offset, e.Msg)
}

type encoder struct {
	in    []byte
	pos   int
	out   []byte
	style Style
	// special marks the ASCII bytes a string run must stop at.
	special [128]bool
	extra   [128]bool
}

func (e *encoder) errorf(format string, args ...any) error {
	line, col := 1, 1
	for i := 0; i < e.pos && i < len(e.in); i++ {
		if e.in[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &SyntaxError{Offset: e.pos, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// describe names the byte at pos for an error message.
func describe(in []byte, pos int) string {
	if pos >= len(in) {
		return "end of input"
	}
	c := in[pos]
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	if r, _ := utf8.DecodeRune(in[pos:]); r != utf8.RuneError {
		return fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (e *encoder) skipSpace() {
	for e.pos < len(e.in) {
		switch e.in[e.pos] {
		case ' ', '\t', '\n', '\r':
			e.pos++
		default:
			return
		}
	}
}

func (e *encoder) newline(depth int) {
	if e.style.Indent == "" {
		return
	}
	e.out = append(e.out, '\n')
	for i := 0; i < depth; i++ {
		e.out = append(e.out, e.style.Indent...)
	}
}

func (e *encoder) value(depth int) error {
	if depth > MaxDepth {
		return e.errorf("nesting deeper than %d levels", MaxDepth)
	}
	if e.pos >= len(e.in) {
		return e.errorf("unexpected end of input: expected a value")
	}
	switch c := e.in[e.pos]; {
	case c == '{':
		return e.object(depth)
	case c == '[':
		return e.array(depth)
	case c == '"':
		return e.str()
	case c == 't':
		return e.literal("true")
	case c == 'f':
		return e.literal("false")
	case c == 'n':
		return e.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return e.number()
	default:
		return e.errorf("unexpected %s: expected a value (object, array, string, number, true, false or null)", describe(e.in, e.pos))
	}
}

func (e *encoder) object(depth int) error {
	e.out = append(e.out, '{')
	e.pos++
	e.skipSpace()
	if e.pos < len(e.in) && e.in[e.pos] == '}' {
		e.pos++
		e.out = append(e.out, '}')
		return nil
	}
	for {
		e.newline(depth + 1)
		if e.pos >= len(e.in) || e.in[e.pos] != '"' {
			return e.errorf("unexpected %s: expected a string key", describe(e.in, e.pos))
		}
		if err := e.str(); err != nil {
			return err
		}
		e.skipSpace()
		if e.pos >= len(e.in) || e.in[e.pos] != ':' {
			return e.errorf("unexpected %s: expected ':' after object key", describe(e.in, e.pos))
		}
		e.pos++
		e.out = append(e.out, ':')
		if e.style.Indent != "" || e.style.Spaced {
			e.out = append(e.out, ' ')
		}
		e.skipSpace()
		if err := e.value(depth + 1); err != nil {
			return err
		}
		if done, err := e.separator(depth, '}', "object member"); done || err != nil {
			return err
		}
	}
}

func (e *encoder) array(depth int) error {
	e.out = append(e.out, '[')
	e.pos++
	e.skipSpace()
	if e.pos < len(e.in) && e.in[e.pos] == ']' {
		e.pos++
		e.out = append(e.out, ']')
		return nil
	}
	for {
		e.newline(depth + 1)
		if err := e.value(depth + 1); err != nil {
			return err
		}
		if done, err := e.separator(depth, ']', "array element"); done || err != nil {
			return err
		}
	}
}

// separator reads what follows an object member or array element: a comma
// (more to come) or the closing bracket (done).
func (e *encoder) separator(depth int, closer byte, after string) (done bool, err error) {
	e.skipSpace()
	if e.pos >= len(e.in) {
		return false, e.errorf("unexpected end of input: expected ',' or '%c' after %s", closer, after)
	}
	switch e.in[e.pos] {
	case ',':
		e.pos++
		e.out = append(e.out, ',')
		if e.style.Spaced && e.style.Indent == "" {
			e.out = append(e.out, ' ')
		}
		e.skipSpace()
		return false, nil
	case closer:
		e.pos++
		e.newline(depth)
		e.out = append(e.out, closer)
		return true, nil
	}
	return false, e.errorf("unexpected %s: expected ',' or '%c' after %s", describe(e.in, e.pos), closer, after)
}

func (e *encoder) literal(word string) error {
	if len(e.in)-e.pos < len(word) || string(e.in[e.pos:e.pos+len(word)]) != word {
		return e.errorf("invalid literal: expected %q", word)
	}
	e.out = append(e.out, word...)
	e.pos += len(word)
	return nil
}

// number validates the JSON number grammar and copies it verbatim.
func (e *encoder) number() error {
	start := e.pos
	in := e.in
	digits := func() int {
		n := 0
		for e.pos < len(in) && '0' <= in[e.pos] && in[e.pos] <= '9' {
			e.pos++
			n++
		}
		return n
	}
	if in[e.pos] == '-' {
		e.pos++
	}
	if e.pos < len(in) && in[e.pos] == '0' {
		e.pos++
	} else if digits() == 0 {
		return e.errorf("invalid number: expected a digit")
	}
	if e.pos < len(in) && in[e.pos] == '.' {
		e.pos++
		if digits() == 0 {
			return e.errorf("invalid number: expected a digit after the decimal point")
		}
	}
	if e.pos < len(in) && (in[e.pos] == 'e' || in[e.pos] == 'E') {
		e.pos++
		if e.pos < len(in) && (in[e.pos] == '+' || in[e.pos] == '-') {
			e.pos++
		}
		if digits() == 0 {
			return e.errorf("invalid number: expected a digit in the exponent")
		}
	}
	e.out = append(e.out, in[start:e.pos]...)
	return nil
}

const hexDigits = "0123456789abcdef"

func (e *encoder) appendU(u rune) {
	e.out = append(e.out, '\\', 'u', hexDigits[u>>12&0xF], hexDigits[u>>8&0xF], hexDigits[u>>4&0xF], hexDigits[u&0xF])
}

// str handles a string token at e.pos (the opening quote).
func (e *encoder) str() error {
	e.out = append(e.out, '"')
	e.pos++
	in := e.in
	for {
		// Copy the longest run of bytes that no style changes.
		start := e.pos
		for e.pos < len(in) {
			c := in[e.pos]
			if c >= 0x80 || e.special[c] {
				break
			}
			e.pos++
		}
		e.out = append(e.out, in[start:e.pos]...)
		if e.pos >= len(in) {
			return e.errorf("unexpected end of input inside a string")
		}
		c := in[e.pos]
		switch {
		case c == '"':
			e.pos++
			e.out = append(e.out, '"')
			return nil
		case c == '\\':
			if err := e.escape(); err != nil {
				return err
			}
		case c < 0x20:
			return e.errorf("raw control character 0x%02x inside a string: it must be escaped", c)
		case c < 0x80 && e.extra[c]:
			e.pos++
			e.appendU(rune(c))
		case c == '/':
			e.pos++
			if e.style.Escaping == Meta {
				e.out = append(e.out, '\\', '/')
			} else {
				e.out = append(e.out, '/')
			}
		case c == '<' || c == '>' || c == '&':
			e.pos++
			if e.style.Escaping == GoHTML {
				e.appendU(rune(c))
			} else {
				e.out = append(e.out, c)
			}
		default: // non-ASCII
			r, size := utf8.DecodeRune(in[e.pos:])
			if r == utf8.RuneError && size <= 1 {
				return e.errorf("invalid UTF-8 byte 0x%02x inside a string", c)
			}
			e.emitRune(r, in[e.pos:e.pos+size])
			e.pos += size
		}
	}
}

// emitRune writes a decoded non-ASCII or escaped character in the style's
// escaping; raw is its original UTF-8 bytes when it came unescaped.
func (e *encoder) emitRune(r rune, raw []byte) {
	switch e.style.Escaping {
	case Keep:
		e.out = append(e.out, raw...)
	case Meta, ASCII:
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			e.appendU(hi)
			e.appendU(lo)
		} else {
			e.appendU(r)
		}
	case GoHTML:
		if r == 0x2028 || r == 0x2029 {
			e.appendU(r)
		} else {
			e.out = utf8.AppendRune(e.out, r)
		}
	default:
		e.out = utf8.AppendRune(e.out, r)
	}
}

// escape handles a backslash escape at e.pos.
func (e *encoder) escape() error {
	in := e.in
	if e.pos+1 >= len(in) {
		e.pos++
		return e.errorf("unexpected end of input in an escape sequence")
	}
	c := in[e.pos+1]
	if c != 'u' {
		switch c {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		default:
			e.pos++
			return e.errorf("invalid escape sequence \\%s inside a string", describe(in, e.pos))
		}
		e.pos += 2
		switch e.style.Escaping {
		case Meta, Keep:
			e.out = append(e.out, '\\', c)
		default:
			if c == '/' {
				e.out = append(e.out, '/')
			} else {
				e.out = append(e.out, '\\', c)
			}
		}
		return nil
	}
	u, ok := hex4(in, e.pos+2)
	if !ok {
		e.pos += 2
		return e.errorf("invalid \\u escape: expected 4 hex digits")
	}
	switch e.style.Escaping {
	case Keep:
		e.out = append(e.out, in[e.pos:e.pos+6]...)
		e.pos += 6
		return nil
	case Meta:
		// Kept as written, hex lowercased: Meta writes lowercase, and an
		// escape that is already there is part of the wire form.
		e.appendU(u)
		e.pos += 6
		return nil
	}
	e.pos += 6
	// Decoding styles: combine a surrogate pair, then re-escape as the style would.
	r := u
	if utf16.IsSurrogate(u) && u < 0xDC00 && e.pos+6 <= len(in) && in[e.pos] == '\\' && in[e.pos+1] == 'u' {
		if lo, ok := hex4(in, e.pos+2); ok && lo >= 0xDC00 && lo <= 0xDFFF {
			r = utf16.DecodeRune(u, lo)
			e.pos += 6
		}
	}
	switch {
	case utf16.IsSurrogate(r):
		e.appendU(r) // a lone surrogate has no UTF-8 form; keep it escaped
	case r < 0x20 || r == '"' || r == '\\':
		e.controlOrQuote(r)
	case r < 0x80 && e.extra[r]:
		e.appendU(r)
	case r == '<' || r == '>' || r == '&':
		if e.style.Escaping == GoHTML {
			e.appendU(r)
		} else {
			e.out = append(e.out, byte(r))
		}
	case r < 0x80:
		e.out = append(e.out, byte(r))
	default:
		e.emitRune(r, nil)
	}
	return nil
}

// controlOrQuote writes a character JSON requires to be escaped, the way
// JSON.stringify, encoding/json and json.dumps all do.
func (e *encoder) controlOrQuote(r rune) {
	switch r {
	case '"':
		e.out = append(e.out, '\\', '"')
	case '\\':
		e.out = append(e.out, '\\', '\\')
	case '\b':
		e.out = append(e.out, '\\', 'b')
	case '\f':
		e.out = append(e.out, '\\', 'f')
	case '\n':
		e.out = append(e.out, '\\', 'n')
	case '\r':
		e.out = append(e.out, '\\', 'r')
	case '\t':
		e.out = append(e.out, '\\', 't')
	default:
		e.appendU(r)
	}
}

func hex4(in []byte, at int) (rune, bool) {
	if at+4 > len(in) {
		return 0, false
	}
	var r rune
	for _, c := range in[at : at+4] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
