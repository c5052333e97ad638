package behaviour

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// The webhook bodies of the built-in checks are built here, in Meta's
// shapes, around the mock's business number and the users the suite made,
// so that the app's answers reach users the mock knows.

type (
	envelope struct {
		Object string  `json:"object"`
		Entry  []entry `json:"entry"`
	}
	entry struct {
		ID      string   `json:"id"`
		Changes []change `json:"changes"`
	}
	change struct {
		Value any    `json:"value"`
		Field string `json:"field"`
	}
	messagesValue struct {
		MessagingProduct string       `json:"messaging_product"`
		Metadata         metadata     `json:"metadata"`
		Contacts         []contact    `json:"contacts"`
		Messages         []inboundMsg `json:"messages"`
	}
	metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	}
	contact struct {
		Profile struct {
			Name     string `json:"name"`
			Username string `json:"username,omitempty"`
		} `json:"profile"`
		WaID   string `json:"wa_id,omitempty"`
		UserID string `json:"user_id,omitempty"`
	}
	// inboundMsg keeps the message's own fields in Meta's order; Extra is
	// the type's object (text, poll_vote, …).
	inboundMsg struct {
		From       string
		FromUserID string
		ID         string
		Timestamp  time.Time
		Type       string
		Extra      json.RawMessage
	}
)

// MarshalJSON writes the message as Meta does, with the type's object last.
func (m inboundMsg) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	field := func(k, v string) {
		if v == "" {
			return
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	field("from", m.From)
	field("from_user_id", m.FromUserID)
	field("id", m.ID)
	field("timestamp", strconv.FormatInt(m.Timestamp.Unix(), 10))
	field("type", m.Type)
	if len(m.Extra) > 0 {
		kb, _ := json.Marshal(m.Type)
		b.WriteByte(',')
		b.Write(kb)
		b.WriteByte(':')
		b.Write(m.Extra)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// builder makes bodies for one mock.
type builder struct {
	info Info
	now  func() time.Time
}

// display is the business number as webhooks carry it: digits only (the
// mock's info may show "+1 555-014-2233").
func (b builder) display() string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, b.info.Business.DisplayPhoneNumber)
}

// freshID is a new message id in wamid's shape.
func freshID() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return "wamid." + base64.StdEncoding.EncodeToString(b)
}

func contactOf(u User) contact {
	var c contact
	c.Profile.Name = u.ProfileName
	if c.Profile.Name == "" {
		c.Profile.Name = u.Name
	}
	c.Profile.Username = u.Username
	c.WaID, c.UserID = u.WaID, u.UserID
	return c
}

// text is a text message from u, sent at the given time.
func (b builder) text(u User, body string, at time.Time) inboundMsg {
	extra, _ := json.Marshal(map[string]string{"body": body})
	return b.message(u, "text", extra, at)
}

func (b builder) message(u User, typ string, extra json.RawMessage, at time.Time) inboundMsg {
	return inboundMsg{From: u.WaID, FromUserID: u.UserID, ID: freshID(), Timestamp: at, Type: typ, Extra: extra}
}

// value holds messages from their users, with each user's contact once.
func (b builder) value(users []User, msgs []inboundMsg) messagesValue {
	v := messagesValue{MessagingProduct: "whatsapp", Metadata: metadata{b.display(), b.info.Business.PhoneNumberID}}
	seen := map[string]bool{}
	for _, u := range users {
		if !seen[u.Name] {
			seen[u.Name] = true
			v.Contacts = append(v.Contacts, contactOf(u))
		}
	}
	v.Messages = msgs
	return v
}

// body encodes an envelope in Meta's wire form.
func (b builder) body(entries ...entry) ([]byte, error) {
	raw, err := json.Marshal(envelope{Object: "whatsapp_business_account", Entry: entries})
	if err != nil {
		return nil, err
	}
	return wire.Encode(raw)
}

// entry is one entry of the business's WABA.
func (b builder) entry(changes ...change) entry {
	return entry{ID: b.info.Business.WABAID, Changes: changes}
}

func messagesChange(v messagesValue) change { return change{Value: v, Field: "messages"} }

// oneMessage is a whole body with one message from u.
func (b builder) oneMessage(u User, m inboundMsg) ([]byte, error) {
	return b.body(b.entry(messagesChange(b.value([]User{u}, []inboundMsg{m}))))
}

// fixtureBody is a catalog event moved to the mock's business: every
// entry's id becomes the WABA id and every metadata the business number.
// Numbers keep their digits (template ids above 2^53).
func (b builder) fixtureBody(name string) ([]byte, error) {
	f, ok := fixtures.Get(name)
	if !ok {
		return nil, fmt.Errorf("catalog event %s is missing", name)
	}
	dec := json.NewDecoder(bytes.NewReader(f.Body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	entries, _ := doc["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		if em == nil {
			continue
		}
		em["id"] = b.info.Business.WABAID
		changes, _ := em["changes"].([]any)
		for _, c := range changes {
			cm, _ := c.(map[string]any)
			value, _ := cm["value"].(map[string]any)
			if md, ok := value["metadata"].(map[string]any); ok {
				md["phone_number_id"] = b.info.Business.PhoneNumberID
				md["display_phone_number"] = b.display()
			}
		}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return wire.Encode(raw)
}

// fixtureObject is the type object of the first message of a catalog
// event (poll_vote of messages.future_type, say).
func fixtureObject(name string) (typ string, obj json.RawMessage, err error) {
	f, ok := fixtures.Get(name)
	if !ok {
		return "", nil, fmt.Errorf("catalog event %s is missing", name)
	}
	var doc struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []map[string]json.RawMessage `json:"messages"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(f.Body, &doc); err != nil || len(doc.Entry) == 0 || len(doc.Entry[0].Changes) == 0 ||
		len(doc.Entry[0].Changes[0].Value.Messages) == 0 {
		return "", nil, fmt.Errorf("catalog event %s holds no message", name)
	}
	m := doc.Entry[0].Changes[0].Value.Messages[0]
	if err := json.Unmarshal(m["type"], &typ); err != nil {
		return "", nil, fmt.Errorf("catalog event %s: message without a type", name)
	}
	return typ, m[typ], nil
}
