package webhook

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// reader walks a JSON body once, validating as it goes, for the fast
// decoder (decode.go). It never reports why something is wrong: any
// surprise makes the fast path give up and the reference decoder
// (encoding/json) decide, so errors and odd shapes behave exactly as
// before.
//
// Decoded strings without escapes are substrings of s, and raw items are
// sub-slices of raw (a separate, mutable copy of the same bytes), so a body
// costs two copies instead of one allocation per string and per item.
type reader struct {
	s     string
	raw   []byte
	i     int
	depth int
	// guess is the field to read a value as when it comes first.
	guess string
	// strayDepth, when not 0, is the depth of the keys of the value being
	// decoded: keys there that its type does not decode are collected in
	// strays (see Change.strays), which saves a second pass over the value.
	strayDepth int
	strays     []stray
	// spareEntries, spareChanges and spareMessages are handed out once,
	// then nil (see oneChange).
	spareEntries  []Entry
	spareChanges  []Change
	spareMessages *MessagesValue
	// high and lineBreak record whether a byte above ASCII, or a line
	// break between tokens, was seen: without either the body is plain
	// (see Notification.Plain). The reader looks at every byte, so this
	// costs a flag where it already looks, not a pass.
	high, lineBreak bool
}

// maxDepth is far deeper than any webhook; deeper bodies take the
// reference path, which has its own limit.
const maxDepth = 1000

// peek skips whitespace and returns the next byte, or 0 at the end.
func (r *reader) peek() byte {
	for ; r.i < len(r.s); r.i++ {
		switch r.s[r.i] {
		case ' ', '\t':
		case '\n', '\r':
			r.lineBreak = true
		default:
			return r.s[r.i]
		}
	}
	return 0
}

// rawSpan is raw[start:end] with its capacity cut, so an append by a
// consumer copies instead of writing over the bytes that follow.
func (r *reader) rawSpan(start, end int) []byte { return r.raw[start:end:end] }

// enter consumes '{' or '[' (already peeked).
func (r *reader) enter() bool {
	r.i++
	r.depth++
	return r.depth <= maxDepth
}

// nextField reads the next key of an object and its colon; n is how many
// fields came before. done is true when the closing brace was consumed.
// plain is false when the key has escapes or non-ASCII bytes.
func (r *reader) nextField(n int) (key string, plain, done, ok bool) {
	c := r.peek()
	if c == '}' { // after a comma, '}' is caught below: a key must follow
		r.i++
		r.depth--
		return "", false, true, true
	}
	if n > 0 {
		if c != ',' {
			return "", false, false, false
		}
		r.i++
		c = r.peek()
	}
	if c != '"' {
		return "", false, false, false
	}
	start, end, esc, high, ok := r.scanString()
	if !ok {
		return "", false, false, false
	}
	if r.peek() != ':' {
		return "", false, false, false
	}
	r.i++
	if esc || high {
		return r.s[start:end], false, false, true
	}
	return r.s[start:end], true, false, true
}

// nextElem reports whether another array element follows; n is how many
// came before. done is true when the closing bracket was consumed.
func (r *reader) nextElem(n int) (done, ok bool) {
	c := r.peek()
	if c == ']' {
		r.i++
		r.depth--
		return true, true
	}
	if n > 0 {
		if c != ',' {
			return false, false
		}
		r.i++
		if r.peek() == ']' {
			return false, false
		}
	}
	return false, true
}

// scanString reads a string starting at the opening quote and returns the
// span of its contents, whether it holds escapes and whether it holds
// bytes above ASCII. Escapes are checked, control characters refused.
func (r *reader) scanString() (start, end int, esc, high, ok bool) {
	s := r.s
	i := r.i + 1
	start = i
	for i < len(s) {
		// Most bytes need no look of their own: eight at a time while
		// none is a quote, a backslash, a control character or above
		// ASCII, then straight to the first that is. (The lowest byte
		// flagged is exact: a borrow only flags bytes above one that
		// needs a look.) Near the end, one at a time.
		for ; i+8 <= len(s); i += 8 {
			w := load64(s, i)
			q, bs := w^('"'*ones), w^('\\'*ones)
			if m := ((w - 0x20*ones) | w | (q-ones)&^q | (bs-ones)&^bs) & highs; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
		}
		for i < len(s) && plainInString[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		switch {
		case c == '"':
			r.i = i + 1
			return start, i, esc, high, true
		case c == '\\':
			esc = true
			if i+1 >= len(s) {
				return
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || hex4(s[i+2:i+6]) < 0 {
					return
				}
				i += 6
			default:
				return
			}
		case c < 0x20:
			return
		case c >= utf8.RuneSelf:
			high, r.high = true, true
			i++
		default:
			i++
		}
	}
	return
}

const ones, highs = 0x0101010101010101, 0x8080808080808080

// load64 is the eight bytes of s from i, the first lowest (one load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plainInString marks the bytes scanString steps over without a look:
// printable ASCII but the quote and the backslash.
var plainInString = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string value the way encoding/json decodes it into a string:
// escapes resolved and invalid UTF-8 replaced by U+FFFD.
func (r *reader) str() (string, bool) { return r.value(false) }

// value reads a string value: as str does, or with flexRaw as Flex does
// (a string without escapes is kept as sent, invalid UTF-8 included).
//
// Values are read in one pass where keys take two (scanString, then an
// unescape): the closing quote is found first (memchr, vectorised), then
// the contents are checked and, when they hold escapes, decoded in the
// same pass. A 3 MB text in Meta's wire form has an escape every few
// words: it used to be looked at byte by byte twice.
func (r *reader) value(flexRaw bool) (string, bool) {
	s, start := r.s, r.i+1
	if end := shortPlain(s, start); end >= 0 { // most values: ids, numbers, names
		r.i = end + 1
		return s[start:end], true
	}
	end := closingQuote(s, start)
	if end < 0 {
		return "", false
	}
	seg := s[start:end]
	if strings.IndexByte(seg, '\\') < 0 {
		high, ok := checkPlain(seg)
		r.high = r.high || high
		switch {
		case !ok:
			return "", false
		case high && !flexRaw && !utf8.ValidString(seg):
			seg = unescape(seg) // U+FFFD for what is not UTF-8
		}
		r.i = end + 1
		return seg, true
	}
	out, ok, valid, high := unescapeChecked(seg)
	r.high = r.high || high
	switch {
	case !ok:
		return "", false
	case !valid:
		// Not UTF-8: unescapeChecked stopped at the first such byte, so
		// the rest is checked here (a bad escape after it is still not
		// JSON), then decoded the slower way, which replaces it.
		if _, _, _, _, ok := r.scanString(); !ok {
			return "", false
		}
		out = unescape(seg)
	}
	r.i = end + 1
	return out, true
}

// shortPlain is the index of the closing quote of a string whose contents
// start at i when they are up to 128 bytes of printable ASCII without
// escapes, else -1: found in a word or two, without a call.
func shortPlain(s string, i int) int {
	for k := 0; k < 16 && i+8 <= len(s); k++ {
		w := load64(s, i)
		q, bs := w^('"'*ones), w^('\\'*ones)
		if m := ((w - 0x20*ones) | w | (q-ones)&^q | (bs-ones)&^bs) & highs; m != 0 {
			if i += bits.TrailingZeros64(m) >> 3; s[i] == '"' {
				return i
			}
			return -1
		}
		i += 8
	}
	return -1
}

// closingQuote is the index of the quote that ends the string whose
// contents start at i (one not escaped: after an even run of
// backslashes), or -1.
func closingQuote(s string, i int) int {
	for j := i; ; {
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0
		for q-n-1 >= i && s[q-n-1] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q
		}
		j = q + 1
	}
}

// checkPlain checks the contents of a string without escapes: no control
// character (ok), and whether a byte is above ASCII (high).
func checkPlain(s string) (high, ok bool) {
	var hi uint64
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := load64(s, i)
		if (w-0x20*ones)&^w&highs != 0 {
			return false, false
		}
		hi |= w
	}
	for ; i < len(s); i++ {
		if s[i] < 0x20 {
			return false, false
		}
		hi |= uint64(s[i])
	}
	return hi&highs != 0, true
}

// unescapeChecked decodes the contents of a string with escapes as
// unescape does, checking them as it goes: ok is false for a control
// character or a bad escape, valid false when a byte is not UTF-8 (out is
// then of no use), high true when a byte is above ASCII.
//
// The text is never longer than s (n <= i throughout: no escape decodes to
// more bytes than it takes), so it is stored by index into one allocation
// as long as s. Between escapes, eight bytes at a time are loaded and
// stored whole before they are looked at; the store past the first byte
// that needs a look is written over. A 3 MB text in Meta's wire form has
// an escape every few words, so the word loop runs a word or two between
// escapes. Its loads and stores, and those of the escapes, are unchecked,
// each in bounds by the test before it and n <= i: at look, i < len(s)
// (the word loop stops before a byte it has loaded, the byte loop before
// the end); an escape's bytes are read once i+6 or i+2 is known to fit;
// what it decodes to is stored at n <= i, never past the escape itself.
// Checked, they cost 40% more instructions over such a text (29.4M instead
// of 20.7M for the 3 MB text of BenchmarkUnescapeText).
func unescapeChecked(s string) (out string, ok, valid, high bool) {
	b := make([]byte, len(s))
	src, dst := unsafe.Pointer(unsafe.StringData(s)), unsafe.Pointer(unsafe.SliceData(b))
	n, i := 0, 0
	for {
		for i+8 <= len(s) {
			w := binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(src, i))[:])
			binary.LittleEndian.PutUint64((*[8]byte)(unsafe.Add(dst, n))[:], w)
			bs := w ^ ('\\' * ones)
			if m := ((w - 0x20*ones) | w | (bs-ones)&^bs) & highs; m != 0 {
				k := bits.TrailingZeros64(m) >> 3 // the first byte that needs a look
				n, i = n+k, i+k
				goto look
			}
			n, i = n+8, i+8
		}
		for i < len(s) && plainInString[s[i]] {
			b[n] = s[i]
			n, i = n+1, i+1
		}
		if i == len(s) {
			break
		}
	look:
		if c := *(*byte)(unsafe.Add(src, i)); c != '\\' {
			if c < 0x20 {
				return "", false, true, high
			}
			high = true
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return "", true, false, true
			}
			n += copy(b[n:], s[i:i+size])
			i += size
			continue
		}
		if i+6 <= len(s) && *(*byte)(unsafe.Add(src, i+1)) == 'u' {
			h := (*[4]byte)(unsafe.Add(src, i+2))
			x0, x1, x2, x3 := hexValue[h[0]], hexValue[h[1]], hexValue[h[2]], hexValue[h[3]]
			if x0|x1|x2|x3 < 0 {
				return "", false, true, high
			}
			r1 := rune(x0)<<12 | rune(x1)<<8 | rune(x2)<<4 | rune(x3)
			i += 6
			switch {
			case r1 < 0x80:
				*(*byte)(unsafe.Add(dst, n)) = byte(r1)
				n++
			case r1 < 0x800: // é and the like: the usual escape of a text
				binary.LittleEndian.PutUint16((*[2]byte)(unsafe.Add(dst, n))[:], uint16(0xc0|r1>>6)|uint16(0x80|r1&0x3f)<<8)
				n += 2
			default:
				if utf16.IsSurrogate(r1) {
					r1, i = pairAt(s, i, r1)
				}
				n += utf8.EncodeRune(b[n:], r1)
			}
			continue
		}
		if i+1 >= len(s) {
			return "", false, true, high
		}
		d := simpleEscape[*(*byte)(unsafe.Add(src, i+1))] // 0 for a bad escape ("\\u" too short is one)
		if d == 0 {
			return "", false, true, high
		}
		*(*byte)(unsafe.Add(dst, n)) = d
		n, i = n+1, i+2
	}
	if n == 0 {
		return "", true, true, high
	}
	return unsafe.String(&b[0], n), true, true, high
}

// simpleEscape is what a two-byte escape stands for, 0 for a bad one.
var simpleEscape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// number reads a JSON number and returns its exact text.
func (r *reader) number() (string, bool) {
	s, start := r.s, r.i
	i := start
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digits(s, i)
	default:
		return "", false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return "", false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return "", false
		}
		i = j
	}
	r.i = i
	return s[start:i], true
}

func digits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// literal consumes true, false or null.
func (r *reader) literal(word string) bool {
	if len(r.s)-r.i < len(word) || r.s[r.i:r.i+len(word)] != word {
		return false
	}
	r.i += len(word)
	return true
}

// skip validates and steps over one value.
func (r *reader) skip() bool {
	switch r.peek() {
	case '"':
		_, _, _, _, ok := r.scanString()
		return ok
	case '{':
		if !r.enter() {
			return false
		}
		for n := 0; ; n++ {
			_, _, done, ok := r.nextField(n)
			if !ok {
				return false
			}
			if done {
				return true
			}
			if !r.skip() {
				return false
			}
		}
	case '[':
		if !r.enter() {
			return false
		}
		for n := 0; ; n++ {
			done, ok := r.nextElem(n)
			if !ok {
				return false
			}
			if done {
				return true
			}
			if !r.skip() {
				return false
			}
		}
	case 't':
		return r.literal("true")
	case 'f':
		return r.literal("false")
	case 'n':
		return r.literal("null")
	}
	_, ok := r.number()
	return ok
}

// flex reads any value as Flex does: a string's text (escapes resolved only
// when there are any, as Flex.UnmarshalJSON), "" for null, and the exact
// text of anything else.
func (r *reader) flex() (string, bool) {
	switch r.peek() {
	case '"':
		return r.value(true)
	case 'n':
		return "", r.literal("null")
	}
	start := r.i
	if !r.skip() {
		return "", false
	}
	return r.s[start:r.i], true
}

// unescape decodes the contents of a validated JSON string as encoding/json
// does: a valid surrogate pair becomes one rune, a lone surrogate and
// invalid UTF-8 become U+FFFD.
func unescape(s string) string {
	if out, ok, valid, _ := unescapeChecked(s); ok && valid {
		return out
	}
	var b strings.Builder // its String does not copy
	b.Grow(len(s))
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '\\' && s[j] < utf8.RuneSelf {
			j++
		}
		b.WriteString(s[i:j])
		if i = j; i == len(s) {
			break
		}
		if s[i] != '\\' {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(r)
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		if e := s[i+1]; e != 'u' {
			b.WriteByte(simpleEscape[e])
			i += 2
			continue
		}
		r1 := hex4(s[i+2 : i+6])
		i += 6
		if utf16.IsSurrogate(r1) {
			r1, i = pairAt(s, i, r1)
		}
		b.WriteRune(r1)
	}
	return b.String()
}

// pairAt completes the surrogate r1 with the escape at s[i:] as
// encoding/json does: the pair's rune and the index after it, or U+FFFD
// and i when that escape is not the other half.
func pairAt(s string, i int, r1 rune) (rune, int) {
	if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
		if d := utf16.DecodeRune(r1, hex4(s[i+2:i+6])); d != utf8.RuneError {
			return d, i + 6
		}
	}
	return utf8.RuneError, i
}

// hex4 decodes four hex digits, or returns -1.
func hex4(s string) rune {
	if len(s) < 4 {
		return -1
	}
	a, b, c, d := hexValue[s[0]], hexValue[s[1]], hexValue[s[2]], hexValue[s[3]]
	if a|b|c|d < 0 {
		return -1
	}
	return rune(a)<<12 | rune(b)<<8 | rune(c)<<4 | rune(d)
}

// hexValue is the value of a hex digit, -1 for other bytes.
var hexValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := byte(0); c < 10; c++ {
		t['0'+c] = int8(c)
	}
	for c := byte(0); c < 6; c++ {
		t['a'+c], t['A'+c] = int8(10+c), int8(10+c)
	}
	return t
}()
