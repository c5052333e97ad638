package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Flex is a JSON scalar that Meta sends as a string in one place and as a
// number in another (timestamps, limits, IDs; reference 5.10). It keeps the
// exact text of the value, so a 17-digit template ID or a price like 7.99
// never goes through a float64. null and a missing value are both "".
type Flex string

// UnmarshalJSON accepts a string, a number, a boolean or null. An object or
// an array where a scalar belongs is kept as its JSON text rather than
// refused: encoding/json abandons the whole enclosing item when a custom
// decoder fails, and one odd field must not cost the rest of a message.
func (f *Flex) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		// Fast path: most IDs and timestamps carry no escapes.
		if bytes.IndexByte(b, '\\') < 0 {
			*f = Flex(b[1 : len(b)-1])
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = Flex(s)
	case 'n':
		*f = ""
	default:
		*f = Flex(b)
	}
	return nil
}

// IsComposite reports whether the value held an object or an array.
func (f Flex) IsComposite() bool {
	return len(f) > 0 && (f[0] == '{' || f[0] == '[')
}

// strictFlex is Flex for the envelope, where an object in place of an
// entry's id or time means the body is not a webhook at all.
type strictFlex Flex

func (f *strictFlex) UnmarshalJSON(b []byte) error {
	if k := jsonKind(b); k == "an object" || k == "an array" {
		return fmt.Errorf("expected a string or a number, got %s", k)
	}
	return (*Flex)(f).UnmarshalJSON(b)
}

// String returns the value's text.
func (f Flex) String() string { return string(f) }

// Int64 returns the value as an integer, if it is one.
func (f Flex) Int64() (int64, bool) {
	// Most values that are not integers are empty (a missing timestamp):
	// answer those without building strconv's error.
	digits := string(f)
	if len(digits) > 0 && (digits[0] == '-' || digits[0] == '+') {
		digits = digits[1:]
	}
	if len(digits) == 0 || digits[0] < '0' || digits[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(f), 10, 64)
	return n, err == nil
}

// Time reads the value as a Unix time in seconds (or milliseconds, which
// some relays substitute); the zero time if it is not a number.
func (f Flex) Time() time.Time {
	n, ok := f.Int64()
	if !ok || n <= 0 {
		return time.Time{}
	}
	if n > 1e11 { // no webhook is dated after year 5138: this is milliseconds
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}

// jsonKind names the kind of a JSON value for error messages.
func jsonKind(b []byte) string {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
