package identity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// need is what an item asks of its user's entry in value.contacts.
type need uint8

const (
	// noContact: Meta sends the item without a contact (system messages,
	// failed statuses, statuses before 2026).
	noContact need = iota
	// plainContact: a contact with wa_id and/or user_id.
	plainContact
	// usernameContact: a contact that also carries profile.username when
	// the user has one (messages, calls, delivered and read statuses).
	usernameContact
)

// Canonical key orders, for placing an identifier a body did not have.
var (
	orderMessage     = []string{"from", "from_user_id", "from_parent_user_id", "id"}
	orderEcho        = []string{"from", "to", "to_user_id", "to_parent_user_id", "id"}
	orderStatus      = []string{"id", "status", "timestamp", "type", "recipient_id", "recipient_user_id", "recipient_parent_user_id"}
	orderParticipant = []string{"recipient_id", "recipient_type", "recipient_participant_id", "recipient_participant_user_id", "recipient_participant_parent_user_id"}
	orderCallFrom    = []string{"id", "from", "from_user_id", "from_parent_user_id", "to"}
	orderCallTo      = []string{"from", "to", "to_user_id", "to_parent_user_id", "event"}
	orderUser        = []string{"input", "wa_id", "user_id", "parent_user_id", "detail"}
	orderSender      = []string{"phone_number", "user_id"}
	orderContact     = []string{"profile", "wa_id", "user_id", "parent_user_id"}
	orderProfile     = []string{"name", "username"}
	orderValue       = []string{"messaging_product", "metadata", "contacts"}
)

// slot is one place in a body that names a user: the object and the keys
// of the phone number, the BSUID and the parent BSUID there.
type slot struct {
	obj                           *object
	phoneKey, bsuidKey, parentKey string
	order                         []string
	keepPhone, keepBSUID          bool
	need                          need
	// what the body said, to find the person again
	phone, bsuid string
	p            *person
}

// value is one change's value being rewritten.
type value struct {
	field string
	obj   *object
	slots []*slot
	// contacts: the value.contacts entries, when the field has them
	contactRaw  []json.RawMessage
	contactObjs []*object
	hasContacts bool
	// addsContacts: the field carries value.contacts, so a missing entry
	// is added where an item needs one
	addsContacts bool
	// flush writes decoded objects back into their parents, innermost first.
	flush []func()
}

type rewriter struct {
	id     Identity
	people people
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Rewrite returns body with its users identified as id says. Only the
// identifiers (and the contacts that carry them) change; every other byte
// is kept, so a fixture stays pretty-printed and a wire-form body keeps
// Meta's escaping. Identifiers a body lacks are derived from the ones it
// has, the same way every time. Management fields (templates, account,
// phone number…) name no user and come back unchanged.
func Rewrite(body []byte, id Identity) ([]byte, error) {
	if _, err := Parse(string(id)); err != nil {
		return nil, err
	}
	src := bytes.TrimPrefix(body, utf8BOM)
	root, err := decodeObject(src)
	if err != nil {
		return nil, fmt.Errorf("the body is not a JSON object (%v): --identity rewrites webhook bodies", err)
	}
	entryRaw, entries, ok := root.items("entry")
	if !ok {
		return nil, errors.New(`the body is not a webhook envelope {"object":…,"entry":[…]}: --identity rewrites webhook bodies`)
	}
	r := &rewriter{id: id}
	var values []*value
	var flush []func()
	for _, e := range entries {
		if e == nil {
			continue
		}
		changeRaw, changes, ok := e.items("changes")
		if !ok {
			continue
		}
		for _, c := range changes {
			if c == nil {
				continue
			}
			v := c.child("value")
			if v == nil {
				continue
			}
			val := &value{field: c.str("field"), obj: v}
			r.gather(val)
			values = append(values, val)
			flush = append(flush, func() { c.put("value", v.encode(), nil) })
		}
		flush = append(flush, func() { e.setItems("changes", changeRaw, changes) })
	}
	r.people.complete()
	for _, v := range values {
		r.apply(v)
	}
	for _, f := range flush {
		f()
	}
	root.setItems("entry", entryRaw, entries)
	return restyle(body, root.encode())
}

// restyle gives the rewritten body the layout of the original: indented
// with two spaces when it was pretty-printed, compact otherwise.
func restyle(orig, out []byte) ([]byte, error) {
	var buf bytes.Buffer
	trimmed := bytes.TrimSpace(orig)
	if bytes.IndexByte(trimmed, '\n') >= 0 {
		if err := json.Indent(&buf, out, "", "  "); err != nil {
			return nil, err
		}
		if bytes.HasSuffix(orig, []byte("\n")) {
			buf.WriteByte('\n')
		}
		return buf.Bytes(), nil
	}
	if err := json.Compact(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (r *rewriter) addSlot(v *value, obj *object, phoneKey, bsuidKey, parentKey string, order []string, n need) *slot {
	bsuid := ""
	if bsuidKey != "" {
		bsuid = obj.str(bsuidKey)
	}
	return r.addSlotWith(v, obj, phoneKey, bsuidKey, parentKey, order, n, bsuid)
}

// addSlotWith is addSlot for a place whose BSUID is not at bsuidKey.
func (r *rewriter) addSlotWith(v *value, obj *object, phoneKey, bsuidKey, parentKey string, order []string, n need, bsuid string) *slot {
	s := &slot{obj: obj, phoneKey: phoneKey, bsuidKey: bsuidKey, parentKey: parentKey, order: order,
		keepPhone: r.id.HasPhone(), keepBSUID: r.id.HasBSUID(), need: n, phone: obj.str(phoneKey), bsuid: bsuid}
	if s.phone == "" && s.bsuid == "" {
		return nil
	}
	parent := ""
	if parentKey != "" {
		parent = obj.str(parentKey)
	}
	r.people.add(s.phone, s.bsuid, parent)
	v.slots = append(v.slots, s)
	return s
}

// items decodes the objects of an array in v's object (or a nested one),
// and schedules writing them back.
func (v *value) items(parent *object, key string, each func(*object)) {
	raw, objs, ok := parent.items(key)
	if !ok {
		return
	}
	for _, o := range objs {
		if o != nil {
			each(o)
		}
	}
	v.flush = append(v.flush, func() { parent.setItems(key, raw, objs) })
}

// nested decodes an object inside another and schedules writing it back.
func (v *value) nested(parent *object, key string) *object {
	c := parent.child(key)
	if c != nil {
		v.flush = append(v.flush, func() { parent.put(key, c.encode(), nil) })
	}
	return c
}

// gather finds every place of a value that names a user.
func (r *rewriter) gather(v *value) {
	o := v.obj
	business := ""
	if md := o.child("metadata"); md != nil {
		business = md.str("display_phone_number")
	}
	switch v.field {
	case "messages", "standby":
		v.addsContacts = true
		r.gatherContacts(v)
		v.items(o, "messages", func(m *object) { r.message(v, m) })
		v.items(o, "statuses", func(s *object) { r.status(v, s) })
	case "smb_message_echoes", "message_echoes":
		v.items(o, "message_echoes", func(m *object) {
			r.addSlot(v, m, "to", "to_user_id", "to_parent_user_id", orderEcho, noContact)
		})
	case "calls":
		v.addsContacts = true
		r.gatherContacts(v)
		v.items(o, "calls", func(c *object) {
			if c.str("direction") == "BUSINESS_INITIATED" || (business != "" && c.str("from") == business) {
				r.addSlot(v, c, "to", "to_user_id", "to_parent_user_id", orderCallTo, usernameContact)
			} else {
				r.addSlot(v, c, "from", "from_user_id", "from_parent_user_id", orderCallFrom, usernameContact)
			}
		})
		v.items(o, "statuses", func(s *object) { r.status(v, s) })
	case "user_preferences", "consumer_profile":
		v.addsContacts = true
		r.gatherContacts(v)
		v.items(o, v.field, func(u *object) {
			r.addSlot(v, u, "wa_id", "user_id", "parent_user_id", orderUser, plainContact)
		})
	case "user_id_update":
		v.addsContacts = true
		r.gatherContacts(v)
		v.items(o, "user_id_update", func(u *object) {
			// user_id here is {previous, current}: the rotation itself,
			// kept whatever the identity.
			current := ""
			if id := u.child("user_id"); id != nil {
				current = id.str("current")
			}
			r.addSlotWith(v, u, "wa_id", "", "", orderUser, plainContact, current)
		})
	case "history":
		r.gatherContacts(v)
		v.items(o, "history", func(chunk *object) {
			v.items(chunk, "threads", func(th *object) {
				v.items(th, "messages", func(m *object) { r.historyMessage(v, m, business) })
			})
		})
		v.items(o, "messages", func(m *object) { r.historyMessage(v, m, business) })
	case "messaging_handovers":
		if s := v.nested(o, "sender"); s != nil {
			r.addSlot(v, s, "phone_number", "user_id", "", orderSender, noContact)
		}
	case "group_lifecycle_update", "group_participants_update", "group_settings_update", "group_status_update":
		v.items(o, "groups", func(g *object) {
			for _, key := range []string{"added_participants", "removed_participants"} {
				v.items(g, key, func(p *object) {
					r.addSlot(v, p, "wa_id", "user_id", "", orderUser, noContact)
				})
			}
		})
	default:
		// automatic_events and other fields whose items name no user may
		// still describe the user in value.contacts.
		r.gatherContacts(v)
	}
}

func (r *rewriter) gatherContacts(v *value) {
	raw, objs, ok := v.obj.items("contacts")
	if !ok {
		return
	}
	v.contactRaw, v.contactObjs, v.hasContacts = raw, objs, true
	for _, c := range objs {
		if c == nil {
			continue
		}
		p := r.people.add(c.str("wa_id"), c.str("user_id"), c.str("parent_user_id"))
		if p == nil {
			continue
		}
		if prof := c.child("profile"); prof != nil {
			if p.name == "" {
				p.name = prof.str("name")
			}
			if p.username == "" {
				p.username = prof.str("username")
			}
		}
	}
}

func (r *rewriter) message(v *value, m *object) {
	if m.str("type") != "system" {
		r.addSlot(v, m, "from", "from_user_id", "from_parent_user_id", orderMessage, usernameContact)
		return
	}
	// System messages come without contacts. Their own wa_id (the new
	// number) and user_id (the new BSUID) are never invented; they are
	// left out where the identity has no such identifier.
	r.addSlot(v, m, "from", "from_user_id", "from_parent_user_id", orderMessage, noContact)
	if sys := v.nested(m, "system"); sys != nil {
		if !r.id.HasPhone() {
			sys.del("wa_id")
			sys.del("new_wa_id")
		}
		if !r.id.HasBSUID() {
			sys.del("user_id")
			sys.del("parent_user_id")
		}
	}
}

func (r *rewriter) status(v *value, st *object) {
	if st.str("recipient_type") == "group" {
		// recipient_id is the group; the participant is the user.
		r.addSlot(v, st, "recipient_participant_id", "recipient_participant_user_id", "recipient_participant_parent_user_id", orderParticipant, noContact)
		return
	}
	n := noContact
	switch st.str("status") {
	case "failed":
	case "delivered", "read":
		n = usernameContact
	default:
		n = plainContact
	}
	if !r.id.HasBSUID() {
		n = noContact // statuses carried no contacts before BSUIDs
	}
	s := r.addSlot(v, st, "recipient_id", "recipient_user_id", "recipient_parent_user_id", orderStatus, n)
	if s != nil && st.str("status") == "failed" && r.id.HasBSUID() {
		// A failed status names the recipient the message was sent to: the
		// phone number when there is one to send to, else the BSUID.
		s.keepBSUID = !r.id.HasPhone()
	}
}

func (r *rewriter) historyMessage(v *value, m *object, business string) {
	if business != "" && m.str("from") == business {
		r.addSlot(v, m, "to", "to_user_id", "to_parent_user_id", orderEcho, noContact)
		return
	}
	r.addSlot(v, m, "from", "from_user_id", "from_parent_user_id", orderMessage, noContact)
}

// apply rewrites every slot of a value, then its contacts.
func (r *rewriter) apply(v *value) {
	needs := map[*person]need{}
	var order []*person
	for _, s := range v.slots {
		s.p = r.people.find(s.phone, s.bsuid)
		if s.p == nil {
			continue
		}
		if _, seen := needs[s.p]; !seen {
			order = append(order, s.p)
		}
		needs[s.p] = max(needs[s.p], s.need)
		r.applySlot(s)
	}
	if v.hasContacts || v.addsContacts {
		r.applyContacts(v, needs, order)
	}
	for _, f := range v.flush {
		f()
	}
}

func (r *rewriter) applySlot(s *slot) {
	p := s.p
	if s.keepPhone {
		s.obj.putString(s.phoneKey, p.phone, s.order)
	} else {
		s.obj.del(s.phoneKey)
	}
	if s.bsuidKey != "" {
		if s.keepBSUID {
			s.obj.putString(s.bsuidKey, p.bsuid, s.order)
		} else {
			s.obj.del(s.bsuidKey)
		}
	}
	if s.parentKey != "" {
		if s.keepBSUID && p.parent != "" {
			s.obj.putString(s.parentKey, p.parent, s.order)
		} else {
			s.obj.del(s.parentKey)
		}
	}
}

// applyContacts keeps one contact per user whose items need one, with the
// identifiers of the identity, and drops the others. A contact no item
// names is kept (with the identity's identifiers).
func (r *rewriter) applyContacts(v *value, needs map[*person]need, order []*person) {
	var raw []json.RawMessage
	var objs []*object
	have := map[*person]bool{}
	for i, c := range v.contactObjs {
		if c == nil {
			raw, objs = append(raw, v.contactRaw[i]), append(objs, nil)
			continue
		}
		p := r.people.find(c.str("wa_id"), c.str("user_id"))
		if p == nil {
			raw, objs = append(raw, v.contactRaw[i]), append(objs, c)
			continue
		}
		n, named := needs[p]
		if !named {
			n = plainContact
		}
		if n == noContact || have[p] {
			continue
		}
		have[p] = true
		r.contact(c, p, n)
		raw, objs = append(raw, nil), append(objs, c)
	}
	if v.addsContacts {
		for _, p := range order {
			if needs[p] == noContact || have[p] {
				continue
			}
			c := &object{}
			if p.name != "" {
				prof := &object{}
				prof.putString("name", p.name, orderProfile)
				c.put("profile", prof.encode(), orderContact)
			}
			r.contact(c, p, needs[p])
			have[p] = true
			raw, objs = append(raw, nil), append(objs, c)
		}
	}
	switch {
	case len(objs) > 0:
		v.obj.put("contacts", encodeItems(raw, objs), orderValue)
	case v.hasContacts:
		v.obj.del("contacts")
	}
}

func (r *rewriter) contact(c *object, p *person, n need) {
	prof := c.child("profile")
	if r.id.HasUsername() && n == usernameContact {
		if prof == nil {
			prof = &object{}
		}
		prof.putString("username", p.username, orderProfile)
	} else if prof != nil {
		prof.del("username")
	}
	switch {
	case prof != nil && len(prof.keys) > 0:
		c.put("profile", prof.encode(), orderContact)
	default:
		c.del("profile")
	}
	if r.id.HasPhone() {
		c.putString("wa_id", p.phone, orderContact)
	} else {
		c.del("wa_id")
	}
	if r.id.HasBSUID() {
		c.putString("user_id", p.bsuid, orderContact)
	} else {
		c.del("user_id")
	}
	if r.id.HasBSUID() && p.parent != "" {
		c.putString("parent_user_id", p.parent, orderContact)
	} else {
		c.del("parent_user_id")
	}
}
