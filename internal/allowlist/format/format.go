// Package format renders an allowlist for the tool that consumes it: nginx,
// Apache, HAProxy, Caddy, nftables, ipset, iptables, or plain text, JSON and
// CSV. Output is deterministic: the same prefixes and metadata always give
// the same bytes, so an unchanged registry leaves the installed file alone.
package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/prefixset"
)

// Meta describes where the list came from; it goes into the header comment
// (or the JSON envelope). It holds no timestamp on purpose: the file must
// only change when the data does.
type Meta struct {
	ASN            string
	Server         string
	Query          string
	Registrations4 int // distinct accepted registrations
	Registrations6 int
	Digest         string // "sha256:<hex>" of the accepted registrations
	Aggregated     bool
}

// Options tune the rendering.
type Options struct {
	// Name names the set, chain, matcher or variable ("meta_webhooks");
	// IPv4/IPv6 sets get a "4"/"6" suffix.
	Name string
	// Table is the nftables table ("inet wa_hooks").
	Table string
	// DenyAll appends "deny all;" to nginx output.
	DenyAll bool
	// NoHeader leaves out the header comment.
	NoHeader bool
}

type renderer struct {
	about    string
	comments bool // whether the format has "#" comments for the header
	families string
	render   func(b *bytes.Buffer, v4, v6 []netip.Prefix, m Meta, o Options) error
}

var renderers = map[string]renderer{
	"plain":     {"one prefix per line", true, "", renderPlain},
	"nginx":     {"ngx_http_access_module: allow …; lines (with --deny-all, a final deny all;)", true, "", renderNginx},
	"nginx-geo": {"body for an nginx geo block: prefix 1; lines", true, "", renderNginxGeo},
	"apache":    {"mod_authz_host: Require ip … lines", true, "", renderApache},
	"haproxy":   {"HAProxy pattern file for acl … src -f FILE (full dotted quads)", true, "", renderPlain},
	"caddy":     {"Caddyfile named matcher @NAME with remote_ip", true, "", renderCaddy},
	"nftables":  {"nft -f file: named interval sets per family, flushed and refilled atomically", true, "", renderNftables},
	"ipset":     {"ipset restore script: fill a temporary hash:net set, swap it in", true, "", renderIpset},
	"iptables":  {"iptables-restore --noflush input: a chain of ACCEPT rules (one family: use -4 or -6)", true, "one", renderIptables},
	"json":      {"JSON: metadata and prefixes (ipv4Prefix/ipv6Prefix objects)", false, "", renderJSON},
	"csv":       {"CSV: prefix,family,addresses", false, "", renderCSV},
}

// Names lists the formats, sorted.
func Names() []string {
	names := make([]string, 0, len(renderers))
	for n := range renderers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// About describes a format in one line.
func About(name string) string { return renderers[name].about }

// Known reports whether name is a format.
func Known(name string) bool { _, ok := renderers[name]; return ok }

// OneFamily reports whether the format can hold only one address family.
func OneFamily(name string) bool { return renderers[name].families == "one" }

// CheckName validates a set/chain/matcher name for every format: 1–27
// letters, digits, '_' or '-', starting with a letter (iptables chains are
// limited to 28 bytes, and nothing may break out of the generated syntax).
func CheckName(name string) error {
	ok := len(name) >= 1 && len(name) <= 27
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		ok = letter || i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '-')
	}
	if !ok {
		return fmt.Errorf("bad --name %q: use 1–27 letters, digits, '_' or '-', starting with a letter", name)
	}
	return nil
}

// Render writes prefixes (IPv4 before IPv6, as prefixset returns them) in
// the named format.
func Render(name string, prefixes []netip.Prefix, m Meta, o Options) ([]byte, error) {
	r, ok := renderers[name]
	if !ok {
		return nil, fmt.Errorf("unknown format %q: use one of %s", name, strings.Join(Names(), ", "))
	}
	if o.Name == "" {
		o.Name = "meta_webhooks"
	}
	if o.Table == "" {
		o.Table = "inet wa_hooks"
	}
	if err := CheckName(o.Name); err != nil {
		return nil, err
	}
	v4, v6 := prefixset.Split(prefixes)
	var b bytes.Buffer
	if r.comments && !o.NoHeader {
		header(&b, name, m, len(v4), len(v6))
	}
	if err := r.render(&b, v4, v6, m, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func header(b *bytes.Buffer, format string, m Meta, n4, n6 int) {
	kind := "aggregated prefixes"
	if !m.Aggregated {
		kind = "registered prefixes (not aggregated)"
	}
	fmt.Fprintf(b, "# %s route registrations from the IRR, written by wa-hooks allowlist (%s).\n", m.ASN, format)
	fmt.Fprintf(b, "# Do not edit: the next run replaces this file. Regenerate with wa-hooks allowlist.\n")
	fmt.Fprintf(b, "# server: %s\n", m.Server)
	fmt.Fprintf(b, "# query: %s\n", m.Query)
	fmt.Fprintf(b, "# registrations: %d IPv4, %d IPv6; %s: %d IPv4, %d IPv6\n", m.Registrations4, m.Registrations6, kind, n4, n6)
	fmt.Fprintf(b, "# digest: %s\n", m.Digest)
}

func renderPlain(b *bytes.Buffer, v4, v6 []netip.Prefix, _ Meta, _ Options) error {
	for _, p := range append(v4, v6...) {
		fmt.Fprintln(b, p)
	}
	return nil
}

func renderNginx(b *bytes.Buffer, v4, v6 []netip.Prefix, _ Meta, o Options) error {
	for _, p := range append(v4, v6...) {
		fmt.Fprintf(b, "allow %s;\n", p)
	}
	if o.DenyAll {
		b.WriteString("deny all;\n")
	}
	return nil
}

func renderNginxGeo(b *bytes.Buffer, v4, v6 []netip.Prefix, _ Meta, _ Options) error {
	for _, p := range append(v4, v6...) {
		fmt.Fprintf(b, "%s 1;\n", p)
	}
	return nil
}

func renderApache(b *bytes.Buffer, v4, v6 []netip.Prefix, _ Meta, _ Options) error {
	for _, p := range append(v4, v6...) {
		fmt.Fprintf(b, "Require ip %s\n", p)
	}
	return nil
}

func renderCaddy(b *bytes.Buffer, v4, v6 []netip.Prefix, _ Meta, o Options) error {
	// One remote_ip line holds every range: ranges of one matcher are OR-ed.
	fmt.Fprintf(b, "@%s {\n\tremote_ip", o.Name)
	for _, p := range append(v4, v6...) {
		fmt.Fprintf(b, " %s", p)
	}
	b.WriteString("\n}\n")
	return nil
}

func renderNftables(b *bytes.Buffer, v4, v6 []netip.Prefix, _ Meta, o Options) error {
	// Declaring the table and sets creates them on first use and is a no-op
	// afterwards; flush + add in one file is one kernel transaction.
	fmt.Fprintf(b, "table %s {\n", o.Table)
	fmt.Fprintf(b, "\tset %s4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n", o.Name)
	fmt.Fprintf(b, "\tset %s6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}\n", o.Name)
	b.WriteString("}\n")
	for _, f := range []struct {
		suffix string
		ps     []netip.Prefix
	}{{"4", v4}, {"6", v6}} {
		fmt.Fprintf(b, "flush set %s %s%s\n", o.Table, o.Name, f.suffix)
		if len(f.ps) == 0 {
			continue
		}
		fmt.Fprintf(b, "add element %s %s%s {\n", o.Table, o.Name, f.suffix)
		for i, p := range f.ps {
			sep := ","
			if i == len(f.ps)-1 {
				sep = ""
			}
			fmt.Fprintf(b, "\t%s%s\n", p, sep)
		}
		b.WriteString("}\n")
	}
	return nil
}

func renderIpset(b *bytes.Buffer, v4, v6 []netip.Prefix, _ Meta, o Options) error {
	for _, f := range []struct {
		suffix, family string
		ps             []netip.Prefix
	}{{"4", "inet", v4}, {"6", "inet6", v6}} {
		if len(f.ps) == 0 {
			continue
		}
		live, tmp := o.Name+f.suffix, o.Name+f.suffix+"-tmp"
		maxelem := 65536
		for maxelem < 2*len(f.ps) {
			maxelem *= 2
		}
		fmt.Fprintf(b, "create %s hash:net family %s maxelem %d -exist\n", live, f.family, maxelem)
		fmt.Fprintf(b, "create %s hash:net family %s maxelem %d -exist\n", tmp, f.family, maxelem)
		fmt.Fprintf(b, "flush %s\n", tmp)
		for _, p := range f.ps {
			fmt.Fprintf(b, "add %s %s\n", tmp, p)
		}
		fmt.Fprintf(b, "swap %s %s\n", tmp, live)
		fmt.Fprintf(b, "destroy %s\n", tmp)
	}
	return nil
}

func renderIptables(b *bytes.Buffer, v4, v6 []netip.Prefix, _ Meta, o Options) error {
	if len(v4) > 0 && len(v6) > 0 {
		return fmt.Errorf("format iptables holds one address family: add -4 (for iptables-restore) or -6 (for ip6tables-restore)")
	}
	chain := strings.ToUpper(strings.ReplaceAll(o.Name, "-", "_"))
	// With --noflush, declaring the chain flushes just this chain, and
	// COMMIT applies the table in one step.
	fmt.Fprintf(b, "*filter\n:%s - [0:0]\n", chain)
	for _, p := range append(v4, v6...) {
		fmt.Fprintf(b, "-A %s -s %s -j ACCEPT\n", chain, p)
	}
	b.WriteString("COMMIT\n")
	return nil
}

type jsonPrefix struct {
	IPv4 string `json:"ipv4Prefix,omitempty"`
	IPv6 string `json:"ipv6Prefix,omitempty"`
}

func renderJSON(b *bytes.Buffer, v4, v6 []netip.Prefix, m Meta, _ Options) error {
	doc := struct {
		ASN           string         `json:"asn"`
		Server        string         `json:"server"`
		Query         string         `json:"query"`
		Registrations map[string]int `json:"registrations"`
		Aggregated    bool           `json:"aggregated"`
		Digest        string         `json:"digest"`
		Prefixes      []jsonPrefix   `json:"prefixes"`
	}{m.ASN, m.Server, m.Query, map[string]int{"ipv4": m.Registrations4, "ipv6": m.Registrations6}, m.Aggregated, m.Digest, []jsonPrefix{}}
	for _, p := range v4 {
		doc.Prefixes = append(doc.Prefixes, jsonPrefix{IPv4: p.String()})
	}
	for _, p := range v6 {
		doc.Prefixes = append(doc.Prefixes, jsonPrefix{IPv6: p.String()})
	}
	enc := json.NewEncoder(b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func renderCSV(b *bytes.Buffer, v4, v6 []netip.Prefix, _ Meta, _ Options) error {
	b.WriteString("prefix,family,addresses\n")
	for _, p := range append(v4, v6...) {
		fam := "ipv4"
		if p.Addr().Is6() {
			fam = "ipv6"
		}
		fmt.Fprintf(b, "%s,%s,%s\n", p, fam, prefixset.Size([]netip.Prefix{p}))
	}
	return nil
}
