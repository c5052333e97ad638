// Package irrtest is a fake WHOIS/IRRd server for tests and benchmarks. It
// listens on loopback only, speaks both the RIPE-style "-i origin" query
// (RPSL answers) and IRRd's "!" commands (A<len> framing), and serves data
// generated for tests: route and route6 objects across several sources,
// RPKI pseudo-objects, third-party registrations and duplicates. It can also
// misbehave on purpose (empty, truncated, error, hanging, poisoned answers).
package irrtest

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
)

// Object is one route or route6 registration in the fake registry.
type Object struct {
	Prefix      netip.Prefix
	Origin      string // "AS32934"
	Source      string // "RADB", "RIPE", "RPKI", …
	Maintainers []string
	Descr       string
}

// Class is "route" or "route6".
func (o Object) Class() string {
	if o.Prefix.Addr().Is4() {
		return "route"
	}
	return "route6"
}

// Dataset is the fake registry.
type Dataset struct {
	Objects []Object
	// DefaultSources is the server's default source selection; it includes
	// RPKI, so clients must exclude pseudo-objects themselves.
	DefaultSources []string
	// AllSources is every source the server knows.
	AllSources []string
}

// Meta-like address blocks the generator fills with registrations. The
// anchors (31.13.64.0/18, 157.240.0.0/16, 2a03:2880::/32) are among them.
var (
	metaV4 = []string{"31.13.24.0/21", "31.13.64.0/18", "57.141.0.0/20", "66.220.144.0/20", "69.63.176.0/20",
		"69.171.224.0/19", "129.134.0.0/16", "157.240.0.0/16", "173.252.64.0/18", "179.60.192.0/22",
		"185.60.216.0/22", "204.15.20.0/22"}
	metaV6 = []string{"2a03:2880::/32", "2a03:83e0::/32", "2620:0:1c00::/40", "2401:db00::/32"}
	// ShrinkBlocks are dropped by the "shrink" behaviour: about half of
	// the IPv4 space, none of it an anchor.
	ShrinkBlocks = []string{"129.134.0.0/16", "173.252.64.0/18", "69.171.224.0/19"}
	// AnchorBlock is dropped by the "noanchor" behaviour.
	AnchorBlock = "157.240.0.0/16"
	// RPKIOnly are prefixes registered only as RPKI pseudo-objects.
	RPKIOnly = []string{"163.70.128.0/17", "2c0f:ef78::/44"}
	// ThirdParty are registrations by other maintainers claiming the origin.
	// They are global unicast: the non-global ones are in Bogons.
	ThirdParty = []string{"81.7.16.0/24", "2a0a:e5c0:ce:e0::/64"}
	// Bogons are registrations of space that is not global unicast
	// (loopback, private, CGNAT, link-local, multicast, documentation,
	// ULA, IPv4-mapped), added by the "bogons" behaviour under Meta's own
	// maintainer, since anyone can register a route object.
	Bogons = []string{"127.0.0.0/16", "10.1.0.0/16", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/12",
		"239.1.0.0/16", "192.0.2.0/24", "198.18.0.0/15", "::1/128", "fe80::/64", "fd00::/48", "2001:db8::/32", "2002:a00::/24"}
	// Unusable are registrations with host bits set or IPv4-mapped
	// IPv6, added by the "unusable" behaviour; they are dropped one by one
	// in both query styles.
	Unusable = []string{"157.240.1.1/16", "::ffff:157.240.0.0/112"}
	// OtherSourceOnly are registered only in ALTDB, outside the default sources.
	OtherSourceOnly = []string{"45.64.40.0/22"}
	// Poison is the over-broad registration the "poison" behaviour adds.
	Poison = "11.0.0.0/8"
)

// Generate builds a dataset of about n route/route6 objects (at least a few
// dozen), deterministic for a given seed.
func Generate(seed uint64, n int) Dataset {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := Dataset{
		DefaultSources: []string{"RADB", "RIPE", "ARIN", "RPKI"},
		AllSources:     []string{"RADB", "RIPE", "ARIN", "ALTDB", "RPKI"},
	}
	add := func(p netip.Prefix, source string, mnt []string, descr string) {
		d.Objects = append(d.Objects, Object{Prefix: p, Origin: "AS32934", Source: source, Maintainers: mnt, Descr: descr})
	}
	meta := func(p netip.Prefix) {
		// Every Meta registration is in RADB; some are copied in RIPE or
		// ARIN with their own maintainers, and some RADB ones are listed
		// twice, as real registries do.
		add(p, "RADB", []string{"MAINT-AS32934"}, "Facebook, Inc.")
		switch rng.IntN(6) {
		case 0:
			add(p, "RIPE", []string{"fb-neteng", "meta-mnt"}, "Meta Route")
		case 1:
			add(p, "ARIN", []string{"MAINT-AS32934"}, "Facebook, Inc.")
		case 2:
			add(p, "RPKI", nil, fmt.Sprintf("RPKI ROA for %s / AS32934", p))
		}
	}
	for _, b := range metaV4 {
		meta(netip.MustParsePrefix(b))
	}
	for _, b := range metaV6 {
		meta(netip.MustParsePrefix(b))
	}
	for _, s := range RPKIOnly {
		p := netip.MustParsePrefix(s)
		add(p, "RPKI", nil, fmt.Sprintf("RPKI ROA for %s / AS32934", p))
	}
	add(netip.MustParsePrefix(ThirdParty[0]), "RIPE", []string{"EXAMPLE-ISP-MNT"}, "cache hosted at an ISP (third party)")
	add(netip.MustParsePrefix(ThirdParty[1]), "RIPE", []string{"EXAMPLE-ISP-MNT"}, "cache hosted at an ISP (third party)")
	add(netip.MustParsePrefix(OtherSourceOnly[0]), "ALTDB", []string{"MAINT-AS32934"}, "Facebook, Inc.")
	// Fill the blocks with more-specifics: /24s (and a few /23s) in IPv4,
	// /48s (and a few /44s) in IPv6, about 40 % IPv4.
	for len(d.Objects) < n {
		if rng.IntN(10) < 4 {
			b := netip.MustParsePrefix(metaV4[rng.IntN(len(metaV4))])
			bits := 24
			if rng.IntN(5) == 0 {
				bits = 23
			}
			meta(randomSub(rng, b, bits))
		} else {
			b := netip.MustParsePrefix(metaV6[rng.IntN(len(metaV6))])
			bits := 48
			if rng.IntN(8) == 0 {
				bits = 44
			}
			meta(randomSub(rng, b, bits))
		}
	}
	return d
}

// Growth returns n distinct global unicast /13s outside Meta's blocks: the
// "growth" behaviour registers them for the origin under a third-party
// maintainer, the way 114 /13s once grew a list from 14 to 129 prefixes.
func Growth(n int) []netip.Prefix {
	var out []netip.Prefix
	for a := uint32(1 << 24); len(out) < n && a != 0; a += 1 << 19 {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), 13)
		if reservedOverlap(p) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// reservedOverlap is a rough stand-in for the reserved package (which this
// package does not import, to stay a plain fake server): the growth blocks
// are taken below 100.0.0.0, away from 10/8, 0/8 and 57.0.0.0/8 (Meta).
func reservedOverlap(p netip.Prefix) bool {
	first := p.Addr().As4()[0]
	return first == 0 || first == 10 || first == 31 || first == 57 || first == 66 || first == 69 || first >= 100
}

// Scattered returns a dataset with Meta's blocks (one RADB registration
// each) and n /32s at every other address from 57.144.0.0 up, which no
// aggregation can merge: the input of the 200,000-prefix measurement.
func Scattered(n int) Dataset {
	d := Dataset{DefaultSources: []string{"RADB"}, AllSources: []string{"RADB"}}
	add := func(p netip.Prefix) {
		d.Objects = append(d.Objects, Object{Prefix: p, Origin: "AS32934", Source: "RADB", Maintainers: []string{"MAINT-AS32934"}, Descr: "Facebook, Inc."})
	}
	for _, b := range append(slices.Clone(metaV4), metaV6...) {
		add(netip.MustParsePrefix(b))
	}
	base := uint32(57)<<24 | 144<<16
	for i := 0; i < n; i++ {
		a := base + uint32(2*i)
		add(netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), 32))
	}
	return d
}

// randomSub picks a random sub-prefix of length bits inside b.
func randomSub(rng *rand.Rand, b netip.Prefix, bits int) netip.Prefix {
	a := b.Addr().AsSlice()
	for i := b.Bits(); i < bits; i++ {
		if rng.IntN(2) == 1 {
			a[i/8] |= 0x80 >> (i % 8)
		}
	}
	addr, _ := netip.AddrFromSlice(a)
	return netip.PrefixFrom(addr, bits).Masked()
}

// Select returns the objects with origin asn from the given sources (nil
// means the default sources), of the wanted families, in registry order.
func (d Dataset) Select(asn string, sources []string, v4, v6 bool) []Object {
	if sources == nil {
		sources = d.DefaultSources
	}
	var out []Object
	for _, o := range d.Objects {
		if !strings.EqualFold(o.Origin, asn) || !slices.Contains(sources, o.Source) {
			continue
		}
		if o.Prefix.Addr().Is4() && !v4 || o.Prefix.Addr().Is6() && !v6 {
			continue
		}
		out = append(out, o)
	}
	return out
}

// Without returns a copy of d without the objects inside any of blocks.
func (d Dataset) Without(blocks ...string) Dataset {
	out := d
	out.Objects = nil
	for _, o := range d.Objects {
		inside := false
		for _, b := range blocks {
			bp := netip.MustParsePrefix(b)
			if bp.Overlaps(o.Prefix) && o.Prefix.Bits() >= bp.Bits() {
				inside = true
			}
		}
		if !inside {
			out.Objects = append(out.Objects, o)
		}
	}
	return out
}

// With returns a copy of d with one more object.
func (d Dataset) With(o Object) Dataset {
	out := d
	out.Objects = append(slices.Clip(d.Objects), o)
	return out
}

// RPSL renders objects the way IRRd v4 does: attribute lines padded to a
// column, a blank line after each object, and one more blank line at the end.
func RPSL(objs []Object) string {
	var b strings.Builder
	for i, o := range objs {
		attr := func(name, value string) { fmt.Fprintf(&b, "%-16s%s\n", name+":", value) }
		attr(o.Class(), o.Prefix.String())
		attr("descr", o.Descr)
		if o.Source == "RPKI" {
			b.WriteString("remarks:        This AS32934 route object represents routing data retrieved\n")
			b.WriteString("                from the RPKI. This route object is the result of an automated\n")
			b.WriteString("                RPKI-to-IRR conversion process performed by IRRd.\n")
			attr("max-length", fmt.Sprint(o.Prefix.Bits()))
		}
		attr("origin", o.Origin)
		switch {
		case len(o.Maintainers) > 1 && i%2 == 0:
			// Comma-separated with a continuation line.
			fmt.Fprintf(&b, "%-16s%s,\n", "mnt-by:", o.Maintainers[0])
			fmt.Fprintf(&b, "%-16s%s\n", "", strings.Join(o.Maintainers[1:], ", "))
		default:
			for _, m := range o.Maintainers {
				attr("mnt-by", m)
			}
		}
		if o.Source == "RPKI" {
			attr("source", "RPKI  # Trust Anchor: ripe")
		} else {
			attr("changed", "noc@example.com 20240101  #00:00:00Z")
			attr("source", o.Source)
			attr("rpki-ov-state", "not_found # No ROAs found, or RPKI validation not enabled for source")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

// Distinct returns the distinct prefixes of objs in first-seen order, as
// IRRd's !g and !6 do.
func Distinct(objs []Object) []string {
	seen := map[netip.Prefix]bool{}
	var out []string
	for _, o := range objs {
		if !seen[o.Prefix] {
			seen[o.Prefix] = true
			out = append(out, o.Prefix.String())
		}
	}
	return out
}
