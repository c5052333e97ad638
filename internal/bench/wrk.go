package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrk is the default load generator: an independent C program that spends
// a few microseconds per request, so the server, not the client, sets the
// pace. It cannot sign, so it sends from a pool of requests signed in
// advance. The pool is larger than serve's dedup memory (DefaultDedupSize),
// which forgets the oldest bodies first: a body that comes round again has
// been forgotten and is not reported as a retry, so serve is measured on
// the traffic it is for (every delivery new) and not on retry reporting.

// wrkScript reads the pool (a length-prefixed file of whole HTTP requests),
// hands them out in turn and prints the result as one JSON line.
const wrkScript = `
local pool, n, i = {}, 0, 0
function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while pos <= #data do
    local nl = string.find(data, "\n", pos, true)
    local len = tonumber(string.sub(data, pos, nl - 1))
    n = n + 1
    pool[n] = string.sub(data, nl + 1, nl + len)
    pos = nl + 1 + len
  end
end
function request()
  i = i % n + 1
  return pool[i]
end
` + wrkDone

// wrkDone prints wrk's result as one JSON line.
const wrkDone = `
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
`

// ensureWrk finds wrk, installing Debian's package when it is missing and
// we may (root with apt-get), as the issue asks of the bench.
func ensureWrk() (string, error) {
	if p, err := exec.LookPath("wrk"); err == nil {
		return p, nil
	}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("apt-get"); err == nil {
			fmt.Fprintln(os.Stderr, "installing wrk (Debian package)…")
			inst := exec.Command("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk")
			if out, err := inst.CombinedOutput(); err != nil {
				return "", fmt.Errorf("installing wrk: %v\n%s", err, out)
			}
			return exec.LookPath("wrk")
		}
	}
	return "", errors.New("wrk is not installed: apt-get install wrk, or use -generator go")
}

// loadGenerator checks a -generator flag: wrk (found or installed, its
// path returned) or go (the in-process client, "").
func loadGenerator(name string) (string, error) {
	switch name {
	case "wrk":
		return ensureWrk()
	case "go":
		return "", nil
	}
	return "", fmt.Errorf("-generator %q: use wrk or go", name)
}

// writePool writes n requests from src for wrk's script: each as its
// length, a newline and the request's bytes.
func writePool(path string, src bodySource, n int, urlPath string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for k := 0; k < n; k++ {
		body, sig := src.next()
		head := "POST " + urlPath + " HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n" +
			"User-Agent: facebookexternalua\r\nX-Hub-Signature-256: " + sig + "\r\n" +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
		fmt.Fprintf(w, "%d\n", len(head)+len(body))
		w.WriteString(head)
		w.Write(body)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// wrkRun drives url for d with conc connections from one wrk thread.
func wrkRun(wrkBin, dir, pool, url string, conc int, d time.Duration) (loadResult, error) {
	script := filepath.Join(dir, "pool.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		return loadResult{}, err
	}
	secs := int(d.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	cmd := exec.Command(wrkBin, "-t1", "-c"+strconv.Itoa(conc), "-d"+strconv.Itoa(secs)+"s",
		"--timeout", "60s", "-s", script, url, "--", pool)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return loadResult{}, fmt.Errorf("wrk: %v: %s", err, ee.Stderr)
		}
		return loadResult{}, fmt.Errorf("wrk: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return parseWrkDone(lines[len(lines)-1])
}

// parseWrkDone reads the line wrkDone prints; rps is over wrk's duration.
func parseWrkDone(line string) (loadResult, error) {
	var rep struct {
		Requests   int   `json:"requests"`
		DurationUS int64 `json:"duration_us"`
		Errors     int   `json:"errors"`
		Non2xx     int   `json:"non2xx"`
		P50        int64 `json:"p50_us"`
		P99        int64 `json:"p99_us"`
	}
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		return loadResult{}, fmt.Errorf("reading wrk's result %q: %v", line, err)
	}
	ok := rep.Requests - rep.Non2xx
	return loadResult{
		n: ok, errors: rep.Errors + rep.Non2xx,
		rps: float64(ok) / (float64(rep.DurationUS) / 1e6),
		p50: time.Duration(rep.P50) * time.Microsecond, p99: time.Duration(rep.P99) * time.Microsecond,
	}, nil
}

// wrkCountScript is wrkScript for a fixed number of requests (its second
// argument): each connection asks delay() before a request, and once that
// many have been issued the rest wait an hour, so no request is cut off by
// the end of a run. It prints "started" before the first request and
// "answered" once the last answer is in, for the caller to time the run
// and stop wrk.
const wrkCountScript = `
local pool, n, i, want, issued, answered = {}, 0, 0, 0, 0, 0
function init(args)
  local f = assert(io.open(args[1], "rb"))
  while true do
    local line = f:read("*l")
    if not line then break end
    n = n + 1
    pool[n] = f:read(tonumber(line))
  end
  f:close()
  want = tonumber(args[2])
end
function delay()
  if issued == 0 then io.write("started\n"); io.flush() end
  if issued < want then
    issued = issued + 1
    return 0
  end
  return 3600000
end
function request()
  i = i % n + 1
  return pool[i]
end
function response(status, headers, body)
  answered = answered + 1
  if answered == want then io.write("answered\n"); io.flush() end
end
` + wrkDone

// wrkCount sends exactly n requests from the pool (which must hold at least
// n, so that none is a retry) over conc connections and returns when every
// one is answered. The elapsed time runs from the first request to the last
// answer as wrk reports them on its output.
func wrkCount(wrkBin, dir, pool, url string, conc, n int) (loadResult, error) {
	script := filepath.Join(dir, "count.lua")
	if err := os.WriteFile(script, []byte(wrkCountScript), 0o644); err != nil {
		return loadResult{}, err
	}
	cmd := exec.Command(wrkBin, "-t1", "-c"+strconv.Itoa(conc), "-d3600s",
		"--timeout", "120s", "-s", script, url, "--", pool, strconv.Itoa(n))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return loadResult{}, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return loadResult{}, fmt.Errorf("wrk: %v", err)
	}
	// wrk stops and prints its summary on SIGINT, but only once its main
	// thread gets one (a signal its worker thread takes ends the worker
	// only): interrupt it until it is gone. A request whose connection
	// failed is never answered: give up on the rest after countTimeout and
	// count them as errors.
	exited := make(chan struct{})
	stop := func() {
		for {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
	giveUp := time.AfterFunc(countTimeout, stop)
	defer giveUp.Stop()
	sc := bufio.NewScanner(stdout)
	var started, answered time.Time
	last := ""
	for sc.Scan() {
		switch line := sc.Text(); line {
		case "started":
			started = time.Now()
		case "answered":
			answered = time.Now()
			go stop()
		default:
			last = line
		}
	}
	err = cmd.Wait()
	close(exited)
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %v: %s", err, stderr.String())
	}
	res, err := parseWrkDone(last)
	if err != nil {
		return loadResult{}, err
	}
	if answered.IsZero() {
		answered = time.Now()
		res.errors += max(0, n-res.n-res.errors)
	}
	res.rps = float64(res.n) / answered.Sub(started).Seconds()
	return res, nil
}

// countTimeout bounds a run of a fixed number of requests.
const countTimeout = 10 * time.Minute
