package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// runServe compares `wa-hooks serve --json --record` (signature check,
// parsing, JSON output and recording on, output to files) with a minimal
// net/http server that reads the body and answers 200. Both run as separate
// processes and are driven by the same load generator, in alternating
// rounds: by default `wa-hooks send` (what the issue names: fresh ids and
// its own signature for every request, like Meta), or with -client go an
// in-process Go client that costs less CPU per request. Client and server
// share the machine's cores, so the ratio depends on the client's cost;
// server CPU per request is reported too, and does not. It then measures
// serve's peak RSS while 16 clients post 3 MB bodies.
func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	conc := fs.Int("c", 16, "concurrent clients")
	dur := fs.Duration("d", 8*time.Second, "measured duration of one run")
	rounds := fs.Int("rounds", 3, "runs per server, alternating")
	client := fs.String("client", "send", "load generator: send (wa-hooks send) or go (in-process Go client)")
	bigClients := fs.Int("big-clients", 16, "clients posting 3 MB bodies for the RSS measurement")
	bigDur := fs.Duration("big-d", 8*time.Second, "duration of the RSS measurement")
	reference := fs.Bool("reference-server", false, "internal: run the bare reference server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *reference {
		return referenceServer()
	}
	if *client != "send" && *client != "go" {
		return fmt.Errorf("-client %q: use send or go", *client)
	}

	bin, dir, cleanup, err := buildWaHooks("serve")
	if err != nil {
		return err
	}
	defer cleanup()
	self, err := os.Executable()
	if err != nil {
		return err
	}

	const secret = serveSecret
	bodies, err := serveBenchBodies(secret)
	if err != nil {
		return err
	}
	load := func(url string, d time.Duration) (loadResult, error) {
		if *client == "send" {
			return driveWithSend(bin, url, *conc, d)
		}
		return drive(url, bodies, *conc, d), nil
	}
	generator := "wa-hooks send " + benchFixture
	if *client == "go" {
		generator = "in-process Go client"
	}
	fmt.Printf("serve benchmark: %s, %d connections, %s per run, %d rounds, body ~%d bytes (signed, unique ids)\n",
		generator, *conc, *dur, *rounds, bodies.size())

	// Each serve run records to a fresh file, removed after the run: a
	// recording grown by every earlier round (~200 MB each) and its pages
	// still waiting to be written back would weigh on later rounds.
	recPath := filepath.Join(dir, "rec.jsonl")
	serveArgs := []string{"serve", "--addr", "127.0.0.1:0", "--json", "--record", recPath, "--stale-after", "0"}
	env := append(os.Environ(), "WA_HOOKS_APP_SECRET="+secret, "WA_HOOKS_VERIFY_TOKEN=bench", "NO_COLOR=1")
	var results [2][]loadResult
	var ratios []float64
	for r := 0; r < *rounds; r++ {
		for i, which := range []string{"net/http", "wa-hooks"} {
			var p *proc
			if which == "net/http" {
				p, err = startProc(self, []string{"serve", "--reference-server"}, env, dir, "ref")
			} else {
				p, err = startProc(bin, serveArgs, env, dir, "serve")
			}
			if err != nil {
				return err
			}
			if _, err := load(p.url, time.Second); err != nil { // warm-up
				return err
			}
			cpu0 := procCPU(p.cmd.Process.Pid)
			res, err := load(p.url, *dur)
			if err != nil {
				return err
			}
			res.serverCPU = procCPU(p.cmd.Process.Pid) - cpu0
			if err := p.stop(); err != nil {
				return fmt.Errorf("%s: %v", which, err)
			}
			_ = os.Remove(recPath)
			fmt.Printf("  round %d %-9s %9.0f req/s  p50 %7s  p99 %7s  server CPU %5.1f µs/request  (%d requests, %d errors)\n",
				r+1, which, res.rps, res.p50.Round(time.Microsecond), res.p99.Round(time.Microsecond),
				res.cpuPerRequest(), res.n, res.errors)
			results[i] = append(results[i], res)
		}
		ratios = append(ratios, results[1][r].rps/results[0][r].rps)
	}
	med := func(rs []loadResult, f func(loadResult) float64) float64 {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = f(r)
		}
		return median(xs)
	}
	rps := func(r loadResult) float64 { return r.rps }
	p99 := func(r loadResult) float64 { return float64(r.p99) }
	cpu := func(r loadResult) float64 { return r.cpuPerRequest() }
	fmt.Printf("\nmedian of %d rounds: net/http %.0f req/s (p99 %s, %.1f µs CPU/request), wa-hooks serve %.0f req/s (p99 %s, %.1f µs CPU/request)\n",
		*rounds, med(results[0], rps), time.Duration(med(results[0], p99)).Round(time.Microsecond), med(results[0], cpu),
		med(results[1], rps), time.Duration(med(results[1], p99)).Round(time.Microsecond), med(results[1], cpu))
	ratio := median(ratios)
	verdict := "meets"
	if ratio < 0.6 {
		verdict = "MISSES"
	}
	fmt.Printf("ratio wa-hooks serve / bare net/http, median of the rounds' ratios %s: %.2f× (goal ≥ 0.60×: %s)\n",
		formatRatios(ratios), ratio, verdict)
	fmt.Printf("server CPU per request: wa-hooks serve / net/http %.2f× (what the ratio would be with the server alone on its cores: %.2f×)\n\n",
		med(results[1], cpu)/med(results[0], cpu), med(results[0], cpu)/med(results[1], cpu))

	// Peak RSS with 3 MB bodies.
	big, err := bigBody(secret)
	if err != nil {
		return err
	}
	p, err := startProc(bin, serveArgs, env, dir, "serve-big")
	if err != nil {
		return err
	}
	peak, stopPoll := pollRSS(p.cmd.Process.Pid)
	res := drive(p.url, big, *bigClients, *bigDur)
	hwm := procRSS(p.cmd.Process.Pid, "VmHWM")
	stopPoll()
	if err := p.stop(); err != nil {
		return err
	}
	peakMB := float64(max(hwm, peak.Load())) / 1024
	verdict = "meets"
	if peakMB >= 200 {
		verdict = "MISSES"
	}
	fmt.Printf("peak RSS: %.0f MB while %d clients posted %.1f MB bodies (%d requests in %s, %.0f MB/s, p99 %s; goal < 200 MB: %s)\n",
		peakMB, *bigClients, float64(big.size())/(1<<20), res.n, *bigDur, float64(res.n)*float64(big.size())/(1<<20)/bigDur.Seconds(),
		res.p99.Round(time.Millisecond), verdict)
	return nil
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
	marker := []byte(`"wamid.`)
	i := bytes.Index(base, marker)
	if i < 0 {
		return nil, errors.New("no wamid in " + benchFixture)
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

// fixedBody sends the same signed bytes every time.
type fixedBody struct {
	b   []byte
	sig string
}

func (f fixedBody) size() int              { return len(f.b) }
func (f fixedBody) next() ([]byte, string) { return f.b, f.sig }

// bigBody is a text message of about 3 MB, the most Meta sends.
func bigBody(secret string) (fixedBody, error) {
	f, ok := fixtures.Get("messages.text")
	if !ok {
		return fixedBody{}, errors.New("fixture messages.text is missing")
	}
	base, err := wire.Encode(f.Body)
	if err != nil {
		return fixedBody{}, err
	}
	i := bytes.Index(base, []byte(`"body":"`))
	if i < 0 {
		return fixedBody{}, errors.New("no text body in messages.text")
	}
	i += len(`"body":"`)
	filler := bytes.Repeat([]byte("caf\\u00e9 lorem ipsum \\/ dolor "), (3<<20-len(base))/31)
	b := append(append(append([]byte{}, base[:i]...), filler...), base[i:]...)
	return fixedBody{b, signature.Sign(secret, b)}, nil
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

// driveWithSend runs `wa-hooks send` against url for d with conc
// connections and reads its --json report.
func driveWithSend(bin, url string, conc int, d time.Duration) (loadResult, error) {
	cmd := exec.Command(bin, "send", benchFixture, "--to", url, "-c", strconv.Itoa(conc), "--duration", d.String(), "--json")
	cmd.Env = append(os.Environ(), "WA_HOOKS_APP_SECRET="+serveSecret, "NO_COLOR=1")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return loadResult{}, fmt.Errorf("wa-hooks send: %v: %s", err, ee.Stderr)
		}
		return loadResult{}, fmt.Errorf("wa-hooks send: %v", err)
	}
	var rep struct {
		Succeeded int     `json:"succeeded"`
		Failed    int     `json:"failed"`
		Unreached int     `json:"unreached"`
		Rate      float64 `json:"requests_per_second"`
		Latency   struct {
			P50 time.Duration `json:"p50_ns"`
			P99 time.Duration `json:"p99_ns"`
		} `json:"latency"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return loadResult{}, fmt.Errorf("reading wa-hooks send --json: %v", err)
	}
	return loadResult{n: rep.Succeeded, errors: rep.Failed + rep.Unreached, rps: rep.Rate,
		p50: rep.Latency.P50, p99: rep.Latency.P99}, nil
}

// drive posts bodies from conc keep-alive clients for d and reports
// throughput and latency percentiles.
func drive(url string, bodies bodySource, conc int, d time.Duration) loadResult {
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<14)
			bad := 0
			for time.Now().Before(deadline) {
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

var listenLine = regexp.MustCompile(`Listening on (\S+)`)

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
		for sc.Scan() {
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})}
	fmt.Fprintf(os.Stderr, "Listening on http://%s/webhook\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
