package graph

import (
	"encoding/json"
	"unicode/utf8"
)

// fastSend is the shape of the two calls an app makes most — a text and
// a mark-as-read — decoded in one pass. Anything it does not cover, or
// any body that is not exactly right, goes the field-by-field way that
// names what is wrong; a body both ways accept gives the same Send.
type fastSend struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type"`
	To               string `json:"to"`
	Recipient        string `json:"recipient"`
	Type             string `json:"type"`
	Status           string `json:"status"`
	MessageID        string `json:"message_id"`
	Typing           *struct {
		Type string `json:"type"`
	} `json:"typing_indicator"`
	Text *struct {
		Body       string `json:"body"`
		PreviewURL bool   `json:"preview_url"`
	} `json:"text"`
	Context *struct {
		MessageID string `json:"message_id"`
	} `json:"context"`
	BizOpaque string `json:"biz_opaque_callback_data"`
}

func parseFast(body []byte) (*Send, bool) {
	var f fastSend
	if json.Unmarshal(body, &f) != nil || f.MessagingProduct != "whatsapp" || f.RecipientType != "" && f.RecipientType != "individual" {
		return nil, false
	}
	if f.Status != "" {
		if f.Status != "read" || f.MessageID == "" || f.Typing != nil && f.Typing.Type != "text" {
			return nil, false
		}
		s := &Send{Read: true, MessageID: f.MessageID, Typing: f.Typing != nil, Summary: "mark read " + short(f.MessageID)}
		if s.Typing {
			s.Summary += " + typing"
		}
		return s, true
	}
	if f.Type != "text" || f.Text == nil || f.Text.Body == "" || utf8.RuneCountInString(f.Text.Body) > MaxTextBody ||
		(f.To == "") == (f.Recipient == "") || f.To != "" && !validPhone(f.To) || f.Recipient != "" && !ValidBSUID(f.Recipient) ||
		f.Context != nil && f.Context.MessageID == "" || utf8.RuneCountInString(f.BizOpaque) > MaxBizOpaque {
		return nil, false
	}
	obj, _ := json.Marshal(f.Text)
	s := &Send{To: f.To, Recipient: f.Recipient, Type: "text", Object: obj, Text: f.Text.Body, BizOpaque: f.BizOpaque, Summary: "text: " + f.Text.Body}
	if f.Context != nil {
		s.ContextID = f.Context.MessageID
	}
	return s, true
}
