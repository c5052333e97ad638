package irr

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	data := "31.13.24.0/21 157.240.0.0/16"
	in := fmt.Sprintf("C\nA%d\n%s\nC\nD\nF Invalid AS x\n", len(data)+1, data)
	reps, err := ParseReplies([]byte(in), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 4 {
		t.Fatalf("got %d replies, want 4: %+v", len(reps), reps)
	}
	if reps[0].Code != 'C' || reps[1].Code != 'A' || string(reps[1].Data) != data || reps[2].Code != 'D' ||
		reps[3].Code != 'F' || reps[3].Message != "Invalid AS x" {
		t.Errorf("replies = %+v", reps)
	}
}

func TestReadReplyFraming(t *testing.T) {
	tests := []struct {
		name, in  string
		truncated bool
		want      string
	}{
		{"count too small", "A5\n1.2.3.0/24\nC\n", false, "does not end with a newline"},
		{"count too large", "A12\n1.2.3.0/24\n", true, "truncated: got 11 of 12"},
		{"count too large, not C after", "A13\n1.2.3.0/24\nC\nD\n", false, "expected C after 13 bytes"},
		{"count off by one", "A12\n1.2.3.0/24\nC\n", false, "does not end with a newline"},
		{"truncated data", "A100\n1.2.3.0/24 ", true, "got 11 of 100 announced bytes"},
		{"no C", "A11\n1.2.3.0/24\n", true, "no C line"},
		{"plus sign", "A+11\n1.2.3.0/24\nC\n", false, "bad A line"},
		{"no digits", "A\n", false, "bad A line"},
		{"zero", "A0\n\nC\n", false, "bad byte count"},
		{"over limit", "A99999999\n", false, "more than the 1048576-byte limit"},
		{"unknown code", "X hello\n", false, "unexpected answer"},
		{"nothing", "", true, "closed before the server answered"},
		{"status without newline", "C", true, "closed before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseReplies([]byte(tt.in), 1<<20)
			fe, ok := err.(*FrameError)
			if tt.name == "nothing" {
				// ParseReplies stops cleanly on an empty stream; read directly.
				_, err = ReadReply(newReader(tt.in), 1<<20)
				fe, ok = err.(*FrameError)
			}
			if !ok {
				t.Fatalf("err = %v, want *FrameError", err)
			}
			if fe.Truncated != tt.truncated || !strings.Contains(fe.Error(), tt.want) {
				t.Errorf("err = %q truncated=%v, want %q truncated=%v", fe, fe.Truncated, tt.want, tt.truncated)
			}
		})
	}
}

// FuzzParseReplies checks the IRRd framing reader never panics and that an
// accepted A answer has exactly the announced length.
func FuzzParseReplies(f *testing.F) {
	f.Add([]byte("A11\n1.2.3.0/24\nC\n"))
	f.Add([]byte("C\nD\nF bad\n"))
	f.Add([]byte("A3\nab\nC\nA100\nx"))
	f.Add([]byte("A4\r\nabc\nC\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		reps, _ := ParseReplies(data, 1<<16)
		for _, r := range reps {
			if r.Code == 'A' {
				header := fmt.Sprintf("A%d\n", len(r.Data)+1)
				crlf := fmt.Sprintf("A%d\r\n", len(r.Data)+1)
				if !bytes.Contains(data, []byte(header)) && !bytes.Contains(data, []byte(crlf)) {
					t.Fatalf("A answer of %d bytes without header %q", len(r.Data), header)
				}
			}
		}
	})
}
