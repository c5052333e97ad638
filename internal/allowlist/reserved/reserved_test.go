package reserved

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

func TestCheck(t *testing.T) {
	refused := map[string]string{
		"127.0.0.0/16":       "loopback",
		"127.0.0.1/32":       "loopback",
		"10.20.0.0/16":       "private use",
		"172.20.0.0/14":      "private use",
		"192.168.0.0/16":     "private use",
		"169.254.0.0/16":     "link-local",
		"100.64.0.0/10":      "shared address space (CGNAT)",
		"100.100.0.0/16":     "shared address space (CGNAT)",
		"224.0.0.0/4":        "multicast",
		"239.1.2.0/24":       "multicast",
		"240.0.0.0/4":        "reserved (and limited broadcast)",
		"255.255.255.255/32": "reserved (and limited broadcast)",
		"0.0.0.0/0":          "multicast", "0.1.0.0/16": "\"this network\"",
		"192.0.2.0/24":           "documentation (TEST-NET-1)",
		"198.51.100.128/25":      "documentation (TEST-NET-2)",
		"203.0.113.0/24":         "documentation (TEST-NET-3)",
		"198.18.0.0/15":          "benchmarking",
		"198.19.1.0/24":          "benchmarking",
		"192.0.0.0/29":           "IETF protocol assignments",
		"192.88.99.0/24":         "deprecated 6to4 relay anycast",
		"192.0.0.0/16":           "IETF protocol assignments", // covers 192.0.0.0/24 and 192.0.2.0/24: a part is enough
		"96.0.0.0/3":             "loopback",
		"::1/128":                "loopback",
		"::/128":                 "unspecified address",
		"::ffff:10.0.0.0/104":    "IPv4-mapped",
		"::ffff:157.240.0.0/112": "IPv4-mapped",
		"fe80::/64":              "link-local",
		"fe80::/10":              "link-local",
		"fc00::/7":               "unique local (ULA)",
		"fd12:3456::/32":         "unique local (ULA)",
		"ff02::/16":              "multicast",
		"2001:db8::/32":          "documentation",
		"2001:db8:ce:e0::/64":    "documentation",
		"3fff::/24":              "documentation",
		"2002:c000:0204::/48":    "6to4 (embeds an IPv4 address)",
		"2001::/32":              "Teredo (embeds an IPv4 address)",
		"2001:0:4136::/48":       "Teredo (embeds an IPv4 address)",
		"2001:2::/48":            "IETF protocol assignments",
		"64:ff9b::/96":           "IPv4/IPv6 translation (NAT64)",
		"64:ff9b:1::/48":         "local-use IPv4/IPv6 translation",
		"100::/64":               "discard-only",
		"5f00::/16":              "segment routing SIDs",
		"4000::/3":               "outside the IPv6 global unicast space 2000::/3",
		"::/0":                   "partly outside the IPv6 global unicast space 2000::/3",
		"2000::/2":               "partly outside the IPv6 global unicast space 2000::/3",
		"2000::/3":               "6to4 (embeds an IPv4 address)",
	}
	for s, want := range refused {
		h, bad := Check(netip.MustParsePrefix(s))
		if !bad {
			t.Errorf("%s: accepted, want refused as %s", s, want)
			continue
		}
		if h.Block.Name != want {
			t.Errorf("%s: refused as %q (%v), want %q", s, h.Block.Name, h, want)
		}
	}
	for _, s := range []string{"157.240.0.0/16", "31.13.64.0/18", "57.144.0.0/14", "2a03:2880::/32", "2620:0:1c00::/40",
		"11.0.0.0/8", "100.128.0.0/9", "172.32.0.0/11", "192.0.0.9/32", "192.0.0.10/32", "192.31.196.0/24",
		"2001:4:112::/48", "2001:3::/32", "2001:1::1/128", "2c0f:ef78::/44", "2001:4860::/32", "223.255.255.0/24"} {
		if h, bad := Check(netip.MustParsePrefix(s)); bad {
			t.Errorf("%s: refused as %v, want accepted (global unicast)", s, h)
		}
	}
	if _, bad := Check(netip.Prefix{}); !bad {
		t.Error("the zero prefix is accepted")
	}
}

func TestHitPart(t *testing.T) {
	if h, _ := Check(netip.MustParsePrefix("10.1.0.0/16")); h.Part || h.String() != "private use 10.0.0.0/8 (RFC 1918)" {
		t.Errorf("inside: %+v %s", h, h)
	}
	if h, _ := Check(netip.MustParsePrefix("8.0.0.0/5")); !h.Part || h.Block.Prefix.String() != "10.0.0.0/8" {
		t.Errorf("covering: %+v", h)
	}
}

func TestAddr(t *testing.T) {
	for s, bad := range map[string]bool{"127.0.0.1": true, "::ffff:127.0.0.1": true, "10.0.0.1": true, "fe80::1": true,
		"157.240.22.35": false, "::ffff:157.240.22.35": false, "2a03:2880:f20c::1": false} {
		if _, got := Addr(netip.MustParseAddr(s)); got != bad {
			t.Errorf("Addr(%s) refused=%v, want %v", s, got, bad)
		}
	}
}

// TestCheckMatchesTables is a property test: a random prefix is refused
// exactly when one of its addresses (its first, its last, or the first of
// a non-global block inside it) is in a non-global block and not carved
// out again by a globally reachable entry, or (IPv6) outside 2000::/3.
func TestCheckMatchesTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	notGlobalAddr := func(a netip.Addr) bool {
		inBad, inGood := false, false
		for _, b := range Blocks() {
			if b.Prefix.Contains(a) {
				if b.Global {
					inGood = true
				} else {
					inBad = true
				}
			}
		}
		if a.Is6() && !globalUnicast6.Contains(a) {
			inBad = true
		}
		return inBad && !inGood
	}
	for i := 0; i < 20000; i++ {
		var a netip.Addr
		if rng.IntN(2) == 0 {
			a = netip.AddrFrom4([4]byte{byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))})
		} else {
			var b [16]byte
			b[0] = byte(rng.IntN(256))
			if rng.IntN(2) == 0 {
				b[0] = 0x20 + byte(rng.IntN(0x20))
			}
			b[1], b[2], b[3] = byte(rng.IntN(256)), byte(rng.IntN(16)), byte(rng.IntN(256))
			a = netip.AddrFrom16(b)
		}
		p := netip.PrefixFrom(a, 8+rng.IntN(a.BitLen()-7)).Masked()
		want := false
		last := lastAddr(p)
		for _, x := range []netip.Addr{p.Addr(), last} {
			want = want || notGlobalAddr(x)
		}
		for _, b := range Blocks() {
			if !b.Global && p.Overlaps(b.Prefix) && p.Bits() <= b.Prefix.Bits() {
				want = true
			}
		}
		if _, got := Check(p); got != want {
			t.Fatalf("Check(%s) refused=%v, want %v", p, got, want)
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
