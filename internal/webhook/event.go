package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unsafe"
)

// Event is one thing that happened: an inbound message, a status, an error,
// or one update of another field. Events flatten entry × change × item.
type Event struct {
	// Field is the change's field ("messages", "account_update", …).
	Field string `json:"field"`
	// Kind says who is talking, one meaning per kind (see the Kind*
	// constants): an inbound user message, an echo of what the business
	// wrote in the WhatsApp Business app, a history backfill, a standby
	// message (another app holds the thread), a status, one of Meta's
	// value.errors, an item the model cannot place, or the field name for
	// the other fields.
	Kind string `json:"kind"`
	// Type is the message type with its subtype ("text",
	// "interactive.button_reply", "system.user_changed_number",
	// "unsupported.edit"), "status.<status>" for statuses, "error" for
	// value-level errors, "<field>.<event>" for other fields, and
	// "unknown" for a message type this model does not know.
	Type string `json:"type"`
	// RawType is the type discriminator exactly as sent (a message's
	// "type", a status's "status", a field's "event"), "" when the item
	// has none; an unknown message type keeps its name here.
	RawType string `json:"raw_type,omitempty"`

	WABAID             string `json:"waba_id,omitempty"`
	PhoneNumberID      string `json:"phone_number_id,omitempty"`
	DisplayPhoneNumber string `json:"display_phone_number,omitempty"`

	// From is the sender: the user's phone number, else their BSUID. On
	// echoes it is the business.
	From string `json:"from,omitempty"`
	// Recipient is the status recipient (recipient_id, else
	// recipient_user_id) or, on echoes, the user.
	Recipient string `json:"recipient,omitempty"`
	// UserID is the user's business-scoped user ID (BSUID), when sent.
	UserID string `json:"user_id,omitempty"`
	// ParentUserID is the user's parent BSUID (managed businesses).
	ParentUserID string `json:"parent_user_id,omitempty"`
	// WaID is the user's phone number from value.contacts, when the item
	// itself names the user by BSUID only (or names the business).
	WaID        string `json:"wa_id,omitempty"`
	ContactName string `json:"contact_name,omitempty"`
	Username    string `json:"username,omitempty"`
	GroupID     string `json:"group_id,omitempty"`

	// ID is the message's wamid (or call's wacid, or the item's id).
	ID string `json:"id,omitempty"`
	// ReplyTo is the wamid this message answers (context.id).
	ReplyTo string `json:"reply_to,omitempty"`
	// Status is the status of a status event, or the event/decision of a
	// management field ("REJECTED", "APPROVED", …).
	Status          string      `json:"status,omitempty"`
	PricingCategory string      `json:"pricing_category,omitempty"`
	Errors          []ErrorInfo `json:"errors,omitempty"`

	Timestamp time.Time `json:"timestamp,omitzero"`
	// RawTimestamp is the timestamp exactly as sent, for a value that is
	// not a time JSON can carry (past year 9999).
	RawTimestamp string `json:"raw_timestamp,omitempty"`
	// Summary is a one-line description for humans.
	Summary string `json:"summary"`

	// Unknown is true when the type or field is not one this model knows;
	// Raw then holds everything that was sent.
	Unknown bool `json:"unknown,omitempty"`
	// Problems say what did not decode as expected: a part of the item
	// with an unexpected shape, a string where a number belongs, a key of
	// the envelope the model does not know. Everything else was decoded.
	Problems []string `json:"problems,omitempty"`

	// EntryIndex, ChangeIndex and ItemIndex locate the item in the body.
	EntryIndex  int `json:"entry_index"`
	ChangeIndex int `json:"change_index"`
	ItemIndex   int `json:"item_index"`

	// Raw is the item exactly as received (for management fields, the
	// whole value).
	Raw json.RawMessage `json:"raw"`
}

// Event kinds. Fields other than messages, smb_message_echoes, history and
// standby use their field name as the kind.
const (
	// KindMessage is a message a user sent to the business (field messages).
	KindMessage = "message"
	// KindEcho is a message the business sent from the WhatsApp Business
	// app (Coexistence, field smb_message_echoes).
	KindEcho = "echo"
	// KindHistory is a backfilled message of the chat history (field history).
	KindHistory = "history"
	// KindStandby is a message on a thread another app or Meta's agent
	// controls (field standby): do not reply to it.
	KindStandby = "standby"
	// KindStatus is a delivery status of a message the business sent.
	KindStatus = "status"
	// KindError is one of Meta's own errors (value.errors).
	KindError = "error"
	// KindUnknown is an item the model cannot place: an array or object
	// under a key the field's value does not document.
	KindUnknown = "unknown"
)

// Kinds lists the kinds that are not field names, for filters and docs.
func Kinds() []string {
	return []string{KindMessage, KindEcho, KindHistory, KindStandby, KindStatus, KindError, KindUnknown}
}

// addProblem notes what did not decode as expected. Events built from one
// base share its Problems, so an addition always copies.
func (e *Event) addProblem(p string) {
	if p != "" {
		e.Problems = append(e.Problems[:len(e.Problems):len(e.Problems)], p)
	}
}

// maxYear is the last year a JSON line's RFC 3339 time can carry.
const maxYear = 9999

// setTime sets the event's time from a Unix timestamp as sent; a value
// past year 9999 is kept as its text too, with a problem, since a JSON
// line cannot carry it as a time.
func (e *Event) setTime(f Flex) {
	ts := f.Time()
	if ts.IsZero() {
		return
	}
	e.Timestamp = ts
	e.RawTimestamp = ""
	if ts.Year() > maxYear {
		e.RawTimestamp = string(f)
		e.addProblem(fmt.Sprintf("timestamp %q is after year %d: kept as sent", truncate(string(f), 40), maxYear))
	}
}

// ErrorInfo is the gist of an error object.
type ErrorInfo struct {
	Code    int    `json:"code"`
	Title   string `json:"title,omitempty"`
	Details string `json:"details,omitempty"`
}

// Key returns a stable deduplication key: Meta retries a delivery with the
// same content and may deliver one event to several apps, so equal keys
// mean "already seen". A message is keyed by its wamid, a status by wamid
// and status (one message legitimately has sent, delivered, read), a call
// by its id and event, and anything else by a hash of its field and content
// that ignores whitespace and escaping differences.
func (e Event) Key() string {
	if !e.HashedKey() {
		b := e.AppendKey(make([]byte, 0, len("message:")+len(e.ID)+1+len(e.Status)))
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	return e.hashedKey()
}

// AppendKey appends Key to b: a message's, a status's or a call's key
// without a string of its own.
func (e *Event) AppendKey(b []byte) []byte {
	switch {
	case e.ID == "":
	case e.Kind == KindMessage || e.Kind == KindStandby:
		return append(append(b, "message:"...), e.ID...)
	case e.Kind == KindStatus:
		return append(append(append(append(b, "status:"...), e.ID...), ':'), e.Status...)
	case e.Field == "calls":
		return append(append(append(append(b, "call:"...), e.ID...), ':'), e.Status...)
	}
	return append(b, e.hashedKey()...)
}

// HashedKey reports whether Key is a hash of the event's content, which
// costs a decode and an encode of its raw JSON: worth keeping once worked
// out, where the other keys are cheaper to build again.
func (e *Event) HashedKey() bool {
	return e.ID == "" || (e.Kind != KindMessage && e.Kind != KindStandby && e.Kind != KindStatus && e.Field != "calls")
}

func (e *Event) hashedKey() string {
	h := sha256.New()
	h.Write([]byte(e.Field))
	h.Write([]byte{0})
	h.Write([]byte(e.WABAID))
	h.Write([]byte{0})
	h.Write(canonical(e.Raw))
	return e.Kind + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// canonical re-encodes JSON with sorted keys and one escaping style, so a
// pretty-printed and a wire-encoded copy of one item hash alike. Numbers
// stay exact.
func canonical(raw json.RawMessage) []byte {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}

func errorInfos(errs []Error) []ErrorInfo {
	if len(errs) == 0 {
		return nil
	}
	out := make([]ErrorInfo, len(errs))
	for i, e := range errs {
		code, _ := e.Code.Int64()
		title := e.Title
		if title == "" {
			title = e.Message
		}
		out[i] = ErrorInfo{Code: int(code), Title: title, Details: e.Details()}
	}
	return out
}
