package receiver

import (
	"strings"
	"testing"
)

// Values that are not a size are refused with the accepted forms, never
// rounded to 0 bytes or wrapped to a negative number (issue 17.11).
func TestParseSizeRefusesWhatIsNotASize(t *testing.T) {
	for _, bad := range []string{"0.5", "1e19", "1E3", "inf", "NaN", "0x10", "1_000", "1..5m", ".", "99999999999999999999", "9000000000g", "0.1k", "- 1", "+5"} {
		_, err := ParseSize(bad)
		if err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "4MiB") {
			t.Errorf("ParseSize(%q) error %q does not show the accepted forms", bad, err)
		}
	}
	for in, want := range map[string]int64{" 2 KiB ": 2 << 10, "0.5k": 512, "1gb": 1e9, "8388608b": 8 << 20} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
