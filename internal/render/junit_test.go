package render

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/conformance"
)

func TestJUnitCountsAndEscapes(t *testing.T) {
	r := &conformance.Report{Checks: []conformance.Check{
		{ID: "handshake.echo", Group: "handshake", Title: "challenge echoed", Status: conformance.Pass, LatencyMS: 12},
		{ID: "handshake.token", Group: "handshake", Title: "wrong token refused", Status: conformance.Fail, Reason: "answered 200 \x1b]0;x\x07<b>", Fix: "compare the token"},
		{ID: "deliveries.text", Group: "deliveries", Title: "text", Status: conformance.Warn, Reason: "slow"},
		{ID: "deliveries.tls", Group: "deliveries", Title: "tls", Status: conformance.Skip, Reason: "plain HTTP"},
	}}
	var buf bytes.Buffer
	if err := JUnit(&buf, "wa-hooks verify", r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, buf.String())
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Skipped != 1 || len(doc.Suites) != 2 {
		t.Fatalf("counts: %+v", doc)
	}
	msg := doc.Suites[0].Cases[1].Failure.Message
	if strings.ContainsAny(msg, "\x1b\x07") || !strings.Contains(msg, "<b>") {
		t.Fatalf("failure message %q", msg)
	}
}
