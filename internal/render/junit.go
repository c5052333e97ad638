package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/conformance"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// JUnit writes a report as JUnit XML, the format CI systems (GitHub Actions
// reporters, GitLab, Jenkins) read: one <testsuite> per check group, one
// <testcase> per check. A failed check is a <failure>; a warning passes
// unless --strict made it a failure, and carries its reason in
// <system-out> so it is still visible; a skipped check is <skipped>.
func JUnit(w io.Writer, name string, r *conformance.Report) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type testsuite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Skipped  int        `xml:"skipped,attr"`
		Time     string     `xml:"time,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type testsuites struct {
		XMLName  xml.Name    `xml:"testsuites"`
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Time     string      `xml:"time,attr"`
		Suites   []testsuite `xml:"testsuite"`
	}
	seconds := func(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }

	all := testsuites{Name: xmlText(name)}
	index := map[string]int{}
	var suiteMS []float64
	var total float64
	for _, c := range r.Checks {
		group := c.Group
		if group == "" {
			group = "checks"
		}
		i, ok := index[group]
		if !ok {
			i = len(all.Suites)
			index[group] = i
			all.Suites = append(all.Suites, testsuite{Name: xmlText(name + "." + group)})
			suiteMS = append(suiteMS, 0)
		}
		s := &all.Suites[i]
		tc := testcase{Name: xmlText(c.Title), Classname: xmlText(name + "." + group), Time: seconds(c.LatencyMS)}
		detail := xmlText(strings.Join(append([]string{c.Reason, fixLine(c.Fix)}, c.Detail...), "\n"))
		switch c.Status {
		case conformance.Fail:
			tc.Failure = &failure{Message: xmlText(c.Reason), Type: c.ID, Text: detail}
			s.Failures++
		case conformance.Skip:
			tc.Skipped = &skipped{Message: xmlText(c.Reason)}
			s.Skipped++
		case conformance.Warn:
			tc.SystemOut = "warning: " + detail
		default:
			if len(c.Detail) > 0 {
				tc.SystemOut = xmlText(strings.Join(c.Detail, "\n"))
			}
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
		suiteMS[i] += c.LatencyMS
		total += c.LatencyMS
	}
	for _, s := range all.Suites {
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Skipped += s.Skipped
	}
	for i := range all.Suites {
		all.Suites[i].Time = seconds(suiteMS[i])
	}
	all.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func fixLine(fix string) string {
	if fix == "" {
		return ""
	}
	return "fix: " + fix
}

// xmlText keeps what an endpoint answered printable and legal in XML 1.0,
// which forbids most control characters even when escaped.
func xmlText(s string) string {
	return strings.TrimSpace(termsafe.Text(s))
}
