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
	if !scanFast(body, &f) {
		f = fastSend{} // what the scan had filled in is json.Unmarshal's to decide
		if json.Unmarshal(body, &f) != nil {
			return nil, false
		}
	}
	return f.send()
}

func (f *fastSend) send() (*Send, bool) {
	if f.MessagingProduct != "whatsapp" || f.RecipientType != "" && f.RecipientType != "individual" {
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
	s := &Send{To: f.To, Recipient: f.Recipient, Type: "text", Object: textObject(f.Text.Body, f.Text.PreviewURL),
		Text: f.Text.Body, BizOpaque: f.BizOpaque, Summary: "text: " + f.Text.Body}
	if f.Context != nil {
		s.ContextID = f.Context.MessageID
	}
	return s, true
}

// textObject is json.Marshal of the text object, written by hand when
// json.Marshal would copy the body as it is.
func textObject(body string, preview bool) json.RawMessage {
	if !JSONPlain(body) {
		obj, _ := json.Marshal(struct {
			Body       string `json:"body"`
			PreviewURL bool   `json:"preview_url"`
		}{body, preview})
		return obj
	}
	b := make([]byte, 0, len(body)+len(`{"body":"","preview_url":false}`))
	b = append(b, `{"body":"`...)
	b = append(b, body...)
	if preview {
		return append(b, `","preview_url":true}`...)
	}
	return append(b, `","preview_url":false}`...)
}

// JSONPlain reports whether json.Marshal writes s as `"` + s + `"`: ASCII
// from the space up other than the quote, the backslash and its HTML
// escapes (TestJSONPlain asks json.Marshal).
func JSONPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// scanFast reads the fast shape the way json.Unmarshal into a fastSend
// would, for the bodies apps actually send — and only those: every key
// spelt as documented and given once, every value a string without
// escapes or a boolean where fastSend has one. On anything else it
// returns false and json.Unmarshal decides (it matches keys without
// regard to case, takes the last of repeated keys, decodes escapes and
// skips unknown keys, none of which an app's SDK sends). All the strings
// share one copy of the body.
func scanFast(body []byte, f *fastSend) bool {
	sc := fastScanner{in: body, src: string(body)}
	var seen uint16
	ok := sc.object(func(key string) bool {
		bit, ok := topKeys[key]
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		switch key {
		case "typing_indicator":
			f.Typing = &struct {
				Type string `json:"type"`
			}{}
			return sc.object(func(k string) bool { return k == "type" && f.Typing.Type == "" && sc.str(&f.Typing.Type) })
		case "text":
			f.Text = &struct {
				Body       string `json:"body"`
				PreviewURL bool   `json:"preview_url"`
			}{}
			var got uint8
			return sc.object(func(k string) bool {
				switch {
				case k == "body" && got&1 == 0:
					got |= 1
					return sc.str(&f.Text.Body)
				case k == "preview_url" && got&2 == 0:
					got |= 2
					return sc.boolean(&f.Text.PreviewURL)
				}
				return false
			})
		case "context":
			f.Context = &struct {
				MessageID string `json:"message_id"`
			}{}
			return sc.object(func(k string) bool {
				return k == "message_id" && f.Context.MessageID == "" && sc.str(&f.Context.MessageID)
			})
		}
		return sc.str(f.field(key))
	})
	sc.space()
	return ok && sc.pos == len(sc.in)
}

// topKeys are the top-level keys scanFast knows, each with its bit.
var topKeys = map[string]uint16{"messaging_product": 1, "recipient_type": 2, "to": 4, "recipient": 8, "type": 16, "status": 32,
	"message_id": 64, "typing_indicator": 128, "text": 256, "context": 512, "biz_opaque_callback_data": 1024}

func (f *fastSend) field(key string) *string {
	switch key {
	case "messaging_product":
		return &f.MessagingProduct
	case "recipient_type":
		return &f.RecipientType
	case "to":
		return &f.To
	case "recipient":
		return &f.Recipient
	case "type":
		return &f.Type
	case "status":
		return &f.Status
	case "message_id":
		return &f.MessageID
	}
	return &f.BizOpaque
}

// fastScanner reads JSON tokens from in; src is in as a string, so the
// strings it returns are slices of one copy.
type fastScanner struct {
	in  []byte
	src string
	pos int
}

func (sc *fastScanner) space() {
	for sc.pos < len(sc.in) {
		switch sc.in[sc.pos] {
		case ' ', '\t', '\n', '\r':
			sc.pos++
		default:
			return
		}
	}
}

func (sc *fastScanner) punct(c byte) bool {
	sc.space()
	if sc.pos < len(sc.in) && sc.in[sc.pos] == c {
		sc.pos++
		return true
	}
	return false
}

// object reads {"key": value, …}, handing each key to member, which reads
// the value; an empty object is not the fast shape.
func (sc *fastScanner) object(member func(key string) bool) bool {
	if !sc.punct('{') {
		return false
	}
	for {
		var key string
		if !sc.str(&key) || !sc.punct(':') || !member(key) {
			return false
		}
		if sc.punct('}') {
			return true
		}
		if !sc.punct(',') {
			return false
		}
	}
}

// str reads a string without escapes or control characters, in valid
// UTF-8 (json.Unmarshal would change any of those).
func (sc *fastScanner) str(out *string) bool {
	if !sc.punct('"') {
		return false
	}
	start := sc.pos
	ascii := true
	for sc.pos < len(sc.in) {
		c := sc.in[sc.pos]
		switch {
		case c == '"':
			s := sc.src[start:sc.pos]
			sc.pos++
			if !ascii && !utf8.ValidString(s) {
				return false
			}
			*out = s
			return true
		case c == '\\' || c < 0x20:
			return false
		case c >= 0x80:
			ascii = false
		}
		sc.pos++
	}
	return false
}

func (sc *fastScanner) boolean(out *bool) bool {
	sc.space()
	switch rest := sc.in[sc.pos:]; {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		*out, sc.pos = true, sc.pos+4
	case len(rest) >= 5 && string(rest[:5]) == "false":
		*out, sc.pos = false, sc.pos+5
	default:
		return false
	}
	return true
}
