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
	return buildWaHooksSymbols(name, "")
}

// buildWaHooksSymbols is buildWaHooks; with keep set, the binary keeps its
// symbols and is built into keep, which outlives the run, so a profile of
// it can be read afterwards (perf report finds the binary by its path).
func buildWaHooksSymbols(name, keep string) (bin, dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "wa-hooks-bench-"+name+"-")
	if err != nil {
		return "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	bin = filepath.Join(dir, "wa-hooks")
	fmt.Fprintln(os.Stderr, "building wa-hooks…")
	// Built the way .goreleaser.yaml builds releases, so the numbers are those
	// of what users run (the symbols of a profiled build change no code).
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	if keep != "" {
		if err := os.MkdirAll(keep, 0o755); err != nil {
			cleanup()
			return "", "", nil, err
		}
		if bin, err = filepath.Abs(filepath.Join(keep, "wa-hooks")); err != nil {
			cleanup()
			return "", "", nil, err
		}
		build = exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	}
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		cleanup()
		return "", "", nil, fmt.Errorf("go build (run from the repository root): %v\n%s", err, out)
	}
	return bin, dir, cleanup, nil
}

// ms is a duration in milliseconds, for printing.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
