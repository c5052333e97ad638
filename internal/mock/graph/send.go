package graph

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Limits Meta documents (or BSP copies of its pages state) for sends.
const (
	MaxTextBody     = 4096
	MaxCaption      = 1024
	MaxBizOpaque    = 512
	MaxInteractive  = 1024
	MaxFooter       = 60
	MaxHeaderText   = 60
	MaxButtons      = 3
	MaxButtonTitle  = 20
	MaxButtonID     = 256
	MaxListButton   = 20
	MaxSections     = 10
	MaxRows         = 10
	MaxRowTitle     = 24
	MaxRowID        = 200
	MaxRowDesc      = 72
	MaxSectionTitle = 24
	MaxCTAText      = 20
	MaxFlowCTA      = 20
)

// Send is a parsed POST /{phone-number-id}/messages.
type Send struct {
	// Read is set for mark-as-read (status: read); then only MessageID and
	// Typing matter.
	Read      bool
	MessageID string
	Typing    bool

	To        string // as given
	Recipient string // a BSUID, as given
	Group     bool
	Type      string
	Object    json.RawMessage // the object named by Type
	Text      string          // a text message's body
	ContextID string
	BizOpaque string

	Media       *MediaRef
	Interactive *Interactive
	Template    *TemplateSend
	Reaction    *Reaction
	// Summary is a short description for logs ("text: hi").
	Summary string
}

// Input is what the answer's contacts[].input echoes.
func (s *Send) Input() string {
	if s.To != "" {
		return s.To
	}
	return s.Recipient
}

// MediaRef is a media message's (or header's) id or link.
type MediaRef struct {
	ID, Link, Caption, Filename string
}

// Reaction is a reaction's target and emoji ("" removes it).
type Reaction struct{ MessageID, Emoji string }

// Option is one thing a user can tap: a reply button or a list row.
type Option struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Interactive is what a user can answer in an interactive message.
type Interactive struct {
	Type    string   `json:"type"`
	Options []Option `json:"options,omitempty"`
	// FlowToken and FlowID identify a flow for its nfm_reply.
	FlowToken string `json:"flow_token,omitempty"`
	FlowID    string `json:"flow_id,omitempty"`
	FlowName  string `json:"flow_name,omitempty"`
}

var sendTypes = []string{"text", "image", "audio", "video", "document", "sticker", "location", "contacts", "interactive", "reaction", "template"}

// ParseSend reads and validates a send body the way Meta does, naming the
// parameter of every refusal.
func ParseSend(body []byte) (*Send, *Error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, Missing("messaging_product")
	}
	if s, ok := parseFast(body); ok {
		return s, nil
	}
	top, err := decodeObject("", body)
	if err != nil {
		return nil, Param("", "The request body must be a JSON object: check the JSON syntax and the Content-Type header.")
	}
	return parseTop(top)
}

func parseTop(top object) (*Send, *Error) {
	mp, e := top.required("messaging_product")
	if e != nil {
		return nil, e
	}
	if mp != "whatsapp" {
		return nil, Param("messaging_product", "messaging_product must be \"whatsapp\" (it is %q).", mp)
	}
	s := &Send{}
	if st, _, e := top.str("status"); e != nil {
		return nil, e
	} else if st != "" {
		return parseRead(top, s, st)
	}
	if s.To, _, e = top.str("to"); e != nil {
		return nil, e
	}
	if s.Recipient, _, e = top.str("recipient"); e != nil {
		return nil, e
	}
	rt, _, e := top.str("recipient_type")
	if e != nil {
		return nil, e
	}
	switch rt {
	case "", "individual":
	case "group":
		s.Group = true
	default:
		return nil, Param("recipient_type", "recipient_type must be individual or group (it is %q).", rt)
	}
	switch {
	case s.To == "" && s.Recipient == "":
		return nil, Missing("to")
	case s.To != "" && s.Recipient != "":
		return nil, Param("recipient", "Give either to (a phone number) or recipient (a business-scoped user ID), not both.")
	}
	if s.To != "" && !s.Group && !validPhone(s.To) {
		return nil, Param("to", "to must be a phone number in international format, digits with an optional + (it is %q).", s.To)
	}
	if s.Recipient != "" && !ValidBSUID(s.Recipient) {
		return nil, Param("recipient", "recipient must be a business-scoped user ID such as US.13491208655302741918 (it is %q).", s.Recipient)
	}
	if s.Type, _, e = top.str("type"); e != nil {
		return nil, e
	}
	if s.Type == "" {
		s.Type = "text" // Graph's default when type is left out
	}
	if !contains(sendTypes, s.Type) {
		return nil, Param("type", "type must be one of %s (it is %q).", strings.Join(sendTypes, ", "), s.Type)
	}
	if !top.has(s.Type) {
		return nil, Missing(s.Type)
	}
	s.Object = top.fields[s.Type]
	if ctx, ok, e := top.sub("context", false); e != nil {
		return nil, e
	} else if ok {
		if s.ContextID, e = ctx.required("message_id"); e != nil {
			return nil, e
		}
	}
	if s.BizOpaque, e = top.text("biz_opaque_callback_data", false, MaxBizOpaque); e != nil {
		return nil, e
	}
	if e := s.parseObject(); e != nil {
		return nil, e
	}
	return s, nil
}

// parseSlow is ParseSend without the fast path (tests compare the two).
func parseSlow(body []byte) (*Send, *Error) {
	top, err := decodeObject("", bytes.TrimSpace(body))
	if err != nil {
		return nil, err
	}
	return parseTop(top)
}

func parseRead(top object, s *Send, status string) (*Send, *Error) {
	if status != "read" {
		return nil, Param("status", "status must be \"read\" to mark a message as read (it is %q).", status)
	}
	s.Read = true
	var e *Error
	if s.MessageID, e = top.required("message_id"); e != nil {
		return nil, e
	}
	if ti, ok, e := top.sub("typing_indicator", false); e != nil {
		return nil, e
	} else if ok {
		t, e := ti.required("type")
		if e != nil {
			return nil, e
		}
		if t != "text" {
			return nil, Param("typing_indicator['type']", "typing_indicator['type'] must be \"text\" (it is %q).", t)
		}
		s.Typing = true
	}
	s.Summary = "mark read " + short(s.MessageID)
	if s.Typing {
		s.Summary += " + typing"
	}
	return s, nil
}

func (s *Send) parseObject() *Error {
	if s.Type == "contacts" {
		return s.parseContacts()
	}
	o, e := decodeObject(s.Type, s.Object)
	if e != nil {
		return e
	}
	switch s.Type {
	case "text":
		b, e := o.text("body", true, MaxTextBody)
		if e != nil {
			return e
		}
		if _, e := o.boolean("preview_url"); e != nil {
			return e
		}
		s.Text, s.Summary = b, "text: "+b
	case "image", "audio", "video", "document", "sticker":
		m, e := parseMedia(o, s.Type)
		if e != nil {
			return e
		}
		s.Media = m
		s.Summary = s.Type
		if m.Caption != "" {
			s.Summary += ": " + m.Caption
		}
	case "location":
		lat, ok, e := o.number("latitude")
		if e != nil {
			return e
		}
		if !ok {
			return Missing("location['latitude']")
		}
		lon, ok, e := o.number("longitude")
		if e != nil {
			return e
		}
		if !ok {
			return Missing("location['longitude']")
		}
		if lat < -90 || lat > 90 {
			return Param("location['latitude']", "location['latitude'] must be between -90 and 90.")
		}
		if lon < -180 || lon > 180 {
			return Param("location['longitude']", "location['longitude'] must be between -180 and 180.")
		}
		name, _, _ := o.str("name")
		s.Summary = "location " + name
	case "reaction":
		id, e := o.required("message_id")
		if e != nil {
			return e
		}
		emoji, _, e := o.str("emoji")
		if e != nil {
			return e
		}
		if utf8.RuneCountInString(emoji) > 10 {
			return Param("reaction['emoji']", "reaction['emoji'] must be a single emoji.")
		}
		s.Reaction = &Reaction{MessageID: id, Emoji: emoji}
		s.Summary = "reaction " + emoji
		if emoji == "" {
			s.Summary = "reaction removed"
		}
	case "interactive":
		in, e := parseInteractive(o)
		if e != nil {
			return e
		}
		s.Interactive = in
		s.Summary = "interactive " + in.Type
	case "template":
		t, e := parseTemplateSend(o)
		if e != nil {
			return e
		}
		s.Template = t
		s.Summary = "template " + t.Name + " (" + t.Language + ")"
	}
	return nil
}

func (s *Send) parseContacts() *Error {
	var items []json.RawMessage
	if err := json.Unmarshal(s.Object, &items); err != nil {
		return Param("contacts", "contacts must be an array of contact objects.")
	}
	if len(items) == 0 {
		return Param("contacts", "contacts must hold at least one contact.")
	}
	var first string
	for i, raw := range items {
		c, e := decodeObject(index("contacts", i), raw)
		if e != nil {
			return e
		}
		n, _, e := c.sub("name", true)
		if e != nil {
			return e
		}
		fn, e := n.required("formatted_name")
		if e != nil {
			return e
		}
		if i == 0 {
			first = fn
		}
	}
	s.Summary = "contacts: " + first
	return nil
}

// mediaKinds that take a caption; filename is for documents only.
var captioned = map[string]bool{"image": true, "video": true, "document": true}

func parseMedia(o object, kind string) (*MediaRef, *Error) {
	m := &MediaRef{}
	var e *Error
	if m.ID, _, e = o.str("id"); e != nil {
		return nil, e
	}
	if m.Link, _, e = o.str("link"); e != nil {
		return nil, e
	}
	switch {
	case m.ID == "" && m.Link == "":
		return nil, Param(o.name("id"), "%s needs either id (an uploaded media id) or link (an http(s) URL).", kind)
	case m.ID != "" && m.Link != "":
		return nil, Param(o.name("link"), "Give either %s or %s, not both.", o.name("id"), o.name("link"))
	}
	if m.Link != "" && !validLink(m.Link) {
		return nil, Param(o.name("link"), "%s must be an absolute http or https URL (it is %q).", o.name("link"), m.Link)
	}
	if o.has("caption") && !captioned[kind] {
		return nil, Param(o.name("caption"), "%s messages have no caption.", kind)
	}
	if m.Caption, e = o.text("caption", false, MaxCaption); e != nil {
		return nil, e
	}
	if o.has("filename") && kind != "document" {
		return nil, Param(o.name("filename"), "Only document messages have a filename.")
	}
	if m.Filename, _, e = o.str("filename"); e != nil {
		return nil, e
	}
	return m, nil
}

func validLink(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func validPhone(s string) bool {
	d := NormalizePhone(s)
	if len(d) < 7 || len(d) > 15 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789+-() .", c) {
			return false
		}
	}
	return true
}

// NormalizePhone keeps a phone number's digits, as Meta does when it maps
// to (with +, spaces, dashes or brackets) to a wa_id.
func NormalizePhone(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == len(s) {
		return s // digits only already, as most numbers come: nothing to copy
	}
	b := append(make([]byte, 0, len(s)), s[:i]...)
	for ; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// ValidBSUID reports whether s looks like a (parent) business-scoped user
// ID: a two-letter country code, optionally ".ENT", then up to 128 letters
// and digits.
func ValidBSUID(s string) bool {
	cc, rest, ok := strings.Cut(s, ".")
	if !ok || len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
		return false
	}
	rest = strings.TrimPrefix(rest, "ENT.")
	if rest == "" || len(rest) > 128 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func short(id string) string {
	if len(id) <= 16 {
		return id
	}
	return "…" + strings.TrimRight(id, "=")[max(0, len(strings.TrimRight(id, "="))-10):]
}
