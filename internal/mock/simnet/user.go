// Package simnet is the mock's simulated WhatsApp network: the users an app
// talks to (each with a phone number and/or a business-scoped user ID, a
// username and a profile name), their 24-hour customer-service windows, and
// Meta's delivery habits with the odds of each. It knows nothing of HTTP.
package simnet

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
	"github.com/wa-hooks/wa-hooks/internal/suggest"
)

// Window is the customer-service window a user's message opens.
const Window = 24 * time.Hour

// Identity kinds a user can be created with.
const (
	Phone        = "phone"         // a phone number (wa_id) only
	PhoneBSUID   = "phone+bsuid"   // a phone number and a BSUID
	BSUIDOnly    = "bsuid-only"    // a BSUID, no phone number, no username
	UsernameOnly = "username-only" // a BSUID and a username, no phone number
)

// Identities lists the kinds, for errors.
var Identities = []string{Phone, PhoneBSUID, BSUIDOnly, UsernameOnly}

// User is one simulated WhatsApp user.
type User struct {
	Name         string `json:"name"`
	WaID         string `json:"wa_id,omitempty"`
	UserID       string `json:"user_id,omitempty"`
	ParentUserID string `json:"parent_user_id,omitempty"`
	Username     string `json:"username,omitempty"`
	ProfileName  string `json:"profile_name"`
	// LastInbound is when the user last wrote: it opens the 24-hour window.
	LastInbound time.Time `json:"last_inbound,omitzero"`
	Blocked     bool      `json:"blocked"`
	// Unreachable users are not on WhatsApp (failed 131026).
	Unreachable bool `json:"unreachable,omitempty"`
	// MarketingLimited users have reached Meta's per-user marketing limit
	// (failed 131049); MarketingOptOut users stopped marketing (131050).
	MarketingLimited bool `json:"marketing_limited,omitempty"`
	MarketingOptOut  bool `json:"marketing_opt_out,omitempty"`
	// LastInteractive is the app's last interactive message to the user,
	// what a tap answers.
	LastInteractive *Interactive `json:"last_interactive,omitempty"`
	// LastBusiness is the wamid of the app's last message to the user
	// (what a reply quotes).
	LastBusiness string `json:"last_business_message,omitempty"`
}

// Interactive is an interactive message the app sent, with its options.
type Interactive struct {
	MessageID string `json:"message_id"`
	graph.Interactive
}

// WindowOpen reports whether the user wrote within the last 24 hours.
func (u *User) WindowOpen(now time.Time) bool {
	return !u.LastInbound.IsZero() && now.Sub(u.LastInbound) < Window
}

// WindowExpires is when the window closes (zero when it is not open).
func (u *User) WindowExpires(now time.Time) time.Time {
	if !u.WindowOpen(now) {
		return time.Time{}
	}
	return u.LastInbound.Add(Window)
}

// Address is how the user is shown: the phone number, else the BSUID.
func (u *User) Address() string {
	if u.WaID != "" {
		return u.WaID
	}
	return u.UserID
}

// Spec asks for a new user; empty ids are generated.
type Spec struct {
	Name         string `json:"name"`
	Identity     string `json:"identity"`
	ProfileName  string `json:"profile_name,omitempty"`
	WaID         string `json:"wa_id,omitempty"`
	UserID       string `json:"user_id,omitempty"`
	ParentUserID string `json:"parent_user_id,omitempty"`
	Username     string `json:"username,omitempty"`
}

// Network is the set of users. It is not safe for concurrent use: the mock
// holds its lock around every call.
type Network struct {
	users []*User
	index map[string]*User
	next  uint64 // for generated ids
}

// NewNetwork returns an empty network whose generated ids start from seed.
func NewNetwork(seed uint64) *Network {
	return &Network{index: map[string]*User{}, next: seed % 1_000_000}
}

// Users returns the users in creation order (shared; do not modify the slice).
func (n *Network) Users() []*User { return n.users }

// Len is the number of users.
func (n *Network) Len() int { return len(n.users) }

// Find returns the user called key: a name, a phone number (any format) or
// a BSUID.
func (n *Network) Find(key string) *User {
	if u, ok := n.index[key]; ok {
		return u
	}
	if strings.Trim(key, "0123456789+-() .") == "" {
		return n.index[graph.NormalizePhone(key)]
	}
	return nil
}

// FindParent returns the first user with that parent BSUID.
func (n *Network) FindParent(id string) *User {
	for _, u := range n.users {
		if u.ParentUserID == id {
			return u
		}
	}
	return nil
}

// Unknown is the error for a user nobody is called, with did-you-mean.
func (n *Network) Unknown(key string) error {
	names := make([]string, 0, len(n.users))
	for _, u := range n.users {
		names = append(names, u.Name)
	}
	msg := fmt.Sprintf("no user %q", key)
	if c := suggest.Closest(key, names); c != "" {
		msg += fmt.Sprintf(": did you mean %q?", c)
	} else if len(names) > 0 {
		sort.Strings(names)
		if len(names) > 8 {
			names = append(names[:8], "…")
		}
		msg += " (users: " + strings.Join(names, ", ") + ")"
	}
	return errors.New(msg)
}

// Add creates a user from s.
func (n *Network) Add(s Spec) (*User, error) {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		return nil, errors.New("a user needs a name")
	}
	if len(s.Name) > 64 || strings.ContainsAny(s.Name, "/?#%\x00") {
		return nil, fmt.Errorf("user name %q: use at most 64 characters and no / ? # %%", s.Name)
	}
	if n.index[s.Name] != nil {
		return nil, fmt.Errorf("a user called %q already exists", s.Name)
	}
	if s.Identity == "" {
		s.Identity = PhoneBSUID
	}
	u := &User{Name: s.Name, ProfileName: s.ProfileName, ParentUserID: s.ParentUserID}
	if u.ProfileName == "" {
		u.ProfileName = strings.ToUpper(s.Name[:1]) + s.Name[1:]
	}
	n.next++
	phone := s.Identity == Phone || s.Identity == PhoneBSUID
	bsuid := s.Identity != Phone
	switch s.Identity {
	case Phone, PhoneBSUID, BSUIDOnly, UsernameOnly:
	default:
		return nil, fmt.Errorf("identity %q: use %s", s.Identity, strings.Join(Identities, ", "))
	}
	if phone {
		u.WaID = graph.NormalizePhone(s.WaID)
		if u.WaID == "" {
			u.WaID = fmt.Sprintf("1555%07d", 100000+n.next)
		}
		if len(u.WaID) < 7 || len(u.WaID) > 15 {
			return nil, fmt.Errorf("wa_id %q: a phone number has 7 to 15 digits", s.WaID)
		}
	}
	if bsuid {
		u.UserID = s.UserID
		if u.UserID == "" {
			u.UserID = fmt.Sprintf("US.%d", 13491208655302000000+n.next*7919)
		}
		if !graph.ValidBSUID(u.UserID) {
			return nil, fmt.Errorf("user_id %q: a BSUID looks like US.13491208655302741918", s.UserID)
		}
	}
	if s.Identity == UsernameOnly {
		u.Username = s.Username
		if u.Username == "" {
			u.Username = strings.ToLower(s.Name) + ".wa"
		}
	}
	for _, k := range []string{u.WaID, u.UserID} {
		if k != "" && n.index[k] != nil {
			return nil, fmt.Errorf("%s already belongs to %s", k, n.index[k].Name)
		}
	}
	n.put(u)
	return u, nil
}

// Restore puts back a user read from a state file.
func (n *Network) Restore(u *User) error {
	for _, k := range []string{u.Name, u.WaID, u.UserID} {
		if k != "" && n.index[k] != nil {
			return fmt.Errorf("state: %s appears twice", k)
		}
	}
	n.put(u)
	return nil
}

func (n *Network) put(u *User) {
	n.users = append(n.users, u)
	n.index[u.Name] = u
	if u.WaID != "" {
		n.index[u.WaID] = u
	}
	if u.UserID != "" {
		n.index[u.UserID] = u
	}
}

// ChangeNumber gives u a new phone number (and, as Meta does, a new BSUID)
// and returns the old ones.
func (n *Network) ChangeNumber(u *User, wa string) (oldWa, oldID string, err error) {
	wa = graph.NormalizePhone(wa)
	if len(wa) < 7 || len(wa) > 15 {
		return "", "", fmt.Errorf("new number %q: a phone number has 7 to 15 digits", wa)
	}
	if o := n.index[wa]; o != nil && o != u {
		return "", "", fmt.Errorf("%s already belongs to %s", wa, o.Name)
	}
	oldWa, oldID = u.WaID, u.UserID
	delete(n.index, u.WaID)
	u.WaID = wa
	n.index[wa] = u
	if u.UserID != "" {
		delete(n.index, u.UserID)
		n.next++
		u.UserID = fmt.Sprintf("US.%d", 13491208655302000000+n.next*7919)
		n.index[u.UserID] = u
	}
	return oldWa, oldID, nil
}

// Seed adds the users of a fresh mock: one with a phone number only, one
// with a phone number and a BSUID, one with a BSUID and a username and no
// phone number.
func (n *Network) Seed() {
	for _, s := range []Spec{
		{Name: "alice", Identity: Phone, ProfileName: "Alice Martin", WaID: "15550100001"},
		{Name: "bruno", Identity: PhoneBSUID, ProfileName: "Bruno Silva", WaID: "5511955500002", UserID: "BR.20847561938475610293"},
		{Name: "chen", Identity: UsernameOnly, ProfileName: "Chen Wei", UserID: "US.13491208655302741918", Username: "chen.codes"},
	} {
		_, _ = n.Add(s)
	}
}
