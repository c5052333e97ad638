package webhook

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// The fast decoder fills the model's types in one pass over the body,
// guided by a plan per type built once by reflection from the same json
// tags encoding/json reads. It covers exactly the cases encoding/json
// decodes without an error and without surprises (duplicate keys, keys
// that only match a field case-insensitively, a null where an item
// belongs…); anything else makes it give up, and the reference path —
// encoding/json and the UnmarshalJSON methods — decodes the value instead.
// Both paths give the same result, which the differential tests and the
// fuzz test in decode_test.go hold them to.

type planKind uint8

const (
	kindString    planKind = iota // string
	kindBool                      // bool
	kindNumber                    // json.Number
	kindFlex                      // Flex: any scalar's text
	kindStrings                   // Strings: a string or a list
	kindRawJSON                   // json.RawMessage
	kindPtr                       // *T
	kindSlice                     // []T
	kindStruct                    // a struct decoded field by field
	kindRawStruct                 // Message, Status, Error: a struct that keeps its bytes in Raw
	kindItem                      // Item[T]: V, and the bytes in Raw
)

type plan struct {
	kind planKind
	typ  reflect.Type
	elem *plan // kindPtr, kindSlice; kindItem: the plan of V

	// Structs.
	fields    []field
	byName    map[string]int // field index by JSON name
	foldNames bool           // some name has upper case: case-insensitive matches need a closer look
	raw       int            // kindRawStruct, kindItem: index of the Raw field
	value     int            // kindItem: index of V
}

type field struct {
	name  string
	index []int
	plan  *plan
}

// plans holds the plan of every value type newValue returns.
type plans struct {
	byType map[reflect.Type]*plan
	err    error
}

var loadPlans = sync.OnceValue(func() *plans {
	p := &plans{byType: map[reflect.Type]*plan{}}
	b := planBuilder{done: map[reflect.Type]*plan{}}
	for _, f := range knownFields {
		t := reflect.TypeOf(newValue(f)).Elem()
		pl, err := b.build(t)
		if err != nil {
			// A model type the fast decoder does not understand: all of
			// its values take the reference path. TestPlans fails on it.
			p.err = fmt.Errorf("%s: %w", f, err)
			continue
		}
		p.byType[t] = pl
	}
	return p
})

var (
	flexType      = reflect.TypeFor[Flex]()
	stringsType   = reflect.TypeFor[Strings]()
	numberType    = reflect.TypeFor[json.Number]()
	rawJSONType   = reflect.TypeFor[json.RawMessage]()
	unmarshalType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshal = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
	itemType      = reflect.TypeFor[interface{ isItem() }]()
)

// rawStructs are the types whose UnmarshalJSON decodes the plain struct,
// keeps the bytes in Raw and never fails.
var rawStructs = map[reflect.Type]bool{
	reflect.TypeFor[Message](): true,
	reflect.TypeFor[Status]():  true,
	reflect.TypeFor[Error]():   true,
}

type planBuilder struct {
	done map[reflect.Type]*plan
}

func (b *planBuilder) build(t reflect.Type) (*plan, error) {
	if p, ok := b.done[t]; ok {
		return p, nil
	}
	p := &plan{typ: t}
	b.done[t] = p // before the fields: Message holds an Edit holding a *Message
	var err error
	switch {
	case t == flexType:
		p.kind = kindFlex
	case t == stringsType:
		p.kind = kindStrings
	case t == rawJSONType:
		p.kind = kindRawJSON
	case t == numberType:
		p.kind = kindNumber
	case rawStructs[t]:
		p.kind = kindRawStruct
		err = b.structFields(p, t)
		p.raw = fieldIndex(t, "Raw")
	case reflect.PointerTo(t).Implements(itemType):
		p.kind = kindItem
		p.value, p.raw = fieldIndex(t, "V"), fieldIndex(t, "Raw")
		if p.value < 0 {
			return nil, fmt.Errorf("%s has no V", t)
		}
		p.elem, err = b.build(t.Field(p.value).Type)
	case reflect.PointerTo(t).Implements(unmarshalType) || reflect.PointerTo(t).Implements(textUnmarshal):
		err = fmt.Errorf("%s decodes itself: teach decode.go how", t)
	case t.Kind() == reflect.String:
		p.kind = kindString
	case t.Kind() == reflect.Bool:
		p.kind = kindBool
	case t.Kind() == reflect.Pointer:
		p.kind = kindPtr
		p.elem, err = b.build(t.Elem())
	case t.Kind() == reflect.Slice:
		p.kind = kindSlice
		p.elem, err = b.build(t.Elem())
	case t.Kind() == reflect.Struct:
		p.kind = kindStruct
		err = b.structFields(p, t)
	default:
		err = fmt.Errorf("%s: kind %s is not handled", t, t.Kind())
	}
	if p.kind == kindRawStruct && p.raw < 0 {
		err = fmt.Errorf("%s has no Raw", t)
	}
	if err != nil {
		delete(b.done, t)
		return nil, err
	}
	return p, nil
}

func fieldIndex(t reflect.Type, name string) int {
	if f, ok := t.FieldByName(name); ok && len(f.Index) == 1 {
		return f.Index[0]
	}
	return -1
}

// structFields lists the fields encoding/json would fill, with embedded
// structs' fields promoted. Any name conflict is refused rather than
// resolved: encoding/json's precedence rules are not worth copying for
// types that have none.
func (b *planBuilder) structFields(p *plan, t reflect.Type) error {
	names := map[string]bool{}
	var walk func(t reflect.Type, index []int) error
	walk = func(t reflect.Type, index []int) error {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			if sf.Anonymous && name == "" {
				if sf.Type.Kind() != reflect.Struct {
					return fmt.Errorf("%s: embedded %s is not a struct", t, sf.Type)
				}
				if err := walk(sf.Type, idx); err != nil {
					return err
				}
				continue
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if names[name] {
				return fmt.Errorf("%s: two fields named %q", t, name)
			}
			names[name] = true
			fp, err := b.build(sf.Type)
			if err != nil {
				return err
			}
			p.fields = append(p.fields, field{name: name, index: idx, plan: fp})
			if strings.ToLower(name) != name {
				p.foldNames = true
			}
		}
		return nil
	}
	if err := walk(t, nil); err != nil {
		return err
	}
	if len(p.fields) > 64 {
		return fmt.Errorf("%s has more than 64 fields", t)
	}
	p.byName = make(map[string]int, len(p.fields))
	for i, f := range p.fields {
		p.byName[f.name] = i
	}
	return nil
}

// decode fills v from the value at the reader's position. It returns false
// when the value is not one it can decode exactly as encoding/json would;
// v is then in an unspecified state.
func (r *reader) decode(p *plan, v reflect.Value) bool {
	c := r.peek()
	if c == 'n' {
		if !r.literal("null") {
			return false
		}
		switch p.kind {
		case kindRawJSON:
			v.SetBytes(r.rawSpan(r.i-4, r.i))
			return true
		case kindRawStruct, kindItem:
			return false // rare enough to leave to the reference path
		}
		// encoding/json leaves other values as they are (zero: duplicate
		// keys are refused) and sets pointers and slices to nil.
		return true
	}
	switch p.kind {
	case kindString:
		if c != '"' {
			return false
		}
		s, ok := r.str()
		v.SetString(s)
		return ok
	case kindBool:
		switch {
		case r.literal("true"):
			v.SetBool(true)
		case r.literal("false"):
		default:
			return false
		}
		return true
	case kindNumber:
		if c != '-' && (c < '0' || c > '9') {
			return false
		}
		s, ok := r.number()
		v.SetString(s)
		return ok
	case kindFlex:
		s, ok := r.flex()
		v.SetString(s)
		return ok
	case kindStrings:
		return r.strings(v)
	case kindRawJSON:
		start := r.i
		if !r.skip() {
			return false
		}
		v.SetBytes(r.rawSpan(start, r.i))
		return true
	case kindPtr:
		if v.IsNil() {
			v.Set(reflect.New(p.elem.typ))
		}
		return r.decode(p.elem, v.Elem())
	case kindSlice:
		return r.slice(p, v)
	case kindStruct:
		return r.object(p, v)
	case kindRawStruct:
		start := r.i
		if c != '{' || !r.object(p, v) {
			return false
		}
		v.Field(p.raw).SetBytes(r.rawSpan(start, r.i))
		return true
	case kindItem:
		start := r.i
		if c != '{' || !r.decode(p.elem, v.Field(p.value)) {
			return false
		}
		v.Field(p.raw).SetBytes(r.rawSpan(start, r.i))
		return true
	}
	return false
}

func (r *reader) object(p *plan, v reflect.Value) bool {
	if r.peek() != '{' || !r.enter() {
		return false
	}
	var seen uint64
	for n := 0; ; n++ {
		key, plain, done, ok := r.nextField(n)
		switch {
		case !ok || (!done && !plain):
			return false
		case done:
			return true
		}
		fi, known := p.byName[key]
		if !known {
			if p.foldMatch(key) {
				return false
			}
			r.peek()
			start := r.i
			if !r.skip() {
				return false
			}
			if r.depth == r.strayDepth {
				r.strays = append(r.strays, stray{key: key, raw: r.rawSpan(start, r.i)})
			}
			continue
		}
		if seen&(1<<fi) != 0 {
			return false // encoding/json merges duplicates; leave that to it
		}
		seen |= 1 << fi
		f := &p.fields[fi]
		fv := v.Field(f.index[0])
		for _, i := range f.index[1:] {
			fv = fv.Field(i)
		}
		if !r.decode(f.plan, fv) {
			return false
		}
	}
}

// foldMatch reports whether an ASCII key that matched no field exactly
// might match one case-insensitively, as encoding/json allows.
func (p *plan) foldMatch(key string) bool {
	if !p.foldNames && strings.ToLower(key) == key {
		return false
	}
	for _, f := range p.fields {
		if strings.EqualFold(f.name, key) {
			return true
		}
	}
	return false
}

func (r *reader) slice(p *plan, v reflect.Value) bool {
	if r.peek() != '[' || !r.enter() {
		return false
	}
	n := 0
	for ; ; n++ {
		done, ok := r.nextElem(n)
		if !ok {
			return false
		}
		if done {
			break
		}
		if n == v.Cap() {
			v.Grow(1) // in place: MakeSlice would allocate a slice header too
		}
		v.SetLen(n + 1)
		if !r.decode(p.elem, v.Index(n)) {
			return false
		}
	}
	if n == 0 {
		v.Set(reflect.MakeSlice(p.typ, 0, 0)) // [] is an empty list, not nil
	}
	return true
}

// strings decodes Strings as its UnmarshalJSON does.
func (r *reader) strings(v reflect.Value) bool {
	if r.peek() != '[' {
		s, ok := r.flex()
		if ok && s != "" {
			v.Set(reflect.ValueOf(Strings{s}))
		}
		return ok
	}
	if !r.enter() {
		return false
	}
	out := Strings{}
	for n := 0; ; n++ {
		done, ok := r.nextElem(n)
		if !ok {
			return false
		}
		if done {
			v.Set(reflect.ValueOf(out))
			return true
		}
		s, ok := r.flex()
		if !ok {
			return false
		}
		out = append(out, s)
	}
}
