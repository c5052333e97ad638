package irr

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irrtest"
)

// sameOutcome fails unless the streaming result equals the reference's:
// the same error text and kind, or the same answer field by field.
func sameOutcome(t *testing.T, what string, got, want any, gotErr, wantErr error) {
	t.Helper()
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && (gotErr.Error() != wantErr.Error() || KindOf(gotErr) != KindOf(wantErr)) {
		t.Fatalf("%s: error %v (kind %d), reference %v (kind %d)", what, gotErr, KindOf(gotErr), wantErr, KindOf(wantErr))
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: result differs from the reference\n got  %+v\n want %+v", what, got, want)
	}
}

func checkAgainstReference(t *testing.T, data []byte, maxBytes int) {
	t.Helper()
	for _, keep := range []func(string) bool{nil, routeAttr} {
		got, gotErr := ParseRPSLAttrs(data, keep)
		want, wantErr := parseRPSLReference(data, keep)
		var pe, wpe *ParseError
		if errors.As(gotErr, &pe) && errors.As(wantErr, &wpe) && *pe != *wpe {
			t.Fatalf("ParseRPSLAttrs error %+v, reference %+v", pe, wpe)
		}
		if got != nil && want != nil && len(got.Objects) == 0 && len(want.Objects) == 0 {
			got.Objects, want.Objects = nil, nil // empty with and without capacity
		}
		sameOutcome(t, "ParseRPSLAttrs", got, want, gotErr, wantErr)
	}
	o := Options{Server: "irr.test:43", MaxBytes: maxBytes}
	cut := data
	if len(cut) > maxBytes+1 {
		cut = cut[:maxBytes+1]
	}
	want, wantErr := readRPSLReference(cut, o, "q")
	// Whole, and in small pieces so that lines straddle read boundaries:
	// one byte at a time for small inputs, odd-sized pieces for large ones.
	pieces := io.Reader(iotest.OneByteReader(bytes.NewReader(data)))
	if len(data) > 4<<10 {
		pieces = &chunked{data: data, n: 4093}
	}
	for _, r := range []io.Reader{bytes.NewReader(data), pieces} {
		got, gotErr := readRPSL(r, o, "q")
		sameOutcome(t, "readRPSL", got, want, gotErr, wantErr)
	}
}

// FuzzRPSLStreamingMatchesReference: the parser fed line by line, and the
// fetch that parses while reading, give exactly what the whole-answer
// versions gave (rpsl_ref_test.go), errors included.
func FuzzRPSLStreamingMatchesReference(f *testing.F) {
	f.Add([]byte("route: 192.0.2.0/24\norigin: as1\nmnt-by: A,\n B\nmnt-by: ,C\nsource: radb # c\nrpki-ov-state: NOT_FOUND\n\n\n"), 1<<20)
	f.Add([]byte("%  No entries found for the selected source(s).\n\n\n"), 1<<20)
	f.Add([]byte("%% ERROR: bad\n\nroute: 192.0.2.0/24\norigin: AS1\n\n"), 1<<20)
	f.Add([]byte("route6: 2001:db8::/32\r\n+\r\n\tx\r\norigin:\r\n  AS1 # c\r\n\r\n"), 1<<20)
	f.Add([]byte("route: 1.2.3.0/24\norigin: AS1"), 1<<20)
	f.Add([]byte("route: 1.2.3.0/24\norigin: AS1\n \n\n"), 1<<20)
	f.Add([]byte("mntner: M\nmnt-by: M\n\nroute: 10.0.0.1/8\norigin: AS1\n\n"), 1<<20)
	f.Add([]byte(" \t\r\n\n  "), 1<<20)
	f.Add([]byte("<html>\n\n"), 1<<20)
	f.Add([]byte("route: 192.0.2.0/24\norigin: AS1\n\nroute: 198.51.100.0/24\norigin: AS1\n\n"), 30)
	f.Add([]byte(irrtest.RPSL(irrtest.Generate(3, 40).Select("AS32934", nil, true, true))), 1<<20)
	f.Fuzz(func(t *testing.T, data []byte, maxBytes int) {
		if maxBytes < 0 || maxBytes > 1<<20 {
			maxBytes = 1 << 20
		}
		checkAgainstReference(t, data, maxBytes)
	})
}

func TestRPSLStreamingOnARealisticAnswer(t *testing.T) {
	data := []byte(irrtest.RPSL(irrtest.Generate(1, 3000).Select("AS32934", nil, true, true)))
	checkAgainstReference(t, data, 16<<20)
	// Cut at many places: inside objects, lines and comments.
	for cut := 1; cut < len(data); cut += len(data)/37 + 1 {
		checkAgainstReference(t, data[:cut], 16<<20)
	}
	checkAgainstReference(t, data, len(data)/2) // too large
}

func TestRPSLStreamingLongLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	data := []byte("route: 192.0.2.0/24\norigin: AS1\nremarks: " + long + "\nmnt-by: " + long + "\n\n")
	checkAgainstReference(t, data, 16<<20)
	checkAgainstReference(t, data[:len(data)-3], 16<<20) // ends inside the long line
}

// chunked reads at most n bytes at a time.
type chunked struct {
	data []byte
	n    int
}

func (c *chunked) Read(b []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b[:min(len(b), c.n)], c.data)
	c.data = c.data[n:]
	return n, nil
}

// resetAfter is a connection that is reset by the server after n bytes.
type resetAfter struct {
	r io.Reader
}

func (r resetAfter) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	if err == io.EOF {
		return n, syscall.ECONNRESET
	}
	return n, err
}

func TestRPSLStreamingReset(t *testing.T) {
	o := Options{Server: "irr.test:43", MaxBytes: 1 << 20}
	// A reset after data is a truncated answer even when the data parses.
	_, err := readRPSL(resetAfter{strings.NewReader("route: 192.0.2.0/24\norigin: AS1\n\n")}, o, "q")
	if KindOf(err) != Truncated || !strings.Contains(err.Error(), "reset after 33 bytes") {
		t.Errorf("err = %v, want truncated after 33 bytes", err)
	}
	// Before any data it is the network error itself, even when the
	// parser would have objected to nothing.
	_, err = readRPSL(resetAfter{strings.NewReader("")}, o, "q")
	if !errors.Is(err, syscall.ECONNRESET) || KindOf(err) != 0 {
		t.Errorf("err = %v, want the bare reset", err)
	}
	// A reset after garbage is still a reset, not a malformed answer.
	_, err = readRPSL(resetAfter{strings.NewReader("<html>\n")}, o, "q")
	if KindOf(err) != Truncated {
		t.Errorf("err = %v, want truncated", err)
	}
}

// BenchmarkReadRPSL is the RPSL fetch minus the network: Meta-sized answer
// (3000 objects, ~880 KB) parsed into routes as it is read.
func BenchmarkReadRPSL(b *testing.B) {
	data := []byte(irrtest.RPSL(irrtest.Generate(1, 3000).Select("AS32934", nil, true, true)))
	o := Options{Server: "irr.test:43", MaxBytes: 16 << 20}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readRPSL(bytes.NewReader(data), o, "q"); err != nil {
			b.Fatal(err)
		}
	}
}
