// Package prefixset does the set arithmetic of the allowlist: collapsing
// registrations into the fewest prefixes that cover exactly the same
// addresses, measuring how much address space a change removes, finding the
// prefix that covers an address, and reading prefixes back from a file in
// any of the output formats.
package prefixset

import (
	"cmp"
	"encoding/binary"
	"math/big"
	"net/netip"
	"slices"

	"go4.org/netipx"
)

// Aggregate returns the smallest sorted list of prefixes covering exactly
// the union of ps (IPv4 first, then IPv6). Adjacent blocks merge only when
// they form an aligned supernet.
func Aggregate(ps []netip.Prefix) []netip.Prefix {
	var b netipx.IPSetBuilder
	for _, p := range outermost(Dedup(ps)) {
		b.AddPrefix(p)
	}
	s, _ := b.IPSet() // errors only come from invalid prefixes, which callers never pass
	return s.Prefixes()
}

// outermost drops from a Dedup-ordered list every prefix that another one
// in it covers; the union stays the same. Meta registers many more-specifics
// inside its blocks, and the set builder is much slower per prefix than this
// one pass. In Dedup's order a covering prefix comes before what it covers,
// and CIDR blocks are nested or disjoint, so the last one kept is the only
// candidate cover.
func outermost(sorted []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(sorted))
	for _, p := range sorted {
		if n := len(out); n > 0 && out[n-1].Bits() <= p.Bits() && out[n-1].Contains(p.Addr()) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Dedup returns ps masked, sorted (IPv4 first, then by address and length,
// netip.Prefix.Compare's order) and without duplicates, keeping covered
// more-specifics as they are. Input already in that form is returned as it
// is (not copied).
func Dedup(ps []netip.Prefix) []netip.Prefix {
	if dedupped(ps) {
		return ps
	}
	// Sorting plain integer keys is several times faster than sorting
	// netip.Prefix values, which was most of a run's filtering time. An IPv4
	// prefix fits one uint64 (address, then length), which sorts fastest.
	var v4 []uint64
	var v6 []prefixKey
	invalid := false
	for _, p := range ps {
		p = p.Masked()
		switch {
		case !p.IsValid():
			invalid = true // all invalid prefixes mask to the zero Prefix
		case p.Addr().Is4():
			a := p.Addr().As4()
			v4 = append(v4, uint64(binary.BigEndian.Uint32(a[:]))<<8|uint64(p.Bits()))
		default:
			a := p.Addr().As16()
			v6 = append(v6, prefixKey{hi: binary.BigEndian.Uint64(a[:8]), lo: binary.BigEndian.Uint64(a[8:]), bits: uint8(p.Bits())})
		}
	}
	slices.Sort(v4)
	v4 = slices.Compact(v4)
	slices.SortFunc(v6, comparePrefixKeys)
	v6 = slices.Compact(v6)
	out := make([]netip.Prefix, 0, len(v4)+len(v6)+1)
	if invalid {
		out = append(out, netip.Prefix{}) // Compare puts it first
	}
	for _, k := range v4 {
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], uint32(k>>8))
		out = append(out, netip.PrefixFrom(netip.AddrFrom4(a), int(k&0xff)))
	}
	for _, k := range v6 {
		var a [16]byte
		binary.BigEndian.PutUint64(a[:8], k.hi)
		binary.BigEndian.PutUint64(a[8:], k.lo)
		out = append(out, netip.PrefixFrom(netip.AddrFrom16(a), int(k.bits)))
	}
	return out
}

// prefixKey is a masked, valid IPv6 prefix as integers, ordered like
// netip.Prefix.Compare: address, then length.
type prefixKey struct {
	hi, lo uint64
	bits   uint8
}

func comparePrefixKeys(a, b prefixKey) int {
	switch {
	case a.hi != b.hi:
		return cmp.Compare(a.hi, b.hi)
	case a.lo != b.lo:
		return cmp.Compare(a.lo, b.lo)
	}
	return cmp.Compare(a.bits, b.bits)
}

// compareMasked is netip.Prefix.Compare for masked prefixes, without the
// two Masked calls per comparison that made it most of a sort's time.
func compareMasked(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

// dedupped reports whether ps is already masked, sorted and free of
// duplicates.
func dedupped(ps []netip.Prefix) bool {
	for i, p := range ps {
		if p != p.Masked() || i > 0 && compareMasked(ps[i-1], p) >= 0 {
			return false
		}
	}
	return true
}

// Diff returns the prefixes of after that are not in before (added) and
// those of before not in after (removed), each sorted. It sorts both lists
// (Dedup) and walks them once side by side: linear after the sort. A diff
// that compared every pair took minutes on 200,000 prefixes while holding
// the output's lock.
func Diff(before, after []netip.Prefix) (added, removed []netip.Prefix) {
	before, after = Dedup(before), Dedup(after)
	i, j := 0, 0
	for i < len(before) && j < len(after) {
		switch c := compareMasked(before[i], after[j]); {
		case c == 0:
			i, j = i+1, j+1
		case c < 0:
			removed = append(removed, before[i])
			i++
		default:
			added = append(added, after[j])
			j++
		}
	}
	removed = append(removed, before[i:]...)
	added = append(added, after[j:]...)
	return added, removed
}

// Split separates ps into IPv4 and IPv6 prefixes, keeping order.
func Split(ps []netip.Prefix) (v4, v6 []netip.Prefix) {
	for _, p := range ps {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	return v4, v6
}

// Size is the number of addresses ps cover together (overlaps counted once).
func Size(ps []netip.Prefix) *big.Int {
	var b netipx.IPSetBuilder
	for _, p := range ps {
		b.AddPrefix(p)
	}
	s, _ := b.IPSet()
	return setSize(s)
}

func setSize(s *netipx.IPSet) *big.Int {
	total := new(big.Int)
	for _, p := range s.Prefixes() {
		total.Add(total, new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits())))
	}
	return total
}

// Change is how a list differs from the one before it, per family, as
// shares of the space before covered: Removed from 0 to 1, Added from 0
// up (1 = as much again). A family absent from before reports 0 for both:
// there is nothing to compare with.
type Change struct {
	Removed4, Removed6, Added4, Added6 float64
}

// Compare measures the change from before to after, building each
// family's two sets once.
func Compare(before, after []netip.Prefix) Change {
	o4, o6 := Split(before)
	n4, n6 := Split(after)
	var c Change
	c.Removed4, c.Added4 = compareFamily(o4, n4)
	c.Removed6, c.Added6 = compareFamily(o6, n6)
	return c
}

func compareFamily(before, after []netip.Prefix) (removed, added float64) {
	var ob, nb netipx.IPSetBuilder
	for _, p := range before {
		ob.AddPrefix(p)
	}
	for _, p := range after {
		nb.AddPrefix(p)
	}
	os, _ := ob.IPSet()
	ns, _ := nb.IPSet()
	total := setSize(os)
	if total.Sign() == 0 {
		return 0, 0
	}
	share := func(from, minus *netipx.IPSet) float64 {
		var b netipx.IPSetBuilder
		b.AddSet(from)
		b.RemoveSet(minus)
		s, _ := b.IPSet()
		f, _ := new(big.Rat).SetFrac(setSize(s), total).Float64()
		return f
	}
	return share(os, ns), share(ns, os)
}

// Removed reports the share (0..1) of before's address space that after no
// longer covers, per family. A family absent from before reports 0.
func Removed(before, after []netip.Prefix) (v4, v6 float64) {
	c := Compare(before, after)
	return c.Removed4, c.Removed6
}

// Grown reports, per family, how much address space after covers that
// before did not, as a share of before's space (it can exceed 1). A family
// absent from before reports 0.
func Grown(before, after []netip.Prefix) (v4, v6 float64) {
	c := Compare(before, after)
	return c.Added4, c.Added6
}

// Covering returns the most specific prefix of ps that contains addr
// (IPv4-mapped IPv6 addresses are matched as IPv4).
func Covering(ps []netip.Prefix, addr netip.Addr) (netip.Prefix, bool) {
	addr = addr.Unmap()
	var best netip.Prefix
	found := false
	for _, p := range ps {
		if p.Contains(addr) && (!found || p.Bits() > best.Bits()) {
			best, found = p, true
		}
	}
	return best, found
}

// CoversPrefix reports whether the union of ps covers all of p.
func CoversPrefix(ps []netip.Prefix, p netip.Prefix) bool {
	var b netipx.IPSetBuilder
	for _, q := range ps {
		b.AddPrefix(q)
	}
	s, _ := b.IPSet()
	return s.ContainsPrefix(p)
}
