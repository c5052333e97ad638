package irr

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Reply is one answer to an IRRd-style "!" command.
type Reply struct {
	// Code is the answer's first byte: 'A' (data follows), 'C' (success,
	// no data), 'D' (key not found: for !g/!6, no prefixes), 'E' or 'F'
	// (error).
	Code byte
	// Data is the content of an A answer without its final newline.
	Data []byte
	// Message is the text after the code letter of C, D, E and F answers.
	Message string
}

// FrameError is an IRRd answer that breaks the A<len> … C framing.
type FrameError struct {
	Msg       string
	Truncated bool
}

func (e *FrameError) Error() string { return e.Msg }

// maxLine bounds a status line; IRRd's are a few dozen bytes.
const maxLine = 4096

// ReadReply reads exactly one IRRd reply from r. An A answer must announce
// its byte count as plain decimal digits, deliver exactly that many bytes
// (ending in a newline, which the count includes) and be followed by a C
// line; anything else is a FrameError, marked Truncated when the stream
// ended early. maxData bounds the announced length.
func ReadReply(r *bufio.Reader, maxData int) (Reply, error) {
	line, err := readLine(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Reply{}, &FrameError{Msg: "connection closed before the server answered", Truncated: true}
		}
		return Reply{}, err
	}
	if len(line) == 0 {
		return Reply{}, &FrameError{Msg: "empty status line where A, C, D or F was expected"}
	}
	switch code := line[0]; code {
	case 'A':
		digits := line[1:]
		if len(digits) == 0 || len(digits) > 10 || strings.TrimLeft(digits, "0123456789") != "" {
			return Reply{}, &FrameError{Msg: fmt.Sprintf("bad A line %q: expected A followed by a byte count", clipS(line))}
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n < 1 {
			return Reply{}, &FrameError{Msg: fmt.Sprintf("bad byte count in %q", clipS(line))}
		}
		if n > maxData {
			return Reply{}, &FrameError{Msg: fmt.Sprintf("server announced %d bytes, more than the %d-byte limit (--max-bytes)", n, maxData)}
		}
		data := make([]byte, n)
		if got, err := io.ReadFull(r, data); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return Reply{}, &FrameError{Msg: fmt.Sprintf("answer truncated: got %d of %d announced bytes", got, n), Truncated: true}
			}
			return Reply{}, err
		}
		if data[n-1] != '\n' {
			return Reply{}, &FrameError{Msg: fmt.Sprintf("answer of %d bytes does not end with a newline: byte count and data disagree", n)}
		}
		end, err := readLine(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Reply{}, &FrameError{Msg: "answer truncated: no C line after the data", Truncated: true}
			}
			return Reply{}, err
		}
		if end == "" || end[0] != 'C' {
			return Reply{}, &FrameError{Msg: fmt.Sprintf("expected C after %d bytes of data, got %q: byte count and data disagree", n, clipS(end))}
		}
		return Reply{Code: 'A', Data: data[:n-1]}, nil
	case 'C', 'D', 'E', 'F':
		return Reply{Code: code, Message: strings.TrimSpace(line[1:])}, nil
	default:
		return Reply{}, &FrameError{Msg: fmt.Sprintf("unexpected answer %q: expected A<len>, C, D or F", clipS(line))}
	}
}

// readLine reads one LF-terminated line (CR LF accepted) of at most maxLine
// bytes. A final line without LF is an io.EOF: a status line is only
// complete with its newline.
func readLine(r *bufio.Reader) (string, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return "", &FrameError{Msg: fmt.Sprintf("status line longer than %d bytes", maxLine)}
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return "", err
	}
	buf = bytes.TrimSuffix(buf, []byte("\n"))
	buf = bytes.TrimSuffix(buf, []byte("\r"))
	return string(buf), nil
}

// ParseReplies reads every reply in data, in order; used by tests and fuzzing
// to check the framing rules on whole captured exchanges.
func ParseReplies(data []byte, maxData int) ([]Reply, error) {
	r := bufio.NewReader(bytes.NewReader(data))
	var out []Reply
	for {
		if _, err := r.Peek(1); err != nil {
			return out, nil
		}
		rep, err := ReadReply(r, maxData)
		if err != nil {
			return out, err
		}
		out = append(out, rep)
	}
}

func clipS(s string) string {
	const max = 60
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
