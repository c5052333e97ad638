package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// buildWaHooks builds the wa-hooks binary from the repository root (the
// working directory of `go run ./internal/bench`) into a fresh temporary
// directory, so every benchmark measures the code as it is now. cleanup
// removes the directory; dir is free for the benchmark's own files.
func buildWaHooks(name string) (bin, dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "wa-hooks-bench-"+name+"-")
	if err != nil {
		return "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	bin = filepath.Join(dir, "wa-hooks")
	fmt.Fprintln(os.Stderr, "building wa-hooks…")
	// Built the way .goreleaser.yaml builds releases, so the numbers are those
	// of what users run.
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		cleanup()
		return "", "", nil, fmt.Errorf("go build (run from the repository root): %v\n%s", err, out)
	}
	return bin, dir, cleanup, nil
}

// ms is a duration in milliseconds, for printing.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
