package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"

	"github.com/wa-hooks/wa-hooks/internal/conformance"
)

// The pointer to `wa-hooks test` follows delivery checks that ran, and only
// those: a handshake-only run and test's own report do not get it.
func TestVerifyPointsToTestAfterDeliveries(t *testing.T) {
	for _, tt := range []struct {
		group  string
		status conformance.Status
		want   bool
	}{
		{conformance.GroupDeliveries, conformance.Pass, true},
		{conformance.GroupDeliveries, conformance.Skip, false},
		{conformance.GroupHandshake, conformance.Pass, false},
		{"batches", conformance.Pass, false},
	} {
		var buf bytes.Buffer
		p := NewVerifyPretty(&buf, lipgloss.NewRenderer(&buf), VerifyOptions{Heading: "Testing"})
		r := &conformance.Report{URL: "http://127.0.0.1:3000/webhook"}
		p.Start(r)
		p.Check(r.Add(conformance.Check{ID: "x", Group: tt.group, Title: "x", Status: tt.status}))
		if err := p.Finish(r); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if got := strings.Contains(out, "wa-hooks test --app http://127.0.0.1:3000/webhook"); got != tt.want {
			t.Errorf("%s/%s: pointer shown %v, want %v:\n%s", tt.group, tt.status, got, tt.want, out)
		}
		if !strings.HasPrefix(out, "Testing http://127.0.0.1:3000/webhook") {
			t.Errorf("heading: %q", out)
		}
		if tt.group == "batches" && !strings.Contains(out, "\nBatches\n") {
			t.Errorf("group title of another suite: %q", out)
		}
	}
}
