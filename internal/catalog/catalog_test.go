package catalog_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/catalog"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
)

func TestListPipe(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := catalog.List(ios, catalog.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.HasPrefix(s, "messages (") {
		t.Errorf("messages should come first:\n%.200s", s)
	}
	if strings.Contains(s, "\x1b[") {
		t.Error("colour in a pipe")
	}
	if strings.Contains(s, "fixtures. Show one") {
		t.Error("the hint line is for terminals only")
	}
	for _, f := range fixtures.All() {
		if !strings.Contains(s, "  "+f.Name+" ") || !strings.Contains(s, f.Description+"\n") {
			t.Errorf("%s or its full description is missing", f.Name)
		}
	}
}

func TestListTerminal(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.StdoutTTY = true
	ios.Mode = iostreams.ColorAlways
	ios.SetTerminalWidth(80)
	if err := catalog.List(ios, catalog.ListOptions{Field: "flows"}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "\x1b[") {
		t.Error("no colour on a terminal with --color always")
	}
	if !strings.Contains(s, "…") {
		t.Error("long descriptions should be cut to the terminal width")
	}
	if !strings.Contains(s, "fixtures. Show one: wa-hooks fixtures show NAME") {
		t.Error("missing the hint line")
	}
}

func TestListJSON(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := catalog.List(ios, catalog.ListOptions{Pattern: "statuses.failed.*", JSON: true}); err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Name, Field, Description, Source string
		Events, Bytes                    int
		Confirmed                        *bool
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(fixtures.Match("statuses.failed.*")) {
		t.Fatalf("got %d", len(got))
	}
	for _, g := range got {
		if g.Field != "messages" || g.Events != 1 || g.Bytes == 0 || g.Description == "" || g.Source == "" || g.Confirmed == nil {
			t.Errorf("%+v", g)
		}
	}

	// An unconfirmed shape says so, and where it comes from.
	out.Reset()
	if err := catalog.List(ios, catalog.ListOptions{Pattern: "messaging_handovers", JSON: true}); err != nil {
		t.Fatal(err)
	}
	got = nil
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("messaging_handovers: %d fixtures", len(got))
	}
	for _, g := range got {
		if *g.Confirmed || !strings.Contains(g.Source, "public handler") {
			t.Errorf("%s: confirmed %v, source %q", g.Name, *g.Confirmed, g.Source)
		}
	}

	// Nothing matching is an empty array for scripts, not an error.
	out.Reset()
	if err := catalog.List(ios, catalog.ListOptions{Pattern: "nothing*", JSON: true}); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out.String()) != "[]" {
		t.Errorf("got %q", out)
	}
}

func TestListErrors(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	for _, tc := range []struct {
		opts catalog.ListOptions
		code int
		msg  string
	}{
		{catalog.ListOptions{Field: "acount_update"}, exit.Usage, `did you mean "account_update"`},
		{catalog.ListOptions{Pattern: "["}, exit.Usage, "bad pattern"},
		{catalog.ListOptions{Pattern: "zz*"}, exit.Failure, "no fixture matches"},
	} {
		err := catalog.List(ios, tc.opts)
		var ee *exit.Error
		if !errors.As(err, &ee) || ee.Code != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: got %v", tc.opts, err)
		}
	}
}

func TestShow(t *testing.T) {
	f, _ := fixtures.Get("messages.text.non_ascii")
	ios, _, out, _ := iostreams.Test()
	if err := catalog.Show(ios, catalog.ShowOptions{Name: f.Name}); err != nil {
		t.Fatal(err)
	}
	if out.String() != string(f.Body) {
		t.Error("show should print the file as it is")
	}

	out.Reset()
	if err := catalog.Show(ios, catalog.ShowOptions{Name: f.Name, Wire: true}); err != nil {
		t.Fatal(err)
	}
	w := out.String()
	if strings.HasSuffix(w, "\n") || !strings.Contains(w, `caf\u00e9`) || !strings.Contains(w, `https:\/\/`) {
		t.Errorf("wire form in a pipe: %q", w)
	}

	ios.StdoutTTY = true
	out.Reset()
	if err := catalog.Show(ios, catalog.ShowOptions{Name: f.Name, Wire: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "}\n") {
		t.Error("on a terminal the wire form should end with a newline")
	}

	err := catalog.Show(ios, catalog.ShowOptions{Name: "statuses.faild.131047"})
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "did you mean statuses.failed.131047") {
		t.Errorf("unknown name: %v", err)
	}
}

func TestComplete(t *testing.T) {
	got := catalog.Complete("statuses.failed.1310")
	if len(got) == 0 {
		t.Fatal("no candidates")
	}
	for _, c := range got {
		name, desc, ok := strings.Cut(c, "\t")
		if !ok || !strings.HasPrefix(name, "statuses.failed.1310") || desc == "" {
			t.Errorf("candidate %q", c)
		}
	}
}
