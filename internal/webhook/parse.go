// Package webhook is the typed model of WhatsApp Business Cloud API webhook
// bodies: the envelope, the value of every documented field, and a flat list
// of events (one per entry × change × item) that receivers render, filter
// and deduplicate.
//
// Parsing is tolerant in the way a receiver must be: unknown fields, unknown
// field names and unknown message or status types are kept as raw JSON and
// reported as "unknown", never dropped and never an error. Parse fails only
// when the body is not JSON or not a webhook envelope at all.
package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// ParseError says where in the body the envelope broke and what was expected.
type ParseError struct {
	// Path is a JSONPath-like location such as "$.entry[0].changes".
	Path string
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// envelope mirrors Notification with the looser types decoding needs: a
// missing "object" must be told apart from an empty one, and a numeric
// "field" is odd but not fatal.
type envelope struct {
	Object *string `json:"object"`
	Entry  []struct {
		ID      strictFlex `json:"id"`
		Time    strictFlex `json:"time"`
		Changes []struct {
			Field strictFlex      `json:"field"`
			Value json.RawMessage `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse decodes a webhook body. It works on its own copy of what it keeps,
// so the caller's bytes (the ones the signature covers) are never touched.
func Parse(body []byte) (*Notification, error) {
	return parse(body, false)
}

// ParseShared is Parse for a caller that never modifies body afterwards:
// the result's strings and raw JSON point into body instead of a copy of
// it. A receiver keeps the exact bytes anyway (for the recording and the
// forward), so copying them again for every request is pure cost, and for
// a 3 MB body that cost is two more 3 MB allocations.
func ParseShared(body []byte) (*Notification, error) {
	return parse(body, true)
}

func parse(body []byte, shared bool) (*Notification, error) {
	body = bytes.TrimPrefix(body, utf8BOM)
	if n, ok := parseFast(body, shared); ok {
		return n, nil
	}
	return parseReference(body)
}

// parseReference is Parse done entirely by encoding/json and the model's
// UnmarshalJSON methods. It is the definition of what Parse returns: the
// fast path gives up on anything it cannot decode identically, and this
// path then decides (and explains bad bodies).
func parseReference(body []byte) (*Notification, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &ParseError{Path: "$", Msg: "the body is empty: expected a JSON webhook envelope {\"object\":…,\"entry\":[…]}"}
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, diagnose(body, err)
	}
	if env.Object == nil {
		return nil, &ParseError{Path: "$.object", Msg: `missing: a WhatsApp webhook body starts {"object":"whatsapp_business_account","entry":[…]}`}
	}
	if env.Entry == nil {
		return nil, &ParseError{Path: "$.entry", Msg: "missing: expected an array of entries"}
	}
	n := &Notification{Object: *env.Object, Entry: make([]Entry, len(env.Entry)), UnknownKeys: envelopeKeys(body), plain: plainBody(body)}
	for i, e := range env.Entry {
		out := Entry{ID: Flex(e.ID), Time: Flex(e.Time), Changes: make([]Change, len(e.Changes))}
		for j, c := range e.Changes {
			out.Changes[j] = decodeChange(string(c.Field), c.Value)
		}
		n.Entry[i] = out
	}
	return n, nil
}

// envelopeKeys lists the top-level keys of a valid JSON object that are not
// (case-insensitively, as encoding/json matches them) object or entry.
func envelopeKeys(body []byte) []string {
	r := &reader{s: string(body), raw: body}
	if r.peek() != '{' || !r.enter() {
		return nil
	}
	var out []string
	for i := 0; ; i++ {
		key, plain, done, ok := r.nextField(i)
		if !ok || done || !r.skip() {
			return out
		}
		if !plain {
			key = unescape(key)
		}
		if !foldsTo(key, "object") && !foldsTo(key, "entry") {
			out = append(out, key)
		}
	}
}

// decodeChange types a change's value when the field is known. A value that
// does not match the documented shape keeps what did decode and says why.
func decodeChange(field string, value json.RawMessage) Change {
	c := Change{Field: field, Value: value}
	v := newValue(field)
	if v == nil {
		return c
	}
	if kind := jsonKind(value); kind != "an object" {
		c.DecodeErr = "value: expected an object, got " + kind
		return c
	}
	if err := json.Unmarshal(value, v); err != nil {
		c.DecodeErr = err.Error()
	}
	c.Decoded = v
	c.strays = unplacedKeys(value, reflect.TypeOf(v).Elem())
	return c
}

// diagnose turns a failed decode into an error naming the JSON path that is
// not what a webhook envelope needs. It only runs on bad input.
func diagnose(body []byte, decodeErr error) error {
	var syn *json.SyntaxError
	if errors.As(decodeErr, &syn) || !json.Valid(body) {
		var any any
		err := json.Unmarshal(body, &any)
		if errors.As(err, &syn) {
			line, col := position(body, syn.Offset)
			return &ParseError{Msg: fmt.Sprintf("the body is not JSON: %v (line %d, column %d)", syn, line, col)}
		}
		return &ParseError{Msg: "the body is not JSON: " + decodeErr.Error()}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return &ParseError{Path: "$", Msg: "expected an object (the webhook envelope), got " + jsonKind(body)}
	}
	if obj, ok := top["object"]; ok && jsonKind(obj) != "a string" {
		return &ParseError{Path: "$.object", Msg: "expected a string, got " + jsonKind(obj)}
	}
	entries, ok := top["entry"]
	if !ok {
		return &ParseError{Path: "$.entry", Msg: "missing: expected an array of entries"}
	}
	if k := jsonKind(entries); k != "an array" && k != "null" {
		return &ParseError{Path: "$.entry", Msg: "expected an array, got " + k}
	}
	var list []json.RawMessage
	_ = json.Unmarshal(entries, &list)
	for i, raw := range list {
		path := fmt.Sprintf("$.entry[%d]", i)
		var entry map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entry); err != nil {
			return &ParseError{Path: path, Msg: "expected an object, got " + jsonKind(raw)}
		}
		for _, key := range []string{"id", "time"} {
			if v, ok := entry[key]; ok && !scalar(v) {
				return &ParseError{Path: path + "." + key, Msg: "expected a string or a number, got " + jsonKind(v)}
			}
		}
		changes, ok := entry["changes"]
		if !ok {
			continue
		}
		if k := jsonKind(changes); k != "an array" && k != "null" {
			return &ParseError{Path: path + ".changes", Msg: "expected an array, got " + k}
		}
		var cs []json.RawMessage
		_ = json.Unmarshal(changes, &cs)
		for j, rc := range cs {
			cpath := fmt.Sprintf("%s.changes[%d]", path, j)
			var change map[string]json.RawMessage
			if err := json.Unmarshal(rc, &change); err != nil {
				return &ParseError{Path: cpath, Msg: "expected an object, got " + jsonKind(rc)}
			}
			if v, ok := change["field"]; ok && !scalar(v) {
				return &ParseError{Path: cpath + ".field", Msg: "expected a string, got " + jsonKind(v)}
			}
		}
	}
	return &ParseError{Msg: "not a webhook envelope: " + decodeErr.Error()}
}

func scalar(v json.RawMessage) bool {
	k := jsonKind(v)
	return k != "an object" && k != "an array"
}

// position converts a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	before := b[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}
