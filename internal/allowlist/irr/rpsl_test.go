package irr

import (
	"slices"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irrtest"
)

func TestParseRPSL(t *testing.T) {
	in := "% This is a banner line\n" +
		"\n" +
		"route:          157.240.0.0/16\n" +
		"descr:          Facebook, Inc.\n" +
		"# a comment line inside the object\n" +
		"origin:         AS32934 # trailing comment\n" +
		"mnt-by:         MAINT-AS32934,\n" +
		"                MAINT-OTHER\n" +
		"mnt-by:         meta-mnt\n" +
		"remarks:        first line\n" +
		"+\n" +
		"\tthird line\n" +
		"source:         RPKI  # Trust Anchor: ripe\r\n" +
		"\r\n" +
		"route6:         2a03:2880::/32\n" +
		"origin:         AS32934\n" +
		"source:         RADB\n" +
		"rpki-ov-state:  not_found # No ROAs found\n" +
		"\n\n"
	ans, err := ParseRPSL([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Objects) != 2 {
		t.Fatalf("got %d objects, want 2", len(ans.Objects))
	}
	o := ans.Objects[0]
	if o.Class() != "route" || o.Key() != "157.240.0.0/16" {
		t.Errorf("class/key = %q %q", o.Class(), o.Key())
	}
	if got := o.First("origin"); got != "AS32934" {
		t.Errorf("origin = %q", got)
	}
	if got := o.List("mnt-by"); !slices.Equal(got, []string{"MAINT-AS32934", "MAINT-OTHER", "meta-mnt"}) {
		t.Errorf("mnt-by = %q", got)
	}
	if got := o.First("remarks"); got != "first line third line" {
		t.Errorf("remarks = %q", got)
	}
	if got := o.First("source"); got != "RPKI" {
		t.Errorf("source = %q", got)
	}
	if got := ans.Objects[1].First("rpki-ov-state"); got != "not_found" {
		t.Errorf("rpki-ov-state = %q", got)
	}
	if len(ans.Messages) != 1 || ans.NoEntries || ans.ServerError != "" {
		t.Errorf("messages = %q, noEntries=%v, error=%q", ans.Messages, ans.NoEntries, ans.ServerError)
	}
}

func TestParseRPSLMessages(t *testing.T) {
	tests := []struct {
		in        string
		noEntries bool
		serverErr string
	}{
		{"%  No entries found for the selected source(s).\n\n\n", true, ""},
		{"%% ERROR: Unrecognised flag/search: Z\n\n\n", false, "Unrecognised flag/search: Z"},
		{"", false, ""},
	}
	for _, tt := range tests {
		ans, err := ParseRPSL([]byte(tt.in))
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if ans.NoEntries != tt.noEntries || ans.ServerError != tt.serverErr || len(ans.Objects) != 0 {
			t.Errorf("%q: noEntries=%v error=%q objects=%d", tt.in, ans.NoEntries, ans.ServerError, len(ans.Objects))
		}
	}
}

func TestParseRPSLErrors(t *testing.T) {
	tests := []struct {
		name, in  string
		truncated bool
		want      string
	}{
		{"ends inside object", "route: 192.0.2.0/24\norigin: AS1\n", true, "ends inside an object"},
		{"ends mid line", "route: 192.0.2.0/24\norigin: AS", true, "middle of a line"},
		{"html", "<html>\n\n", false, "line 1: not an RPSL attribute line"},
		{"continuation first", "  orphan\n\n", false, "continuation line outside an object"},
		{"space in name", "ro ute: x\n\n", false, "not an RPSL attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRPSL([]byte(tt.in))
			pe, ok := err.(*ParseError)
			if !ok {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if pe.Truncated != tt.truncated || !strings.Contains(pe.Error(), tt.want) {
				t.Errorf("err = %v (truncated=%v), want %q truncated=%v", pe, pe.Truncated, tt.want, tt.truncated)
			}
		})
	}
}

// FuzzParseRPSL checks the parser never panics and that what it accepts is
// self-consistent: every object has a class, and names are lower-case.
func FuzzParseRPSL(f *testing.F) {
	f.Add([]byte("route: 192.0.2.0/24\norigin: AS1\nmnt-by: A,\n B\nsource: RADB # c\n\n\n"))
	f.Add([]byte("%  No entries found for the selected source(s).\n\n\n"))
	f.Add([]byte("%% ERROR: bad\n\n\n"))
	f.Add([]byte("route6: 2001:db8::/32\r\n+\r\n\tx\r\n\r\n"))
	f.Add([]byte("route: 1.2.3.0/24\norigin: AS1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ans, err := ParseRPSL(data)
		if err != nil {
			return
		}
		for _, o := range ans.Objects {
			if o.Class() == "" {
				t.Fatalf("object without class: %+v", o)
			}
			for _, a := range o.Attrs {
				if a.Name != strings.ToLower(a.Name) || strings.Contains(a.Value, "#") {
					t.Fatalf("attribute not normalised: %+v", a)
				}
			}
		}
	})
}

func BenchmarkParseRPSL(b *testing.B) {
	data := []byte(irrtest.RPSL(irrtest.Generate(1, 3000).Select("AS32934", nil, true, true)))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRPSL(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRPSLRouteAttrs(b *testing.B) {
	data := []byte(irrtest.RPSL(irrtest.Generate(1, 3000).Select("AS32934", nil, true, true)))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRPSLAttrs(data, routeAttr); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseRPSLAttrsKeepsOnlyWhatIsAsked(t *testing.T) {
	in := "route: 192.0.2.0/24\ndescr: a\n  b\nremarks: x\n+\n y\norigin: AS1\nmnt-by: M1,\n M2\n\n"
	ans, err := ParseRPSLAttrs([]byte(in), func(n string) bool { return n == "origin" || n == "mnt-by" })
	if err != nil {
		t.Fatal(err)
	}
	o := ans.Objects[0]
	if len(o.Attrs) != 3 || o.Key() != "192.0.2.0/24" || o.First("origin") != "AS1" || o.First("descr") != "" ||
		!slices.Equal(o.List("mnt-by"), []string{"M1", "M2"}) {
		t.Errorf("object = %+v", o)
	}
	// Skipped attributes are still checked for syntax.
	if _, err := ParseRPSLAttrs([]byte("route: x\nbad line\n\n"), func(string) bool { return false }); err == nil {
		t.Error("a bad line inside a skipped part was accepted")
	}
}
