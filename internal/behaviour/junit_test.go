package behaviour

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/behaviour/behaviourtest"
	"github.com/wa-hooks/wa-hooks/internal/conformance"
	"github.com/wa-hooks/wa-hooks/internal/render"
)

// A real run with a pass, a failure, a skip and a failed scenario, written
// as JUnit, is valid against the JUnit schema and its counts add up.
func TestJUnitOfARunValidates(t *testing.T) {
	t.Parallel()
	sc, err := ParseScenario("colours.yaml", []byte("users: [{name: ana}]\nsteps:\n  - say: menu\n    expect:\n      - sends: text\n        within: 300ms\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := fast(Options{Only: []string{"reply", "batch", "taps", "scenarios"}, Scenarios: []*Scenario{sc}})
	o.Menu, o.Timeout = "", 3*time.Second
	rep := withMock(t, &behaviourtest.App{Bug: behaviourtest.FirstOnly}, o)
	statuses := map[conformance.Status]int{}
	for _, c := range rep.Checks {
		statuses[c.Status]++
	}
	if statuses[conformance.Pass] < 1 || statuses[conformance.Fail] != 2 || statuses[conformance.Skip] != 1 {
		t.Fatalf("want passes, 2 failures and a skip: %v", statuses)
	}
	path := filepath.Join(t.TempDir(), "report.xml")
	var buf bytes.Buffer
	if err := render.JUnit(&buf, "wa-hooks test", rep); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := behaviourtest.CheckJUnitCounts(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	switch err := behaviourtest.ValidateJUnitSchema(path); {
	case errors.Is(err, behaviourtest.ErrNoXmllint):
		t.Skip(err) // .ci/run installs it
	case err != nil:
		t.Fatal(err)
	}
}

// The validators refuse what CI readers would choke on.
func TestJUnitValidatorsRefuseBrokenReports(t *testing.T) {
	t.Parallel()
	wrongCount := `<testsuites tests="2" failures="0" errors="0" skipped="0"><testsuite name="s" tests="1" failures="0" errors="0" skipped="0"><testcase name="a" classname="s" time="0"/></testsuite></testsuites>`
	if err := behaviourtest.CheckJUnitCounts([]byte(wrongCount)); err == nil || !strings.Contains(err.Error(), "totals") {
		t.Errorf("wrong total: %v", err)
	}
	noTime := `<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="a" classname="s"/></testsuite></testsuites>`
	path := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(path, []byte(noTime), 0o600); err != nil {
		t.Fatal(err)
	}
	switch err := behaviourtest.ValidateJUnitSchema(path); {
	case errors.Is(err, behaviourtest.ErrNoXmllint):
		t.Skip(err)
	case err == nil:
		t.Error("a testcase without time validated")
	}
}
