package behaviourtest

import (
	"bytes"
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// JUnitSchema is an XML Schema of the JUnit report format (junit.xsd).
//
//go:embed junit.xsd
var JUnitSchema []byte

// ErrNoXmllint is returned by ValidateJUnitSchema when xmllint (Debian's
// libxml2-utils) is not installed; .ci/run installs it.
var ErrNoXmllint = errors.New("xmllint not installed (apt-get install libxml2-utils)")

// ValidateJUnitSchema validates the report at path against JUnitSchema
// with xmllint --schema.
func ValidateJUnitSchema(path string) error {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		return ErrNoXmllint
	}
	dir, err := os.MkdirTemp("", "junit-xsd-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	xsd := filepath.Join(dir, "junit.xsd")
	if err := os.WriteFile(xsd, JUnitSchema, 0o600); err != nil {
		return err
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", xsd, path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("xmllint --schema junit.xsd %s: %v\n%s", path, err, out)
	}
	return nil
}

// CheckJUnitCounts checks what a schema cannot: every count attribute
// agrees with the test cases it counts, in each suite and in the total.
func CheckJUnitCounts(data []byte) error {
	type outcome struct {
		Message string `xml:"message,attr"`
	}
	var doc struct {
		XMLName  xml.Name
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Time    string    `xml:"time,attr"`
				Failure []outcome `xml:"failure"`
				Error   []outcome `xml:"error"`
				Skip    []outcome `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return fmt.Errorf("not XML: %v", err)
	}
	if doc.XMLName.Local != "testsuites" {
		return fmt.Errorf("root element <%s>, want <testsuites>", doc.XMLName.Local)
	}
	var tests, failures, errs, skipped int
	for _, s := range doc.Suites {
		var f, e, sk int
		for _, c := range s.Cases {
			if n := len(c.Failure) + len(c.Error) + len(c.Skip); n > 1 {
				return fmt.Errorf("suite %s, case %s: %d outcomes, at most one allowed", s.Name, c.Name, n)
			}
			if t, err := strconv.ParseFloat(c.Time, 64); err != nil || t < 0 {
				return fmt.Errorf("suite %s, case %s: time %q", s.Name, c.Name, c.Time)
			}
			f, e, sk = f+len(c.Failure), e+len(c.Error), sk+len(c.Skip)
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			return fmt.Errorf("suite %s counts tests=%d failures=%d errors=%d skipped=%d, its cases %d, %d, %d, %d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		tests, failures, errs, skipped = tests+s.Tests, failures+f, errs+e, skipped+sk
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errs || doc.Skipped != skipped {
		return fmt.Errorf("totals tests=%d failures=%d errors=%d skipped=%d, the suites add up to %d, %d, %d, %d",
			doc.Tests, doc.Failures, doc.Errors, doc.Skipped, tests, failures, errs, skipped)
	}
	return nil
}
