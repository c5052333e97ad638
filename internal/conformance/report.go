// Package conformance checks a webhook endpoint the way Meta will use it:
// the verification handshake, the transport (HTTPS, certificate, TLS
// version), and real signed deliveries. The result is a Report, one Check
// per line, that renderers print and that decides the exit code.
package conformance

import (
	"fmt"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/exit"
)

// Status is the outcome of one check.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Warn Status = "warn"
	Skip Status = "skip"
)

// Groups of checks, as selected by --only.
const (
	GroupHandshake  = "handshake"
	GroupDeliveries = "deliveries"
)

// Check is one line of the report.
type Check struct {
	ID     string `json:"id"`
	Group  string `json:"group"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	// Reason says what came back and what it means, in one line.
	Reason string `json:"reason"`
	// Fix says what to do, in one line; empty when the check passed.
	Fix string `json:"fix,omitempty"`
	// HTTPStatus and Latency describe the request behind the check, if any.
	HTTPStatus int           `json:"http_status,omitempty"`
	Latency    time.Duration `json:"-"`
	LatencyMS  float64       `json:"latency_ms,omitempty"`
	// Strict marks a warning turned into a failure by --strict.
	Strict bool `json:"strict,omitempty"`
	// Detail is what was sent and what came back, for -v and --json.
	Detail []string `json:"detail,omitempty"`
}

// Summary counts the checks by status.
type Summary struct {
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Warnings int `json:"warnings"`
	Skipped  int `json:"skipped"`
}

// String is the report's final line: "5 passed, 0 failed, 1 warning, 12 skipped".
func (s Summary) String() string {
	warnings := "warnings"
	if s.Warnings == 1 {
		warnings = "warning"
	}
	return fmt.Sprintf("%d passed, %d failed, %d %s, %d skipped", s.Passed, s.Failed, s.Warnings, warnings, s.Skipped)
}

// Report is the whole result of a verify run.
type Report struct {
	URL       string `json:"url"`
	Challenge string `json:"challenge,omitempty"`
	Strict    bool   `json:"strict"`
	// Unreachable is set when no request got an HTTP answer at all.
	Unreachable bool `json:"unreachable"`
	// UnreachableReason explains why, in one line.
	UnreachableReason string  `json:"unreachable_reason,omitempty"`
	Checks            []Check `json:"checks"`
	Summary           Summary `json:"summary"`
}

// ExitCode maps the report to the process exit code: Unreachable when no
// request got an HTTP answer (timeouts included, as for send), VerifyFail
// when the endpoint answered and a check failed.
func (r *Report) ExitCode() int {
	switch {
	case r.Unreachable:
		return exit.Unreachable
	case r.Summary.Failed > 0:
		return exit.VerifyFail
	}
	return exit.OK
}

// Add records c, applying --strict, and counts it; other suites that report
// in this shape (the behaviour suite of `test`) build their Report with it.
func (r *Report) Add(c Check) Check { return r.add(c) }

// add records c, applying --strict, and counts it.
func (r *Report) add(c Check) Check {
	if r.Strict && c.Status == Warn {
		c.Status, c.Strict = Fail, true
	}
	if c.Latency > 0 {
		c.LatencyMS = float64(c.Latency.Microseconds()) / 1000
	}
	switch c.Status {
	case Pass:
		r.Summary.Passed++
	case Fail:
		r.Summary.Failed++
	case Warn:
		r.Summary.Warnings++
	case Skip:
		r.Summary.Skipped++
	}
	r.Checks = append(r.Checks, c)
	return c
}

// Reporter receives the report as it is built, so a terminal shows each
// check as soon as it is known.
type Reporter interface {
	Start(r *Report)
	Check(c Check)
	Finish(r *Report) error
}
