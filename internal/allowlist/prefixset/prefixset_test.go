package prefixset

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// TestAggregateMatchesBruteForce is a property test: for random small sets
// of prefixes inside a tiny address space, the aggregate covers exactly the
// addresses that the brute-force union of the inputs covers, its prefixes
// do not overlap, and no two of them could merge into their common parent.
func TestAggregateMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, base := range []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24"), netip.MustParsePrefix("2001:db8::ff00/120")} {
		for iter := 0; iter < 500; iter++ {
			var in []netip.Prefix
			for n := rng.IntN(12); n >= 0; n-- {
				bits := base.Bits() + rng.IntN(9)
				a := base.Addr().AsSlice()
				a[len(a)-1] = byte(rng.IntN(256))
				addr, _ := netip.AddrFromSlice(a)
				in = append(in, netip.PrefixFrom(addr, bits).Masked())
			}
			out := Aggregate(in)
			for i := 0; i < 256; i++ {
				a := base.Addr().AsSlice()
				a[len(a)-1] = byte(i)
				addr, _ := netip.AddrFromSlice(a)
				want := slices.ContainsFunc(in, func(p netip.Prefix) bool { return p.Contains(addr) })
				got := slices.ContainsFunc(out, func(p netip.Prefix) bool { return p.Contains(addr) })
				if got != want {
					t.Fatalf("in=%v out=%v: %s covered=%v, want %v", in, out, addr, got, want)
				}
			}
			for i, p := range out {
				for j, q := range out {
					if i == j {
						continue
					}
					if p.Overlaps(q) {
						t.Fatalf("in=%v: out %v has overlapping %s and %s", in, out, p, q)
					}
					if p.Bits() == q.Bits() && p.Bits() > 0 {
						pp, _ := p.Addr().Prefix(p.Bits() - 1)
						qp, _ := q.Addr().Prefix(q.Bits() - 1)
						if pp == qp {
							t.Fatalf("in=%v: out %v keeps mergeable siblings %s and %s", in, out, p, q)
						}
					}
				}
			}
			if !slices.IsSortedFunc(out, func(a, b netip.Prefix) int { return a.Compare(b) }) {
				t.Fatalf("out %v not sorted", out)
			}
		}
	}
}

func TestAggregateMixed(t *testing.T) {
	in := mustPrefixes("57.141.1.0/24", "57.141.0.0/24", "31.13.64.0/19", "31.13.64.0/18",
		"10.0.1.0/24", "10.0.2.0/24", "2a03:2881::/32", "2a03:2880::/32", "57.141.0.0/24")
	got := Aggregate(in)
	want := mustPrefixes("10.0.1.0/24", "10.0.2.0/24", "31.13.64.0/18", "57.141.0.0/23", "2a03:2880::/31")
	if !slices.Equal(got, want) {
		t.Fatalf("Aggregate = %v, want %v", got, want)
	}
	if d := Dedup(in); len(d) != 8 || d[0].String() != "10.0.1.0/24" || d[7].String() != "2a03:2881::/32" {
		t.Errorf("Dedup = %v", d)
	}
}

func TestRemoved(t *testing.T) {
	old := mustPrefixes("10.0.0.0/24", "10.0.1.0/24", "2001:db8::/32")
	v4, v6 := Removed(old, mustPrefixes("10.0.0.0/24", "2001:db8::/33"))
	if v4 != 0.5 || v6 != 0.5 {
		t.Errorf("Removed = %v, %v; want 0.5, 0.5", v4, v6)
	}
	v4, v6 = Removed(old, mustPrefixes("10.0.0.0/23", "2001:db8::/31"))
	if v4 != 0 || v6 != 0 {
		t.Errorf("growing: Removed = %v, %v", v4, v6)
	}
	v4, _ = Removed(nil, old)
	if v4 != 0 {
		t.Errorf("from nothing: %v", v4)
	}
	if s := Size(mustPrefixes("10.0.0.0/24", "10.0.0.0/25", "2001:db8::/127")); s.Int64() != 258 {
		t.Errorf("Size = %v, want 258", s)
	}
}

func TestCovering(t *testing.T) {
	ps := mustPrefixes("157.240.0.0/16", "157.240.22.0/24", "2a03:2880::/32")
	for addr, want := range map[string]string{
		"157.240.22.35":      "157.240.22.0/24",
		"157.240.1.1":        "157.240.0.0/16",
		"::ffff:157.240.1.1": "157.240.0.0/16",
		"2a03:2880:f20c::1":  "2a03:2880::/32",
		"192.0.2.1":          "",
	} {
		p, ok := Covering(ps, netip.MustParseAddr(addr))
		if (want == "") == ok || ok && p.String() != want {
			t.Errorf("Covering(%s) = %v %v, want %q", addr, p, ok, want)
		}
	}
	if !CoversPrefix(mustPrefixes("10.0.0.0/25", "10.0.0.128/25"), netip.MustParsePrefix("10.0.0.0/24")) {
		t.Error("two halves should cover the whole")
	}
}

func TestExtract(t *testing.T) {
	in := `# 157.240.0.0/16 in a comment is not a prefix
allow 31.13.24.0/21;
Require ip 2a03:2880::/32
{"ipv4Prefix": "57.141.0.0\/20"}, {"ipv6Prefix":"2620:0:1c00::/40"}
-A CHAIN -s 69.63.176.0/20 -j ACCEPT
	129.134.0.0/16,
remote_ip 1.2.3.0/24 4.5.6.0/24
time 12:30:00 and a path /etc/x and 10.0.0.1 without length
`
	got := Extract([]byte(in))
	want := mustPrefixes("31.13.24.0/21", "2a03:2880::/32", "57.141.0.0/20", "2620:0:1c00::/40", "69.63.176.0/20", "129.134.0.0/16", "1.2.3.0/24", "4.5.6.0/24")
	if !slices.Equal(got, want) {
		t.Fatalf("Extract = %v\nwant %v", got, want)
	}
}

func mustPrefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func BenchmarkAggregate(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	var in []netip.Prefix
	for i := 0; i < 1300; i++ {
		a := [4]byte{157, 240, byte(rng.IntN(256)), 0}
		in = append(in, netip.PrefixFrom(netip.AddrFrom4(a), 24))
	}
	b.ReportAllocs()
	for b.Loop() {
		Aggregate(in)
	}
}

// FuzzExtract: reading back any file never panics and yields only
// canonical prefixes.
func FuzzExtract(f *testing.F) {
	f.Add([]byte("allow 31.13.24.0/21;\n# 1.2.3.0/24\n"))
	f.Add([]byte(`{"ipv6Prefix":"2a03:2880::\/32"}`))
	f.Add([]byte("add element inet wa_hooks meta4 { 10.0.0.1/8, ::ffff:1.2.3.0/120 }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range Extract(data) {
			if !p.IsValid() || p.Masked() != p || p.Addr().Is4In6() {
				t.Fatalf("Extract returned %v", p)
			}
		}
	})
}

// TestDedupMatchesPrefixCompare: the faster comparison sorts exactly as
// netip.Prefix.Compare does, and input already deduplicated comes back
// unchanged.
func TestDedupMatchesPrefixCompare(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 300; iter++ {
		var in []netip.Prefix
		for n := rng.IntN(40); n >= 0; n-- {
			a := netip.AddrFrom4([4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(4)), byte(rng.IntN(256))})
			if rng.IntN(3) == 0 {
				a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(rng.IntN(256))})
			}
			switch rng.IntN(12) {
			case 0:
				in = append(in, netip.Prefix{}, netip.PrefixFrom(a, a.BitLen()+8)) // invalid ones
			case 1:
				m := netip.AddrFrom16(a.As16()) // IPv4-mapped IPv6 sorts as IPv6
				in = append(in, netip.PrefixFrom(m, 96+rng.IntN(33)))
			default:
				in = append(in, netip.PrefixFrom(a, rng.IntN(a.BitLen()+1))) // host bits and duplicates included
			}
		}
		want := make([]netip.Prefix, 0, len(in))
		for _, p := range in {
			want = append(want, p.Masked())
		}
		slices.SortFunc(want, func(a, b netip.Prefix) int { return a.Compare(b) })
		want = slices.Compact(want)
		got := Dedup(slices.Clone(in))
		if !slices.Equal(got, want) {
			t.Fatalf("Dedup(%v) = %v, want %v", in, got, want)
		}
		if again := Dedup(got); !slices.Equal(again, want) {
			t.Fatalf("Dedup of a deduplicated list changed it: %v", again)
		}
	}
}

// TestDiffMatchesPairwise: the merge gives what comparing every pair gives.
func TestDiffMatchesPairwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for iter := 0; iter < 300; iter++ {
		gen := func() []netip.Prefix {
			var ps []netip.Prefix
			for n := rng.IntN(30); n > 0; n-- {
				a := netip.AddrFrom4([4]byte{10, 0, byte(rng.IntN(4)), byte(rng.IntN(256))})
				if rng.IntN(4) == 0 {
					a = netip.AddrFrom16([16]byte{0x20, 0x01, 15: byte(rng.IntN(64))})
				}
				ps = append(ps, netip.PrefixFrom(a, a.BitLen()-rng.IntN(3)).Masked())
			}
			return ps
		}
		before, after := gen(), gen()
		var wantAdded, wantRemoved []netip.Prefix
		for _, p := range Dedup(after) {
			if !slices.Contains(before, p) {
				wantAdded = append(wantAdded, p)
			}
		}
		for _, p := range Dedup(before) {
			if !slices.Contains(after, p) {
				wantRemoved = append(wantRemoved, p)
			}
		}
		added, removed := Diff(before, after)
		if !slices.Equal(added, wantAdded) || !slices.Equal(removed, wantRemoved) {
			t.Fatalf("Diff(%v, %v) = +%v -%v, want +%v -%v", before, after, added, removed, wantAdded, wantRemoved)
		}
	}
}

func TestGrown(t *testing.T) {
	old := mustPrefixes("10.0.0.0/24", "2001:db8::/32")
	v4, v6 := Grown(old, mustPrefixes("10.0.0.0/23", "2001:db8::/32", "2001:db9::/32", "2001:dba::/31"))
	if v4 != 1 || v6 != 3 {
		t.Errorf("Grown = %v, %v; want 1, 3", v4, v6)
	}
	if v4, v6 := Grown(old, mustPrefixes("10.0.0.0/25")); v4 != 0 || v6 != 0 {
		t.Errorf("shrinking: Grown = %v, %v", v4, v6)
	}
	if v4, _ := Grown(nil, old); v4 != 0 {
		t.Errorf("from nothing: %v", v4)
	}
}
