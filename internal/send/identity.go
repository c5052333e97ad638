package send

import (
	"errors"
	"fmt"

	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/payload"
)

// withIdentity rewrites every source for --identity. A recording's bodies
// change, so they are no longer sent byte for byte: they are re-encoded and
// signed with the App Secret like any other source (their recorded
// signatures would not match the new bytes).
func withIdentity(srcs []payload.Source, o Options) ([]payload.Source, error) {
	if o.Identity == "" {
		return srcs, nil
	}
	id, err := identity.Parse(o.Identity)
	if err != nil {
		return nil, fmt.Errorf("--identity: %v", err)
	}
	if o.Raw {
		return nil, errors.New("--identity cannot be combined with --raw: rewriting the users changes the bytes")
	}
	out := make([]payload.Source, len(srcs))
	for i, s := range srcs {
		body, err := identity.Rewrite(s.Body, id)
		if err != nil {
			return nil, fmt.Errorf("%s: --identity %s: %v", s.Name, id, err)
		}
		out[i] = payload.Source{Name: s.Name, Body: body}
	}
	return out, nil
}
