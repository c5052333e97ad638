package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	`{"text":{"body":"café 👍 https://x.y/z"}}`,
	`{"caption":"Hola quiero un caf\u00e9","mime_type":"image\/jpeg"}`,
	`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]},"field":"messages"}]}]}`,
	"{\n  \"a\": [1, 2.5e-3, -0, true, false, null],\n  \"b\": {}\n}\n",
	`"\uD83D\uDE00 \ud800 \u0000 \"\\\/\b\f\n\r\t"`,
	"\xef\xbb\xbf[\"<>&\u2028\u2029\"]",
	`{"id":123456789012345678901234567890}`,
	`[{"a":{"b":[[[]]]}}]`,
	`{"a":1,}`,
	"\"\xff\"",
}

// FuzzEncode checks, for any input, that Encode fails exactly on invalid
// JSON and otherwise produces pure-ASCII compact bytes that decode to the
// same value and encode to themselves.
func FuzzEncode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Encode(in)
		body := bytes.TrimPrefix(in, []byte("\xef\xbb\xbf"))
		valid := json.Valid(body) && utf8.Valid(body)
		if err != nil {
			if valid {
				t.Fatalf("Encode rejected valid JSON %q: %v", in, err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("Encode accepted invalid JSON %q -> %q", in, out)
		}
		for i, c := range out {
			if c >= 0x80 {
				t.Fatalf("non-ASCII byte 0x%02x at %d in %q", c, i, out)
			}
		}
		if i := rawSlash(out); i >= 0 {
			t.Fatalf("unescaped / at %d in %q", i, out)
		}
		if kept, err := Format(out, Style{Escaping: Keep}); err != nil || !bytes.Equal(kept, out) {
			t.Fatalf("output is not compact: %q", out)
		}
		sameValue(t, body, out)
		again, err := Encode(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, err)
		}
	})
}

// FuzzFormat checks every style keeps the value and is a fixed point of itself.
func FuzzFormat(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, pick uint8) {
		styles := []Style{
			{Escaping: Keep}, {Escaping: Unicode}, {Escaping: GoHTML}, {Escaping: ASCII, Spaced: true},
			{Escaping: Unicode, Indent: "  "}, {Escaping: Meta, Indent: "\t"}, {Escaping: Meta, EscapeASCII: "@%<"},
		}
		style := styles[int(pick)%len(styles)]
		out, err := Format(in, style)
		if err != nil {
			return
		}
		sameValue(t, bytes.TrimPrefix(in, []byte("\xef\xbb\xbf")), out)
		again, err := Format(out, style)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("style %+v not idempotent: %q -> %q -> %q (%v)", style, in, out, again, err)
		}
	})
}

// rawSlash returns the offset of a "/" inside a string that is not written
// as "\/", or -1.
func rawSlash(b []byte) int {
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case in && c == '/':
			return i
		}
	}
	return -1
}

func sameValue(t *testing.T, a, b []byte) {
	t.Helper()
	va, errA := decodeNumber(a)
	vb, errB := decodeNumber(b)
	if errA != nil || errB != nil {
		t.Fatalf("decode: %v / %v\n%q\n%q", errA, errB, a, b)
	}
	if !reflect.DeepEqual(va, vb) {
		t.Fatalf("values differ:\n%q\n%q", a, b)
	}
}

func decodeNumber(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}
