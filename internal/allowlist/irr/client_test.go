package irr_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irr"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/irrtest"
)

func start(t *testing.T, b irrtest.Behaviour) (*irrtest.Server, irrtest.Dataset) {
	t.Helper()
	data := irrtest.Generate(7, 500)
	srv, err := irrtest.Start(data, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, data
}

func opts(srv *irrtest.Server, mode string) irr.Options {
	return irr.Options{Server: srv.Addr, ASN: "AS32934", Mode: mode, V4: true, V6: true,
		ConnectTimeout: time.Second, Timeout: 5 * time.Second, ClientName: "wa-hooks-test"}
}

func prefixes(routes []irr.Route, skipRPKI bool) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range routes {
		if r.Err != nil || skipRPKI && r.Source == "RPKI" {
			continue
		}
		out = append(out, r.Prefix)
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Compare(b) })
	return slices.Compact(out)
}

func TestFetchBothModesAgree(t *testing.T) {
	srv, data := start(t, irrtest.Normal)
	rp, err := irr.Fetch(context.Background(), opts(srv, irr.ModeRPSL))
	if err != nil {
		t.Fatal(err)
	}
	ir, err := irr.Fetch(context.Background(), opts(srv, irr.ModeIRRd))
	if err != nil {
		t.Fatal(err)
	}
	// rpsl returns every object (RPKI ones too, for the filter to drop);
	// irrd asks the server to leave RPKI out of the source selection.
	got4rpsl := prefixes(rp.Routes, true)
	gotIRRd := prefixes(ir.Routes, false)
	if !slices.Equal(got4rpsl, gotIRRd) {
		t.Fatalf("rpsl and irrd disagree:\n%v\n%v", got4rpsl, gotIRRd)
	}
	var want []netip.Prefix
	for _, o := range data.Select("AS32934", []string{"RADB", "RIPE", "ARIN"}, true, true) {
		want = append(want, o.Prefix)
	}
	slices.SortFunc(want, func(a, b netip.Prefix) int { return a.Compare(b) })
	want = slices.Compact(want)
	if !slices.Equal(gotIRRd, want) {
		t.Fatalf("got %d prefixes, want %d", len(gotIRRd), len(want))
	}
	if len(rp.Routes) != len(data.Select("AS32934", nil, true, true)) {
		t.Errorf("rpsl routes = %d, want every object of the default sources", len(rp.Routes))
	}
	q := srv.Queries()
	if !slices.Contains(q, "!nwa-hooks-test") || !slices.Contains(q, "!sRADB,RIPE,ARIN") || !slices.Contains(q, "!gAS32934") {
		t.Errorf("irrd queries = %q", q)
	}
	if srv.MaxConcurrent() != 1 {
		t.Errorf("max concurrent connections = %d, want 1", srv.MaxConcurrent())
	}
}

func TestFetchFamiliesAndSources(t *testing.T) {
	srv, _ := start(t, irrtest.Normal)
	for _, mode := range []string{irr.ModeRPSL, irr.ModeIRRd} {
		o := opts(srv, mode)
		o.V6 = false
		o.Sources = []string{"ALTDB"}
		ans, err := irr.Fetch(context.Background(), o)
		if err != nil {
			t.Fatal(mode, err)
		}
		got := prefixes(ans.Routes, false)
		if len(got) != 1 || got[0].String() != irrtest.OtherSourceOnly[0] {
			t.Errorf("%s: got %v", mode, got)
		}
	}
	if q := srv.Queries(); !slices.Contains(q, "-s ALTDB -T route -i origin AS32934") {
		t.Errorf("queries = %q", q)
	}
}

func TestFetchRetriesOneConnectionAtATime(t *testing.T) {
	srv, _ := start(t, irrtest.Truncate)
	for _, mode := range []string{irr.ModeRPSL, irr.ModeIRRd} {
		before := srv.Connections()
		o := opts(srv, mode)
		o.Retries = 2
		var waits []time.Duration
		o.Backoff = 100 * time.Millisecond
		o.Sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		_, err := irr.Fetch(context.Background(), o)
		if irr.KindOf(err) != irr.Truncated || !strings.Contains(err.Error(), "after 3 attempts") {
			t.Fatalf("%s: err = %v, want truncated after 3 attempts", mode, err)
		}
		if n := srv.Connections() - before; n != 3 {
			t.Errorf("%s: %d connections, want 3", mode, n)
		}
		// base·2^(n-1) with jitter in [0.5, 1.5)
		if len(waits) != 2 || waits[0] < 50*time.Millisecond || waits[0] >= 150*time.Millisecond ||
			waits[1] < 100*time.Millisecond || waits[1] >= 300*time.Millisecond {
			t.Errorf("%s: waits = %v", mode, waits)
		}
	}
	if srv.MaxConcurrent() != 1 {
		t.Errorf("max concurrent connections = %d, want 1", srv.MaxConcurrent())
	}
}

func TestFetchErrors(t *testing.T) {
	tests := []struct {
		b    irrtest.Behaviour
		mode string
		kind irr.ErrorKind
	}{
		{irrtest.Empty, irr.ModeRPSL, irr.Empty},
		{irrtest.Empty, irr.ModeIRRd, irr.Empty},
		{irrtest.Fail, irr.ModeRPSL, irr.ServerError},
		{irrtest.Fail, irr.ModeIRRd, irr.ServerError},
		{irrtest.Garbage, irr.ModeRPSL, irr.Malformed},
		{irrtest.Garbage, irr.ModeIRRd, irr.Malformed},
		{irrtest.Hang, irr.ModeRPSL, irr.Network},
		{irrtest.Hang, irr.ModeIRRd, irr.Network},
	}
	for _, tt := range tests {
		t.Run(string(tt.b)+"/"+tt.mode, func(t *testing.T) {
			srv, _ := start(t, tt.b)
			o := opts(srv, tt.mode)
			o.Timeout = 200 * time.Millisecond
			_, err := irr.Fetch(context.Background(), o)
			if irr.KindOf(err) != tt.kind {
				t.Fatalf("err = %v (kind %d), want kind %d", err, irr.KindOf(err), tt.kind)
			}
		})
	}
}

func TestFetchTooLarge(t *testing.T) {
	srv, _ := start(t, irrtest.Normal)
	for _, mode := range []string{irr.ModeRPSL, irr.ModeIRRd} {
		o := opts(srv, mode)
		o.MaxBytes = 2000
		_, err := irr.Fetch(context.Background(), o)
		if k := irr.KindOf(err); k != irr.TooLarge && k != irr.Malformed {
			t.Errorf("%s: err = %v, want refused as too large", mode, err)
		}
	}
}

func TestFetchCancelled(t *testing.T) {
	srv, _ := start(t, irrtest.Hang)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	o := opts(srv, irr.ModeRPSL)
	o.Timeout = time.Minute
	if _, err := irr.Fetch(ctx, o); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"32934": "AS32934", "as32934": "AS32934", " AS1 ": "AS1", "AS4294967295": "AS4294967295"} {
		if got, err := irr.NormalizeASN(in); err != nil || got != want {
			t.Errorf("NormalizeASN(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "AS", "ASX", "AS-1", "AS4294967296", "AS+1", "AS01", "AS32934,AS1"} {
		if _, err := irr.NormalizeASN(bad); err == nil {
			t.Errorf("NormalizeASN(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"whois.radb.net": "whois.radb.net:43", "h:4343": "h:4343", "2001:db8::1": "[2001:db8::1]:43", "[::1]:43": "[::1]:43"} {
		if got, err := irr.NormalizeServer(in); err != nil || got != want {
			t.Errorf("NormalizeServer(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "a:b:c"} {
		if _, err := irr.NormalizeServer(bad); err == nil {
			t.Errorf("NormalizeServer(%q) accepted", bad)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	for _, tt := range []struct {
		in string
		v6 bool
		ok bool
	}{
		{"157.240.0.0/16", false, true},
		{" 157.240.0.0/16 ", false, true},
		{"157.240.1.0/16", false, false}, // host bits
		{"02.51.252.0/22", false, false}, // leading zero
		{"192.0.2/24", false, false},     // short form
		{"2a03:2880::/32", false, false}, // wrong family for route
		{"::ffff:1.2.3.0/120", true, false},
		{"2a03:2880::/32", true, true},
	} {
		_, err := irr.ParsePrefix(tt.in, tt.v6)
		if (err == nil) != tt.ok {
			t.Errorf("ParsePrefix(%q, v6=%v) err = %v, want ok=%v", tt.in, tt.v6, err, tt.ok)
		}
	}
}

// A server that rejects !n (identification is optional) and has no
// RPKI in its default sources still gives an answer; nothing sends !s.
func TestFetchIRRdTolerantIdentification(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var got []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSpace(line)
			got = append(got, line)
			switch {
			case line == "!!":
			case strings.HasPrefix(line, "!n"):
				io.WriteString(c, "F unknown command\n")
			case line == "!s-lc":
				io.WriteString(c, "A10\nRADB,RIPE\nC\n")
			case line == "!gAS32934":
				io.WriteString(c, "A15\n157.240.0.0/16\nC\n")
			case line == "!6AS32934":
				io.WriteString(c, "D\n")
			}
		}
	}()
	o := irr.Options{Server: ln.Addr().String(), ASN: "AS32934", Mode: irr.ModeIRRd, V4: true, V6: true,
		ConnectTimeout: time.Second, Timeout: 2 * time.Second, ClientName: "x"}
	ans, err := irr.Fetch(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Routes) != 1 || ans.Routes[0].Prefix.String() != "157.240.0.0/16" || ans.Query != "!s-lc !gAS32934 !6AS32934" {
		t.Errorf("answer = %+v", ans)
	}
	<-done
	if slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "!s") && s != "!s-lc" }) {
		t.Errorf("sent a source selection although RPKI was not selected: %q", got)
	}
}
