package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// heyModule is the reference load generator, installed into a temporary
// GOBIN when it is not on PATH.
const heyModule = "github.com/rakyll/hey@v0.1.5"

// runSend compares `wa-hooks send messages.text -n N -c C` with hey sending
// the same body (same headers, same count and concurrency) to one minimal
// net/http server that answers 200. wa-hooks still freshens ids and
// timestamps and signs every request; hey replays one fixed body. Requests
// per second are wall-clock for the whole process (start-up included),
// with each tool's own figure beside it; the median of the runs is reported.
func runSend(args []string) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	n := fs.Int("n", 200000, "requests per run")
	c := fs.Int("c", 64, "concurrency")
	runs := fs.Int("runs", 3, "runs per tool, alternating (median reported)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c < 1 || *n%*c != 0 {
		return fmt.Errorf("-n %d must be a multiple of -c %d: hey sends n/c requests per worker", *n, *c)
	}
	bin, dir, cleanup, err := buildWaHooks("send")
	if err != nil {
		return err
	}
	defer cleanup()
	hey, err := findHey(dir)
	if err != nil {
		return err
	}

	var served atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		served.Add(1)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/webhook"

	const secret = "bench-app-secret"
	env := append(os.Environ(), "WA_HOOKS_APP_SECRET="+secret, "NO_COLOR=1")
	// The body and headers hey sends: what wa-hooks would send for one event.
	body, headers, err := dryRunRequest(bin, env)
	if err != nil {
		return err
	}
	bodyPath := filepath.Join(dir, "body.json")
	if err := os.WriteFile(bodyPath, body, 0o644); err != nil {
		return err
	}

	ours := []string{"send", "messages.text", "-n", strconv.Itoa(*n), "-c", strconv.Itoa(*c), "--to", url, "--json"}
	ref := []string{"-n", strconv.Itoa(*n), "-c", strconv.Itoa(*c), "-m", "POST", "-T", "application/json", "-D", bodyPath, "-disable-compression"}
	for _, h := range headers {
		ref = append(ref, "-H", h)
	}
	ref = append(ref, url)

	fmt.Printf("send benchmark: %d requests, concurrency %d, body %d bytes, %d runs each, GOMAXPROCS of the machine (%d CPUs)\n",
		*n, *c, len(body), *runs, runtime.NumCPU())
	var oursWall, refWall, oursSelf, refSelf, oursCPU, refCPU []float64
	for i := range *runs {
		served.Store(0)
		w, self, cpu, err := timeRun(bin, env, ours, wahooksRate)
		if err != nil {
			return fmt.Errorf("wa-hooks run %d: %v", i+1, err)
		}
		if got := served.Load(); got != int64(*n) {
			return fmt.Errorf("wa-hooks run %d: the server saw %d requests, want %d", i+1, got, *n)
		}
		oursWall, oursSelf, oursCPU = append(oursWall, w), append(oursSelf, self), append(oursCPU, cpu)
		fmt.Printf("  run %d  wa-hooks send %9.0f req/s (own report %9.0f), %5.1f µs CPU per request\n", i+1, w, self, cpu)

		served.Store(0)
		w, self, cpu, err = timeRun(hey, env, ref, heyRate)
		if err != nil {
			return fmt.Errorf("hey run %d: %v", i+1, err)
		}
		if got := served.Load(); got != int64(*n) {
			return fmt.Errorf("hey run %d: the server saw %d requests, want %d", i+1, got, *n)
		}
		refWall, refSelf, refCPU = append(refWall, w), append(refSelf, self), append(refCPU, cpu)
		fmt.Printf("  run %d  hey           %9.0f req/s (own report %9.0f), %5.1f µs CPU per request\n", i+1, w, self, cpu)
	}
	mo, mr := median(oursWall), median(refWall)
	fmt.Printf("\nmedian  wa-hooks send %9.0f req/s   hey %9.0f req/s   ratio %.2f× (goal ≥ 1.00×)\n", mo, mr, mo/mr)
	fmt.Printf("        own reports: wa-hooks %9.0f req/s   hey %9.0f req/s   ratio %.2f×\n", median(oursSelf), median(refSelf), median(oursSelf)/median(refSelf))
	fmt.Printf("        CPU per request (user+system, less sensitive to a busy machine): wa-hooks %.1f µs   hey %.1f µs   hey/wa-hooks %.2f×\n",
		median(oursCPU), median(refCPU), median(refCPU)/median(oursCPU))
	fmt.Println("wa-hooks gives every request fresh ids and timestamps and its own HMAC-SHA256; hey sends one fixed body.")
	return nil
}

// findHey returns hey from PATH, or installs it into dir.
func findHey(dir string) (string, error) {
	if p, err := exec.LookPath("hey"); err == nil {
		return p, nil
	}
	gobin := filepath.Join(dir, "bin")
	fmt.Fprintf(os.Stderr, "installing %s into a temporary GOBIN…\n", heyModule)
	cmd := exec.Command("go", "install", heyModule)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %v\n%s", heyModule, err, out)
	}
	return filepath.Join(gobin, "hey"), nil
}

// dryRunRequest asks wa-hooks for the headers and body of one messages.text delivery.
func dryRunRequest(bin string, env []string) ([]byte, []string, error) {
	cmd := exec.Command(bin, "send", "messages.text", "--dry-run")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("wa-hooks send --dry-run: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	var headers []string
	inBody := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case inBody && line != "":
			return []byte(line), headers, nil
		case line == "":
			inBody = true
		case strings.HasPrefix(line, "#"), strings.HasPrefix(line, "POST "),
			strings.HasPrefix(line, "Content-Type:"), strings.HasPrefix(line, "Content-Length:"):
		default:
			headers = append(headers, line)
		}
	}
	return nil, nil, errors.New("wa-hooks send --dry-run printed no body")
}

// timeRun runs one tool and returns its wall-clock requests per second, the
// rate it reported itself, and its CPU time (user+system) per request in µs.
func timeRun(bin string, env, args []string, self func([]byte) (float64, error)) (float64, float64, float64, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return 0, 0, 0, fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		return 0, 0, 0, err
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	n := 0
	for i, a := range args {
		if a == "-n" && i+1 < len(args) {
			n, _ = strconv.Atoi(args[i+1])
		}
	}
	rate, err := self(out)
	if err != nil {
		return 0, 0, 0, err
	}
	return float64(n) / wall.Seconds(), rate, float64(cpu.Microseconds()) / float64(n), nil
}

func wahooksRate(out []byte) (float64, error) {
	var rep struct {
		Rate   float64 `json:"requests_per_second"`
		Failed int     `json:"failed"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return 0, fmt.Errorf("reading the --json report: %v", err)
	}
	if rep.Failed != 0 {
		return 0, fmt.Errorf("%d requests failed", rep.Failed)
	}
	return rep.Rate, nil
}

var heyRPS = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

func heyRate(out []byte) (float64, error) {
	m := heyRPS.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no Requests/sec in hey's output:\n%s", out)
	}
	if strings.Contains(string(out), "Error distribution") {
		return 0, fmt.Errorf("hey saw errors:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
