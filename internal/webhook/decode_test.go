package webhook

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// The fast path must be invisible: for every body, Parse and Events give
// exactly what the reference path (encoding/json and the UnmarshalJSON
// methods) gives, errors included.

func TestPlans(t *testing.T) {
	p := loadPlans()
	if p.err != nil {
		t.Fatalf("a model type has no fast plan: %v", p.err)
	}
	for _, f := range fixtures.All() {
		for _, field := range fieldsOf(t, f.Body) {
			if v := newValue(field); v != nil {
				if p.byType[reflect.TypeOf(v).Elem()] == nil {
					t.Errorf("%s: field %s has no fast plan (add it to knownFields)", f.Name, field)
				}
			}
		}
	}
}

func fieldsOf(t *testing.T, body []byte) []string {
	n, err := parseReference(body)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range n.Entry {
		for _, c := range e.Changes {
			out = append(out, c.Field)
		}
	}
	return out
}

// TestCatalogTakesTheFastPath: the whole catalog, readable and wire
// encoded, decodes without falling back anywhere, and the same as the
// reference.
func TestCatalogTakesTheFastPath(t *testing.T) {
	for _, f := range fixtures.All() {
		w, err := wire.Encode(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range [][]byte{f.Body, w} {
			n, ok := parseFast(body, false)
			if !ok {
				t.Errorf("%s: the fast path gave up on the envelope", f.Name)
				continue
			}
			for _, e := range n.Entry {
				for _, c := range e.Changes {
					if newValue(c.Field) != nil && !plannedDecodes(c.Field, c.Value) {
						t.Errorf("%s: change %s fell back to the reference decoder", f.Name, c.Field)
					}
				}
			}
			sameAsReference(t, f.Name, body)
		}
	}
}

func plannedDecodes(field string, value []byte) bool {
	v := newValue(field)
	r := reader{s: string(value), raw: bytes.Clone(value)}
	return r.decode(loadPlans().byType[reflect.TypeOf(v).Elem()], reflect.ValueOf(v).Elem()) && r.i == len(value)
}

func sameAsReference(t *testing.T, name string, body []byte) {
	t.Helper()
	got, gotErr := Parse(body)
	want, wantErr := parseReference(bytes.TrimPrefix(body, utf8BOM))
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("%s: error %v, reference %v\nbody: %q", name, gotErr, wantErr, body)
	}
	if gotErr != nil {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: notification differs from the reference\n got  %s\n want %s\nbody: %q", name, dump(got), dump(want), body)
	}
	ge, we := got.Events(), want.Events()
	if !reflect.DeepEqual(ge, we) {
		t.Fatalf("%s: events differ from the reference\n got  %+v\n want %+v\nbody: %q", name, ge, we, body)
	}
	shared, err := ParseShared(bytes.Clone(body))
	if err != nil || !reflect.DeepEqual(shared, got) || !reflect.DeepEqual(shared.Events(), ge) {
		t.Fatalf("%s: ParseShared differs from Parse (error %v)\nbody: %q", name, err, body)
	}
}

func dump(n *Notification) string {
	var b strings.Builder
	for _, e := range n.Entry {
		fmt.Fprintf(&b, "entry %q/%q: ", e.ID, e.Time)
		for _, c := range e.Changes {
			fmt.Fprintf(&b, "[%s %q %s %+v] ", c.Field, c.DecodeErr, c.Value, c.Decoded)
		}
	}
	return b.String()
}

// edgeBodies are the shapes where a hand-written decoder and encoding/json
// most easily disagree.
func edgeBodies() []string {
	msg := func(items string) string {
		return `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},` + items + `},"field":"messages"}]}]}`
	}
	text := func(body string) string {
		return msg(`"messages":[{"from":"16505551234","id":"wamid.A","timestamp":"1749416383","type":"text","text":{"body":` + body + `}}]`)
	}
	return []string{
		text(`"caf\u00e9 \ud83c\udf35 \/ \n\t\"q\" \\ \b\f\r"`),
		text(`"lone \ud83c x \udf35 y \udf35\ud83c z \ud83c\u0041"`),
		text("\"invalid \xff\xfe utf-8 \xed\xa0\x80 surrogate \xc0\xaf overlong\""),
		text(`"` + strings.Repeat("word ", 40) + `"`),
		text("\"\u00a0lead\u0085 nbsp\u2003em  \u3000ideographic\""),
		text(`5`), text(`null`), text(`{"x":1}`), text(`true`),
		// Bytes above ASCII where the reader looks at them in different
		// ways (a value with escapes, one without, a key, a skipped value),
		// and line breaks between tokens: each makes a body not plain.
		text("\"caf\xc3\xa9 \\/ au lait\""), text("\"caf\xc3\xa9 au lait\""),
		msg(`"messages":[{"from":"1","id":"x","type":"text","k\u00e9":1,"ké":2}]`),
		`{"object":"x","entry":[],"extra":["é"]}`, "{\"object\":\"x\",\r\n\"entry\":[]}", "{\"object\":\"x\",\n\"entry\":[]}\r",
		msg(`"messages":[{"from":"1","id":"x","type":"text","Text":{"body":"case"}}]`),
		msg(`"messages":[{"from":"1","id":"x","type":"text","TYPE":"image"}]`),
		msg(`"messages":[{"from":"1","id":"x","type":"text","type":"image"}]`),
		msg(`"messages":[{"from":"1","id":"x","type":"text","\u0074ype":"image"}]`),
		msg(`"messages":[{"from":"1","id":"x","type":"text","ſtatus":"x","ſ":1}]`),
		msg(`"messages":null,"statuses":[null]`),
		msg(`"messages":[null]`),
		msg(`"messages":[1,"x",[]]`),
		msg(`"messages":{"0":{}}`),
		msg(`"messages":[{"from":{"a":[1, 2]},"id":"x","timestamp":[ 1 ],"type":"text","text":null}]`),
		msg(`"messages":[{"from":null,"id":null,"timestamp":null,"type":"location","location":{"latitude":-1.5e3,"longitude":"2.25"}}]`),
		msg(`"messages":[{"from":"1","id":"x","type":"location","location":{"latitude":"nope","longitude":1}}]`),
		msg(`"messages":[{"from":"1","id":"x","type":"edit","edit":{"original_message_id":"y","message":{"type":"text","text":{"body":"new"}}}}]`),
		msg(`"messages":[{"from":"1","id":"x","type":"edit","edit":{"message":null}}]`),
		msg(`"statuses":[{"id":"w","status":"sent","recipient_id":1,"pricing":{"billable":null,"category":"utility"},"errors":[]}]`),
		msg(`"statuses":[{"id":"w","status":"sent","pricing":{"billable":"yes"}}]`),
		msg(`"statuses":[{"id":"w","status":"sent","pricing":{"billable":false}}]`),
		msg(`"errors":[{"code":"131","title":1},{"code":1.5e2},null]`),
		msg(`"contacts":[{"profile":null,"wa_id":16505551234}],"messages":[]`),
		msg(`"contacts":[],"messages":[],"statuses":[],"errors":[]`),
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"SCHEDULE_FOR_DISABLE"}}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":{"event":"X","ban_info":{"waba_ban_state":["A",1,null,{"b":2},true]},"waba_info":{"solution_partner_business_ids":[]}}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":{"event":"X","ban_info":{"waba_ban_state":null},"waba_info":{"solution_partner_business_ids":"1"}}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"user_preferences","value":{"user_preferences":[{"wa_id":"1","value":"stop"},null,"x",{"wa_id":[]}]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"calls","value":{"calls":[{"id":"c","event":"terminate","status":["COMPLETED"],"duration":7}]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"user_id_update","value":{"user_id_update":[{"wa_id":"1","user_id":{"previous":"A","current":"B"}}],"messaging_product":"whatsapp","MessagingProduct":"x"}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"security","value":null},{"field":"security"},{"field":"security","value":[1]},{"field":"nope","value":{"a":1}},{"field":12,"value":{}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":1.5,"time":true,"changes":null},{"changes":[]},{}]}`,
		`{"object":"whatsapp_business_account","entry":[]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"event":"DISABLED_UPDATE"},"field":"account_update"},{"value":{"statuses":[{"id":"w","status":"read"}]},"field":"messages"},{"value":{"x":1},"field":"nope"}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messages":[{"id":"m","type":"text"}]},"field":"standby"}]}],"pad":"\"field\": \"history\""}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"id":"m"}]},"field" : "history"}]}]}`,
		`{"object":"whatsapp_business_account","entry":[],"object":"page"}`,
		`{"Object":"whatsapp_business_account","entry":[]}`,
		`{"object":"whatsapp_business_account","entry":[{"ID":"1","changes":[]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"Field":"messages","value":{}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{},"value":{"messages":[]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[null]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[null]}]}`,
		`{"object":null,"entry":[]}`,
		`{"object":"x","entry":[]} x`,
		"{\"object\":\"x\",\"entry\":[]}\x00",
		` {"object" : "x" , "entry" : [ { "id" : "1" , "changes" : [ { "value" : { "messages" : [ ] } , "field" : "messages" } ] } ] } `,
		`{"object":"x","entry":[],"extra":{"deep":[[[[{"a":[1,2,{"b":null}]}]]]],"n":-0.5e+10,"t":true,"f":false}}`,
		`{"object":"x","entry":[],"bad":01}`,
		`{"object":"x","entry":[],"bad":1.}`,
		`{"object":"x","entry":[],"bad":-}`,
		`{"object":"x","entry":[],"bad":"\x"}`,
		`{"object":"x","entry":[],"bad":"\u12"}`,
		"{\"object\":\"x\",\"entry\":[],\"bad\":\"tab\there\"}",
		`{"object":"x","entry":[1,]}`,
		`{"object":"x","entry":[],}`,
		`{"object":"x","entry":[]`,
		`{"object":"x","entry":[]}}`,
		"\xef\xbb\xbf" + `{"object":"x","entry":[]}`,
		``, `   `, `[]`, `null`, `"x"`, `{}`,
	}
}

func TestEdgeCasesMatchReference(t *testing.T) {
	for i, body := range edgeBodies() {
		sameAsReference(t, "edge "+string(rune('A'+i%26)), []byte(body))
	}
}

// FuzzFastMatchesReference compares the two paths on arbitrary bodies.
func FuzzFastMatchesReference(f *testing.F) {
	for _, b := range edgeBodies() {
		f.Add([]byte(b))
	}
	for _, fx := range fixtures.All() {
		f.Add(fx.Body)
		if w, err := wire.Encode(fx.Body); err == nil {
			f.Add(w)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsReference(t, "fuzz", body)
	})
}

// A body is plain when it is ASCII without line breaks, as Meta's wire form
// always is; the readable fixtures (indented, some with raw UTF-8) are not.
// TestEdgeCasesMatchReference holds the fast path to the reference's
// definition byte by byte.
func TestPlain(t *testing.T) {
	notPlain := 0
	for _, fx := range fixtures.All() {
		w, err := wire.Encode(fx.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			body []byte
			want bool
		}{{w, true}, {fx.Body, plainBody(fx.Body)}} {
			n, err := ParseShared(c.body)
			if err != nil {
				t.Fatalf("%s: %v", fx.Name, err)
			}
			if n.Plain() != c.want {
				t.Errorf("%s: Plain() = %v, want %v", fx.Name, n.Plain(), c.want)
			}
			if !n.Plain() {
				notPlain++
			}
		}
	}
	if notPlain < len(fixtures.All()) {
		t.Errorf("only %d of the readable fixtures are not plain: they are indented", notPlain)
	}
}
