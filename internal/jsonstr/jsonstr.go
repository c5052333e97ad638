// Package jsonstr quotes strings for JSON exactly as encoding/json does with
// HTML escaping off, without reflection or allocation, for the hand-written
// encoders on hot paths (serve's JSON lines, send's payload builder).
package jsonstr

import "unicode/utf8"

// Append appends s quoted as encoding/json does with HTML escaping off:
// quotes, backslashes and control characters escaped, invalid UTF-8 as
// \ufffd, U+2028 and U+2029 escaped, everything else as is.
func Append(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look: no quote,
		// backslash, control character or byte above ASCII.
		for ; i+8 <= len(s); i += 8 {
			w := load64(s[i : i+8])
			q, bs := w^('"'*ones), w^('\\'*ones)
			if ((w-0x20*ones)|w|(q-ones)&^q|(bs-ones)&^bs)&highs != 0 {
				break // may be a plain word after one that is not: looked at below
			}
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

const ones, highs = 0x0101010101010101, 0x8080808080808080

// load64 is the eight bytes of s, the first lowest, in one load.
func load64(s string) uint64 {
	s = s[:8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
