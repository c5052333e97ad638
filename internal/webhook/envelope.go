package webhook

import (
	"bytes"
	"encoding/json"
)

// Notification is one POST body: the envelope Meta wraps every webhook in.
type Notification struct {
	// Object is "whatsapp_business_account" for every WhatsApp webhook.
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`

	// UnknownKeys are top-level keys of the body other than object and
	// entry, in body order: reported on every event, never decoded.
	UnknownKeys []string `json:"-"`

	// plain is set when the body was ASCII without line breaks (Plain).
	plain bool
}

// Plain reports whether the body was ASCII without line breaks, as Meta's
// wire form always is. Every event's Raw is a piece of the body, so it can
// then go on a JSON line as it is: the parse has already looked at each of
// its bytes, and a JSON line writer need not look again.
func (n *Notification) Plain() bool { return n.plain }

// plainBody is Plain's definition, for the reference path: no byte above
// ASCII, no line break.
func plainBody(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == '\n' || c == '\r' {
			return false
		}
	}
	return true
}

// IsWhatsApp reports whether the envelope says it is a WhatsApp Business
// Account webhook; other Meta products (Messenger "page", "instagram") use
// a different shape under entry[].messaging.
func (n *Notification) IsWhatsApp() bool { return n.Object == "whatsapp_business_account" }

// Entry is one business account's (or, for partner events, one business
// portfolio's) share of a notification.
type Entry struct {
	// ID is the WABA ID for most fields, a business portfolio ID for
	// partner_solutions and the partner account_update events.
	ID Flex `json:"id"`
	// Time is the Unix time of management events; messaging fields omit it.
	Time    Flex     `json:"time"`
	Changes []Change `json:"changes"`
}

// Change is one field's update inside an entry.
type Change struct {
	Field string `json:"field"`
	// Value is the field's payload exactly as received.
	Value json.RawMessage `json:"value"`

	// Decoded is the typed form of Value (a *MessagesValue, a
	// *TemplateStatusUpdate, …; see Decode), or nil when the field is
	// unknown or Value does not have the shape the field documents.
	Decoded any `json:"-"`
	// DecodeErr says why Value did not decode, when it did not.
	DecodeErr string `json:"-"`

	// strays are the keys of a messaging-like value that its type does not
	// decode, with their values (see appendStrays): collected while
	// decoding on the fast path, by a scan on the reference path.
	strays []stray
}

// Metadata identifies the business phone number a messaging-like field is for.
type Metadata struct {
	DisplayPhoneNumber Flex `json:"display_phone_number"`
	PhoneNumberID      Flex `json:"phone_number_id"`
}

// Contact is a user's profile as sent beside messages and statuses
// (value.contacts). Since 2026 wa_id may be missing for username users.
type Contact struct {
	Profile      *Profile `json:"profile,omitempty"`
	WaID         Flex     `json:"wa_id"`
	UserID       string   `json:"user_id"`
	ParentUserID string   `json:"parent_user_id"`
	// IdentityKeyHash is present only with the identity-change check enabled.
	IdentityKeyHash string `json:"identity_key_hash"`
}

// Profile is the user's WhatsApp profile.
type Profile struct {
	Name     string `json:"name"`
	Username string `json:"username"`
}

// Error is Meta's error object, used in value.errors, messages[].errors,
// statuses[].errors, history[].errors and calls.
type Error struct {
	Code      Flex       `json:"code"`
	Title     string     `json:"title"`
	Message   string     `json:"message"`
	ErrorData *ErrorData `json:"error_data,omitempty"`
	Href      string     `json:"href"`

	// Raw is the error object exactly as received.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes what it can and never fails.
func (e *Error) UnmarshalJSON(b []byte) error {
	type plain Error
	var p plain
	_ = json.Unmarshal(b, &p)
	*e = Error(p)
	e.Raw = bytes.Clone(b)
	return nil
}

// ErrorData carries the human detail of an error.
type ErrorData struct {
	Details string `json:"details"`
}

// Details returns error_data.details, or "".
func (e Error) Details() string {
	if e.ErrorData == nil {
		return ""
	}
	return e.ErrorData.Details
}
