package webhook_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

func TestParseRejectsNonEnvelopes(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"", "$: the body is empty"},
		{"  \n", "$: the body is empty"},
		{"nope", "the body is not JSON: invalid character 'o' in literal null (expecting 'u') (line 1, column 3)"},
		{"{\"object\":\"x\",\n\"entry\":[", "the body is not JSON: unexpected end of JSON input"},
		{"[]", "$: expected an object (the webhook envelope), got an array"},
		{`"text"`, "$: expected an object (the webhook envelope), got a string"},
		{`{"entry":[]}`, "$.object: missing"},
		{`{"object":1,"entry":[]}`, "$.object: expected a string, got a number"},
		{`{"object":"whatsapp_business_account"}`, "$.entry: missing: expected an array of entries"},
		{`{"object":"whatsapp_business_account","entry":null}`, "$.entry: missing"},
		{`{"object":"whatsapp_business_account","entry":{}}`, "$.entry: expected an array, got an object"},
		{`{"object":"whatsapp_business_account","entry":[1]}`, "$.entry[0]: expected an object, got a number"},
		{`{"object":"whatsapp_business_account","entry":[{"id":{},"changes":[]}]}`, "$.entry[0].id: expected a string or a number, got an object"},
		{`{"object":"whatsapp_business_account","entry":[{},{"changes":"x"}]}`, "$.entry[1].changes: expected an array, got a string"},
		{`{"object":"whatsapp_business_account","entry":[{"changes":[[]]}]}`, "$.entry[0].changes[0]: expected an object, got an array"},
		{`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":{"a":1}}]}]}`, "$.entry[0].changes[0].field: expected a string, got an object"},
	} {
		_, err := webhook.Parse([]byte(tc.body))
		if err == nil {
			t.Errorf("Parse(%q) succeeded", tc.body)
			continue
		}
		var pe *webhook.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q): error %T is not a *ParseError", tc.body, err)
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Parse(%q):\n got  %s\n want %s…", tc.body, err, tc.want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q): error is not one line: %q", tc.body, err)
		}
	}
}

func parseOne(t *testing.T, body string) webhook.Event {
	t.Helper()
	n, err := webhook.Parse([]byte(body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	ev := n.Events()
	if len(ev) != 1 {
		t.Fatalf("got %d events, want 1: %+v", len(ev), ev)
	}
	return ev[0]
}

func messagesBody(items string) string {
	return `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},` + items + `}}]}]}`
}

func TestParseKeepsUnknownContent(t *testing.T) {
	item := `{"from":"16505551234","id":"wamid.A","timestamp":"1749416383","type":"text","text":{"body":"hi","new_thing":true},"brand_new_key":{"x":[1,2]}}`
	e := parseOne(t, messagesBody(`"messages":[`+item+`]`))
	if string(e.Raw) != item {
		t.Errorf("Raw = %s, want the item verbatim", e.Raw)
	}
	if e.Type != "text" || e.Summary != `"hi"` || e.Unknown || len(e.Problems) > 0 {
		t.Errorf("event = %+v", e)
	}

	// An unknown message type is shown, raw and flagged.
	e = parseOne(t, messagesBody(`"messages":[{"from":"16505551234","id":"wamid.B","timestamp":"1","type":"hologram","hologram":{"fps":60}}]`))
	if e.Type != "unknown" || e.RawType != "hologram" || !e.Unknown || !strings.Contains(e.Summary, `"hologram"`) {
		t.Errorf("unknown type: %+v", e)
	}

	// An unknown field keeps its whole value.
	body := `{"object":"whatsapp_business_account","entry":[{"id":"1","time":1700000000,"changes":[{"field":"telepathy_update","value":{"level":9001}}]}]}`
	e = parseOne(t, body)
	if e.Kind != "telepathy_update" || e.Type != "unknown" || !e.Unknown || string(e.Raw) != `{"level":9001}` {
		t.Errorf("unknown field: %+v", e)
	}

	// An unknown status is kept with its name.
	e = parseOne(t, messagesBody(`"statuses":[{"id":"wamid.C","status":"deleted","timestamp":"1","recipient_id":"16505551234"}]`))
	if e.Type != "status.deleted" || !e.Unknown || e.Status != "deleted" {
		t.Errorf("unknown status: %+v", e)
	}

	// A known field whose value has an odd shape still yields its raw value.
	body = `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":"surprise"}}]}]}`
	e = parseOne(t, body)
	if !e.Unknown || len(e.Problems) == 0 || string(e.Raw) != `{"messages":"surprise"}` {
		t.Errorf("odd value: %+v", e)
	}

	// A value that is not an object at all.
	body = `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"security","value":[1]}]}]}`
	e = parseOne(t, body)
	if !e.Unknown || !strings.Contains(strings.Join(e.Problems, "; "), "expected an object, got an array") {
		t.Errorf("array value: %+v", e)
	}

	// One malformed part of a message does not hide the rest of it.
	e = parseOne(t, messagesBody(`"messages":[{"from":"16505551234","id":"wamid.D","timestamp":{"oops":1},"type":"text","text":{"body":"still here"}}]`))
	if e.Summary != `"still here"` || len(e.Problems) == 0 || e.ID != "wamid.D" {
		t.Errorf("partial message: %+v", e)
	}
}

func TestErrorEventKeepsRawBytes(t *testing.T) {
	raw := `{"code":130429,"title":"Rate limit hit","message":"Rate limit hit","error_data":{"details":"too many"},"href":"\/documentation","extra":1}`
	e := parseOne(t, messagesBody(`"errors":[`+raw+`]`))
	if string(e.Raw) != raw {
		t.Errorf("Raw = %s, want the error verbatim", e.Raw)
	}
	if e.Kind != "error" || len(e.Errors) != 1 || e.Errors[0].Code != 130429 || e.Summary != "130429 Rate limit hit: too many" {
		t.Errorf("%+v", e)
	}
}

func TestIsWhatsApp(t *testing.T) {
	n, err := webhook.Parse([]byte(`{"object":"page","entry":[{"id":"1","time":1,"messaging":[{}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if n.IsWhatsApp() || len(n.Events()) != 0 {
		t.Errorf("Messenger body: IsWhatsApp %v, %d events", n.IsWhatsApp(), len(n.Events()))
	}
}

func TestStringsOrNumbers(t *testing.T) {
	// Timestamps and IDs as numbers, order values as strings.
	e := parseOne(t, messagesBody(`"messages":[{"from":16505551234,"id":"wamid.E","timestamp":1749416383,"type":"order","order":{"catalog_id":194836987003835,"product_items":[{"product_retailer_id":"a","quantity":"2","item_price":"30.50","currency":"USD"},{"product_retailer_id":"b","quantity":1,"item_price":7.99,"currency":"USD"}]}}]`))
	if e.From != "16505551234" || e.Timestamp.Unix() != 1749416383 || len(e.Problems) > 0 {
		t.Errorf("numbers as strings: %+v", e)
	}
	if want := "order of 2 items (3 units), 68.99 USD"; e.Summary != want {
		t.Errorf("summary = %q, want %q", e.Summary, want)
	}

	// message_template_id above 2^53 (and even above int64) stays exact.
	for _, id := range []string{"1786403926573018", "123456789012345678901234567890"} {
		body := `{"object":"whatsapp_business_account","entry":[{"id":102290129340398,"time":"1751247548","changes":[{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":` + id + `,"message_template_name":"t","message_template_language":"en"}}]}]}`
		n, err := webhook.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		v := n.Entry[0].Changes[0].Decoded.(*webhook.TemplateStatusUpdate)
		if string(v.MessageTemplateID) != id {
			t.Errorf("message_template_id = %s, want %s", v.MessageTemplateID, id)
		}
		e := n.Events()[0]
		if e.WABAID != "102290129340398" || e.Timestamp.Unix() != 1751247548 {
			t.Errorf("entry id/time as number/string: %+v", e)
		}
	}

	// Capability limits as tier names or numbers.
	for _, v := range []string{`"TIER_2K"`, `2000`} {
		body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"business_capability_update","value":{"max_daily_conversations_per_business":` + v + `}}]}]}`
		e := parseOne(t, body)
		if len(e.Problems) > 0 || !strings.Contains(e.Summary, strings.Trim(v, `"`)) {
			t.Errorf("capability %s: %+v", v, e)
		}
	}
}

func TestIdentityWithoutPhoneNumber(t *testing.T) {
	f, _ := fixtures.Get("messages.identity.username_only")
	n, err := webhook.Parse(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	e := n.Events()[0]
	if e.From != "MX.7730194856120398475" || e.UserID != e.From || e.Username != "mateo.plants" || e.ContactName != "Mateo" {
		t.Errorf("username-only user: %+v", e)
	}
}

func TestParseLeavesTheBodyAlone(t *testing.T) {
	for _, f := range fixtures.All() {
		before := bytes.Clone(f.Body)
		n, err := webhook.Parse(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range n.Events() {
			if len(e.Raw) > 0 {
				e.Raw[0] = 'X' // events own their raw bytes
			}
		}
		if !bytes.Equal(before, f.Body) {
			t.Fatalf("%s: Parse or Events changed the caller's bytes", f.Name)
		}
	}
}

func TestParseAcceptsBOM(t *testing.T) {
	f, _ := fixtures.Get("messages.text")
	if _, err := webhook.Parse(append([]byte("\xEF\xBB\xBF"), f.Body...)); err != nil {
		t.Errorf("BOM: %v", err)
	}
}

// TestKeys: a retry (the same bytes), the same event pretty or wire
// encoded, and the same event in another batch all get the same key;
// different events never share one.
func TestKeys(t *testing.T) {
	seen := map[string]string{}
	for _, f := range fixtures.All() {
		w, err := wire.Encode(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		pretty, _ := webhook.Parse(f.Body)
		onWire, _ := webhook.Parse(w)
		pe, we := pretty.Events(), onWire.Events()
		for i := range pe {
			k := pe[i].Key()
			if k != we[i].Key() {
				t.Errorf("%s event %d: key differs between pretty and wire forms", f.Name, i)
			}
			if prev, ok := seen[k]; ok && !sameEvent(prev, f.Name) {
				t.Errorf("%s event %d: key %s already used by %s", f.Name, i, k, prev)
			}
			seen[k] = f.Name
		}
	}
	// Statuses of one message are distinct events.
	f, _ := fixtures.Get("statuses.batch.out_of_order")
	n, _ := webhook.Parse(f.Body)
	ev := n.Events()
	if ev[0].ID != ev[1].ID || ev[0].Key() == ev[1].Key() {
		t.Errorf("read and delivered of one message: keys %s and %s", ev[0].Key(), ev[1].Key())
	}
}

// sameEvent lists fixtures that deliberately share an event with another
// (the same message or call seen twice).
func sameEvent(a, b string) bool {
	shared := map[string]bool{"calls.connect": true, "calls.terminate": true}
	return shared[a] && shared[b]
}

func TestEventJSON(t *testing.T) {
	f, _ := fixtures.Get("statuses.failed.131047")
	n, _ := webhook.Parse(f.Body)
	b, err := json.Marshal(n.Events()[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kind":"status"`, `"type":"status.failed"`, `"errors":[{"code":131047,"title":"Re-engagement message"`, `"timestamp":"2026-10-25T07:34:00Z"`, `"raw":{"id":"wamid.`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("event JSON lacks %s:\n%s", want, b)
		}
	}
}
