package webhook

import (
	"strconv"
	"testing"
)

// Int64 skips strconv for values that cannot be integers; it must still
// agree with strconv.ParseInt on every input.
func TestFlexInt64AgreesWithParseInt(t *testing.T) {
	for _, s := range []string{"", "-", "+", "0", "12", "-12", "+12", " 12", "12 ", "1e3", "12.0", "0x1f",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "1_000", "١٢", "null", "\"12\""} {
		want, err := strconv.ParseInt(s, 10, 64)
		got, ok := Flex(s).Int64()
		if ok != (err == nil) || got != want {
			t.Errorf("Flex(%q).Int64() = %d, %v; strconv.ParseInt gives %d, %v", s, got, ok, want, err)
		}
	}
}
