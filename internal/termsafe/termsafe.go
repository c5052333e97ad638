// Package termsafe makes text that came from outside safe to print on a
// terminal. Message text, names, an endpoint's answer, an app's error page and
// WHOIS text are all written by someone else: a raw ESC, OSC, CSI or BEL in
// them could retitle the window, write the clipboard (OSC 52) or erase what we
// printed. Every such string goes through this package before it reaches a
// terminal, so there is one rule for the whole binary.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text escapes every C0 and C1 control character, DEL, bidirectional
// formatting character and byte of invalid UTF-8 in s, except tab and
// newline, which keep multi-line text (a pretty-printed body) readable.
func Text(s string) string { return escape(s, false) }

// Line is Text for a value printed inside one line: tab, newline and carriage
// return are escaped too, so a field cannot break the line it sits in.
func Line(s string) string { return escape(s, true) }

// Bytes shows at most max bytes of b (an answer body, say) as Text, and says
// how much was left out; max <= 0 means no limit.
func Bytes(b []byte, max int) string {
	if max > 0 && len(b) > max {
		cut := max
		// Do not split a UTF-8 sequence: back up to its first byte.
		for cut > 0 && cut > max-utf8.UTFMax && !utf8.RuneStart(b[cut]) {
			cut--
		}
		return Text(string(b[:cut])) + "… (" + strconv.Itoa(len(b)-cut) + " more bytes)"
	}
	return Text(string(b))
}

// Mask replaces every occurrence of each non-empty secret in s, so an app's
// error page that echoes the verify token or App Secret prints "****".
// Secrets shorter than four bytes are masked too: a short secret is still a
// secret, and the caller chose it.
func Mask(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "****")
		}
	}
	return s
}

func escape(s string, oneLine bool) string {
	if clean(s, oneLine) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\t' || c == '\n':
				if oneLine {
					if c == '\t' {
						b.WriteString(`\t`)
					} else {
						b.WriteString(`\n`)
					}
				} else {
					b.WriteByte(c)
				}
			case c == '\r':
				b.WriteString(`\r`)
			case c < 0x20 || c == 0x7f:
				writeHexByte(&b, c)
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			writeHexByte(&b, c)
			i++
			continue
		}
		if unsafeRune(r) {
			b.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			for n := len(h); n < 4; n++ {
				b.WriteByte('0')
			}
			b.WriteString(h)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// clean reports whether s needs no escaping, without allocating: the common
// case for names and summaries.
func clean(s string, oneLine bool) bool {
	for i := 0; i < len(s); {
		// Eight bytes at a time while all are printable ASCII.
		for ; i+8 <= len(s); i += 8 {
			w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			del := w ^ (0x7f * ones)
			if ((w-0x20*ones)|w|(del-ones)&^del)&highs != 0 {
				break
			}
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				if oneLine || (c != '\t' && c != '\n') {
					return false
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

const ones, highs = 0x0101010101010101, 0x8080808080808080

// unsafeRune is a non-ASCII rune a terminal acts on instead of drawing: the C1
// controls (U+0080–U+009F, CSI and OSC among them), the line and paragraph
// separators, and the bidirectional overrides and isolates that make text
// display in another order than it is stored.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028 || r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

func writeHexByte(b *strings.Builder, c byte) {
	const hex = "0123456789abcdef"
	b.WriteString(`\x`)
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&0xf])
}
