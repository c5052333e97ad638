//go:build unix

package receiver

import (
	"os/signal"
	"syscall"
)

// ignoreFileSizeSignal makes a write past the file size limit (ulimit -f)
// fail with EFBIG, which the recorder handles like a full disk, instead of
// the kernel killing serve with SIGXFSZ.
func ignoreFileSizeSignal() { signal.Ignore(syscall.SIGXFSZ) }
