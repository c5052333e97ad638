package irr

// The parser and the RPSL fetch as they were before they learnt to work
// while the answer arrives: the reference the streaming versions must match
// exactly, for every input (FuzzRPSLStreamingMatchesReference).

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

func parseRPSLReference(data []byte, keep func(name string) bool) (*RPSLAnswer, error) {
	ans := &RPSLAnswer{Objects: make([]Object, 0, bytes.Count(data, []byte("\n\n")))}
	names := map[string]string{} // attribute names repeat in every object: allocate each once
	skipping := false            // the current attribute is not kept: neither are its continuation lines
	var cur *Object
	flush := func() {
		if cur != nil {
			ans.Objects = append(ans.Objects, *cur)
			cur = nil
		}
	}
	text := data
	lineNo := 0
	for len(text) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			// The last line has no newline: the answer was cut off.
			line, text = text, nil
			if cur != nil || len(bytes.TrimSpace(line)) > 0 {
				return nil, &ParseError{Line: lineNo, Msg: "answer ends in the middle of a line", Truncated: true}
			}
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			flush()
		case line[0] == '%':
			flush()
			msg := strings.TrimSpace(strings.TrimLeft(string(line), "%"))
			if strings.HasPrefix(string(line), "%%") && strings.HasPrefix(msg, "ERROR:") {
				ans.ServerError = strings.TrimSpace(strings.TrimPrefix(msg, "ERROR:"))
			}
			if strings.Contains(strings.ToLower(msg), "no entries found") {
				ans.NoEntries = true
			}
			ans.Messages = append(ans.Messages, msg)
		case line[0] == '#':
			// A whole-line comment; it does not end the object.
		case line[0] == ' ' || line[0] == '\t' || line[0] == '+':
			if cur == nil || len(cur.Attrs) == 0 {
				return nil, &ParseError{Line: lineNo, Msg: fmt.Sprintf("continuation line outside an object: %q", clip(line))}
			}
			if skipping {
				continue
			}
			v := stripCommentBytes(line[1:])
			a := &cur.Attrs[len(cur.Attrs)-1]
			if v != "" {
				if a.Value != "" {
					a.Value += " "
				}
				a.Value += v
			}
		default:
			name, rest, ok := splitAttrReference(line, names)
			if !ok {
				return nil, &ParseError{Line: lineNo, Msg: fmt.Sprintf("not an RPSL attribute line: %q", clip(line))}
			}
			if cur != nil && keep != nil && !keep(name) {
				skipping = true
				continue
			}
			skipping = false
			if cur == nil {
				cur = &Object{Line: lineNo, Attrs: make([]Attr, 0, 8)}
			}
			cur.Attrs = append(cur.Attrs, Attr{Name: name, Value: stripCommentBytes(rest)})
		}
	}
	if cur != nil {
		return nil, &ParseError{Line: lineNo, Msg: "answer ends inside an object (no blank line after it)", Truncated: true}
	}
	return ans, nil
}

func splitAttrReference(line []byte, names map[string]string) (name string, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", nil, false
	}
	for _, c := range line[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", nil, false
		}
	}
	name, ok = names[string(line[:i])]
	if !ok {
		name = strings.ToLower(string(line[:i]))
		names[string(line[:i])] = name
	}
	return name, line[i+1:], true
}

func stripCommentBytes(v []byte) string {
	if i := bytes.IndexByte(v, '#'); i >= 0 {
		v = v[:i]
	}
	return string(bytes.TrimSpace(v))
}

// readRPSLReference is what fetchRPSL did with the bytes it read whole
// (already cut at MaxBytes+1), when the read itself did not fail.
func readRPSLReference(data []byte, o Options, q string) (*Answer, error) {
	if len(data) > o.MaxBytes {
		return nil, &Error{Kind: TooLarge, Msg: fmt.Sprintf("answer from %s is larger than %d bytes (--max-bytes); refusing it", o.Server, o.MaxBytes)}
	}
	ans := &Answer{Query: q, Bytes: len(data)}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Kind: Empty, Msg: fmt.Sprintf("empty answer from %s for %q", o.Server, q)}
	}
	parsed, err := parseRPSLReference(data, routeAttr)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) && pe.Truncated {
			return nil, &Error{Kind: Truncated, Msg: fmt.Sprintf("answer from %s truncated after %d bytes: %s", o.Server, len(data), pe.Msg), Err: err}
		}
		return nil, &Error{Kind: Malformed, Msg: fmt.Sprintf("answer from %s is not RPSL: %v", o.Server, err), Err: err}
	}
	ans.Messages = parsed.Messages
	if parsed.ServerError != "" {
		return nil, &Error{Kind: ServerError, Msg: fmt.Sprintf("%s rejected the query %q: %s", o.Server, q, termsafe.Line(clipS(parsed.ServerError)))}
	}
	ans.Routes = make([]Route, 0, len(parsed.Objects))
	for _, obj := range parsed.Objects {
		if c := obj.Class(); c != "route" && c != "route6" {
			continue
		}
		r := Route{
			Key:         obj.Key(),
			Origin:      strings.ToUpper(obj.First("origin")),
			Source:      strings.ToUpper(obj.First("source")),
			Maintainers: obj.List("mnt-by"),
			RPKIState:   strings.ToLower(obj.First("rpki-ov-state")),
		}
		r.Prefix, r.Err = ParsePrefix(r.Key, obj.Class() == "route6")
		ans.Routes = append(ans.Routes, r)
	}
	if len(ans.Routes) == 0 {
		msg := fmt.Sprintf("%s has no route objects for %q", o.Server, q)
		if parsed.NoEntries {
			msg = fmt.Sprintf("%s found no entries for %q", o.Server, q)
		}
		return nil, &Error{Kind: Empty, Msg: msg}
	}
	return ans, nil
}
