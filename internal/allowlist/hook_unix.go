//go:build unix

package allowlist

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the hook in a process group of its own and makes
// cancelling it signal the whole group (SIGTERM; SIGKILL after WaitDelay),
// so a "sleep" or a server the shell started goes too.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
}
