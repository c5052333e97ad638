package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// runServe compares `wa-hooks serve` with two servers written here, each a
// separate process driven by the same independent load generator (wrk by
// default, installed when missing): a bare net/http server that reads the
// body and answers 200, and a "floor" server that does only what serve's
// features require (read, HMAC check, one recording line written before
// the answer, one buffered stdout line). The part of serve's cost above the
// floor is ours to cut; the part between floor and bare is the features'.
// serve runs twice, with --json and with its default human output (both
// recording, output to a file). Every round starts with a different server,
// so a machine that slows down over a run does not favour one of them, and
// each ratio is the median of the rounds' ratios. serve's peak RSS comes
// from the 3 MB rounds.
//
// 1 KB runs last a fixed time: thousands of requests complete, so the few
// in flight when a run ends hardly count. A 3 MB run sends a fixed number
// of requests instead and ends when the last is answered, with the server's
// CPU taken from idle to idle: with a few dozen answers per run, the 16
// bodies in flight at the end of a timed run (and those left over from the
// warm-up at its start) were charged to the completed ones, which
// overstated a slower server's cost several times.
func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	conc := fs.Int("c", 16, "concurrent connections")
	dur := fs.Duration("d", 8*time.Second, "measured duration of one run with 1 KB bodies (0 skips them)")
	rounds := fs.Int("rounds", 5, "rounds; each runs every server once, starting with a different one")
	generator := fs.String("generator", "wrk", "load generator: wrk (independent, lightweight) or go (in-process Go client)")
	bigN := fs.Int("big-n", 160, "requests per run with 3 MB bodies, every one unique (0 skips them)")
	bigConc := fs.Int("big-c", 16, "concurrent connections posting 3 MB bodies")
	only := fs.String("servers", "bare,floor,serve,serve-human", "servers to run, comma-separated (also serve-noinspect: serve --json without the web inspector, and serve-old: see -old)")
	oldBin := fs.String("old", "", "also run serve --json from this other wa-hooks `BINARY` (an older build) as serve-old, to compare two builds in the same run (add serve-old to -servers)")
	perfDir := fs.String("perf", "", "record a CPU profile of every run but bare's with perf (call graphs) into this `DIR`, beside a wa-hooks build with symbols: perf report -i DIR/FILE (the floor runs in the bench's own binary, which go run strips)")
	fs.StringVar(&perfEvent, "perf-event", "", "with -perf, record this perf `EVENT` instead of CPU samples with call graphs, e.g. raw_syscalls:sys_enter to count each server's syscalls per request (perf script -F trace)")
	fs.StringVar(&stderrDir, "stderr", "", "append each server's stderr to DIR/NAME.err, e.g. to read GODEBUG=gctrace=1 given in the environment")
	reference := fs.Bool("reference-server", false, "internal: run the bare reference server")
	floor := fs.String("floor-server", "", "internal: run the floor server, recording to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *oldBin == "" && slices.Contains(strings.Split(*only, ","), "serve-old") {
		return errors.New("-servers serve-old needs -old BINARY: the wa-hooks build to compare with")
	}
	if *reference {
		return referenceServer()
	}
	if *floor != "" {
		return floorServer(*floor)
	}
	wrkBin, err := loadGenerator(*generator)
	if err != nil {
		return err
	}
	bin, dir, cleanup, err := buildWaHooksSymbols("serve", *perfDir)
	if err != nil {
		return err
	}
	defer cleanup()
	self, err := os.Executable()
	if err != nil {
		return err
	}

	recPath := filepath.Join(dir, "rec.jsonl")
	env := append(os.Environ(), "WA_HOOKS_APP_SECRET="+serveSecret, "WA_HOOKS_VERIFY_TOKEN=bench", "NO_COLOR=1")
	serveArgs := []string{"serve", "--addr", "127.0.0.1:0", "--record", recPath, "--stale-after", "0"}
	all := []benchServer{
		{name: "bare", bin: self, args: []string{"serve", "--reference-server"}},
		{name: "floor", bin: self, args: []string{"serve", "--floor-server", recPath}},
		{name: "serve", bin: bin, args: append(append([]string{}, serveArgs...), "--json")},
		{name: "serve-human", bin: bin, args: serveArgs},
		// The web inspector is on by default and keeps recent requests
		// (bodies included): this one shows serve without it.
		{name: "serve-noinspect", bin: bin, args: append(append([]string{}, serveArgs...), "--json", "--no-inspect")},
		{name: "serve-old", bin: *oldBin, args: append(append([]string{}, serveArgs...), "--json")},
	}
	var servers []benchServer
	for _, s := range all {
		if slices.Contains(strings.Split(*only, ","), s.name) {
			servers = append(servers, s)
		}
	}
	if len(servers) == 0 {
		return fmt.Errorf("-servers %q names none of bare, floor, serve, serve-human, serve-noinspect, serve-old", *only)
	}
	genName := "wrk (1 thread, signed requests from a pool larger than serve's dedup memory)"
	if *generator == "go" {
		genName = "in-process Go client (signs as it goes)"
	}
	fmt.Printf("serve benchmark: %s, %d rounds rotating the order of %d servers, median of per-round ratios\n", genName, *rounds, len(servers))

	small, err := serveBenchBodies(serveSecret)
	if err != nil {
		return err
	}
	var sizes []benchSize
	if *dur > 0 {
		sizes = append(sizes, benchSize{name: "1 KB", src: small, pool: 110_000, conc: *conc, d: *dur})
	}
	if *bigN > 0 {
		big, err := bigBodies(serveSecret)
		if err != nil {
			return err
		}
		sizes = append(sizes, benchSize{name: "3 MB", src: big, pool: *bigN, conc: *bigConc, n: *bigN, big: true})
	}
	for _, size := range sizes {
		pool, warmPool := filepath.Join(dir, "pool"), filepath.Join(dir, "pool.warm")
		if *generator == "wrk" {
			fmt.Fprintf(os.Stderr, "signing %d requests of %s for wrk…\n", size.pool, size.name)
			if err := writePool(pool, size.src, size.pool, "/webhook"); err != nil {
				return err
			}
			if size.n > 0 { // the warm-up's bodies are new to the server too
				if err := writePool(warmPool, size.src, size.conc, "/webhook"); err != nil {
					return err
				}
			}
		}
		// run is one measured run after a warm-up; the server's CPU is
		// counted over it.
		run := func(p *proc, profile string) (loadResult, error) {
			warm := func() error {
				_, err := timedLoad(*generator, wrkBin, dir, pool, p.url, size, time.Second)
				return err
			}
			measure := func() (loadResult, error) { return timedLoad(*generator, wrkBin, dir, pool, p.url, size, size.d) }
			cpuNow := procCPU
			if size.n > 0 {
				warm = func() error {
					_, err := countedLoad(*generator, wrkBin, dir, warmPool, p.url, size, size.conc)
					return err
				}
				measure = func() (loadResult, error) { return countedLoad(*generator, wrkBin, dir, pool, p.url, size, size.n) }
				cpuNow = settle
			}
			if err := warm(); err != nil {
				return loadResult{}, err
			}
			pid := p.cmd.Process.Pid
			stopProfile, err := perfRecord(profile, pid)
			if err != nil {
				return loadResult{}, err
			}
			cpu0 := cpuNow(pid)
			res, err := measure()
			res.serverCPU = cpuNow(pid) - cpu0
			stopProfile()
			return res, err
		}
		per := fmt.Sprint(size.d, " per run")
		if size.n > 0 {
			per = fmt.Sprintf("%d unique requests per run (after %d to warm up), CPU from idle to idle", size.n, size.conc)
		}
		fmt.Printf("\n%s bodies (%d bytes), %d connections, %s\n", size.name, size.src.size(), size.conc, per)
		results := make(map[string][]loadResult)
		peakKB := map[string]int64{}
		for r := 0; r < *rounds; r++ {
			for k := range servers {
				s := servers[(r+k)%len(servers)]
				p, err := startProc(s.bin, s.args, env, dir, s.name)
				if err != nil {
					return err
				}
				profile := ""
				if *perfDir != "" && s.name != "bare" {
					profile = filepath.Join(*perfDir, fmt.Sprintf("%s-%s-r%d.perf.data", strings.ReplaceAll(size.name, " ", ""), s.name, r+1))
				}
				res, err := run(p, profile)
				if err != nil {
					_ = p.stop()
					return err
				}
				if strings.HasPrefix(s.name, "serve") {
					peakKB[s.name] = max(peakKB[s.name], procRSS(p.cmd.Process.Pid, "VmHWM"))
				}
				if err := p.stop(); err != nil {
					return fmt.Errorf("%s: %v", s.name, err)
				}
				_ = os.Remove(recPath)
				fmt.Printf("  round %d %-15s %9.0f req/s  p50 %9s  p99 %9s  server CPU %8.1f µs/request  (%d requests, %d errors)\n",
					r+1, s.name, res.rps, res.p50.Round(time.Microsecond), res.p99.Round(time.Microsecond),
					res.cpuPerRequest(), res.n, res.errors)
				results[s.name] = append(results[s.name], res)
			}
		}
		reportServeSize(size, results, peakKB)
	}
	return nil
}

type benchServer struct {
	name string
	bin  string
	args []string
}

type benchSize struct {
	name string
	src  bodySource
	pool int
	conc int
	d    time.Duration // a run's length, or
	n    int           // a run's number of requests
	big  bool
}

// timedLoad drives url for d; countedLoad sends exactly n requests.
func timedLoad(generator, wrkBin, dir, pool, url string, size benchSize, d time.Duration) (loadResult, error) {
	if generator == "wrk" {
		return wrkRun(wrkBin, dir, pool, url, size.conc, d)
	}
	return drive(url, size.src, size.conc, d), nil
}

func countedLoad(generator, wrkBin, dir, pool, url string, size benchSize, n int) (loadResult, error) {
	if generator == "wrk" {
		return wrkCount(wrkBin, dir, pool, url, size.conc, n)
	}
	return driveFor(url, size.src, size.conc, 0, n), nil
}

// settle waits until the process has used no CPU for two samples in a row
// (what it does after answering, such as printing, is done), for at most
// 10s, and returns its CPU time.
func settle(pid int) time.Duration {
	last, still := procCPU(pid), 0
	for deadline := time.Now().Add(10 * time.Second); still < 2 && time.Now().Before(deadline); {
		time.Sleep(150 * time.Millisecond)
		if now := procCPU(pid); now == last {
			still++
		} else {
			last, still = now, 0
		}
	}
	return last
}

// reportServeSize prints the medians and the per-round ratios the goals
// are stated in.
func reportServeSize(size benchSize, results map[string][]loadResult, peakKB map[string]int64) {
	order := []string{"bare", "floor", "serve", "serve-human", "serve-noinspect", "serve-old"}
	fmt.Println()
	for _, name := range order {
		rs := results[name]
		if len(rs) == 0 {
			continue
		}
		fmt.Printf("  median %-15s %9.0f req/s  p50 %9s  p99 %9s  server CPU %8.1f µs/request\n", name,
			medianOf(rs, func(r loadResult) float64 { return r.rps }),
			time.Duration(medianOf(rs, func(r loadResult) float64 { return float64(r.p50) })).Round(time.Microsecond),
			time.Duration(medianOf(rs, func(r loadResult) float64 { return float64(r.p99) })).Round(time.Microsecond),
			medianOf(rs, func(r loadResult) float64 { return r.cpuPerRequest() }))
	}
	ratio := func(label, a, b string, f func(x, y loadResult) float64, goal float64, higherIsBetter bool) {
		ra, rb := results[a], results[b]
		if len(ra) == 0 || len(rb) == 0 {
			return
		}
		xs := make([]float64, min(len(ra), len(rb)))
		for i := range xs {
			xs[i] = f(ra[i], rb[i])
		}
		m := median(xs)
		verdict := ""
		if goal > 0 {
			met := m >= goal
			if !higherIsBetter {
				met = m <= goal
			}
			cmp := "≥"
			if !higherIsBetter {
				cmp = "≤"
			}
			verdict = fmt.Sprintf("  (goal %s %.2f×: %s)", cmp, goal, map[bool]string{true: "meets", false: "MISSES"}[met])
		}
		fmt.Printf("  %-44s %5.2f×  %s%s\n", label, m, formatRatios(xs), verdict)
	}
	rps := func(x, y loadResult) float64 { return x.rps / y.rps }
	cpu := func(x, y loadResult) float64 { return y.cpuPerRequest() / x.cpuPerRequest() } // >1: x is cheaper
	p99 := func(x, y loadResult) float64 { return float64(x.p99) / float64(y.p99) }
	ratio("throughput serve --json / floor", "serve", "floor", rps, 0.85, true)
	ratio("CPU per request floor / serve --json", "serve", "floor", cpu, 0.85, true)
	ratio("throughput serve --json / bare net/http", "serve", "bare", rps, 0, true)
	ratio("CPU per request bare / serve --json", "serve", "bare", cpu, 0, true)
	ratio("throughput floor / bare net/http", "floor", "bare", rps, 0, true)
	ratio("throughput human output / --json", "serve-human", "serve", rps, 0.90, true)
	// The same goal judged by CPU: on a shared machine throughput swings
	// with the neighbours, the CPU each request costs much less.
	ratio("CPU per request --json / human output", "serve-human", "serve", cpu, 0.90, true)
	// The default output prints a line per event like the floor's one
	// line; --json also writes each event's raw JSON (3 MB at 3 MB), which
	// the floor does not. Both are shown; the goals are judged on --json.
	ratio("throughput serve (human output) / floor", "serve-human", "floor", rps, 0, true)
	ratio("CPU per request floor / serve (human output)", "serve-human", "floor", cpu, 0, true)
	ratio("throughput serve --no-inspect / floor", "serve-noinspect", "floor", rps, 0, true)
	ratio("CPU per request floor / serve --no-inspect", "serve-noinspect", "floor", cpu, 0, true)
	ratio("throughput serve --json / the -old build", "serve", "serve-old", rps, 0, true)
	ratio("CPU per request the -old build / serve --json", "serve", "serve-old", cpu, 0, true)
	if size.big {
		ratio("p99 serve --json / floor", "serve", "floor", p99, 1.5, false)
		ratio("p99 serve (human output) / floor", "serve-human", "floor", p99, 0, false)
		ratio("p99 serve --no-inspect / floor", "serve-noinspect", "floor", p99, 0, false)
		ratio("p99 serve --json / the -old build", "serve", "serve-old", p99, 0, false)
		for _, name := range order[2:] {
			kb, ok := peakKB[name]
			if !ok {
				continue
			}
			verdict := "meets"
			if float64(kb)/1024 >= 100 {
				verdict = "MISSES"
			}
			fmt.Printf("  peak RSS of %s: %.0f MB with %d connections posting %s bodies (goal < 100 MB: %s)\n",
				name, float64(kb)/1024, size.conc, size.name, verdict)
		}
	}
}

func medianOf(rs []loadResult, f func(loadResult) float64) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = f(r)
	}
	return median(xs)
}

// bodySource gives each request's body and signature; clients call it
// concurrently.
type bodySource interface {
	next() ([]byte, string)
	size() int
}

// uniqueBodies is a realistic text message in wire form whose wamid
// carries the request number, signed as each request is built, so that no
// two requests of a run are alike: repeated bodies would make serve report
// retries and duplicates, which is not the traffic being measured.
type uniqueBodies struct {
	template []byte
	at       int // offset of the request number's digits in template
	secret   []byte
	n        atomic.Int64 // requests built so far, across runs
}

const idDigits = 12

func serveBenchBodies(secret string) (*uniqueBodies, error) {
	f, ok := fixtures.Get(benchFixture)
	if !ok {
		return nil, errors.New("fixture " + benchFixture + " is missing")
	}
	base, err := wire.Encode(f.Body)
	if err != nil {
		return nil, err
	}
	return uniqueFrom(base, secret)
}

// uniqueFrom makes the request number part of the first wamid in base.
func uniqueFrom(base []byte, secret string) (*uniqueBodies, error) {
	marker := []byte(`"wamid.`)
	i := bytes.Index(base, marker)
	if i < 0 {
		return nil, errors.New("no wamid in the benchmark body")
	}
	i += len(marker)
	prefix := []byte("bench" + strings.Repeat("0", idDigits))
	t := append(append(append([]byte{}, base[:i]...), prefix...), base[i:]...)
	return &uniqueBodies{template: t, at: i + len("bench"), secret: []byte(secret)}, nil
}

func (u *uniqueBodies) size() int { return len(u.template) }

func (u *uniqueBodies) next() ([]byte, string) {
	i := u.n.Add(1)
	b := append([]byte(nil), u.template...)
	digits := b[u.at : u.at+idDigits]
	for k := len(digits) - 1; k >= 0; k-- {
		digits[k] = byte('0' + i%10)
		i /= 10
	}
	m := hmac.New(sha256.New, u.secret)
	m.Write(b)
	return b, signature.PrefixSHA256 + hex.EncodeToString(m.Sum(nil))
}

// bigBodies is a text message of about 3 MB, the most Meta sends, with a
// fresh wamid for every request.
func bigBodies(secret string) (*uniqueBodies, error) {
	f, ok := fixtures.Get("messages.text")
	if !ok {
		return nil, errors.New("fixture messages.text is missing")
	}
	base, err := wire.Encode(f.Body)
	if err != nil {
		return nil, err
	}
	i := bytes.Index(base, []byte(`"body":"`))
	if i < 0 {
		return nil, errors.New("no text body in messages.text")
	}
	i += len(`"body":"`)
	filler := bytes.Repeat([]byte("caf\\u00e9 lorem ipsum \\/ dolor "), (3<<20-len(base))/31)
	b := append(append(append([]byte{}, base[:i]...), filler...), base[i:]...)
	return uniqueFrom(b, secret)
}

type loadResult struct {
	n, errors int
	rps       float64
	p50, p99  time.Duration
	serverCPU time.Duration // user+system time the server used meanwhile
}

func (r loadResult) cpuPerRequest() float64 {
	if r.n == 0 {
		return 0
	}
	return float64(r.serverCPU.Nanoseconds()) / 1e3 / float64(r.n)
}

func formatRatios(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// benchFixture is the message both generators send, and serveSecret the
// App Secret both they and serve use.
const (
	benchFixture = "messages.text.ad_referral"
	serveSecret  = "bench-app-secret"
)

// drive posts bodies from conc keep-alive clients for d and reports
// throughput and latency percentiles.
func drive(url string, bodies bodySource, conc int, d time.Duration) loadResult {
	return driveFor(url, bodies, conc, d, 0)
}

// driveFor is drive, or with n > 0 a run of exactly n requests.
func driveFor(url string, bodies bodySource, conc int, d time.Duration, n int) loadResult {
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(d)
	if n > 0 {
		deadline = time.Now().Add(countTimeout)
	}
	var issued atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<14)
			bad := 0
			for time.Now().Before(deadline) && (n == 0 || issued.Add(1) <= int64(n)) {
				body, sig := bodies.next()
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Agent", "facebookexternalua")
				req.Header.Set(signature.Header, sig)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res := loadResult{n: len(lat), errors: errs, rps: float64(len(lat)) / elapsed.Seconds()}
	if len(lat) > 0 {
		res.p50 = lat[len(lat)/2]
		res.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return res
}

type proc struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

// listenLine is serve's (and the reference servers') "Listening on URL",
// or the mock's banner.
var listenLine = regexp.MustCompile(`(?:Listening on|Cloud API mock on) (\S+)`)

// perfEvent and stderrDir are serve's -perf-event and -stderr.
var perfEvent, stderrDir string

// startProc starts a server process with stdout to a file and waits for
// its "Listening on URL" line on stderr.
func startProc(bin string, args, env []string, dir, name string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := os.Create(filepath.Join(dir, name+".out"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout = out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var errLog *os.File
		if stderrDir != "" {
			errLog, _ = os.OpenFile(filepath.Join(stderrDir, name+".err"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			defer errLog.Close()
		}
		for sc.Scan() {
			if errLog != nil {
				fmt.Fprintln(errLog, sc.Text())
			}
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
		out.Close()
	}()
	select {
	case p.url = <-found:
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("%s exited before listening: %v", name, err)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s did not start", name)
	}
}

func (p *proc) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 130 {
			return nil // stopped by the signal, as asked
		}
		return err
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		return errors.New("did not stop within 60s of SIGTERM")
	}
}

// procRSS reads a memory figure (VmRSS, VmHWM) of a process, in KiB.
func procRSS(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// procCPU is the user+system time a process has used so far (Linux; 0
// elsewhere). Server CPU per request is steadier than throughput on a busy
// machine, because the load generator competes for the same cores.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may contain spaces) start at
	// state; utime and stime are the 14th and 15th fields overall.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// referenceServer is the bare baseline: read the body, answer 200.
func referenceServer() error {
	return serveUntilSignal(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}), "/webhook")
}

// serveUntilSignal serves h on a loopback port, announces it on stderr as
// startProc expects (with path) and stops on SIGTERM.
func serveUntilSignal(h http.Handler, path string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	fmt.Fprintf(os.Stderr, "Listening on http://%s%s\n", ln.Addr(), path)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// perfRecord profiles the process pid with perf (CPU clock samples with
// call graphs: the only events a VM may offer) into path until stop is
// called; with no path it does nothing. perf's own CPU is not the server's:
// the profiled runs' CPU figures still count only the server.
func perfRecord(path string, pid int) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	perf, err := exec.LookPath("perf")
	if err != nil {
		return nil, errors.New("-perf needs perf (Debian: linux-perf)")
	}
	ev := []string{"-e", "cpu-clock", "-F", "999", "-g"}
	if perfEvent != "" {
		ev = []string{"-e", perfEvent}
	}
	c := exec.Command(perf, append(append([]string{"record", "-q"}, ev...), "-p", strconv.Itoa(pid), "-o", path)...)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	if err := c.Start(); err != nil {
		return nil, err
	}
	return func() {
		_ = c.Process.Signal(os.Interrupt)
		_ = c.Wait()
		fmt.Fprintf(os.Stderr, "profile: perf report -i %s\n", path)
	}, nil
}
