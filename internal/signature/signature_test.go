package signature

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Vectors computed with `printf '%s' BODY | openssl dgst -sha256 -hmac SECRET`
// (and -sha1), and the published ones from webhooks-reference.md section 7.
var vectors = []struct {
	name, secret, body, sha256, sha1 string
}{
	{"reference: test/secret", "secret", "test",
		"0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
		"1aa349585ed7ecbd3b9c486a30067e395ca4b356"},
	{"reference: empty envelope", "test_app_secret", `{"object":"whatsapp_business_account","entry":[]}`,
		"dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756", ""},
	{"reference: spaced envelope", "test_app_secret", `{"object": "whatsapp_business_account", "entry": []}`,
		"56cbbaf4961c6cfdae48b7f116c047e5eb513d2c931baae63a2bc1afd26f803a", ""},
	{"reference: Meta-escaped body", "secret", `{"text":{"body":"caf\u00e9 \ud83d\udc4d https:\/\/x.y\/z"}}`,
		"68b77464943e488c81058cae48920e53819b7030ccb1213262388f30d3a58e94",
		"68e98b223cd1d4d34ebfc957ad91e5d806e66ae2"},
	{"reference: raw UTF-8 body", "secret", `{"text":{"body":"café 👍 https://x.y/z"}}`,
		"89b1b547171d7b5eb5668e6563e63b824d42229786645d7696d3b51375ed789e", ""},
	{"openssl: empty body", "secret", "",
		"f9e66e179b6747ae54108f82f8ade8b3c25d76fd30afde6c395822c530196169", ""},
	{"openssl: quick brown fox", "key", "The quick brown fox jumps over the lazy dog",
		"f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
		"de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"},
}

func TestSignVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			if got := Sign(v.secret, []byte(v.body)); got != "sha256="+v.sha256 {
				t.Errorf("Sign = %s, want sha256=%s", got, v.sha256)
			}
			if r := Verify(v.secret, []byte(v.body), "sha256="+v.sha256); !r.OK() {
				t.Errorf("Verify = %v", r)
			}
			if v.sha1 != "" {
				if got := SignSHA1(v.secret, []byte(v.body)); got != "sha1="+v.sha1 {
					t.Errorf("SignSHA1 = %s, want sha1=%s", got, v.sha1)
				}
				if r := VerifySHA1(v.secret, []byte(v.body), "sha1="+v.sha1); !r.OK() {
					t.Errorf("VerifySHA1 = %v", r)
				}
			}
		})
	}
}

func TestVerifyReasons(t *testing.T) {
	body := []byte("test")
	good := "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
	sha1 := "1aa349585ed7ecbd3b9c486a30067e395ca4b356"
	tests := []struct {
		name, header string
		want         Reason
		detail       string
		legacyMatch  bool
	}{
		{"valid", "sha256=" + good, Valid, "", false},
		{"valid with whitespace", "  sha256=" + good + "\t", Valid, "", false},
		{"valid uppercase hex", "sha256=" + strings.ToUpper(good), Valid, "", false},
		{"valid uppercase prefix", "SHA256=" + good, Valid, "", false},
		{"missing", "", Missing, "", false},
		{"blank", "   ", Missing, "", false},
		{"bare 64 hex", good, NoPrefix, "bare 64-digit", false},
		{"bare 40 hex", sha1, NoPrefix, "length of SHA1", false},
		{"bare odd text", "hello", NoPrefix, "not a hex digest", false},
		{"other algorithm", "md5=abc", NoPrefix, `algorithm "md5"`, false},
		{"short", "sha256=" + good[:62], Malformed, "62 hex digits, want 64", false},
		{"long", "sha256=" + good + "00", Malformed, "66 hex digits, want 64", false},
		{"empty digest", "sha256=", Malformed, "0 hex digits", false},
		{"not hex", "sha256=" + good[:10] + "g" + good[11:], Malformed, `'g' at position 11`, false},
		{"two values", "sha256=" + good + ",sha256=" + good, Malformed, `',' at position 65`, false},
		{"legacy sha1 matching", "sha1=" + sha1, LegacySHA1, "", true},
		{"legacy sha1 not matching", "sha1=" + strings.Repeat("0", 40), LegacySHA1, "", false},
		{"legacy sha1 malformed", "sha1=abc", LegacySHA1, "3 hex digits, want 40", false},
		{"mismatch", "sha256=" + strings.Repeat("0", 64), Mismatch, "", false},
	}
	verifier := NewVerifier("secret")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Verify("secret", body, tt.header)
			if again := verifier.Verify(body, tt.header); again != r {
				t.Fatalf("Verifier.Verify = %+v, Verify = %+v", again, r)
			}
			if r.Reason != tt.want {
				t.Fatalf("Reason = %v (%s), want %v", r.Reason, r, tt.want)
			}
			if r.OK() != (tt.want == Valid) {
				t.Fatalf("OK() = %v", r.OK())
			}
			if !strings.Contains(r.Detail, tt.detail) {
				t.Fatalf("Detail = %q, want it to contain %q", r.Detail, tt.detail)
			}
			if r.LegacyMatch != tt.legacyMatch {
				t.Fatalf("LegacyMatch = %v, want %v", r.LegacyMatch, tt.legacyMatch)
			}
			if s := r.String(); s == "" || strings.Contains(s, "secret\"") {
				t.Fatalf("String() = %q", s)
			}
		})
	}
}

// TestVerifierReusesStateSafely checks that a pooled, reset HMAC gives every
// body its own digest, from many goroutines at once.
func TestVerifierReusesStateSafely(t *testing.T) {
	v := NewVerifier("secret")
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 200; i++ {
				body := []byte(strings.Repeat("b", g*i%97))
				if !v.Verify(body, Sign("secret", body)).OK() {
					done <- errors.New("a correct signature was refused")
					return
				}
				if v.Verify(body, Sign("other", body)).OK() {
					done <- errors.New("a wrong signature was accepted")
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyWrongSecretAndBody(t *testing.T) {
	sig := Sign("secret", []byte("test"))
	if r := Verify("Secret", []byte("test"), sig); r.Reason != Mismatch {
		t.Errorf("other secret: %v", r)
	}
	if r := Verify("secret", []byte("test\n"), sig); r.Reason != Mismatch {
		t.Errorf("other body: %v", r)
	}
}

func TestVerifySHA1Reasons(t *testing.T) {
	body := []byte("test")
	if r := VerifySHA1("secret", body, ""); r.Reason != Missing {
		t.Errorf("empty: %v", r)
	}
	if r := VerifySHA1("secret", body, Sign("secret", body)); r.Reason != NoPrefix {
		t.Errorf("sha256 value: %v", r)
	}
	if r := VerifySHA1("secret", body, "sha1=zz"); r.Reason != Malformed {
		t.Errorf("bad hex: %v", r)
	}
	if r := VerifySHA1("other", body, SignSHA1("secret", body)); r.Reason != Mismatch {
		t.Errorf("wrong secret: %v", r)
	}
}

func TestReasonText(t *testing.T) {
	for r := Valid; r <= Mismatch; r++ {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Reason
		if err := json.Unmarshal(b, &back); err != nil || back != r {
			t.Fatalf("%v round-trips to %v (%v)", r, back, err)
		}
	}
	if Reason(99).String() != "reason(99)" {
		t.Fatal(Reason(99).String())
	}
	var r Reason
	if err := r.UnmarshalText([]byte("nope")); err == nil {
		t.Fatal("want an error")
	}
}

// FuzzParse checks header parsing never panics and is consistent: a header
// Verify accepts is exactly the one Sign produces (modulo case and spaces).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
		"sha1=1aa349585ed7ecbd3b9c486a30067e395ca4b356", "0329a06b", "sha256=", "=", "sha256==", "md5=x",
		" SHA256=0329A06B62CD16B33EB6792BE8C60B158D89A2EE3A876FCE9A881EBB488C0914 ", "sha256=\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		p := Parse(header)
		if p.Reason != Valid && p.Reason != Missing && p.Reason != NoPrefix && p.Reason != Malformed && p.Reason != LegacySHA1 {
			t.Fatalf("Parse gave %v", p.Reason)
		}
		_ = p.String()
		r := Verify("secret", []byte("test"), header)
		if r.OK() {
			norm := strings.ToLower(strings.TrimSpace(header))
			if norm != Sign("secret", []byte("test")) {
				t.Fatalf("accepted %q", header)
			}
		}
		if p.Reason == Valid && len(p.Sum()) != 32 {
			t.Fatalf("valid with %d-byte sum", len(p.Sum()))
		}
	})
}

func TestHasherResetSignsTheNextBodyAlone(t *testing.T) {
	h := NewHasher("s3cret")
	_, _ = h.Write([]byte(`{"first":1}`))
	_ = h.Value()
	h.Reset()
	_, _ = h.Write([]byte(`{"second":2}`))
	if got, want := h.Value(), Sign("s3cret", []byte(`{"second":2}`)); got != want {
		t.Errorf("after Reset: %s, want %s", got, want)
	}
}
