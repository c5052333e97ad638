package receiver

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeForms is the accepted forms, for every error ParseSize returns.
const sizeForms = "use a whole number of bytes (1048576) or a number and a unit: 512KiB, 4MiB, 1.5m, 3MB (k, m, g and KiB, MiB, GiB are powers of 1024; kB, MB, GB of 1000)"

// ParseSize reads a byte size such as "4MiB", "3MB", "512k" or "1048576".
// Decimal units (kB, MB) are powers of 1000, binary ones (KiB, MiB) and the
// single letters k, m, g are powers of 1024. A value must come to a whole,
// positive number of bytes that fits in an int64: "0.5", "1e19", "inf" and
// "-1" are refused with the accepted forms rather than rounded, wrapped or
// read as something else.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, known := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	}[unit]
	if num == "" || !known || strings.Count(num, ".") > 1 {
		return 0, fmt.Errorf("invalid size %q: %s", s, sizeForms)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %s", s, sizeForms)
	}
	n := v * mult
	switch {
	case n != math.Trunc(n):
		return 0, fmt.Errorf("invalid size %q: that is not a whole number of bytes; %s", s, sizeForms)
	case n < 1:
		return 0, fmt.Errorf("invalid size %q: a size is at least 1 byte; %s", s, sizeForms)
	case n >= math.MaxInt64:
		return 0, fmt.Errorf("invalid size %q: too large; %s", s, sizeForms)
	}
	return int64(n), nil
}

// FormatSize prints a byte count in binary units (4 MiB).
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
