package signature

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/wire"
)

const (
	appSecret = "0123456789abcdef0123456789abcdef" // shaped like a Meta App Secret
	wireBody  = `{"text":{"body":"caf\u00e9 \ud83d\udc4d https:\/\/x.y\/z <b>&"},"n":12345678901234567890}`
)

func mustFormat(t *testing.T, b string, s wire.Style) string {
	t.Helper()
	out, err := wire.Format([]byte(b), s)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestDiagnoseNamesTheTransformation(t *testing.T) {
	utf8Compact := mustFormat(t, wireBody, wire.Style{Escaping: wire.Unicode})
	pretty2 := mustFormat(t, wireBody, wire.Style{Escaping: wire.Unicode, Indent: "  "})
	tests := []struct {
		name     string
		signed   string // what the signature was computed over
		given    string // the bytes handed to Diagnose
		secret   string // secret given to Diagnose (signed with appSecret)
		want     string
		sha1     bool
		wantNote string
	}{
		{name: "receiver re-serialised with JSON.stringify", signed: wireBody, given: utf8Compact, want: "meta-wire", wantNote: "raw non-ASCII"},
		{name: "receiver saved a pretty copy", signed: wireBody, given: pretty2 + "\n", want: "meta-wire", wantNote: "whitespace between JSON tokens"},
		{name: "Meta escaped @", signed: `{"email":"me\u0040x.y","url":"a\/b"}`, given: `{"email":"me@x.y","url":"a/b"}`, want: "meta-wire-at"},
		{name: "signer used JSON.stringify", signed: utf8Compact, given: wireBody, want: "compact-utf8", wantNote: "is in Meta's wire form"},
		{name: "signer used json.Marshal", signed: mustFormat(t, wireBody, wire.Style{Escaping: wire.GoHTML}), given: wireBody, want: "go-json"},
		{name: "signer used json.dumps", signed: mustFormat(t, wireBody, wire.Style{Escaping: wire.ASCII, Spaced: true}), given: wireBody, want: "python-json"},
		{name: "signer used compact json.dumps", signed: mustFormat(t, wireBody, wire.Style{Escaping: wire.ASCII}), given: utf8Compact, want: "python-json-compact"},
		{name: "signer hashed a 2-space file", signed: pretty2, given: wireBody, want: "pretty-2"},
		{name: "signer hashed a 2-space file with newline", signed: pretty2 + "\n", given: wireBody, want: "pretty-2+newline"},
		{name: "signer hashed a 4-space file", signed: mustFormat(t, wireBody, wire.Style{Escaping: wire.Unicode, Indent: "    "}), given: wireBody, want: "pretty-4"},
		{name: "signer hashed a tab file", signed: mustFormat(t, wireBody, wire.Style{Escaping: wire.Unicode, Indent: "\t"}), given: wireBody, want: "pretty-tab"},
		{name: "signer hashed json.dumps(indent=2)", signed: mustFormat(t, wireBody, wire.Style{Escaping: wire.ASCII, Indent: "  "}), given: wireBody, want: "pretty-2-escaped"},
		{name: "signer hashed a re-indented file", signed: mustFormat(t, wireBody, wire.Style{Escaping: wire.Keep, Indent: "    "}), given: wireBody, want: "pretty-4-kept"},
		{name: "minified copy", signed: `{"a":"\u00E9"}`, given: "{ \"a\" : \"\\u00E9\" }", want: "whitespace-removed"},
		{name: "slashes unescaped", signed: strings.ReplaceAll(wireBody, `\/`, `/`), given: wireBody, want: "slash-unescaped"},
		{name: "editor added a newline", signed: wireBody, given: wireBody + "\n", want: "newline-removed", wantNote: "ends with a newline"},
		{name: "editor added CRLF", signed: wireBody, given: wireBody + "\r\n", want: "newline-removed"},
		{name: "body was trimmed", signed: wireBody + "\n", given: wireBody, want: "newline-added"},
		{name: "BOM added by editor", signed: wireBody, given: "\xef\xbb\xbf" + wireBody, want: "bom-removed", wantNote: "byte order mark"},
		{name: "signer read a BOM file", signed: "\xef\xbb\xbf" + wireBody, given: wireBody, want: "bom-added"},
		{name: "git autocrlf", signed: "{\n\"a\": 1\n}", given: "{\r\n\"a\": 1\r\n}", want: "crlf-to-lf"},
		{name: "CRLF in the signed copy", signed: "{\r\n\"a\": 1\r\n}", given: "{\n\"a\": 1\n}", want: "lf-to-crlf"},
		{name: "secret with trailing newline", signed: wireBody, given: wireBody, secret: appSecret + "\n", want: "secret-trimmed", wantNote: "whitespace"},
		{name: "quoted secret and re-serialised body", signed: wireBody, given: utf8Compact, secret: `"` + appSecret + `"`, want: "secret-trimmed+meta-wire"},
		{name: "legacy sha1 over wire bytes", signed: wireBody, given: utf8Compact, sha1: true, want: "meta-wire", wantNote: "legacy X-Hub-Signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := Sign(appSecret, []byte(tt.signed))
			if tt.sha1 {
				header = SignSHA1(appSecret, []byte(tt.signed))
			}
			secret := tt.secret
			if secret == "" {
				secret = appSecret
			}
			d := Diagnose(secret, []byte(tt.given), header)
			if d.OK() {
				t.Fatalf("OK() for a mismatch")
			}
			if d.Match == nil {
				t.Fatalf("no match found after %d variants; notes %q", d.Tried, d.Notes)
			}
			if d.Match.Transform != tt.want {
				t.Fatalf("Transform = %q (%s), want %q", d.Match.Transform, d.Match.Description, tt.want)
			}
			if d.Match.Hint == "" || d.Match.Description == "" || d.Match.Bytes != len(tt.signed) {
				t.Fatalf("incomplete match %+v", d.Match)
			}
			if len(d.Advice) != 0 {
				t.Fatalf("advice given despite a match: %q", d.Advice)
			}
			if tt.wantNote != "" && !strings.Contains(strings.Join(d.Notes, "\n"), tt.wantNote) {
				t.Fatalf("notes %q lack %q", d.Notes, tt.wantNote)
			}
			if want := Sign(secret, []byte(tt.given)); d.Expected != want {
				t.Fatalf("Expected = %s, want %s", d.Expected, want)
			}
			if s := d.Summary(); !strings.Contains(s, d.Match.Description) {
				t.Fatalf("Summary %q does not name the match", s)
			}
			assertNoSecret(t, d, secret)
		})
	}
}

func TestDiagnoseVerdicts(t *testing.T) {
	body := []byte(wireBody)
	good := Sign(appSecret, body)
	t.Run("valid", func(t *testing.T) {
		d := Diagnose(appSecret, body, good)
		if !d.OK() || d.Match != nil || d.Summary() != "signature valid" || d.Algorithm != "sha256" {
			t.Fatalf("%+v", d)
		}
	})
	t.Run("valid legacy sha1", func(t *testing.T) {
		d := Diagnose(appSecret, body, SignSHA1(appSecret, body))
		if !d.OK() || d.Algorithm != "sha1" || d.ExpectedSHA1 == "" || !strings.Contains(d.Summary(), "legacy") {
			t.Fatalf("%+v", d)
		}
	})
	t.Run("bare digest", func(t *testing.T) {
		d := Diagnose(appSecret, body, strings.TrimPrefix(good, "sha256="))
		if d.OK() || d.Result.Reason != NoPrefix || d.Match == nil || d.Match.Transform != "exact-bytes" || !strings.Contains(d.Match.Hint, `"sha256=" prefix`) {
			t.Fatalf("%+v %+v", d, d.Match)
		}
	})
	t.Run("uppercase hex is valid but noted", func(t *testing.T) {
		d := Diagnose(appSecret, body, strings.ToUpper(good))
		if !d.OK() || !strings.Contains(strings.Join(d.Notes, ""), "uppercase") {
			t.Fatalf("%+v", d)
		}
	})
	for _, h := range []string{"", "sha256=abc", "sha256=" + strings.Repeat("z", 64), "sha1=xyz", "hello"} {
		t.Run("malformed "+h, func(t *testing.T) {
			d := Diagnose(appSecret, body, h)
			if d.OK() || d.Match != nil || d.Algorithm != "" || d.Result.Reason == Mismatch {
				t.Fatalf("%+v", d)
			}
			if d.Summary() != d.Result.String() {
				t.Fatalf("Summary %q", d.Summary())
			}
		})
	}
	t.Run("nothing matches", func(t *testing.T) {
		d := Diagnose("another-secret", body, good)
		if d.OK() || d.Match != nil || len(d.Advice) != 3 || d.Tried < 10 {
			t.Fatalf("%+v", d)
		}
		all := strings.Join(d.Notes, "\n")
		if !strings.Contains(all, "not 32 lowercase hex digits") || !strings.Contains(all, "is in Meta's wire form") {
			t.Fatalf("notes %q", d.Notes)
		}
		if !strings.Contains(d.Summary(), "App Secret or the body's content differs") {
			t.Fatal(d.Summary())
		}
		assertNoSecret(t, d, "another-secret")
	})
	t.Run("access token as secret", func(t *testing.T) {
		d := Diagnose("EAAGm0PX4ZCpsBAKZCjx", body, good)
		if !strings.Contains(strings.Join(d.Notes, ""), "access token") {
			t.Fatalf("notes %q", d.Notes)
		}
	})
	t.Run("empty body", func(t *testing.T) {
		d := Diagnose(appSecret, nil, good)
		if !strings.Contains(strings.Join(d.Notes, ""), "body is empty") {
			t.Fatalf("notes %q", d.Notes)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		d := Diagnose(appSecret, []byte("hub.mode=subscribe"), good)
		if d.Match != nil || !strings.Contains(strings.Join(d.Notes, ""), "not valid JSON") {
			t.Fatalf("%+v", d)
		}
	})
}

func TestUnescapeSlashes(t *testing.T) {
	tests := map[string]string{
		`{"a":"x\/y"}`:     `{"a":"x/y"}`,
		`{"a":"x\\/y"}`:    `{"a":"x\\/y"}`,
		`{"a":"\"\/\\\/"}`: `{"a":"\"/\\/"}`,
		`{"a\/b":1}`:       `{"a/b":1}`,
	}
	for in, want := range tests {
		if got := unescapeSlashes([]byte(in)); string(got) != want {
			t.Errorf("unescapeSlashes(%s) = %s, want %s", in, got, want)
		}
	}
	if unescapeSlashes([]byte(`{"a":"b"}`)) != nil {
		t.Error("want nil without slashes")
	}
}

func assertNoSecret(t *testing.T, d Diagnosis, secret string) {
	t.Helper()
	s := strings.TrimSpace(strings.Trim(secret, `"`))
	all := strings.Join(append(append([]string{d.Summary(), d.Header, d.Expected}, d.Notes...), d.Advice...), "\n")
	if d.Match != nil {
		all += d.Match.Hint + d.Match.Description
	}
	if bytes.Contains([]byte(all), []byte(s)) {
		t.Fatalf("secret appears in the diagnosis")
	}
}

func BenchmarkDiagnoseNoMatch(b *testing.B) {
	body := []byte(strings.Repeat(`{"text":{"body":"caf\u00e9 https:\/\/x.y\/z"}},`, 500))
	body = append(append([]byte("["), body[:len(body)-1]...), ']')
	header := Sign("other", body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if d := Diagnose(appSecret, body, header); d.Match != nil {
			b.Fatal("unexpected match")
		}
	}
}

// FuzzDiagnose feeds arbitrary bodies and header values: Diagnose must not
// panic, must agree with Verify, and must find Meta's wire form of any JSON
// body that was signed that way.
func FuzzDiagnose(f *testing.F) {
	f.Add([]byte(wireBody), "sha256=00")
	f.Add([]byte("{\n \"a\": \"é/\"\n}\n"), "")
	f.Add([]byte("\xef\xbb\xbf[1]"), "sha1=1aa349585ed7ecbd3b9c486a30067e395ca4b356")
	f.Add([]byte(`"\/\\\/"`), "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		d := Diagnose(appSecret, body, header)
		if d.Result.OK() != Verify(appSecret, body, header).OK() {
			t.Fatal("Diagnose and Verify disagree")
		}
		w, err := wire.Encode(body)
		if err != nil || bytes.Equal(w, body) {
			return
		}
		d = Diagnose(appSecret, body, Sign(appSecret, w))
		if d.OK() || d.Match == nil {
			t.Fatalf("no match for the wire form of %q", body)
		}
		// Any earlier variant that matches must be byte-identical to the
		// wire form (HMAC collisions aside), so its length must agree.
		if d.Match.Bytes != len(w) {
			t.Fatalf("matched %s with %d bytes, wire form has %d", d.Match.Transform, d.Match.Bytes, len(w))
		}
	})
}

// A body whose keys were reordered is a finding of its own when nothing
// matches; a body in Meta's order is not called re-encoded.
func TestDiagnoseReorderedKeys(t *testing.T) {
	sig := "sha256=" + strings.Repeat("ab", 32)
	sorted := []byte(`{"entry":[{"changes":[{"field":"messages","value":{"messaging_product":"whatsapp"}}],"id":"1"}],"object":"whatsapp_business_account"}`)
	if d := Diagnose("secret", sorted, sig); !strings.Contains(d.Reencoded, `"entry" before "object"`) || !strings.Contains(d.Summary(), "not the bytes Meta signed") {
		t.Errorf("sorted: reencoded %q, summary %q", d.Reencoded, d.Summary())
	}
	meta := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"2","display_phone_number":"3"}},"field":"messages"}]}]}`)
	if d := Diagnose("secret", meta, sig); d.Reencoded != "" {
		t.Errorf("Meta's order called re-encoded: %q", d.Reencoded)
	}
	alpha := []byte(`{"a":{"b":1,"c":2},"d":{"e":1,"f":2},"g":{"h":1,"i":2}}`)
	if d := Diagnose("secret", alpha, sig); !strings.Contains(d.Reencoded, "alphabetical order") {
		t.Errorf("alphabetical: %q", d.Reencoded)
	}
}
