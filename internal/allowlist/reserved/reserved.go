// Package reserved knows which address space is not global unicast: the
// blocks of IANA's IPv4 and IPv6 Special-Purpose Address Registries that are
// not globally reachable, multicast, and (IPv6) everything outside 2000::/3.
// Anyone can register a route object in RADB; one for 127.0.0.0/16, 10/8 or
// fe80::/64 would turn an allowlist into "admit the proxy in front of me",
// so such registrations never reach the list.
package reserved

import (
	"net/netip"
	"sort"
	"sync"

	"go4.org/netipx"
)

// Block is one entry of the tables below.
type Block struct {
	Prefix netip.Prefix
	Name   string // what the registry calls it, short
	Ref    string // the RFC that defines it
	// Global marks the few entries inside a non-global block that the
	// registry lists as globally reachable (e.g. 192.0.0.9/32): they are
	// carved out of the block around them.
	Global bool
}

// The tables follow IANA's registries (iana-ipv4-special-registry and
// iana-ipv6-special-registry) as of 2026, plus the multicast ranges, which
// live in registries of their own. Where the registry says "N/A" (6to4,
// Teredo: the address embeds someone's IPv4 address, so anyone may use
// it) or "True" for translation space (64:ff9b::/96 reaches any IPv4 host
// through a NAT64), the block is refused: it is not one holder's own
// address space, which is what an allowlist entry promises.
//
// They are parsed on first use rather than at package init, which every
// command's start-up paid for.
var v4 = sync.OnceValue(func() []Block {
	return []Block{
		{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\"", "RFC 791", false},
		{netip.MustParsePrefix("10.0.0.0/8"), "private use", "RFC 1918", false},
		{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)", "RFC 6598", false},
		{netip.MustParsePrefix("127.0.0.0/8"), "loopback", "RFC 1122", false},
		{netip.MustParsePrefix("169.254.0.0/16"), "link-local", "RFC 3927", false},
		{netip.MustParsePrefix("172.16.0.0/12"), "private use", "RFC 1918", false},
		{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments", "RFC 6890", false},
		{netip.MustParsePrefix("192.0.0.9/32"), "Port Control Protocol anycast", "RFC 7723", true},
		{netip.MustParsePrefix("192.0.0.10/32"), "TURN anycast", "RFC 8155", true},
		{netip.MustParsePrefix("192.0.2.0/24"), "documentation (TEST-NET-1)", "RFC 5737", false},
		{netip.MustParsePrefix("192.88.99.0/24"), "deprecated 6to4 relay anycast", "RFC 7526", false},
		{netip.MustParsePrefix("192.168.0.0/16"), "private use", "RFC 1918", false},
		{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking", "RFC 2544", false},
		{netip.MustParsePrefix("198.51.100.0/24"), "documentation (TEST-NET-2)", "RFC 5737", false},
		{netip.MustParsePrefix("203.0.113.0/24"), "documentation (TEST-NET-3)", "RFC 5737", false},
		{netip.MustParsePrefix("224.0.0.0/4"), "multicast", "RFC 5771", false},
		{netip.MustParsePrefix("240.0.0.0/4"), "reserved (and limited broadcast)", "RFC 1112, RFC 919", false},
	}
})

var v6 = sync.OnceValue(func() []Block {
	return []Block{
		{netip.MustParsePrefix("::/128"), "unspecified address", "RFC 4291", false},
		{netip.MustParsePrefix("::1/128"), "loopback", "RFC 4291", false},
		{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped", "RFC 4291", false},
		{netip.MustParsePrefix("64:ff9b::/96"), "IPv4/IPv6 translation (NAT64)", "RFC 6052", false},
		{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use IPv4/IPv6 translation", "RFC 8215", false},
		{netip.MustParsePrefix("100::/64"), "discard-only", "RFC 6666", false},
		{netip.MustParsePrefix("100:0:0:1::/64"), "dummy prefix", "RFC 9780", false},
		{netip.MustParsePrefix("2001::/32"), "Teredo (embeds an IPv4 address)", "RFC 4380", false},
		{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments", "RFC 2928", false},
		{netip.MustParsePrefix("2001:1::1/128"), "Port Control Protocol anycast", "RFC 7723", true},
		{netip.MustParsePrefix("2001:1::2/128"), "TURN anycast", "RFC 8155", true},
		{netip.MustParsePrefix("2001:1::3/128"), "DNS-SD service registration anycast", "RFC 9665", true},
		{netip.MustParsePrefix("2001:3::/32"), "AMT", "RFC 7450", true},
		{netip.MustParsePrefix("2001:4:112::/48"), "AS112-v6", "RFC 7535", true},
		{netip.MustParsePrefix("2001:20::/28"), "ORCHIDv2", "RFC 7343", true},
		{netip.MustParsePrefix("2001:30::/28"), "drone remote ID DETs", "RFC 9374", true},
		{netip.MustParsePrefix("2001:db8::/32"), "documentation", "RFC 3849", false},
		{netip.MustParsePrefix("2002::/16"), "6to4 (embeds an IPv4 address)", "RFC 3056", false},
		{netip.MustParsePrefix("3fff::/20"), "documentation", "RFC 9637", false},
		{netip.MustParsePrefix("5f00::/16"), "segment routing SIDs", "RFC 9602", false},
		{netip.MustParsePrefix("fc00::/7"), "unique local (ULA)", "RFC 4193", false},
		{netip.MustParsePrefix("fe80::/10"), "link-local", "RFC 4291", false},
		{netip.MustParsePrefix("ff00::/8"), "multicast", "RFC 4291", false},
	}
})

// globalUnicast6 is IANA's IPv6 global unicast space; everything outside it
// is reserved, multicast or unassigned.
var globalUnicast6 = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20}), 3)

// Hit says why a prefix is refused.
type Hit struct {
	Block Block
	// Part is true when the prefix is only partly inside Block (it covers
	// the block or straddles it); false when it lies wholly inside.
	Part bool
}

// String is "loopback 127.0.0.0/8 (RFC 1122)".
func (h Hit) String() string {
	s := h.Block.Name + " " + h.Block.Prefix.String()
	if h.Block.Ref != "" {
		s += " (" + h.Block.Ref + ")"
	}
	return s
}

// notGlobal is the non-global space as sorted, disjoint ranges: a binary
// search per prefix (an answer can hold hundreds of thousands).
var notGlobal = sync.OnceValue(func() []netipx.IPRange {
	var b netipx.IPSetBuilder
	for _, t := range [][]Block{v4(), v6()} {
		for _, blk := range t {
			if !blk.Global {
				b.AddPrefix(blk.Prefix)
			}
		}
	}
	b.AddPrefix(netip.MustParsePrefix("::/0"))
	b.RemovePrefix(globalUnicast6)
	for _, blk := range v6() {
		if !blk.Global && globalUnicast6.Overlaps(blk.Prefix) {
			b.AddPrefix(blk.Prefix)
		}
	}
	for _, t := range [][]Block{v4(), v6()} {
		for _, blk := range t {
			if blk.Global {
				b.RemovePrefix(blk.Prefix)
			}
		}
	}
	s, _ := b.IPSet()
	return s.Ranges()
})

// overlapsNotGlobal reports whether any address of p is in notGlobal.
func overlapsNotGlobal(p netip.Prefix) bool {
	rs := notGlobal()
	r := netipx.RangeOfPrefix(p)
	// The first range that ends at or after p's first address.
	i := sort.Search(len(rs), func(i int) bool { return rs[i].To().Compare(r.From()) >= 0 })
	return i < len(rs) && rs[i].From().Compare(r.To()) <= 0
}

// Check reports whether any address of p is not global unicast, and which
// block it falls in. An invalid prefix is refused as "not a prefix".
func Check(p netip.Prefix) (Hit, bool) {
	if !p.IsValid() {
		return Hit{Block: Block{Name: "not a prefix"}}, true
	}
	p = p.Masked()
	if !overlapsNotGlobal(p) {
		return Hit{}, false
	}
	table := v4()
	if p.Addr().Is6() {
		table = v6()
	}
	// A block that holds p names the reason, the most specific one first.
	var best Block
	found := false
	for _, blk := range table {
		if !blk.Global && blk.Prefix.Bits() <= p.Bits() && blk.Prefix.Contains(p.Addr()) && (!found || blk.Bits() > best.Bits()) {
			best, found = blk, true
		}
	}
	if found {
		return Hit{Block: best}, true
	}
	if p.Addr().Is6() && !(globalUnicast6.Bits() <= p.Bits() && globalUnicast6.Contains(p.Addr())) {
		if p.Overlaps(globalUnicast6) {
			return Hit{Block: Block{Prefix: p, Name: "partly outside the IPv6 global unicast space 2000::/3", Ref: "IANA IPv6 address space"}, Part: true}, true
		}
		return Hit{Block: Block{Prefix: outerReserved6(p), Name: "outside the IPv6 global unicast space 2000::/3", Ref: "IANA IPv6 address space"}}, true
	}
	// p covers non-global blocks: name the broadest of them.
	for _, blk := range table {
		if !blk.Global && p.Overlaps(blk.Prefix) && (!found || blk.Bits() < best.Bits()) {
			best, found = blk, true
		}
	}
	return Hit{Block: best, Part: true}, true
}

// Bits is the block's prefix length.
func (b Block) Bits() int { return b.Prefix.Bits() }

// outerReserved6 names the /3 of the IPv6 address space that holds p, the
// unit in which IANA's address space registry is drawn.
func outerReserved6(p netip.Prefix) netip.Prefix {
	if p.Bits() < 3 {
		return p
	}
	q, _ := p.Addr().Prefix(3)
	return q
}

// Addr reports whether a single address is not global unicast.
func Addr(a netip.Addr) (Hit, bool) {
	a = a.Unmap()
	return Check(netip.PrefixFrom(a, a.BitLen()))
}

// Blocks returns both tables, for documentation and tests.
func Blocks() []Block {
	out := make([]Block, 0, len(v4())+len(v6()))
	return append(append(out, v4()...), v6()...)
}
