package webhook

import (
	"encoding/json"
	"reflect"
	"strings"
	"unsafe"
)

// parseFast decodes a body in one pass: the envelope by hand, each change's
// value with the planned decoder. It reports false, and Parse falls back to
// parseReference, for anything that is not a well-formed envelope or that
// it cannot decode exactly as the reference would (errors, nulls and other
// surprises in the envelope). A value that surprises the planned decoder
// falls back alone, through the reference decodeChange.
//
// Unless shared, it works on copies: the strings it returns point into one,
// the raw JSON spans into another, so that neither the caller's later
// changes to body nor a change to a returned json.RawMessage can alter a
// returned string.
func parseFast(body []byte, shared bool) (*Notification, bool) {
	r := &reader{s: unsafe.String(unsafe.SliceData(body), len(body)), raw: body}
	if !shared {
		r.s, r.raw = string(body), []byte(string(body))
	}
	r.guess = lastField(r.s)
	if r.peek() != '{' || !r.enter() {
		return nil, false
	}
	// A body nearly always holds one entry with one change of messages:
	// those, and the notification, come in one allocation.
	one := new(oneChange)
	r.spareEntries, r.spareChanges, r.spareMessages = one.e[:0:1], one.c[:0:1], &one.messages
	n := &one.n
	var haveObject, haveEntry bool
	for i := 0; ; i++ {
		key, plain, done, ok := r.nextField(i)
		switch {
		case !ok || (!done && !plain):
			return nil, false
		case done:
			if r.peek(); !haveObject || !haveEntry || r.i != len(r.s) {
				return nil, false
			}
			n.plain = !r.high && !r.lineBreak
			return n, true
		}
		switch {
		case key == "object" && !haveObject:
			haveObject = true
			if r.peek() != '"' {
				return nil, false
			}
			if n.Object, ok = r.str(); !ok {
				return nil, false
			}
		case key == "entry" && !haveEntry:
			haveEntry = true
			if n.Entry, ok = r.entries(); !ok {
				return nil, false
			}
		case foldsTo(key, "object") || foldsTo(key, "entry"):
			return nil, false // a duplicate or a differently cased key
		default:
			if !r.skip() {
				return nil, false
			}
			n.UnknownKeys = append(n.UnknownKeys, key)
		}
	}
}

// oneChange is the notification of a body with one entry of one change,
// and that change's value when it is messages, in one allocation. Each
// part is handed out once (see the reader's spare fields); a second entry,
// change or value is allocated as usual.
type oneChange struct {
	n        Notification
	e        [1]Entry
	c        [1]Change
	messages MessagesValue
}

func foldsTo(key, name string) bool {
	return len(key) == len(name) && asciiLower(key) == name
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func (r *reader) entries() ([]Entry, bool) {
	if r.peek() != '[' || !r.enter() {
		return nil, false
	}
	out := r.spareEntries
	r.spareEntries = nil
	if out == nil {
		out = make([]Entry, 0, 1)
	}
	for i := 0; ; i++ {
		done, ok := r.nextElem(i)
		if !ok {
			return nil, false
		}
		if done {
			return out, true
		}
		e, ok := r.entry()
		if !ok {
			return nil, false
		}
		out = append(out, e)
	}
}

func (r *reader) entry() (Entry, bool) {
	var e Entry
	if r.peek() != '{' || !r.enter() {
		return e, false
	}
	var haveID, haveTime, haveChanges bool
	for i := 0; ; i++ {
		key, plain, done, ok := r.nextField(i)
		switch {
		case !ok || (!done && !plain):
			return e, false
		case done:
			if e.Changes == nil {
				e.Changes = []Change{}
			}
			return e, true
		}
		switch {
		case key == "id" && !haveID:
			haveID = true
			var s string
			s, ok = r.scalar()
			e.ID = Flex(s)
		case key == "time" && !haveTime:
			haveTime = true
			var s string
			s, ok = r.scalar()
			e.Time = Flex(s)
		case key == "changes" && !haveChanges:
			haveChanges = true
			e.Changes, ok = r.changes()
		case foldsTo(key, "id") || foldsTo(key, "time") || foldsTo(key, "changes"):
			ok = false
		default:
			ok = r.skip()
		}
		if !ok {
			return e, false
		}
	}
}

// scalar reads a strictFlex: an object or an array is not a webhook.
func (r *reader) scalar() (string, bool) {
	if c := r.peek(); c == '{' || c == '[' {
		return "", false
	}
	return r.flex()
}

func (r *reader) changes() ([]Change, bool) {
	if r.peek() != '[' || !r.enter() {
		return nil, false
	}
	out := r.spareChanges
	r.spareChanges = nil
	if out == nil {
		out = make([]Change, 0, 1)
	}
	for i := 0; ; i++ {
		done, ok := r.nextElem(i)
		if !ok {
			return nil, false
		}
		if done {
			return out, true
		}
		c, ok := r.change()
		if !ok {
			return nil, false
		}
		out = append(out, c)
	}
}

// change reads one change. Meta sends the value before the field that says
// how to read it, so the value is decoded as the field read so far says,
// or else as "messages" (nearly every webhook), and the guess is checked
// once the field is known: a wrong guess costs a second decode, a right
// one saves a pass over the body.
func (r *reader) change() (Change, bool) {
	if r.peek() != '{' || !r.enter() {
		return Change{}, false
	}
	var field, guess string
	var decoded any
	var strays []stray
	valueStart, valueEnd := -1, -1
	var haveField bool
	for i := 0; ; i++ {
		key, plain, done, ok := r.nextField(i)
		switch {
		case !ok || (!done && !plain):
			return Change{}, false
		case done:
			var value json.RawMessage
			if valueStart >= 0 {
				value = r.rawSpan(valueStart, valueEnd)
			}
			if decoded != nil && (field == guess || reflect.TypeOf(newValue(field)) == reflect.TypeOf(decoded)) {
				return Change{Field: field, Value: value, Decoded: decoded, strays: messagingStrays(decoded, strays)}, true
			}
			return r.decodeChange(field, value, valueStart), true
		}
		switch {
		case key == "field" && !haveField:
			haveField = true
			field, ok = r.scalar()
		case key == "value" && valueStart < 0:
			r.peek()
			valueStart = r.i
			guess = r.guess
			if haveField {
				guess = field
			}
			if decoded, strays = r.tryDecode(guess); decoded == nil {
				ok = r.skip()
			}
			valueEnd = r.i
		case foldsTo(key, "field") || foldsTo(key, "value"):
			ok = false
		default:
			ok = r.skip()
		}
		if !ok {
			return Change{}, false
		}
	}
}

// lastField guesses how to read a value that comes before its field: a
// body usually holds one change, whose field is among its last bytes
// (`"field":"history"}]}]}`); else "messages", the field of nearly every
// webhook. A wrong guess costs a second decode, never a wrong result.
func lastField(s string) string {
	tail := s[max(0, len(s)-128):]
	i := strings.LastIndex(tail, `"field"`)
	if i < 0 {
		return "messages"
	}
	rest := strings.TrimLeft(tail[i+len(`"field"`):], " \t\r\n")
	rest, ok := strings.CutPrefix(rest, ":")
	rest = strings.TrimLeft(rest, " \t\r\n")
	if rest, ok2 := strings.CutPrefix(rest, `"`); ok && ok2 {
		if name, _, found := strings.Cut(rest, `"`); found && name != "" {
			return name
		}
	}
	return "messages"
}

// tryDecode decodes the value at the reader's position as the value of
// field with the planned decoder, and returns it with the keys its type
// does not decode. On failure it returns nil with the reader back where
// it was.
func (r *reader) tryDecode(field string) (any, []stray) {
	start, depth := r.i, r.depth
	v := r.newValue(field)
	if v == nil || r.i >= len(r.s) || r.s[r.i] != '{' {
		return nil, nil
	}
	p := loadPlans().byType[reflect.TypeOf(v).Elem()]
	r.strayDepth, r.strays = depth+1, nil
	ok := p != nil && r.decode(p, reflect.ValueOf(v).Elem())
	strays := r.strays
	r.strayDepth, r.strays = 0, nil
	if !ok {
		r.i, r.depth = start, depth
		return nil, nil
	}
	return v, strays
}

// newValue is newValue(field), the spare messages value for the first
// that needs one.
func (r *reader) newValue(field string) any {
	if m := r.spareMessages; m != nil && (field == "messages" || field == "standby") {
		r.spareMessages = nil
		return m
	}
	return newValue(field)
}

// messagingStrays keeps the strays of a messaging-like value only, as
// unplacedKeys does.
func messagingStrays(decoded any, strays []stray) []stray {
	if len(strays) == 0 || !messagingLike(reflect.TypeOf(decoded).Elem()) {
		return nil
	}
	return strays
}

// decodeChange is the reference decodeChange with the planned decoder in
// front; value starts at byte start of the body.
func (r *reader) decodeChange(field string, value json.RawMessage, start int) Change {
	v := r.newValue(field)
	if v == nil || jsonKind(value) != "an object" {
		return decodeChange(field, value)
	}
	p := loadPlans().byType[reflect.TypeOf(v).Elem()]
	if p == nil {
		return decodeChange(field, value)
	}
	sub := reader{s: r.s[:start+len(value)], raw: r.raw, i: start, strayDepth: 1}
	if !sub.decode(p, reflect.ValueOf(v).Elem()) || sub.i != start+len(value) {
		return decodeChange(field, value)
	}
	return Change{Field: field, Value: value, Decoded: v, strays: messagingStrays(v, sub.strays)}
}
