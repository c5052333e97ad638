package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/conformance"
)

type countingReporter struct{ starts, checks, finishes int }

func (c *countingReporter) Start(*conformance.Report)        { c.starts++ }
func (c *countingReporter) Check(conformance.Check)          { c.checks++ }
func (c *countingReporter) Finish(*conformance.Report) error { c.finishes++; return nil }

func TestJUnitFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "verify.xml")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckJUnitPath(path); err != nil {
		t.Fatal(err)
	}
	next := &countingReporter{}
	j := JUnitFile{Next: next, Path: path, Name: "wa-hooks verify"}
	rep := &conformance.Report{URL: "http://127.0.0.1/webhook", Checks: []conformance.Check{
		{ID: "delivery-fields", Group: "deliveries", Title: "Every subscribed field", Status: conformance.Fail, Reason: "2 of 35 fields not answered 200: security (500), flows (500)"},
	}}
	j.Start(rep)
	j.Check(rep.Checks[0])
	if err := j.Finish(rep); err != nil {
		t.Fatal(err)
	}
	if next.starts != 1 || next.checks != 1 || next.finishes != 1 {
		t.Errorf("the next reporter saw %+v", next)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `failures="1"`) || !strings.Contains(string(b), "security (500), flows (500)") {
		t.Errorf("file:\n%s", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".junit-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	if err := CheckJUnitPath(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v", err)
	}
	if err := CheckJUnitPath(filepath.Join(dir, "missing", "x.xml")); err == nil {
		t.Error("a missing directory should be refused")
	}
	j.Path = filepath.Join(dir, "gone", "x.xml")
	if err := j.Finish(rep); err == nil || !strings.Contains(err.Error(), "--junit") {
		t.Errorf("write into a missing directory: %v", err)
	}
}
