// Package payload builds the exact bytes of each delivery `wa-hooks send`
// makes: it reads a fixture, file or recorded body, applies overrides
// (--set and the shortcuts), merges events into batches, gives every event
// fresh ids and timestamps, encodes the result in Meta's wire form and signs
// it. The expensive part (parsing, overriding, encoding) happens once per
// source; each request only fills fresh values into a prepared template and
// computes its HMAC.
package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/wa-hooks/wa-hooks/internal/jsonstr"
)

// kind is the type of a JSON value.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

// node is a JSON value that keeps object key order and number literals, so
// an overridden document differs from its source only where it was changed.
type node struct {
	kind  kind
	str   string // string contents, or a number's literal
	b     bool
	keys  []string
	vals  []*node // object values (parallel to keys) or array items
	index int     // set on placeholders only
}

func (n *node) get(key string) *node {
	if n == nil || n.kind != kObject {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

func (n *node) set(key string, v *node) {
	for i, k := range n.keys {
		if k == key {
			n.vals[i] = v
			return
		}
	}
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, v)
}

func (n *node) clone() *node {
	if n == nil {
		return nil
	}
	c := *n
	if n.keys != nil {
		c.keys = append([]string(nil), n.keys...)
	}
	if n.vals != nil {
		c.vals = make([]*node, len(n.vals))
		for i, v := range n.vals {
			c.vals[i] = v.clone()
		}
	}
	return &c
}

func strNode(s string) *node { return &node{kind: kString, str: s} }

func numNode(lit string) *node { return &node{kind: kNumber, str: lit} }

// parse reads one JSON document into a tree.
func parse(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseValue(dec)
	if err != nil {
		return nil, jsonError(data, dec, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid JSON: unexpected data after the document (byte %d)", dec.InputOffset())
	}
	return n, nil
}

func jsonError(data []byte, dec *json.Decoder, err error) error {
	off := int(dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: the document ends too early")
	}
	line := 1 + bytes.Count(data[:min(off, len(data))], []byte("\n"))
	return fmt.Errorf("invalid JSON at line %d (byte %d): %v", line, off, err)
}

func parseValue(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: kObject, keys: []string{}, vals: []*node{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, kt.(string))
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &node{kind: kArray, vals: []*node{}}
			for dec.More() {
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token()
			return n, err
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case string:
		return strNode(t), nil
	case json.Number:
		return numNode(string(t)), nil
	case bool:
		return &node{kind: kBool, b: t}, nil
	case nil:
		return &node{kind: kNull}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// encode writes n as compact JSON with raw UTF-8 strings; wire.Encode turns
// it into Meta's form afterwards.
func encode(buf []byte, n *node) []byte {
	switch n.kind {
	case kNull:
		return append(buf, "null"...)
	case kBool:
		return strconv.AppendBool(buf, n.b)
	case kNumber:
		return append(buf, n.str...)
	case kString:
		return jsonstr.Append(buf, n.str)
	case kArray:
		buf = append(buf, '[')
		for i, v := range n.vals {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = encode(buf, v)
		}
		return append(buf, ']')
	case kObject:
		buf = append(buf, '{')
		for i, k := range n.keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = jsonstr.Append(buf, k)
			buf = append(buf, ':')
			buf = encode(buf, n.vals[i])
		}
		return append(buf, '}')
	}
	return buf
}
