// Package exit defines wa-hooks' process exit codes and an error type that
// carries one, so every command's exit status is decided in one place and is
// testable without running a process.
package exit

import (
	"errors"
	"fmt"
)

// Exit codes. Every code wa-hooks can return is listed here and documented in
// Table; the README and `wa-hooks help exit-codes` are generated from Table.
const (
	OK          = 0 // success
	Failure     = 1 // a check or operation failed (sign --check mismatch, allowlist check: not covered)
	Usage       = 2 // bad flags, arguments or configuration
	SendFailed  = 3 // send: some requests did not get the expected status
	Unreachable = 4 // send/verify: the endpoint could not be reached at all (refused, DNS, TLS, timeout)
	VerifyFail  = 5 // verify: at least one conformance check failed

	AllowlistGuard   = 10 // allowlist: the answer was refused by a guard; the old file is untouched
	AllowlistCheck   = 11 // allowlist: --check-cmd failed on the candidate; the old file was restored
	AllowlistHook    = 12 // allowlist: the --on-change hook failed after the file was written
	AllowlistChanged = 13 // allowlist: the file changed (only with --exit-changed)
	AllowlistLocked  = 14 // allowlist: another run holds the lock
	TempFail         = 75 // allowlist: network or server trouble; try again later (EX_TEMPFAIL)

	Interrupted = 130 // interrupted by SIGINT/SIGTERM
)

// Code describes one exit code for the documentation.
type Code struct {
	Code    int
	Command string
	Meaning string
}

// Table lists every exit code in order; docs are generated from it.
var Table = []Code{
	{OK, "all", "success"},
	{Failure, "all", "a check or operation failed (for example `sign --check` mismatch, `allowlist check` address not covered)"},
	{Usage, "all", "usage or configuration error: bad flag, argument, config file or value"},
	{SendFailed, "send", "some requests did not get the expected status (`--expect-status`)"},
	{Unreachable, "send, verify", "the endpoint could not be reached at all (connection refused, DNS, TLS, timeout)"},
	{VerifyFail, "verify", "at least one conformance check failed (warnings too with `--strict`)"},
	{AllowlistGuard, "allowlist", "the IRR answer was refused by a guard (empty, truncated, unparsable, too few prefixes, lost anchor, too large a shrink or growth, too much address space, poisoned prefix, nothing but non-global prefixes); the old file is untouched"},
	{AllowlistCheck, "allowlist", "`--check-cmd` failed on the candidate; the old file was restored"},
	{AllowlistHook, "allowlist", "the `--on-change` hook failed after the new file was written"},
	{AllowlistChanged, "allowlist", "the file changed (only with `--exit-changed`)"},
	{AllowlistLocked, "allowlist", "another allowlist run holds the lock for this output file"},
	{TempFail, "allowlist", "temporary failure: network or server trouble, or --deadline passed; the last good list is kept, retry later"},
	{Interrupted, "all", "interrupted (SIGINT or SIGTERM)"},
}

// Error is an error that decides the process exit code.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// New wraps err with an exit code. A nil err yields an Error with no message
// (the command already printed what it had to say).
func New(code int, err error) *Error { return &Error{Code: code, Err: err} }

// Errorf formats a message into an Error with the given code.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Silent returns an error that sets the exit code without printing anything.
func Silent(code int) *Error { return &Error{Code: code} }

// CodeOf maps an error to the exit code the process should return.
func CodeOf(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Failure
}
