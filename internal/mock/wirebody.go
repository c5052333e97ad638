package mock

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// A status webhook used to be encoded twice: json.Marshal of the envelope
// (reflection), then wire.Encode over the result (a second pass over every
// byte), together most of what a status cost to build. appendEnvelope
// writes the same bytes in one pass.
//
// It is exact because wire.Encode works token by token on compact JSON:
// the wire form of a document is the wire form of each of its tokens in
// turn. So every string is written as wire.Encode(json.Marshal(s)) — what
// the two passes made of it — except that a plain string (ASCII
// without the characters either encoder escapes) is the same in
// both and is copied as it is. Almost every string of a status is plain
// (ids, digits, state names); the others still go through internal/wire,
// the one place that knows Meta's escaping.

// wirePlain reports whether json.Marshal writes s as `"` + s + `"` and
// wire.Encode leaves that as it is: graph.JSONPlain without "/", which
// Meta writes "\/" (TestPlainBytes asks both encoders).
func wirePlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

// plainByte: one look-up a byte (this runs over every string of every status).
var plainByte = func() (t [256]bool) {
	for c := 0x20; c <= 0x7f; c++ {
		t[c] = true
	}
	for _, c := range `"\/<>&` {
		t[c] = false
	}
	return t
}()

// wireWriter appends a webhook body in Meta's wire form.
type wireWriter struct {
	b []byte
	// plain stays true while every string was plain: the body is then
	// also byte for byte what json.Marshal writes (the log shows that).
	plain bool
	err   error
	// spans, when set, is told where the value and each status went.
	spans *bodySpans
}

func (w *wireWriter) lit(s string) { w.b = append(w.b, s...) }

func (w *wireWriter) str(s string) {
	if wirePlain(s) {
		w.b = append(w.b, '"')
		w.b = append(w.b, s...)
		w.b = append(w.b, '"')
		return
	}
	if w.spans != nil && !utf8.ValidString(s) {
		w.spans.lossy = true // json.Marshal writes U+FFFD for the bad bytes: the body no longer says s
	}
	q, _ := json.Marshal(s) // a string always encodes
	w.value(q)
}

// marshal appends v as json.Marshal and then wire.Encode would.
func (w *wireWriter) marshal(v any) {
	q, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	w.value(q)
}

// value appends JSON that json.Marshal wrote, in wire form.
func (w *wireWriter) value(q []byte) {
	w.plain = false
	enc, err := wire.Encode(q)
	if err != nil {
		w.err = err
		return
	}
	w.b = append(w.b, enc...)
}

// key writes `"k":`, after a comma unless first.
func (w *wireWriter) key(k string, first bool) {
	if !first {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

// appendEnvelope writes the messages envelope of v for waba in wire form
// (what wire.Encode(json.Marshal(envelope{…})) gives). plain says the
// bytes are also json.Marshal's; err is set when a message in v is not
// JSON (json.Marshal would have failed too).
func appendEnvelope(dst []byte, waba string, v *messagesValue) (body []byte, plain bool, err error) {
	return appendEnvelopeSpans(dst, waba, v, nil)
}

// appendEnvelopeSpans is appendEnvelope that also tells sp (when not nil)
// where the change's value and each status are in the body.
func appendEnvelopeSpans(dst []byte, waba string, v *messagesValue, sp *bodySpans) (body []byte, plain bool, err error) {
	w := wireWriter{b: dst, plain: true, spans: sp}
	w.lit(`{"object":"whatsapp_business_account","entry":[{"id":`)
	w.str(waba)
	w.lit(`,"changes":[{"value":`)
	valueStart := len(w.b)
	w.lit(`{"messaging_product":`)
	w.str(v.MessagingProduct)
	w.lit(`,"metadata":{"display_phone_number":`)
	w.str(v.Metadata.DisplayPhoneNumber)
	w.lit(`,"phone_number_id":`)
	w.str(v.Metadata.PhoneNumberID)
	w.lit(`}`)
	array(&w, `,"contacts":[`, v.Contacts, (*wireWriter).contact)
	// Messages are compacted and HTML-escaped by json.Marshal, as before.
	array(&w, `,"messages":[`, v.Messages, func(w *wireWriter, m *json.RawMessage) { w.marshal(*m) })
	array(&w, `,"statuses":[`, v.Statuses, (*wireWriter).status)
	w.lit(`}`)
	if sp != nil {
		sp.value = [2]int{valueStart, len(w.b)}
	}
	w.lit(`,"field":"messages"}]}]}`)
	return w.b, w.plain, w.err
}

// array writes open (a key and its bracket) and each of xs, comma
// separated, then the closing bracket; nothing when xs is empty.
func array[T any](w *wireWriter, open string, xs []T, each func(*wireWriter, *T)) {
	if len(xs) == 0 {
		return
	}
	w.lit(open)
	for i := range xs {
		if i > 0 {
			w.lit(",")
		}
		each(w, &xs[i])
	}
	w.lit(`]`)
}

func (w *wireWriter) contact(c *contact) {
	w.lit(`{"profile":{"name":`)
	w.str(c.Profile.Name)
	if c.Profile.Username != "" {
		w.lit(`,"username":`)
		w.str(c.Profile.Username)
	}
	w.lit(`}`)
	if c.WaID != "" {
		w.key("wa_id", false)
		w.str(c.WaID)
	}
	if c.UserID != "" {
		w.key("user_id", false)
		w.str(c.UserID)
	}
	if c.ParentUserID != "" {
		w.key("parent_user_id", false)
		w.str(c.ParentUserID)
	}
	w.lit(`}`)
}

func (w *wireWriter) status(st *statusItem) {
	start := len(w.b)
	w.lit(`{"id":`)
	w.str(st.ID)
	w.lit(`,"status":`)
	w.str(st.Status)
	w.lit(`,"timestamp":`)
	w.str(st.Timestamp)
	opt := func(k, v string) {
		if v != "" {
			w.key(k, false)
			w.str(v)
		}
	}
	opt("recipient_id", st.RecipientID)
	opt("recipient_user_id", st.RecipientUserID)
	opt("recipient_parent_user_id", st.RecipientParentUserID)
	opt("biz_opaque_callback_data", st.BizOpaque)
	if c := st.Conversation; c != nil {
		w.lit(`,"conversation":{"id":`)
		w.str(c.ID)
		opt("expiration_timestamp", c.Expiration)
		w.lit(`,"origin":{"type":`)
		w.str(c.Origin.Type)
		w.lit(`}}`)
	}
	if p := st.Pricing; p != nil {
		w.lit(`,"pricing":{"billable":`)
		w.b = strconv.AppendBool(w.b, p.Billable)
		w.lit(`,"pricing_model":`)
		w.str(p.PricingModel)
		w.lit(`,"category":`)
		w.str(p.Category)
		w.lit(`,"type":`)
		w.str(p.Type)
		w.lit(`}`)
	}
	if len(st.Errors) > 0 {
		w.key("errors", false)
		w.marshal(st.Errors)
	}
	w.lit(`}`)
	if w.spans != nil {
		w.spans.statuses = append(w.spans.statuses, [2]int{start, len(w.b)})
	}
}
