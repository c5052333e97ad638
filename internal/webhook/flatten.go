package webhook

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unsafe"
)

// Events flattens the notification over every entry × change × item, in
// body order. Batches of up to 1000 updates are legal, so nothing but the
// first item must ever be assumed. A change that yields no recognisable item
// still yields one event carrying its raw value, so nothing is dropped.
func (n *Notification) Events() []Event {
	return n.AppendEvents(nil)
}

// AppendEvents appends the events to dst: a caller that handles one body
// after another can reuse one slice.
func (n *Notification) AppendEvents(dst []Event) []Event {
	// Sized up front: a 3 MB history body holds thousands of events, and
	// growing a slice of large structs step by step costs more than the
	// decoding.
	out := slices.Grow(dst, n.countItems())
	var envelope []string
	for _, k := range n.UnknownKeys {
		envelope = append(envelope, fmt.Sprintf("envelope: key %q is not part of a webhook envelope (ignored)", truncate(k, 40)))
	}
	for ei := range n.Entry {
		entry := &n.Entry[ei]
		for ci := range entry.Changes {
			c := &entry.Changes[ci]
			base := Event{
				Field:       c.Field,
				Kind:        c.Field,
				WABAID:      string(entry.ID),
				EntryIndex:  ei,
				ChangeIndex: ci,
				Problems:    envelope[:len(envelope):len(envelope)],
			}
			base.setTime(entry.Time)
			base.addProblem(c.DecodeErr)
			before := len(out)
			out = appendChange(out, base, c)
			out = appendStrays(out, before, base, c)
			if len(out) == before {
				out = append(out, unknownValue(base, c))
			}
		}
	}
	return out
}

// appendStrays places what a messaging-like value holds under keys its
// field does not document: each item of an array (a calls[] inside a
// messages value) or an object becomes an unknown event, a scalar a
// problem of the change's events. Nothing sent vanishes.
func appendStrays(out []Event, before int, base Event, c *Change) []Event {
	strays := c.strays
	if len(strays) == 0 {
		return out
	}
	item := len(out) - before
	var notes []string
	for _, st := range strays {
		key := truncate(st.key, 40)
		switch jsonKind(st.raw) {
		case "an array":
			var elems []json.RawMessage
			_ = json.Unmarshal(st.raw, &elems)
			for i, raw := range elems {
				out = append(out, strayEvent(base, c.Field, fmt.Sprintf("%s[%d]", key, i), raw, item))
				item++
			}
		case "an object":
			out = append(out, strayEvent(base, c.Field, key, st.raw, item))
			item++
		default:
			notes = append(notes, fmt.Sprintf("value: key %q is not part of the %s field (%s, ignored)", key, c.Field, truncate(string(st.raw), 40)))
		}
	}
	for i := before; i < len(out); i++ {
		for _, note := range notes {
			out[i].addProblem(note)
		}
	}
	return out
}

func strayEvent(base Event, field, where string, raw json.RawMessage, item int) Event {
	e := base
	e.Kind = KindUnknown
	e.Type = "unknown"
	e.Unknown = true
	e.ItemIndex = item
	e.Raw = raw
	e.Summary = fmt.Sprintf("unknown item %s in the %s value: %s", where, field, describeKeys(raw))
	return e
}

// messagingLike reports whether values of type t carry metadata and items
// (messages, statuses, echoes…), so that an undocumented key may hold
// items the model cannot place.
func messagingLike(t reflect.Type) bool {
	p := loadPlans().byType[t]
	if p == nil {
		return false
	}
	_, ok := p.byName["metadata"]
	return ok
}

// stray is a key of an object and its value, unparsed.
type stray struct {
	key string
	raw json.RawMessage
}

// unplacedKeys lists the keys of a messaging-like value (one with
// metadata) that its type t does not decode. Management values are one
// item each and keep everything in Raw, so they are not looked at.
func unplacedKeys(value json.RawMessage, t reflect.Type) []stray {
	if !messagingLike(t) {
		return nil
	}
	p := loadPlans().byType[t]
	r := &reader{s: unsafe.String(unsafe.SliceData(value), len(value)), raw: value}
	if r.peek() != '{' || !r.enter() {
		return nil
	}
	var out []stray
	for i := 0; ; i++ {
		key, _, done, ok := r.nextField(i)
		if !ok || done {
			return out
		}
		r.peek()
		start := r.i
		if !r.skip() {
			return out
		}
		if _, known := p.byName[key]; known || p.foldMatch(key) {
			continue
		}
		out = append(out, stray{key: key, raw: r.rawSpan(start, r.i)})
	}
}

// unknownValue is the event for a change nothing else could be made of.
func unknownValue(base Event, c *Change) Event {
	e := base
	e.Raw = c.Value
	if c.Decoded == nil && c.DecodeErr == "" {
		e.Type = "unknown"
		e.Unknown = true
		e.Summary = fmt.Sprintf("unknown field %q: %s", c.Field, describeKeys(c.Value))
		return e
	}
	e.Type = c.Field
	e.Unknown = true
	e.Summary = "no recognisable items: " + describeKeys(c.Value)
	return e
}

// describeKeys lists an object's keys, for summaries of unknown content.
func describeKeys(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return "value is " + jsonKind(raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "empty value"
	}
	return "keys " + strings.Join(keys, ", ")
}

func appendChange(out []Event, base Event, c *Change) []Event {
	switch v := c.Decoded.(type) {
	case *MessagesValue:
		base.PhoneNumberID, base.DisplayPhoneNumber = string(v.Metadata.PhoneNumberID), string(v.Metadata.DisplayPhoneNumber)
		idx := newContactIndex(v.Contacts)
		item := 0
		for i := range v.Messages {
			e := messageEvent(base, &v.Messages[i], idx)
			if c.Field == "standby" {
				e.Kind = KindStandby
			}
			e.ItemIndex = item
			item++
			out = append(out, e)
		}
		for i := range v.Statuses {
			e := statusEvent(base, &v.Statuses[i], idx)
			e.ItemIndex = item
			item++
			out = append(out, e)
		}
		return appendErrors(out, base, v.Errors, &item)
	case *EchoesValue:
		base.PhoneNumberID, base.DisplayPhoneNumber = string(v.Metadata.PhoneNumberID), string(v.Metadata.DisplayPhoneNumber)
		idx := newContactIndex(v.Contacts)
		item := 0
		for i := range v.MessageEchoes {
			m := &v.MessageEchoes[i]
			e := messageEvent(base, m, idx)
			e.Kind = KindEcho
			e.Recipient = m.Recipient()
			e.UserID, e.ParentUserID = m.ToUserID, m.ToParentUserID
			e.applyContact(idx.lookup(string(m.To), m.ToUserID))
			e.ItemIndex = item
			item++
			out = append(out, e)
		}
		return appendErrors(out, base, v.Errors, &item)
	case *HistoryValue:
		return appendHistory(out, base, v, c.Value)
	case *CallsValue:
		return appendCalls(out, base, v)
	case *UserPreferencesValue:
		return appendItems(out, base, v.MessagingBase, v.UserPreferences, userPreferenceEvent)
	case *StateSyncValue:
		return appendItems(out, base, v.MessagingBase, v.StateSync, stateSyncEvent)
	case *AutomaticEventsValue:
		return appendItems(out, base, v.MessagingBase, v.AutomaticEvents, automaticEvent)
	case *GroupsValue:
		return appendItems(out, base, v.MessagingBase, v.Groups, groupEvent)
	case *UserIDUpdateValue:
		return appendItems(out, base, v.MessagingBase, v.UserIDUpdate, userIDUpdateEvent)
	case *ConsumerProfileValue:
		return appendItems(out, base, v.MessagingBase, v.ConsumerProfile, consumerProfileEvent)
	case nil:
		return out
	}
	// Management fields: the value is the one item.
	e := base
	e.Raw = c.Value
	managementEvent(&e, c.Decoded)
	return append(out, e)
}

func appendErrors(out []Event, base Event, errs []Error, item *int) []Event {
	for i := range errs {
		out = append(out, errorEvent(base, errs[i], *item))
		*item++
	}
	return out
}

func errorEvent(base Event, er Error, item int) Event {
	e := base
	e.Kind = KindError
	e.Type = "error"
	e.ItemIndex = item
	e.Errors = errorInfos([]Error{er})
	e.Raw = er.Raw
	if len(e.Raw) == 0 {
		e.Raw, _ = json.Marshal(er)
	}
	e.Summary = errorSummary(e.Errors[0])
	return e
}

// appendItems emits one event per array item of a messaging-like field,
// then one per value-level error.
func appendItems[T any](out []Event, base Event, mb MessagingBase, items []Item[T], build func(*Event, *T, contactIndex)) []Event {
	base.PhoneNumberID, base.DisplayPhoneNumber = string(mb.Metadata.PhoneNumberID), string(mb.Metadata.DisplayPhoneNumber)
	idx := newContactIndex(mb.Contacts)
	item := 0
	for i := range items {
		e := base
		e.Raw = items[i].Raw
		e.ItemIndex = item
		e.addProblem(items[i].DecodeErr)
		build(&e, &items[i].V, idx)
		item++
		out = append(out, e)
	}
	return appendErrors(out, base, mb.Errors, &item)
}

// contactIndex finds the profile (value.contacts) that belongs to a user.
type contactIndex []Contact

func newContactIndex(cs []Contact) contactIndex { return cs }

// lookup matches on wa_id or BSUID; with a single contact and no match key
// at all it takes that one, as Meta sends one contact per user.
func (ci contactIndex) lookup(waID, userID string) *Contact {
	for i := range ci {
		c := &ci[i]
		if (waID != "" && string(c.WaID) == waID) || (userID != "" && c.UserID == userID) {
			return c
		}
	}
	if len(ci) == 1 && (waID == "" || ci[0].WaID == "") && (userID == "" || ci[0].UserID == "") {
		return &ci[0]
	}
	return nil
}

// applyContact adds what value.contacts says about the user: profile
// name and username, BSUID and parent BSUID, and the phone number when the
// item names the user by BSUID only.
func (e *Event) applyContact(c *Contact) {
	if c == nil {
		return
	}
	if c.Profile != nil {
		if c.Profile.Name != "" {
			e.ContactName = c.Profile.Name
		}
		if c.Profile.Username != "" {
			e.Username = c.Profile.Username
		}
	}
	if e.UserID == "" {
		e.UserID = c.UserID
	}
	if e.ParentUserID == "" {
		e.ParentUserID = c.ParentUserID
	}
	if wa := string(c.WaID); wa != "" && wa != e.From && wa != e.Recipient {
		e.WaID = wa
	}
}

// Recipient returns the user an echo was sent to.
func (m *Message) Recipient() string {
	if m.To != "" {
		return string(m.To)
	}
	return m.ToUserID
}

// countItems is how many events Events will return, at least.
func (n *Notification) countItems() int {
	total := 0
	for ei := range n.Entry {
		for ci := range n.Entry[ei].Changes {
			k := 0
			switch v := n.Entry[ei].Changes[ci].Decoded.(type) {
			case *MessagesValue:
				k = len(v.Messages) + len(v.Statuses) + len(v.Errors)
			case *EchoesValue:
				k = len(v.MessageEchoes) + len(v.Errors)
			case *HistoryValue:
				k = len(v.Messages) + len(v.Errors)
				for _, h := range v.History {
					k += len(h.Errors) + 1
					for _, th := range h.Threads {
						k += len(th.Messages)
					}
				}
			case *CallsValue:
				k = len(v.Calls) + len(v.Statuses) + len(v.Errors)
			}
			total += max(k, 1)
		}
	}
	return total
}
