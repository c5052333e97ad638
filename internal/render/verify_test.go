package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/wa-hooks/wa-hooks/internal/conformance"
)

// updateVerifyGolden is -update; it reuses the flag when another test file of
// this package defines it first.
var updateVerifyGolden = func() *bool {
	if f := flag.Lookup("update"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			if b, ok := g.Get().(bool); ok {
				p := new(bool)
				*p = b
				return p
			}
		}
	}
	return flag.Bool("update", false, "rewrite the golden files")
}()

func updating() bool {
	if f := flag.Lookup("update"); f != nil {
		return f.Value.String() == "true"
	}
	return *updateVerifyGolden
}

func sampleReport() *conformance.Report {
	r := &conformance.Report{URL: "https://hooks.example.com/webhook", Challenge: "1158201444"}
	checks := []conformance.Check{
		{ID: "handshake", Group: "handshake", Title: "Handshake as Meta sends it", Status: conformance.Fail,
			Reason:     `200 with the challenge JSON-quoted ("\"1158201444\""): Meta compares the raw body`,
			Fix:        "return the challenge as plain text (text/plain), not as a JSON string",
			HTTPStatus: 200, Latency: 41 * time.Millisecond},
		{ID: "wrong-token", Group: "handshake", Title: "Wrong verify token refused", Status: conformance.Pass, Reason: "refused with 403 Forbidden", HTTPStatus: 403},
		{ID: "certificate-expiry", Group: "handshake", Title: "Certificate expiry", Status: conformance.Warn,
			Reason: "expires on 2026-12-01, in 6 days", Fix: "renew the certificate now, and check that renewal is automated"},
		{ID: "https", Group: "handshake", Title: "HTTPS", Status: conformance.Fail, Strict: true,
			Reason: "plain HTTP on loopback: fine for local testing, but Meta only calls https:// URLs",
			Fix:    "serve the endpoint over HTTPS with a certificate from a public CA, or expose it through a tunnel (cloudflared, ngrok)"},
		{ID: "content-type", Group: "handshake", Title: "Content-Type text/plain", Status: conformance.Skip, Reason: "the handshake was not answered with 200"},
		{ID: "forged-signature", Group: "deliveries", Title: "Forged signature refused", Status: conformance.Fail,
			Reason: "accepted with 200 OK in 3ms: your endpoint accepts forged webhooks", Fix: "verify X-Hub-Signature-256 on every POST", HTTPStatus: 200, Latency: 3 * time.Millisecond},
	}
	for _, c := range checks {
		r.Checks = append(r.Checks, c)
		switch c.Status {
		case conformance.Pass:
			r.Summary.Passed++
		case conformance.Fail:
			r.Summary.Failed++
		case conformance.Warn:
			r.Summary.Warnings++
		case conformance.Skip:
			r.Summary.Skipped++
		}
	}
	return r
}

func renderPretty(t *testing.T, colour bool, width int) string {
	t.Helper()
	var buf bytes.Buffer
	r := lipgloss.NewRenderer(&buf)
	r.SetColorProfile(termenv.Ascii)
	if colour {
		r.SetColorProfile(termenv.ANSI256)
	}
	p := NewVerifyPretty(&buf, r, VerifyOptions{Width: width})
	rep := sampleReport()
	p.Start(rep)
	for _, c := range rep.Checks {
		p.Check(c)
	}
	if err := p.Finish(rep); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./internal/render -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestVerifyPrettyGolden(t *testing.T) {
	plain := renderPretty(t, false, 0)
	golden(t, "verify_plain.golden", plain)
	golden(t, "verify_tty.golden", renderPretty(t, true, 100))

	if strings.Contains(plain, "\x1b[") {
		t.Errorf("escape codes without colour")
	}
	lines := strings.Split(strings.TrimRight(plain, "\n"), "\n")
	if last := lines[len(lines)-1]; last != "1 passed, 3 failed, 1 warning, 1 skipped" {
		t.Errorf("last line = %q", last)
	}
	for _, mark := range []string{"✓ Wrong verify token", "✗ Handshake", "! Certificate expiry", "– Content-Type"} {
		if !strings.Contains(plain, mark) {
			t.Errorf("no %q line", mark)
		}
	}
}

func TestVerifyWrap(t *testing.T) {
	out := renderPretty(t, false, 100)
	for _, l := range strings.Split(out, "\n") {
		if w := lipgloss.Width(l); w > 100 {
			t.Errorf("line wider than 100 columns (%d): %q", w, l)
		}
	}
}

func TestVerifyJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := NewVerifyJSON(&buf).Finish(sampleReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, "verify.json.golden", buf.String())
	var back struct {
		Checks []struct {
			ID, Status string
			LatencyMS  float64 `json:"latency_ms"`
		}
		Summary conformance.Summary
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Summary.Failed != 3 || len(back.Checks) != 6 || back.Checks[0].Status != "fail" {
		t.Errorf("round trip: %+v", back)
	}
}
