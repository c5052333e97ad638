package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// runVersion compares `wa-hooks --version` with a hello-world Go binary built
// the same way (CGO off, -trimpath, -s -w): the start-up every command pays.
// Runs alternate between the two so machine load falls on both alike; the CPU
// time (user + system, from the kernel's rusage of each child) and the wall
// time are medians over the runs.
func runVersion(args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	runs := fs.Int("runs", 300, "runs of each binary, alternating")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bin, dir, cleanup, err := buildWaHooks("version")
	if err != nil {
		return err
	}
	defer cleanup()
	hello, err := buildHello(dir)
	if err != nil {
		return err
	}
	stack, err := buildStackHello(dir)
	if err != nil {
		return err
	}
	type sample struct{ cpu, wall []time.Duration }
	var ours, ref, libs sample
	for i := 0; i < *runs+5; i++ {
		for _, c := range []struct {
			s    *sample
			path string
			args []string
		}{{&ours, bin, []string{"--version"}}, {&ref, hello, nil}, {&libs, stack, nil}} {
			cpu, wall, err := startupRun(c.path, c.args...)
			if err != nil {
				return err
			}
			if i >= 5 { // warm-up: page cache and the first exec of each
				c.s.cpu = append(c.s.cpu, cpu)
				c.s.wall = append(c.s.wall, wall)
			}
		}
	}
	med := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	oc, rc, lc := med(ours.cpu), med(ref.cpu), med(libs.cpu)
	ow, rw, lw := med(ours.wall), med(ref.wall), med(libs.wall)
	st, _ := os.Stat(bin)
	hs, _ := os.Stat(hello)
	ls, _ := os.Stat(stack)
	fmt.Printf("start-up: median of %d alternating runs each\n\n", *runs)
	fmt.Printf("  %-28s %7s %7s %9s\n", "", "cpu ms", "wall ms", "binary")
	fmt.Printf("  %-28s %7.2f %7.2f %8.1fM\n", "wa-hooks --version", ms(oc), ms(ow), float64(st.Size())/(1<<20))
	fmt.Printf("  %-28s %7.2f %7.2f %8.1fM\n", "hello-world Go binary", ms(rc), ms(rw), float64(hs.Size())/(1<<20))
	fmt.Printf("  %-28s %7.2f %7.2f %8.1fM\n", "hello-world + the libraries", ms(lc), ms(lw), float64(ls.Size())/(1<<20))
	fmt.Printf("\n  ratio wa-hooks/hello: cpu %.2fx, wall %.2fx (goal 1.5x)\n", float64(oc)/float64(rc), float64(ow)/float64(rw))
	fmt.Printf("  ratio hello-world + cobra, viper, fatih/color, lipgloss / hello: cpu %.2fx, wall %.2fx\n", float64(lc)/float64(rc), float64(lw)/float64(rw))
	fmt.Printf("  ratio wa-hooks / hello-world + those libraries: cpu %.2fx, wall %.2fx (what is wa-hooks' own)\n", float64(oc)/float64(lc), float64(ow)/float64(lw))
	return nil
}

// buildHello builds the reference: the smallest Go program that prints a
// version line, with the same flags as buildWaHooks.
func buildHello(dir string) (string, error) {
	src := filepath.Join(dir, "hello")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	files := map[string]string{
		"go.mod":  "module hello\n\ngo 1.24\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello 1.0.0 (commit none)\") }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	bin := filepath.Join(dir, "hello-bin")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the hello-world reference: %v\n%s", err, out)
	}
	return bin, nil
}

// buildStackHello builds internal/bench/stackhello, the hello-world that
// links the mandated libraries, with the same flags as buildWaHooks.
func buildStackHello(dir string) (string, error) {
	bin := filepath.Join(dir, "stackhello-bin")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./internal/bench/stackhello")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the hello-world with the libraries: %v\n%s", err, out)
	}
	return bin, nil
}

// startupRun runs one process to its end and returns the CPU it used (user +
// system) and the wall time from start to exit.
func startupRun(path string, args ...string) (cpu, wall time.Duration, err error) {
	c := exec.Command(path, args...)
	start := time.Now()
	if out, err := c.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("%s: %v\n%s", path, err, out)
	}
	wall = time.Since(start)
	ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, fmt.Errorf("no rusage for %s on this system", path)
	}
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpu, wall, nil
}
