package allowlist

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irr"
)

func route(prefix, origin, source string, mnt ...string) irr.Route {
	r := irr.Route{Key: prefix, Origin: origin, Source: source, Maintainers: mnt}
	r.Prefix, r.Err = irr.ParsePrefix(prefix, !netip.MustParsePrefix(prefix).Addr().Is4())
	return r
}

func TestPolicy(t *testing.T) {
	routes := []irr.Route{
		route("157.240.0.0/16", "AS32934", "RADB", "MAINT-AS32934"),
		route("157.240.0.0/16", "AS32934", "RIPE", "fb-neteng"), // duplicate registration
		route("163.70.128.0/17", "AS32934", "RPKI"),
		route("81.7.16.0/24", "AS32934", "RIPE", "EXAMPLE-ISP-MNT"),
		route("127.0.0.0/16", "AS32934", "RADB", "MAINT-AS32934"), // anyone can register a bogon
		route("fe80::/64", "AS32934", "RADB", "MAINT-AS32934"),
		route("192.0.2.0/24", "AS64496", "RADB", "MAINT-AS32934"),
		route("2a03:2880::/32", "as32934", "RADB", "MAINT-AS32934"),
		route("45.64.40.0/22", "AS32934", "ALTDB", "MAINT-AS32934"),
		{Key: "157.240.1.0/16", Origin: "AS32934", Source: "RADB", Err: errBad},
	}
	base := Policy{ASN: "AS32934", V4: true, V6: true, ShortestV4: 12, ShortestV6: 24}

	f := base.Apply(routes)
	if got := prefixesString(f.Prefixes); got != "45.64.40.0/22 81.7.16.0/24 157.240.0.0/16 2a03:2880::/32" {
		t.Errorf("default policy kept %s", got)
	}
	if f.Dropped[dropRPKI] != 1 || f.Dropped[dropOrigin] != 1 || f.Dropped[dropBadPrefix] != 1 || len(f.Invalid) != 1 {
		t.Errorf("dropped = %v", f.Dropped)
	}
	if f.Dropped[dropNonGlobal] != 2 || len(f.NonGlobal) != 2 || f.NonGlobal[0].Route.Key != "127.0.0.0/16" ||
		f.NonGlobal[0].Hit.String() != "loopback 127.0.0.0/8 (RFC 1122)" || f.NonGlobal[1].Hit.Block.Name != "link-local" {
		t.Errorf("non-global = %+v", f.NonGlobal)
	}

	p := base
	p.Maintainers = []string{"MAINT-AS32934", "FB-NETENG"}
	p.Sources = []string{"RADB", "RIPE"}
	if got := prefixesString(p.Apply(routes).Prefixes); got != "157.240.0.0/16 2a03:2880::/32" {
		t.Errorf("maintainers+sources kept %s", got)
	}

	p = base
	p.V6 = false
	p.IncludeRPKI = true
	if got := prefixesString(p.Apply(routes).Prefixes); got != "45.64.40.0/22 81.7.16.0/24 157.240.0.0/16 163.70.128.0/17" {
		t.Errorf("v4 with RPKI kept %s", got)
	}

	poisoned := append(routes, route("11.0.0.0/8", "AS32934", "RADB", "MAINT-AS32934"), route("2a00::/12", "AS32934", "RADB"))
	if f := base.Apply(poisoned); len(f.Poisoned) != 2 {
		t.Errorf("poisoned = %v", f.Poisoned)
	}
}

func TestDigestIgnoresOrderAndDuplicates(t *testing.T) {
	a := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	b := []netip.Prefix{a[1], a[0], a[1]}
	if Digest(a) != Digest(b) {
		t.Error("digest depends on order or duplicates")
	}
	if Digest(a) == Digest(a[:1]) {
		t.Error("digest ignores a prefix")
	}
}

func TestParseShrink(t *testing.T) {
	for in, want := range map[string]float64{"30%": 0.3, "30": 0.3, "0": 0, "0.5%": 0.005, "100%": 1} {
		if got, err := parseShare("--max-shrink", in, 100); err != nil || got != want {
			t.Errorf("parseShare(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "lots", "-1", "101%", "NaN", "Inf"} {
		if _, err := parseShare("--max-shrink", bad, 100); err == nil {
			t.Errorf("parseShare(%q) accepted", bad)
		}
	}
	if got, err := parseShare("--max-growth", "300%", 0); err != nil || got != 3 {
		t.Errorf("growth 300%% = %v, %v", got, err)
	}
}

var errBad = &irr.Error{Msg: "bad"}

func prefixesString(ps []netip.Prefix) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += " "
		}
		s += p.String()
	}
	return s
}

// TestDigestIsStable pins the digest's definition (sha256 of the distinct
// prefixes, sorted, one per line): changing it would make every installed
// file look changed once.
func TestDigestIsStable(t *testing.T) {
	ps := []netip.Prefix{netip.MustParsePrefix("2a03:2880::/32"), netip.MustParsePrefix("157.240.0.0/16"),
		netip.MustParsePrefix("31.13.64.0/18"), netip.MustParsePrefix("157.240.0.0/16")}
	want := sha256.Sum256([]byte("31.13.64.0/18\n157.240.0.0/16\n2a03:2880::/32\n"))
	if got := Digest(ps); got != "sha256:"+hex.EncodeToString(want[:]) {
		t.Errorf("Digest = %s", got)
	}
}
