//go:build windows

package allowlist

import "os/exec"

// ownProcessGroup does nothing on Windows: cancelling kills the shell.
func ownProcessGroup(*exec.Cmd) {}
