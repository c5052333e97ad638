package payload

import (
	"fmt"
	"strings"
)

// Override changes the value at one or more paths of every source it applies to.
type Override struct {
	// Flag is how the user asked for it ("--set" or a shortcut such as "--from"), for messages.
	Flag  string
	Path  string // the first path, as written (for messages)
	paths [][]segment
	value *node
	text  string // VALUE as given
	// where says where a shortcut applies, for the error when it applies nowhere.
	where string
}

// ParseSet reads one --set PATH=VALUE. VALUE is JSON when it parses as JSON
// (a number, true, {"a":1}, "quoted"), otherwise a plain string. A number or
// boolean written over a string keeps the string type, because Meta sends
// ids, phone numbers and timestamps as strings.
func ParseSet(s string) (Override, error) {
	path, value, ok := strings.Cut(s, "=")
	if !ok {
		return Override{}, fmt.Errorf("--set %q: write PATH=VALUE, e.g. --set entry[0].changes[0].value.messages[0].text.body=hello", s)
	}
	segs, err := parsePath(strings.TrimSpace(path))
	if err != nil {
		return Override{}, fmt.Errorf("--set %s: %v", s, err)
	}
	v, perr := parse([]byte(value))
	if perr != nil || strings.TrimSpace(value) == "" {
		v = strNode(value)
	}
	return Override{Flag: "--set", Path: formatPath(segs), paths: [][]segment{segs}, value: v, text: value}, nil
}

// Shortcuts are the named overrides; an empty field is not applied.
type Shortcuts struct {
	From               string // the user's phone number: messages[].from, contacts[].wa_id, statuses[].recipient_id
	Name               string // the user's profile name: contacts[].profile.name
	Text               string // text messages' body: messages[].text.body
	PhoneNumberID      string // the business number's id: metadata.phone_number_id
	DisplayPhoneNumber string // the business number: metadata.display_phone_number
	WABAID             string // entry[].id
}

// Overrides turns the shortcuts into overrides, in a fixed order.
func (s Shortcuts) Overrides() []Override {
	var out []Override
	add := func(flag, value, where string, paths ...string) {
		if value == "" {
			return
		}
		ov := Override{Flag: flag, value: strNode(value), text: value, where: where}
		for _, p := range paths {
			segs, err := parsePath(p)
			if err != nil {
				panic(err) // the paths below are constants
			}
			ov.paths = append(ov.paths, append(append([]segment(nil), valuePrefix...), segs...))
		}
		ov.Path = formatPath(ov.paths[0])
		out = append(out, ov)
	}
	add("--from", s.From, "messages[].from, contacts[].wa_id or statuses[].recipient_id",
		"messages[*].from", "contacts[*].wa_id", "statuses[*].recipient_id")
	add("--name", s.Name, "contacts[].profile.name", "contacts[*].profile.name")
	add("--text", s.Text, "a text message's messages[].text.body", "messages[*].text.body")
	add("--phone-number-id", s.PhoneNumberID, "value.metadata.phone_number_id", "metadata.phone_number_id")
	add("--display-phone-number", s.DisplayPhoneNumber, "value.metadata.display_phone_number", "metadata.display_phone_number")
	if s.WABAID != "" {
		segs, _ := parsePath("entry[*].id")
		out = append(out, Override{Flag: "--waba-id", Path: "entry[*].id", paths: [][]segment{segs}, value: strNode(s.WABAID), text: s.WABAID, where: "entry[].id"})
	}
	return out
}

// apply sets the override's value at every location it reaches in root and
// reports how many it changed, or why it reached none.
func (ov Override) apply(root *node) (int, string) {
	n := 0
	var why string
	for _, segs := range ov.paths {
		var locs []location
		var m *miss
		if ov.Flag == "--set" {
			locs, m = resolveUser(root, segs)
		} else {
			locs, m = resolve(root, segs)
		}
		if len(locs) == 0 {
			if m != nil && why == "" {
				why = m.reason
			}
			continue
		}
		for _, l := range locs {
			l.parent.vals[l.i] = ov.valueFor(l.node())
			n++
		}
	}
	return n, why
}

func (ov Override) valueFor(old *node) *node {
	v := ov.value
	if old.kind == kString && (v.kind == kNumber || v.kind == kBool) {
		return strNode(strings.TrimSpace(ov.text))
	}
	return v.clone()
}
