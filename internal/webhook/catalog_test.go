package webhook_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestCatalogParses checks every fixture against its catalog entry: it
// parses, yields the stated number of events, decodes without problems,
// and only the fixtures meant to carry something unknown produce unknown
// events.
func TestCatalogParses(t *testing.T) {
	all := fixtures.All()
	if len(all) == 0 {
		t.Fatal("the catalog is empty")
	}
	for _, f := range all {
		t.Run(f.Name, func(t *testing.T) {
			n, err := webhook.Parse(f.Body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			events := n.Events()
			if len(events) != f.Events {
				t.Fatalf("got %d events, catalog says %d", len(events), f.Events)
			}
			sawUnknown := false
			for i, e := range events {
				if len(e.Problems) > 0 {
					t.Errorf("event %d: decode problems: %q", i, e.Problems)
				}
				if e.Unknown || e.Type == "unknown" {
					sawUnknown = true
					if !f.Unknown {
						t.Errorf("event %d is unknown (type %q) but the fixture is not an unknown-type fixture", i, e.Type)
					}
				}
				if e.Summary == "" {
					t.Errorf("event %d has no summary", i)
				}
				if len(e.Raw) == 0 {
					t.Errorf("event %d has no raw item", i)
				}
				if e.Field != f.Field && f.Field != "" && !strings.HasPrefix(f.Name, "messages.batch") {
					t.Errorf("event %d: field %q, catalog says %q", i, e.Field, f.Field)
				}
				if e.Kind == "message" && e.From == "" {
					t.Errorf("event %d: message without a sender", i)
				}
				if e.Kind == "status" && e.Recipient == "" {
					t.Errorf("event %d: status without a recipient", i)
				}
			}
			if f.Unknown && !sawUnknown {
				t.Errorf("fixture is marked unknown but no event is")
			}
		})
	}
}

// TestCatalogGolden pins the events of the whole catalog (type, who, when,
// summary, key) in one golden file, so any change in how an event is
// understood shows up in review. Regenerate with -update.
func TestCatalogGolden(t *testing.T) {
	var b bytes.Buffer
	for _, f := range fixtures.All() {
		n, err := webhook.Parse(f.Body)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		fmt.Fprintf(&b, "== %s\n", f.Name)
		for _, e := range n.Events() {
			fmt.Fprintf(&b, "%s %s/%s", e.Field, e.Kind, e.Type)
			if e.From != "" {
				fmt.Fprintf(&b, " from=%s", e.From)
			}
			if e.Recipient != "" {
				fmt.Fprintf(&b, " to=%s", e.Recipient)
			}
			if e.ContactName != "" {
				fmt.Fprintf(&b, " name=%q", e.ContactName)
			}
			if e.Username != "" {
				fmt.Fprintf(&b, " username=%s", e.Username)
			}
			if e.WaID != "" {
				fmt.Fprintf(&b, " wa_id=%s", e.WaID)
			}
			if e.ParentUserID != "" {
				fmt.Fprintf(&b, " parent=%s", e.ParentUserID)
			}
			if e.RawType != "" && e.RawType != e.Type {
				fmt.Fprintf(&b, " raw_type=%s", e.RawType)
			}
			if !e.Timestamp.IsZero() {
				fmt.Fprintf(&b, " at=%s", e.Timestamp.Format(time.RFC3339))
			}
			fmt.Fprintf(&b, "\n  %s\n  key=%s\n", e.Summary, e.Key())
			for _, p := range e.Problems {
				fmt.Fprintf(&b, "  problem: %s\n", p)
			}
		}
	}
	golden(t, filepath.Join("testdata", "catalog.golden"), b.Bytes())
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; run go test ./internal/webhook -update and review the diff.\n%s", path, firstDiff(want, got))
	}
}

func firstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, w, g)
		}
	}
	return ""
}
