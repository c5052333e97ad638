package receiver

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// renderCatalog posts every fixture, signed in wire form, to a receiver
// with a fixed clock and the human renderer (colour off), and returns the
// output with a "# name" header before each fixture's lines.
func renderCatalog(t *testing.T, redact bool, width int) []byte {
	t.Helper()
	var all bytes.Buffer
	for _, f := range fixtures.All() {
		out := &syncBuffer{}
		sink := newPlainPretty(out, width)
		rc, err := New(Options{
			Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken, StaleAfter: 24 * time.Hour,
			Now: func() time.Time { return fixedNow }, Sink: sink, Redact: redact,
		})
		if err != nil {
			t.Fatal(err)
		}
		body, err := wire.Encode(f.Body)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if w := post(rc, body, signed(body)); w.Code != 200 {
			t.Fatalf("%s: status %d: %s", f.Name, w.Code, w.Body)
		}
		rc.Close()
		fmt.Fprintf(&all, "# %s\n%s", f.Name, out.String())
	}
	return all.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/receiver -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run with -update if the change is intended)", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: got %d lines, want %d (run with -update if intended)", path, len(gl), len(wl))
	}
}

func TestGoldenHumanOutput(t *testing.T) {
	got := renderCatalog(t, false, 0)
	if bytes.Contains(got, []byte("\x1b[")) {
		t.Fatal("colour codes with colour off")
	}
	checkGolden(t, "catalog.golden", got)
}

// On a terminal every event is one line that fits: the whole catalog at
// 200, 80 and 50 columns.
func TestGoldenScreens(t *testing.T) {
	for _, width := range []int{200, 80, 50} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			got := renderCatalog(t, false, width)
			events, lines := 0, 0
			for i, line := range strings.Split(strings.TrimSuffix(string(got), "\n"), "\n") {
				if strings.HasPrefix(line, "# ") {
					continue
				}
				lines++
				if !strings.HasPrefix(line, " ") {
					events++
				}
				if w := lipgloss.Width(line); w > width {
					t.Errorf("line %d is %d columns wide, more than %d: %s", i+1, w, width, line)
				}
			}
			if events < len(fixtures.All()) {
				t.Errorf("only %d event lines for %d fixtures", events, len(fixtures.All()))
			}
			checkGolden(t, fmt.Sprintf("catalog_%d.golden", width), got)
		})
	}
}

func TestGoldenRedacted(t *testing.T) {
	got := renderCatalog(t, true, 0)
	for _, leak := range []string{"Camila", "16505550187", "US.2084756193847561029", "Do you ship"} {
		if bytes.Contains(got, []byte(leak)) {
			t.Errorf("redacted output contains %q", leak)
		}
	}
	checkGolden(t, "catalog_redacted.golden", got)
}

func TestGoldenRawAndHeaders(t *testing.T) {
	out := &syncBuffer{}
	r := lipgloss.NewRenderer(out)
	r.SetColorProfile(termenv.Ascii)
	rc, err := New(Options{
		Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken,
		Now:  func() time.Time { return fixedNow },
		Sink: render.NewPretty(out, r, render.PrettyOptions{Location: time.UTC, Raw: true, Headers: true}),
	})
	if err != nil {
		t.Fatal(err)
	}
	body := wireFixture(t, "statuses.failed.131047")
	post(rc, body, signed(body))
	post(rc, body, map[string]string{"X-Hub-Signature-256": "sha256=" + strings.Repeat("0", 64)})
	rc.Close()
	checkGolden(t, "raw_headers.golden", []byte(out.String()))
}

// newPlainPretty is the human renderer with colour off, as serve builds it
// for a pipe (width 0) or a terminal of the given width.
func newPlainPretty(w io.Writer, width int) *render.Pretty {
	return render.NewPretty(w, plainRenderer(w), render.PrettyOptions{Location: time.UTC, Width: width})
}
