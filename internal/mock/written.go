package mock

import "github.com/wa-hooks/wa-hooks/internal/webhook"

// bodySpans says where appendEnvelopeSpans put the change's value and
// each status, as [start, end) offsets in the body.
type bodySpans struct {
	value    [2]int
	statuses [][2]int
	// lossy: a string was not valid UTF-8, so the body carries another
	// string than the value; such a body is parsed back instead.
	lossy bool
}

// writtenBody is a status webhook as the mock wrote it: what its readers
// (the terminal, the web inspector) would otherwise parse back out of
// the body, at every one of thousands of webhooks a second.
// TestWrittenEventsAreTheParsersEvents holds events to the parser's.
type writtenBody struct {
	waba  string
	v     messagesValue
	spans bodySpans
}

// writable reports whether v is what writtenBody describes: statuses
// without errors (a failed status's errors are JSON the mock marshals
// whole, rare enough to be parsed back).
func writable(v *messagesValue) bool {
	if len(v.Messages) > 0 || len(v.Statuses) == 0 {
		return false
	}
	for i := range v.Statuses {
		if len(v.Statuses[i].Errors) > 0 {
			return false
		}
	}
	return true
}

// events are the events of body, the bytes wb was written as.
func (wb *writtenBody) events(body []byte) []webhook.Event {
	span := func(s [2]int) []byte { return body[s[0]:s[1]:s[1]] } // as the parser slices Raw
	v := &wb.v
	mv := &webhook.MessagesValue{MessagingProduct: v.MessagingProduct,
		Metadata: webhook.Metadata{DisplayPhoneNumber: webhook.Flex(v.Metadata.DisplayPhoneNumber),
			PhoneNumberID: webhook.Flex(v.Metadata.PhoneNumberID)}}
	if len(v.Contacts) > 0 {
		mv.Contacts = make([]webhook.Contact, len(v.Contacts))
		for i, c := range v.Contacts {
			mv.Contacts[i] = webhook.Contact{Profile: &webhook.Profile{Name: c.Profile.Name, Username: c.Profile.Username},
				WaID: webhook.Flex(c.WaID), UserID: c.UserID, ParentUserID: c.ParentUserID}
		}
	}
	mv.Statuses = make([]webhook.Status, len(v.Statuses))
	for i := range v.Statuses {
		st, out := &v.Statuses[i], &mv.Statuses[i]
		*out = webhook.Status{ID: st.ID, Status: st.Status, Timestamp: webhook.Flex(st.Timestamp),
			RecipientID: webhook.Flex(st.RecipientID), RecipientUserID: st.RecipientUserID,
			RecipientParentUserID: st.RecipientParentUserID, BizOpaqueCallbackData: st.BizOpaque,
			Raw: span(wb.spans.statuses[i])}
		if c := st.Conversation; c != nil {
			out.Conversation = &webhook.Conversation{ID: c.ID, ExpirationTimestamp: webhook.Flex(c.Expiration),
				Origin: &struct {
					Type string `json:"type"`
				}{c.Origin.Type}}
		}
		if p := st.Pricing; p != nil {
			billable := p.Billable
			out.Pricing = &webhook.Pricing{Billable: &billable, PricingModel: p.PricingModel, Type: p.Type, Category: p.Category}
		}
	}
	return webhook.Written(body, wb.waba, span(wb.spans.value), mv).Events()
}

// sameBytes reports whether a and b are the same bytes in memory (not
// only equal ones): spans of one are then spans of the other.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
