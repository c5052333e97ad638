package allowlist

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irr"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/prefixset"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/reserved"
)

// Policy decides which registrations are accepted.
type Policy struct {
	ASN         string
	V4, V6      bool
	Sources     []string // upper-cased; empty = any
	Maintainers []string // upper-cased; empty = any
	IncludeRPKI bool
	// Registrations broader than these lengths are poisoning: they refuse
	// the whole answer rather than being dropped quietly.
	ShortestV4, ShortestV6 int
}

// Filtered is the outcome of applying a Policy.
type Filtered struct {
	Accepted []*irr.Route   // in answer order, duplicates included; point into Apply's routes
	Prefixes []netip.Prefix // distinct accepted prefixes, sorted
	Dropped  map[string]int // reason → count
	Poisoned []irr.Route    // accepted by every rule but too broad
	Invalid  []irr.Route    // of our origin but with an unusable prefix
	// NonGlobal are registrations of ours whose prefix is (or holds) space
	// that is not global unicast: loopback, private, CGNAT, link-local,
	// multicast, documentation and the rest of IANA's special-purpose
	// blocks. They are dropped and named.
	NonGlobal []Refused
}

// Refused is a dropped registration and the block that refused it.
type Refused struct {
	Route *irr.Route
	Hit   reserved.Hit
}

// Drop reasons, shown with -v.
const (
	dropOrigin     = "other origin"
	dropFamily     = "family not asked for"
	dropRPKI       = "RPKI pseudo-object"
	dropSource     = "source not selected"
	dropMaintainer = "maintainer not allowed (third-party registration)"
	dropInvalidROV = "RPKI-invalid"
	dropBadPrefix  = "unusable prefix"
	dropNonGlobal  = "not global unicast"
)

// Apply filters routes by origin, family, source, maintainer, RPKI state
// and global reachability.
func (p Policy) Apply(routes []irr.Route) Filtered {
	// Accepted points into routes rather than copying them: a route is a
	// large struct, and Meta's answer has thousands.
	f := Filtered{Dropped: map[string]int{}, Accepted: make([]*irr.Route, 0, len(routes)), Prefixes: make([]netip.Prefix, 0, len(routes))}
	for i := range routes {
		r := &routes[i]
		reason := p.reject(r)
		if reason == "" && r.Err != nil {
			reason = dropBadPrefix
			f.Invalid = append(f.Invalid, *r)
		}
		if reason != "" {
			f.Dropped[reason]++
			continue
		}
		if p.tooBroad(r.Prefix) {
			f.Poisoned = append(f.Poisoned, *r)
			continue
		}
		if hit, bad := reserved.Check(r.Prefix); bad {
			f.Dropped[dropNonGlobal]++
			f.NonGlobal = append(f.NonGlobal, Refused{Route: r, Hit: hit})
			continue
		}
		f.Accepted = append(f.Accepted, r)
		f.Prefixes = append(f.Prefixes, r.Prefix)
	}
	f.Prefixes = prefixset.Dedup(f.Prefixes)
	return f
}

func (p Policy) reject(r *irr.Route) string {
	if !strings.EqualFold(r.Origin, p.ASN) {
		return dropOrigin
	}
	if r.Err == nil && (r.Prefix.Addr().Is4() && !p.V4 || r.Prefix.Addr().Is6() && !p.V6) {
		return dropFamily
	}
	if r.Source == "RPKI" && !p.IncludeRPKI && !slices.Contains(p.Sources, "RPKI") {
		return dropRPKI
	}
	if r.Source != "" && len(p.Sources) > 0 && !slices.Contains(p.Sources, r.Source) {
		return dropSource
	}
	if len(p.Maintainers) > 0 && r.Source != "RPKI" {
		ok := false
		for _, m := range r.Maintainers {
			if slices.Contains(p.Maintainers, strings.ToUpper(m)) {
				ok = true
			}
		}
		if !ok {
			return dropMaintainer
		}
	}
	if r.RPKIState == "invalid" {
		return dropInvalidROV
	}
	return ""
}

func (p Policy) tooBroad(pfx netip.Prefix) bool {
	if pfx.Addr().Is4() {
		return pfx.Bits() < p.ShortestV4
	}
	return pfx.Bits() < p.ShortestV6
}

// Digest is "sha256:<hex>" of the distinct accepted prefixes, sorted, one
// per line: it changes exactly when the accepted registrations do.
func Digest(prefixes []netip.Prefix) string {
	h := sha256.New()
	var line [64]byte // the longest prefix, "ffff:…:ffff/128", is 43 bytes
	for _, p := range prefixset.Dedup(prefixes) {
		// What fmt.Fprintln(h, p) wrote, without fmt per prefix.
		b := line[:0]
		if p.IsValid() {
			b = p.AppendTo(b)
		} else {
			b = append(b, p.String()...)
		}
		h.Write(append(b, '\n'))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// droppedSummary is "12 RPKI pseudo-object, 3 …" in a stable order.
func droppedSummary(d map[string]int) string {
	reasons := make([]string, 0, len(d))
	for r := range d {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	parts := make([]string, 0, len(reasons))
	for _, r := range reasons {
		parts = append(parts, fmt.Sprintf("%d %s", d[r], r))
	}
	return strings.Join(parts, ", ")
}
