// Package identity rewrites webhook bodies for the four ways a WhatsApp
// user can be identified since 2026: by phone number only (every webhook
// before April 2026), by phone number and business-scoped user ID (BSUID),
// by BSUID alone, and by BSUID and username with no phone number at all.
// It moves wa_id, from, user_id, from_user_id, parent_user_id,
// recipient_id, recipient_user_id and username to where Meta puts them for
// that identity, and leaves out what Meta leaves out (contacts on failed
// statuses and system messages, the phone number of a username user).
// docs/identity.md holds the rules as a table; a test holds the package to
// it over the whole fixture catalog.
//
// Rewrite takes any body (a fixture, a file, a recorded request) and keeps
// every byte it does not change, so a body in Meta's wire form stays in it.
package identity

import (
	"fmt"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/suggest"
)

// Identity is how the users in a body are identified.
type Identity string

const (
	// Phone is the shape of every webhook before April 2026: wa_id, from
	// and recipient_id; no BSUID, no username, no contacts on statuses.
	Phone Identity = "phone"
	// PhoneBSUID is a user whose phone number the business may see: the
	// phone number and the BSUID side by side.
	PhoneBSUID Identity = "phone+bsuid"
	// BSUIDOnly is a user known to the business by BSUID only: no wa_id,
	// from or recipient_id anywhere.
	BSUIDOnly Identity = "bsuid-only"
	// UsernameOnly is BSUIDOnly for a user who adopted a username: it is
	// sent as contacts[].profile.username where Meta sends it.
	UsernameOnly Identity = "username-only"
)

// All lists the identities in the order the docs present them.
func All() []Identity { return []Identity{Phone, PhoneBSUID, BSUIDOnly, UsernameOnly} }

// Names lists the identities' names, for flags and completion.
func Names() []string {
	out := make([]string, 0, 4)
	for _, id := range All() {
		out = append(out, string(id))
	}
	return out
}

// Parse reads an identity name as given to --identity.
func Parse(name string) (Identity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, id := range All() {
		if n == string(id) {
			return id, nil
		}
	}
	msg := fmt.Sprintf("unknown identity %q", name)
	near := suggest.Closest(n, Names())
	for _, id := range All() {
		if near == "" && n != "" && strings.HasPrefix(string(id), n) {
			near = string(id) // "bsuid" for bsuid-only
		}
	}
	if near != "" {
		msg += fmt.Sprintf(": did you mean %q?", near)
	}
	return "", fmt.Errorf("%s (use %s)", msg, strings.Join(Names(), ", "))
}

// String returns the identity's name.
func (id Identity) String() string { return string(id) }

// HasPhone reports whether users show their phone number (wa_id, from).
func (id Identity) HasPhone() bool { return id == Phone || id == PhoneBSUID }

// HasBSUID reports whether users carry a business-scoped user ID.
func (id Identity) HasBSUID() bool { return id != Phone }

// HasUsername reports whether users carry a username.
func (id Identity) HasUsername() bool { return id == UsernameOnly }
