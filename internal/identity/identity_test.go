package identity_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

func TestParse(t *testing.T) {
	for _, id := range identity.All() {
		got, err := identity.Parse(" " + strings.ToUpper(string(id)) + " ")
		if err != nil || got != id {
			t.Errorf("Parse(%q) = %q, %v", id, got, err)
		}
	}
	_, err := identity.Parse("bsuid_only")
	if err == nil || !strings.Contains(err.Error(), `did you mean "bsuid-only"`) || !strings.Contains(err.Error(), "username-only") {
		t.Errorf("Parse(bsuid_only) error = %v", err)
	}
	if _, err := identity.Parse(""); err == nil {
		t.Error("Parse(\"\") should fail")
	}
	if _, err := identity.Rewrite([]byte(`{}`), identity.Identity("nobody")); err == nil {
		t.Error("Rewrite with an unknown identity should fail")
	}
}

// TestWireBytesKept: a body in Meta's wire form keeps its escaping and its
// compact layout; only the identifiers change.
func TestWireBytesKept(t *testing.T) {
	f, _ := fixtures.Get("messages.text.non_ascii")
	w, err := wire.Encode(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	out, err := identity.Rewrite(w, identity.BSUIDOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, esc := range []string{`\u00e9`, `\/`, `\ud83c`} {
		if bytes.Count(out, []byte(esc)) != bytes.Count(w, []byte(esc)) {
			t.Errorf("%s escapes: %d, the wire body had %d", esc, bytes.Count(out, []byte(esc)), bytes.Count(w, []byte(esc)))
		}
	}
	if bytes.ContainsAny(out, "\n ") && !bytes.ContainsAny(w, "\n ") {
		t.Error("a compact body came back with white space")
	}
	if bytes.Contains(out, []byte(`"wa_id"`)) || bytes.Contains(out, []byte(`"from":`)) {
		t.Errorf("bsuid-only body still names the phone number: %s", out)
	}
	// Back to phone+bsuid: the same bytes as the original, but for the
	// phone number, which was derived.
	back, err := identity.Rewrite(out, identity.PhoneBSUID)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(w) {
		t.Errorf("round trip changed the length: %d, want %d\n%s\n%s", len(back), len(w), back, w)
	}
}

// TestDerived: identifiers a body lacks are derived the same way every
// time, and one user keeps one identity across the parts of a body.
func TestDerived(t *testing.T) {
	f, _ := fixtures.Get("messages.identity.username_only")
	a, err := identity.Rewrite(f.Body, identity.PhoneBSUID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := identity.Rewrite(f.Body, identity.PhoneBSUID)
	if !bytes.Equal(a, b) {
		t.Fatal("two rewrites of one body differ")
	}
	s := string(a)
	i := strings.Index(s, `"wa_id": "`)
	j := strings.Index(s, `"from": "`)
	if i < 0 || j < 0 {
		t.Fatalf("no wa_id or from:\n%s", s)
	}
	phone := s[i+10 : i+10+11]
	if !strings.HasPrefix(phone, "1555") || s[j+9:j+9+11] != phone {
		t.Errorf("contact wa_id and from differ or are not +1 555 numbers: %q vs %q", phone, s[j+9:j+9+11])
	}
	if strings.Contains(s, `"username"`) {
		t.Error("phone+bsuid kept the username")
	}

	p, _ := fixtures.Get("statuses.sent.legacy_cbp") // phone only
	u, err := identity.Rewrite(p.Body, identity.UsernameOnly)
	if err != nil {
		t.Fatal(err)
	}
	// A sent status carries a contact but not the username (only
	// delivered and read do).
	if !strings.Contains(string(u), `"user_id": "US.`) || strings.Contains(string(u), `"username"`) {
		t.Errorf("username-only sent status:\n%s", u)
	}
}

func TestNotAWebhook(t *testing.T) {
	for _, body := range []string{``, `[1,2]`, `{"object":"page"}`, `{"entry":`, `{"entry":[]} x`} {
		if _, err := identity.Rewrite([]byte(body), identity.BSUIDOnly); err == nil {
			t.Errorf("Rewrite(%q) did not fail", body)
		}
	}
	out, err := identity.Rewrite([]byte(`{"object":"whatsapp_business_account","entry":[]}`), identity.Phone)
	if err != nil || string(out) != `{"object":"whatsapp_business_account","entry":[]}` {
		t.Errorf("empty envelope: %s, %v", out, err)
	}
}
