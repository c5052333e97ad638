package allowlist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// maxHookOutput bounds what is kept of a hook's output: the end of it,
// where the error usually is.
const maxHookOutput = 64 << 10

// runHook runs a shell command with the output path in
// WA_HOOKS_ALLOWLIST_FILE and returns the end of its combined output.
//
// The output goes to a temporary file, not a pipe: a hook that starts a
// daemon in the background ("reload" scripts do) hands it the pipe, and
// waiting for the pipe to close would wait for the daemon. With a file,
// the wait is for the hook's own process. The hook runs in a process group
// of its own, so a timeout or an interruption stops the whole group, not
// only the shell.
func runHook(ctx context.Context, command, path string, timeout time.Duration) ([]byte, error) {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := os.CreateTemp("", "wa-hooks-hook-*.log")
	if err != nil {
		return nil, fmt.Errorf("cannot create a file for the hook's output: %w", err)
	}
	defer func() {
		out.Close()
		os.Remove(out.Name())
	}()
	cmd := exec.CommandContext(hctx, "/bin/sh", "-c", command)
	cmd.Env = append(os.Environ(), "WA_HOOKS_ALLOWLIST_FILE="+path)
	cmd.Stdout, cmd.Stderr = out, out
	ownProcessGroup(cmd)
	cmd.WaitDelay = 2 * time.Second // after the polite signal, SIGKILL
	err = cmd.Run()
	tail := readTail(out, maxHookOutput)
	switch {
	case ctx.Err() != nil:
		return tail, ctx.Err() // interrupted or past --deadline: the caller says which
	case errors.Is(hctx.Err(), context.DeadlineExceeded):
		return tail, fmt.Errorf("timed out after %s (--hook-timeout)", timeout)
	}
	return tail, err
}

// readTail returns the last max bytes written to f.
func readTail(f *os.File, max int64) []byte {
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	off := fi.Size() - max
	if off < 0 {
		off = 0
	}
	b, _ := io.ReadAll(io.NewSectionReader(f, off, max))
	return b
}
