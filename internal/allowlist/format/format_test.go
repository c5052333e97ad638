package format

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/prefixset"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	testPrefixes = mustPrefixes("31.13.24.0/21", "31.13.64.0/18", "157.240.0.0/16", "2620:0:1c00::/40", "2a03:2880::/32")
	testMeta     = Meta{ASN: "AS32934", Server: "whois.radb.net:43", Query: "-T route,route6 -i origin AS32934",
		Registrations4: 120, Registrations6: 340, Digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Aggregated: true}
)

func mustPrefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// render gives the golden input for a format: IPv4 only for iptables.
func render(t *testing.T, name string, o Options) []byte {
	t.Helper()
	ps := testPrefixes
	if OneFamily(name) {
		ps, _ = prefixset.Split(ps)
	}
	out, err := Render(name, ps, testMeta, o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			out := render(t, name, Options{DenyAll: name == "nginx"})
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("%s differs from %s:\n%s", name, golden, out)
			}
			// Whatever the format, the prefixes can be read back.
			if got := prefixset.Extract(out); !slices.Equal(got, prefixesFor(name)) {
				t.Errorf("read back %v, want %v", got, prefixesFor(name))
			}
			if again := render(t, name, Options{DenyAll: name == "nginx"}); !bytes.Equal(out, again) {
				t.Error("rendering is not deterministic")
			}
		})
	}
}

func prefixesFor(name string) []netip.Prefix {
	if OneFamily(name) {
		v4, _ := prefixset.Split(testPrefixes)
		return v4
	}
	return testPrefixes
}

func TestHeaderOptions(t *testing.T) {
	out := render(t, "plain", Options{NoHeader: true})
	if bytes.Contains(out, []byte("#")) {
		t.Errorf("--no-header output has a comment:\n%s", out)
	}
	if _, err := Render("iptables", testPrefixes, testMeta, Options{}); err == nil || !strings.Contains(err.Error(), "-4") {
		t.Errorf("iptables with both families: err = %v", err)
	}
	if _, err := Render("nope", testPrefixes, testMeta, Options{}); err == nil {
		t.Error("unknown format accepted")
	}
	if _, err := Render("nftables", testPrefixes, testMeta, Options{Name: "x; flush ruleset"}); err == nil {
		t.Error("a name that injects commands was accepted")
	}
	m := testMeta
	m.Aggregated = false
	if out, _ := Render("plain", testPrefixes, m, Options{}); !bytes.Contains(out, []byte("not aggregated")) {
		t.Error("header does not say the list is not aggregated")
	}
}

// TestNftSyntax runs nft's own checker on the output when nft is installed
// and allowed to talk to the kernel (root or CAP_NET_ADMIN).
func TestNftSyntax(t *testing.T) {
	nft, err := exec.LookPath("nft")
	if err != nil {
		t.Skip("nft not installed (apt-get install nftables)")
	}
	dir := t.TempDir()
	for _, ps := range [][]netip.Prefix{testPrefixes, testPrefixes[:3], testPrefixes[3:]} {
		out, err := Render("nftables", ps, testMeta, Options{})
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "meta.nft")
		if err := os.WriteFile(file, out, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := exec.Command(nft, "-c", "-f", file).CombinedOutput()
		if err != nil && bytes.Contains(res, []byte("Operation not permitted")) {
			t.Skipf("nft -c needs CAP_NET_ADMIN here: %s", res)
		}
		if err != nil {
			t.Fatalf("nft -c -f rejected the file: %v\n%s\n%s", err, res, out)
		}
	}
}

// TestNginxSyntax includes the nginx, nginx-geo outputs in a minimal
// configuration and runs nginx -t when nginx is installed.
func TestNginxSyntax(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed (apt-get install nginx-light)")
	}
	dir := t.TempDir()
	for name, o := range map[string]Options{"nginx": {DenyAll: true}, "nginx-geo": {}} {
		out, err := Render(name, testPrefixes, testMeta, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".conf"), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf := `pid nginx.pid;
error_log stderr;
events {}
http {
    access_log off;
    client_body_temp_path tmp;
    proxy_temp_path tmp;
    fastcgi_temp_path tmp;
    uwsgi_temp_path tmp;
    scgi_temp_path tmp;
    geo $meta_webhook { default 0; include ` + dir + `/nginx-geo.conf; }
    server {
        listen 127.0.0.1:8080;
        location /webhook { include ` + dir + `/nginx.conf; return 200; }
    }
}
`
	file := filepath.Join(dir, "test.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-c", file, "-e", "stderr").CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t rejected the files: %v\n%s", err, res)
	}
}

// TestIptablesSyntax runs iptables-restore --test (and ip6tables-restore for
// the IPv6 variant) when they are installed and usable.
func TestIptablesSyntax(t *testing.T) {
	v4, v6 := prefixset.Split(testPrefixes)
	for tool, ps := range map[string][]netip.Prefix{"iptables-restore": v4, "ip6tables-restore": v6} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s not installed (apt-get install iptables)", tool)
		}
		out, err := Render("iptables", ps, testMeta, Options{})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(path, "--test", "--noflush")
		cmd.Stdin = bytes.NewReader(out)
		res, err := cmd.CombinedOutput()
		if err != nil && (bytes.Contains(res, []byte("Permission denied")) || bytes.Contains(res, []byte("not permitted"))) {
			t.Skipf("%s --test needs root here: %s", tool, res)
		}
		if err != nil {
			t.Fatalf("%s --test rejected the file: %v\n%s\n%s", tool, err, res, out)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, good := range []string{"m", "meta_webhooks", "Meta-4", strings.Repeat("a", 27)} {
		if err := CheckName(good); err != nil {
			t.Errorf("CheckName(%q) = %v", good, err)
		}
	}
	for _, bad := range []string{"", "4meta", "_x", "a b", "a;b", "ä", strings.Repeat("a", 28)} {
		if err := CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) accepted", bad)
		}
	}
}
