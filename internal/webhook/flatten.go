package webhook

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Events flattens the notification over every entry × change × item, in
// body order. Batches of up to 1000 updates are legal, so nothing but the
// first item must ever be assumed. A change that yields no recognisable item
// still yields one event carrying its raw value, so nothing is dropped.
func (n *Notification) Events() []Event {
	// Sized up front: a 3 MB history body holds thousands of events, and
	// growing a slice of large structs step by step costs more than the
	// decoding.
	out := make([]Event, 0, n.countItems())
	for ei := range n.Entry {
		entry := &n.Entry[ei]
		for ci := range entry.Changes {
			c := &entry.Changes[ci]
			base := Event{
				Field:       c.Field,
				Kind:        c.Field,
				WABAID:      string(entry.ID),
				Timestamp:   entry.Time.Time(),
				EntryIndex:  ei,
				ChangeIndex: ci,
				Problem:     c.DecodeErr,
			}
			before := len(out)
			out = appendChange(out, base, c)
			if len(out) == before {
				out = append(out, unknownValue(base, c))
			}
		}
	}
	return out
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
			e := messageEvent(base, &v.MessageEchoes[i], idx)
			e.Kind = c.Field
			e.Recipient = v.MessageEchoes[i].Recipient()
			e.Summary = "echo: " + e.Summary
			e.ItemIndex = item
			item++
			out = append(out, e)
		}
		return appendErrors(out, base, v.Errors, &item)
	case *HistoryValue:
		return appendHistory(out, base, v)
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
	e.Kind = "error"
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
		if items[i].DecodeErr != "" {
			e.Problem = items[i].DecodeErr
		}
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

func (e *Event) applyContact(c *Contact) {
	if c == nil {
		return
	}
	if c.Profile != nil {
		e.ContactName = c.Profile.Name
		e.Username = c.Profile.Username
	}
	if e.UserID == "" {
		e.UserID = c.UserID
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
