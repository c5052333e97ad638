package receiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"

	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// Keys whose string values are phone numbers or business-scoped user IDs
// (BSUIDs), and keys whose values are what people wrote.
var (
	phoneKeys = map[string]bool{
		"from": true, "wa_id": true, "recipient_id": true, "display_phone_number": true,
		"recipient_participant_id": true, "phone": true, "phone_number": true, "new_wa_id": true, "customer": true,
		"participant_id": true, "to": true,
	}
	userIDKeys = map[string]bool{
		"user_id": true, "from_user_id": true, "recipient_user_id": true, "parent_user_id": true,
		"from_parent_user_id": true, "recipient_parent_user_id": true, "recipient_participant_user_id": true,
		"recipient_participant_parent_user_id": true, "previous": true, "current": true, "new_user_id": true,
	}
	textKeys = map[string]bool{
		"body": true, "caption": true, "text": true, "title": true, "description": true,
		"formatted_name": true, "full_name": true, "first_name": true, "last_name": true, "middle_name": true,
		"name": true, "username": true, "email": true, "address": true, "street": true,
		"response_json": true, "payload": true, "filename": true, "vcard": true,
	}
	// The patterns are compiled on first use, not at init: every wa-hooks
	// command links this package, few ever redact, and compiling them cost
	// ~0.3 ms and ~470 allocations at each start.
	bsuidPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b[A-Z]{2}\.(?:ENT\.)?[0-9A-Za-z]{6,128}\b`)
	})
	phonePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\+?\b\d{8,15}\b`) })
)

// Redacted replaces what people wrote.
const Redacted = "[redacted]"

// MaskPhone keeps the last four digits: 16505551234 → *******1234.
func MaskPhone(s string) string {
	if len(s) <= 4 {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
}

// MaskUserID keeps the country code and the last four characters of a
// BSUID: US.13491208655302741918 → US.****1918.
func MaskUserID(s string) string {
	prefix, rest, ok := strings.Cut(s, ".")
	if !ok || len(prefix) != 2 {
		return MaskPhone(s)
	}
	if strings.HasPrefix(rest, "ENT.") {
		prefix, rest = prefix+".ENT", rest[4:]
	}
	if len(rest) <= 4 {
		return prefix + ".****"
	}
	return prefix + ".****" + rest[len(rest)-4:]
}

// redactString masks numbers and BSUIDs inside free text.
func redactString(s string) string {
	s = bsuidPattern().ReplaceAllStringFunc(s, MaskUserID)
	return phonePattern().ReplaceAllStringFunc(s, MaskPhone)
}

// RedactBody returns a compact copy of a JSON body with phone numbers,
// BSUIDs and message text masked, keys kept in their order. A body that is
// not JSON comes back as a placeholder: it cannot be masked safely.
func RedactBody(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	if err := redactValue(dec, &out, ""); err != nil {
		return []byte(`"` + Redacted + `"`)
	}
	return out.Bytes()
}

// redactValue copies one JSON value from dec to out; key is the object key
// it belongs to.
func redactValue(dec *json.Decoder, out *bytes.Buffer, key string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			first := true
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, ok := kt.(string)
				if !ok {
					return errors.New("object key is not a string")
				}
				if !first {
					out.WriteByte(',')
				}
				first = false
				writeString(out, k)
				out.WriteByte(':')
				if err := redactValue(dec, out, k); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			first := true
			for dec.More() {
				if !first {
					out.WriteByte(',')
				}
				first = false
				// Array items inherit the key: "phones":[…] items are phones.
				if err := redactValue(dec, out, key); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			out.WriteByte(']')
		}
	case string:
		switch {
		case t == "":
			writeString(out, t)
		case textKeys[key]:
			writeString(out, Redacted)
		case userIDKeys[key]:
			writeString(out, MaskUserID(t))
		case phoneKeys[key]:
			writeString(out, MaskPhone(t))
		default:
			// IDs and timestamps are long digit strings too, so only the
			// unmistakable BSUID shape is masked in other values.
			writeString(out, bsuidPattern().ReplaceAllStringFunc(t, MaskUserID))
		}
	case json.Number:
		out.WriteString(t.String())
	case bool:
		if t {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case nil:
		out.WriteString("null")
	}
	return nil
}

func writeString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out.Truncate(out.Len() - 1) // Encode's newline
}

// redactEvents masks the fields of already-parsed events; used when the
// redacted body cannot be parsed back into the same events.
func redactEvents(evs []webhook.Event) []webhook.Event {
	out := make([]webhook.Event, len(evs))
	for i, e := range evs {
		e.From = maskWho(e.From)
		e.Recipient = maskWho(e.Recipient)
		e.WaID = maskWho(e.WaID)
		e.UserID = maskWho(e.UserID)
		e.ParentUserID = maskWho(e.ParentUserID)
		if e.Username != "" {
			e.Username = Redacted
		}
		e.DisplayPhoneNumber = MaskPhone(e.DisplayPhoneNumber)
		if e.ContactName != "" {
			e.ContactName = Redacted
		}
		switch e.Kind {
		case webhook.KindMessage, webhook.KindEcho, webhook.KindHistory, webhook.KindStandby, webhook.KindUnknown:
			e.Summary = Redacted
		default:
			e.Summary = redactString(e.Summary)
		}
		if len(e.Problems) > 0 {
			ps := make([]string, len(e.Problems))
			for j, p := range e.Problems {
				ps[j] = redactString(p)
			}
			e.Problems = ps
		}
		e.Raw = RedactBody(e.Raw)
		out[i] = e
	}
	return out
}

func maskWho(s string) string {
	if s == "" {
		return ""
	}
	if bsuidPattern().MatchString(s) {
		return MaskUserID(s)
	}
	return MaskPhone(s)
}
