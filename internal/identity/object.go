package identity

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/wa-hooks/wa-hooks/internal/jsonstr"
)

// object is a JSON object decoded one level deep: its keys in order and
// each value's bytes as they were. Only what the rewriter changes is ever
// re-encoded, so every other byte of a body (numbers, escapes such as
// Meta's \/ and \uXXXX) stays exactly as it came.
type object struct {
	keys []string
	vals []json.RawMessage
}

var errNotObject = errors.New("not a JSON object")

func decodeObject(raw []byte) (*object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errNotObject
	}
	o := &object{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		o.keys = append(o.keys, key)
		o.vals = append(o.vals, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON document")
	}
	return o, nil
}

func decodeArray(raw []byte) ([]json.RawMessage, bool) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '[' {
		return nil, false
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, false
	}
	return items, true
}

func encodeArray(items []json.RawMessage) json.RawMessage {
	b := []byte{'['}
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

func (o *object) encode() json.RawMessage {
	b := []byte{'{'}
	for i, k := range o.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, k)
		b = append(b, ':')
		b = append(b, o.vals[i]...)
	}
	return append(b, '}')
}

func (o *object) index(key string) int {
	for i, k := range o.keys {
		if k == key {
			return i
		}
	}
	return -1
}

func (o *object) has(key string) bool { return o.index(key) >= 0 }

func (o *object) get(key string) json.RawMessage {
	if i := o.index(key); i >= 0 {
		return o.vals[i]
	}
	return nil
}

// str returns a string value, or a number's literal (Meta has sent IDs as
// numbers), or "".
func (o *object) str(key string) string {
	raw := bytes.TrimSpace(o.get(key))
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return string(raw)
	}
	return ""
}

func (o *object) child(key string) *object {
	raw := o.get(key)
	if raw == nil {
		return nil
	}
	c, err := decodeObject(raw)
	if err != nil {
		return nil
	}
	return c
}

func (o *object) del(key string) {
	if i := o.index(key); i >= 0 {
		o.keys = append(o.keys[:i], o.keys[i+1:]...)
		o.vals = append(o.vals[:i], o.vals[i+1:]...)
	}
}

// put sets key to v. A key not yet there goes where Meta puts it: after the
// nearest key before it in order that the object has, else before the
// nearest one after it, else at the end.
func (o *object) put(key string, v json.RawMessage, order []string) {
	if i := o.index(key); i >= 0 {
		o.vals[i] = v
		return
	}
	at := len(o.keys)
	if pos := indexOf(order, key); pos >= 0 {
		found := false
		for j := pos - 1; j >= 0 && !found; j-- {
			if i := o.index(order[j]); i >= 0 {
				at, found = i+1, true
			}
		}
		for j := pos + 1; j < len(order) && !found; j++ {
			if i := o.index(order[j]); i >= 0 {
				at, found = i, true
			}
		}
	}
	o.keys = append(o.keys, "")
	o.vals = append(o.vals, nil)
	copy(o.keys[at+1:], o.keys[at:])
	copy(o.vals[at+1:], o.vals[at:])
	o.keys[at], o.vals[at] = key, v
}

func (o *object) putString(key, s string, order []string) {
	o.put(key, jsonstr.Append(nil, s), order)
}

func indexOf(xs []string, x string) int {
	for i, s := range xs {
		if s == x {
			return i
		}
	}
	return -1
}

// items decodes the objects of an array value; ok is false when key holds
// no array. Items that are not objects come back nil and are kept as sent.
func (o *object) items(key string) (raw []json.RawMessage, objs []*object, ok bool) {
	raw, ok = decodeArray(o.get(key))
	if !ok {
		return nil, nil, false
	}
	objs = make([]*object, len(raw))
	for i, r := range raw {
		objs[i], _ = decodeObject(r)
	}
	return raw, objs, true
}

// setItems writes decoded items back into an array value.
func (o *object) setItems(key string, raw []json.RawMessage, objs []*object) {
	o.put(key, encodeItems(raw, objs), nil)
}

// encodeItems encodes an array of decoded objects; an item that is not an
// object (nil in objs) keeps its bytes from raw.
func encodeItems(raw []json.RawMessage, objs []*object) json.RawMessage {
	out := make([]json.RawMessage, len(objs))
	for i := range objs {
		if objs[i] != nil {
			out[i] = objs[i].encode()
		} else {
			out[i] = raw[i]
		}
	}
	return encodeArray(out)
}
