package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// object is one JSON object of a request, read field by field so that every
// refusal can name the parameter the way Meta does: text['body'].
type object struct {
	path   string // "text", "interactive['action']"
	fields map[string]json.RawMessage
}

func decodeObject(path string, raw json.RawMessage) (object, *Error) {
	o := object{path: path}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return o, Param(path, "%s must be a JSON object.", path)
	}
	if err := json.Unmarshal(raw, &o.fields); err != nil {
		return o, Param(path, "%s must be a JSON object.", path)
	}
	return o, nil
}

func (o object) name(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "['" + key + "']"
}

func (o object) has(key string) bool {
	v, ok := o.fields[key]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// str reads a string field; numbers are accepted as their text, because
// Graph coerces them (ids and phone numbers sent unquoted still work).
func (o object) str(key string) (string, bool, *Error) {
	v, ok := o.fields[key]
	if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, true, nil
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err == nil {
		return n.String(), true, nil
	}
	return "", true, Param(o.name(key), "%s must be a string.", o.name(key))
}

func (o object) required(key string) (string, *Error) {
	s, ok, err := o.str(key)
	if err != nil {
		return "", err
	}
	if !ok || s == "" {
		return "", Missing(o.name(key))
	}
	return s, nil
}

// text reads a string of at most max characters (0: no limit).
func (o object) text(key string, need bool, max int) (string, *Error) {
	s, ok, err := o.str(key)
	if err != nil {
		return "", err
	}
	if need && (!ok || s == "") {
		return "", Missing(o.name(key))
	}
	if max > 0 && utf8.RuneCountInString(s) > max {
		return "", Param(o.name(key), "%s must be at most %d characters long (it has %d).", o.name(key), max, utf8.RuneCountInString(s))
	}
	return s, nil
}

func (o object) sub(key string, need bool) (object, bool, *Error) {
	if !o.has(key) {
		if need {
			return object{}, false, Missing(o.name(key))
		}
		return object{}, false, nil
	}
	s, err := decodeObject(o.name(key), o.fields[key])
	return s, true, err
}

func (o object) list(key string, need bool) ([]json.RawMessage, *Error) {
	if !o.has(key) {
		if need {
			return nil, Missing(o.name(key))
		}
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(o.fields[key], &items); err != nil {
		return nil, Param(o.name(key), "%s must be an array.", o.name(key))
	}
	if need && len(items) == 0 {
		return nil, Param(o.name(key), "%s must not be empty.", o.name(key))
	}
	return items, nil
}

func (o object) boolean(key string) (bool, *Error) {
	if !o.has(key) {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(o.fields[key], &b); err != nil {
		return false, Param(o.name(key), "%s must be a boolean.", o.name(key))
	}
	return b, nil
}

func (o object) number(key string) (float64, bool, *Error) {
	if !o.has(key) {
		return 0, false, nil
	}
	var f float64
	if err := json.Unmarshal(o.fields[key], &f); err != nil {
		var s string
		if json.Unmarshal(o.fields[key], &s) == nil {
			if _, err := fmt.Sscanf(s, "%g", &f); err == nil {
				return f, true, nil
			}
		}
		return 0, true, Param(o.name(key), "%s must be a number.", o.name(key))
	}
	return f, true, nil
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
