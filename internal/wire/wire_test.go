package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEncodeVectors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// webhooks-reference.md section 7: the gotcha in one vector.
		{"reference section 7", `{"text":{"body":"café 👍 https://x.y/z"}}`, `{"text":{"body":"caf\u00e9 \ud83d\udc4d https:\/\/x.y\/z"}}`},
		{"pretty input becomes compact", "{\n  \"a\": 1,\n\t\"b\" : [ 1 , 2 ]\r\n}\n", `{"a":1,"b":[1,2]}`},
		{"key order kept", `{"z":1,"a":2,"m":3}`, `{"z":1,"a":2,"m":3}`},
		{"duplicate keys kept", `{"a":1,"a":2}`, `{"a":1,"a":2}`},
		{"id above 2^53 kept", `{"message_template_id":1234567890123456789012}`, `{"message_template_id":1234567890123456789012}`},
		{"numbers verbatim", `[0,-0,1.50,1e5,1E+05,-2.5e-3,100000000000000000000000000000]`, `[0,-0,1.50,1e5,1E+05,-2.5e-3,100000000000000000000000000000]`},
		{"already escaped stays", `{"caption":"Hola quiero un caf\u00e9","mime_type":"image\/jpeg"}`, `{"caption":"Hola quiero un caf\u00e9","mime_type":"image\/jpeg"}`},
		{"uppercase escape lowercased", `"caf\u00E9 \uD83D\uDC4D"`, `"caf\u00e9 \ud83d\udc4d"`},
		{"escaped ascii kept", `"\u0040 \u002f \u0041"`, `"\u0040 \u002f \u0041"`},
		{"short escapes kept", `"a\"b\\c\/d\b\f\n\r\t"`, `"a\"b\\c\/d\b\f\n\r\t"`},
		{"slash in key", `{"a/b":"c/d"}`, `{"a\/b":"c\/d"}`},
		{"html characters raw", `"<b> & 'x' @me 100%"`, `"<b> & 'x' @me 100%"`},
		{"line separators escaped", "\"a\u2028b\u2029c\"", `"a\u2028b\u2029c"`},
		{"two-byte and three-byte", `"äöå €"`, `"\u00e4\u00f6\u00e5 \u20ac"`},
		{"astral as surrogate pair", `"😀𝄞"`, `"\ud83d\ude00\ud834\udd1e"`},
		{"lone surrogate escape kept", `"\ud800x"`, `"\ud800x"`},
		{"DEL stays raw", "\"\x7f\"", "\"\x7f\""},
		{"scalar document", ` 42 `, `42`},
		{"literals", `[true,false,null]`, `[true,false,null]`},
		{"empty containers", `{ "a" : { } , "b" : [ ] }`, `{"a":{},"b":[]}`},
		{"BOM dropped", "\xef\xbb\xbf{\"a\":1}", `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode([]byte(tt.in))
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("Encode(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			again, err := Encode(got)
			if err != nil || !bytes.Equal(again, got) {
				t.Fatalf("not idempotent: %s -> %s (%v)", got, again, err)
			}
			if !IsWire(got) {
				t.Fatalf("IsWire(%s) = false", got)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		in           string
		offset, line int
		msg          string
	}{
		{``, 0, 1, "empty document"},
		{"  \n ", 4, 2, "empty document"},
		{`{"a":1,}`, 7, 1, "expected a string key"},
		{`{"a" 1}`, 5, 1, "expected ':'"},
		{`{"a":1 "b":2}`, 7, 1, "expected ',' or '}'"},
		{`[1 2]`, 3, 1, "expected ',' or ']'"},
		{`[1,2`, 4, 1, "unexpected end of input"},
		{"{\n\"a\": tru}", 7, 2, `expected "true"`},
		{`"abc`, 4, 1, "inside a string"},
		{"\"a\nb\"", 2, 1, "raw control character 0x0a"},
		{`"\x"`, 2, 1, `invalid escape sequence \'x'`},
		{`"\u12g4"`, 3, 1, "expected 4 hex digits"},
		{"\"\xff\"", 1, 1, "invalid UTF-8"},
		{`01`, 1, 1, "after the end of the JSON value"},
		{`-`, 1, 1, "expected a digit"},
		{`1.`, 2, 1, "after the decimal point"},
		{`1e`, 2, 1, "in the exponent"},
		{`{"a":1}}`, 7, 1, "after the end"},
		{`nul`, 0, 1, `expected "null"`},
		{`'a'`, 0, 1, "expected a value"},
	}
	for _, tt := range tests {
		_, err := Encode([]byte(tt.in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Encode(%q) error = %v, want *SyntaxError", tt.in, err)
			continue
		}
		if se.Offset != tt.offset || se.Line != tt.line || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Encode(%q) = offset %d line %d %q, want offset %d line %d containing %q", tt.in, se.Offset, se.Line, se.Msg, tt.offset, tt.line, tt.msg)
		}
		if !strings.HasPrefix(err.Error(), "invalid JSON at line ") {
			t.Errorf("Error() = %q", err)
		}
	}
}

func TestEscapeASCII(t *testing.T) {
	tests := []struct {
		in    string
		style Style
		want  string
	}{
		{`"me@x.y 100%"`, Style{Escaping: Meta, EscapeASCII: "@%"}, `"me\u0040x.y 100\u0025"`},
		{`"me\u0040x"`, Style{Escaping: Meta, EscapeASCII: "@"}, `"me\u0040x"`},
		{`"me\u0040x"`, Style{Escaping: Unicode, EscapeASCII: "@"}, `"me\u0040x"`},
		{`"me\u0040x"`, Style{Escaping: Unicode}, `"me@x"`},
		{`{"@":"\"\\"}`, Style{Escaping: Meta, EscapeASCII: "@\"\\\x01é"}, `{"\u0040":"\"\\"}`},
	}
	for _, tt := range tests {
		got, err := Format([]byte(tt.in), tt.style)
		if err != nil || string(got) != tt.want {
			t.Errorf("Format(%s, %+v) = %s (%v), want %s", tt.in, tt.style, got, err, tt.want)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2)
	if _, err := Encode([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nesting deeper") {
		t.Fatalf("want a nesting error, got %v", err)
	}
	ok := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if _, err := Encode([]byte(ok)); err != nil {
		t.Fatal(err)
	}
}

func TestFormatStyles(t *testing.T) {
	in := `{"a/b":"caf\u00e9 😀 <x> & \u2028","n":[1,{"k":null}],"e":{},"s":"\/\u0041\n"}`
	tests := []struct {
		name  string
		style Style
		want  string
	}{
		{"meta", Style{Escaping: Meta}, `{"a\/b":"caf\u00e9 \ud83d\ude00 <x> & \u2028","n":[1,{"k":null}],"e":{},"s":"\/\u0041\n"}`},
		{"keep", Style{Escaping: Keep}, in},
		{"unicode (JSON.stringify)", Style{Escaping: Unicode}, "{\"a/b\":\"café 😀 <x> & \u2028\",\"n\":[1,{\"k\":null}],\"e\":{},\"s\":\"/A\\n\"}"},
		{"go html", Style{Escaping: GoHTML}, "{\"a/b\":\"café 😀 \\u003cx\\u003e \\u0026 \\u2028\",\"n\":[1,{\"k\":null}],\"e\":{},\"s\":\"/A\\n\"}"},
		{"python", Style{Escaping: ASCII, Spaced: true}, `{"a/b": "caf\u00e9 \ud83d\ude00 <x> & \u2028", "n": [1, {"k": null}], "e": {}, "s": "/A\n"}`},
		{"meta with @ escaped", Style{Escaping: Meta, EscapeASCII: "@%"}, `{"a\/b":"caf\u00e9 \ud83d\ude00 <x> & \u2028","n":[1,{"k":null}],"e":{},"s":"\/\u0041\n"}`},
		{"indent 2", Style{Escaping: Unicode, Indent: "  "}, "{\n  \"a/b\": \"café 😀 <x> & \u2028\",\n  \"n\": [\n    1,\n    {\n      \"k\": null\n    }\n  ],\n  \"e\": {},\n  \"s\": \"/A\\n\"\n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Format([]byte(in), tt.style)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("\n got %s\nwant %s", got, tt.want)
			}
			checkSameValue(t, []byte(in), got)
		})
	}
}

// TestMatchesStdlib pins the Unicode, GoHTML and indent styles to what real
// serialisers produce, so Diagnose's candidates are the bytes users really have.
func TestMatchesStdlib(t *testing.T) {
	in := []byte(`{"text":{"body":"café 👍 https://x.y/z <a> & \"q\" \\ \u0001 \t"},"n":[1,2.5,true,null],"o":{}}`)
	var v any
	if err := json.Unmarshal(in, &v); err != nil {
		t.Fatal(err)
	}
	// encoding/json sorts map keys, so only compare documents whose keys are already sorted.
	goOut, _ := json.Marshal(v)
	got, err := Format(in, Style{Escaping: GoHTML})
	if err != nil {
		t.Fatal(err)
	}
	sorted, _ := Format(goOut, Style{Escaping: GoHTML})
	if string(sorted) != string(goOut) {
		t.Fatalf("GoHTML is not a fixed point of json.Marshal output:\n%s\n%s", sorted, goOut)
	}
	checkSameValue(t, in, got)

	ind, _ := json.MarshalIndent(v, "", "    ")
	if again, _ := Format(ind, Style{Escaping: GoHTML, Indent: "    "}); string(again) != string(ind) {
		t.Fatalf("indent style differs from json.MarshalIndent:\n%s\n%s", again, ind)
	}
}

func checkSameValue(t *testing.T, a, b []byte) {
	t.Helper()
	va, vb := decode(t, a), decode(t, b)
	if !reflect.DeepEqual(va, vb) {
		t.Fatalf("values differ:\n%s\n%s", a, b)
	}
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}
