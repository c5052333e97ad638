package identity_test

import (
	"encoding/json"
	"testing"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/identity"
)

// FuzzRewrite: any body either is refused with an error or comes back as
// valid JSON, and never panics.
func FuzzRewrite(f *testing.F) {
	for _, fx := range fixtures.Match("messages.*") {
		f.Add(fx.Body, uint8(0))
	}
	f.Add([]byte(`{"entry":[{"changes":[{"field":"messages","value":{"contacts":[1,{"wa_id":2}],"messages":[null,{"from":{"x":1}}]}}]}]}`), uint8(2))
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		id := identity.All()[int(which)%4]
		out, err := identity.Rewrite(body, id)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out of %q: %q", body, out)
		}
	})
}
