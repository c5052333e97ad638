package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// runAttack replays, on loopback and bounded in count and time, the attacks
// of issue 17 against a freshly built `wa-hooks serve`, and prints a table
// of attack and outcome (docs/security.md keeps the latest). It never fails
// on a number: it reports them, with the goal beside each.
func runAttack(args []string) error {
	fs := flag.NewFlagSet("attack", flag.ContinueOnError)
	only := fs.String("only", "", "run only the attacks whose name contains this")
	prebuilt := fs.String("bin", "", "attack this wa-hooks binary (an older build, to compare) instead of building one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bin, dir, cleanup, err := buildWaHooks("attack")
	if err != nil {
		return err
	}
	defer cleanup()
	if *prebuilt != "" {
		bin = *prebuilt
	}
	a := &attacker{bin: bin, dir: dir}
	type attack struct {
		name, what string
		run        func() (string, error)
	}
	attacks := []attack{
		{"slow-uploads", "50 connections announce Content-Length 4 MiB and send a byte a second (reconnecting when cut); one client posts signed deliveries", func() (string, error) { return a.slowUploads(1) }},
		{"slow-uploads-8k", "the same, each sending 8 KiB first (past the bytes read without the budget)", func() (string, error) { return a.slowUploads(8 << 10) }},
		{"chunked-bodies", "256 concurrent chunked 4 MB bodies with a bad signature", func() (string, error) { return a.bigBodies(true) }},
		{"length-bodies", "the same with Content-Length", func() (string, error) { return a.bigBodies(false) }},
		{"forward-flood", "--forward-to an app that never answers; 5,000 × 100 KB signed POSTs, then SIGTERM", a.forwardFlood},
		{"forward-self", "--forward-to serve's own address (localhost, 127.0.0.1, [::1], 0.0.0.0)", a.forwardSelf},
		{"forward-loop", "--forward-to an app that posts every request back to serve, headers and all; one POST", a.forwardLoop},
		{"second-signal", "SIGTERM, then SIGTERM again 0.2 s later, while a forward hangs (--forward-timeout 1h)", a.secondSignal},
		{"disk-full", "the recording's file may not grow past 64 KiB (ulimit -f); 300 signed POSTs", a.diskFull},
	}
	var rows [][3]string
	for _, at := range attacks {
		if *only != "" && !strings.Contains(at.name, *only) {
			continue
		}
		fmt.Fprintf(os.Stderr, "attack %s…\n", at.name)
		out, err := at.run()
		if err != nil {
			out = "could not run: " + err.Error()
		}
		rows = append(rows, [3]string{at.name, at.what, out})
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "attack\twhat\toutcome")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r[0], r[1], r[2])
	}
	return tw.Flush()
}

type attacker struct {
	bin, dir string
	n        int
}

const attackSecret = "attack-app-secret"

// serve starts `wa-hooks serve` on a free loopback port with extra args.
// wrap, when set, runs it under `sh -c` with that shell prefix.
func (a *attacker) serve(wrap string, args ...string) (*proc, error) {
	a.n++
	env := append(os.Environ(), "WA_HOOKS_APP_SECRET="+attackSecret, "WA_HOOKS_VERIFY_TOKEN=attack-token")
	all := append([]string{"serve", "--addr", "127.0.0.1:0", "-q"}, args...)
	bin := a.bin
	if wrap != "" {
		all = append([]string{"-c", wrap + `; exec "$0" "$@"`, a.bin}, all...)
		bin = "/bin/sh"
	}
	return startProc(bin, all, env, a.dir, fmt.Sprintf("serve%d", a.n))
}

// exitCode waits up to d for p to exit and says how it went and how long
// it took.
func exitCode(p *proc, d time.Duration) (code int, took time.Duration, err error) {
	start := time.Now()
	select {
	case werr := <-p.done:
		var ee *exec.ExitError
		if errors.As(werr, &ee) {
			return ee.ExitCode(), time.Since(start), nil
		}
		return 0, time.Since(start), werr
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.done
		return -1, d, fmt.Errorf("did not exit within %s", d)
	}
}

func signedPost(client *http.Client, url string, body []byte) (int, time.Duration, error) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signature.Header, signature.Sign(attackSecret, body))
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, time.Since(t0), err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(t0), nil
}

// uniqueBody is a small signed delivery with its own message id.
func uniqueBody(i int) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},"messages":[{"from":"3","id":"wamid.ATTACK%d","timestamp":"1792913640","type":"text","text":{"body":"attack %d"}}]}}]}]}`, i, i)
}

// deliveries posts signed deliveries one after another for d and returns
// their p50 and p99 and how many were not answered 200.
func deliveries(url string, d time.Duration, from int) (p50, p99 time.Duration, n, bad int) {
	client := &http.Client{Timeout: 30 * time.Second}
	var lat []time.Duration
	for i, deadline := from, time.Now().Add(d); time.Now().Before(deadline); i++ {
		status, l, err := signedPost(client, url, uniqueBody(i))
		if err != nil || status != http.StatusOK {
			bad++
			continue
		}
		lat = append(lat, l)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		return 0, 0, 0, bad
	}
	return lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], len(lat), bad
}

func (a *attacker) slowUploads(first int) (string, error) {
	p, err := a.serve("")
	if err != nil {
		return "", err
	}
	defer p.stop()
	deliveries(p.url, 500*time.Millisecond, 0) // warm up
	base50, base99, _, _ := deliveries(p.url, 2*time.Second, 10000)

	addr := strings.TrimPrefix(strings.TrimSuffix(p.url, "/webhook"), "http://")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var cut atomic.Int64
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4194304\r\n\r\n%s", bytes.Repeat([]byte(" "), first))
				for ctx.Err() == nil {
					if _, err := c.Write([]byte(" ")); err != nil {
						break
					}
					_ = c.SetReadDeadline(time.Now().Add(time.Second))
					var b [1]byte
					if _, err := c.Read(b[:]); err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
						cut.Add(1) // answered (408) or closed: open another
						break
					}
				}
				c.Close()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond) // all 50 open
	p50, p99, n, bad := deliveries(p.url, 6*time.Second, 1000000)
	cancel()
	wg.Wait()
	ratio := 0.0
	if base99 > 0 {
		ratio = float64(p99) / float64(base99)
	}
	return fmt.Sprintf("%d deliveries answered 200 (%d not) while the 50 stayed open: p50 %.1f ms, p99 %.1f ms (goal < 50 ms; without the attack p50 %.1f, p99 %.1f ms, ×%.1f); %d slow uploads cut off (408) and reopened",
		n, bad, ms(p50), ms(p99), ms(base50), ms(base99), ratio, cut.Load()), nil
}

func (a *attacker) bigBodies(chunked bool) (string, error) {
	p, err := a.serve("")
	if err != nil {
		return "", err
	}
	defer p.stop()
	body := bytes.Repeat([]byte(`{"x":"0123456789abcdef"}`), 4000000/24)
	peak, stopPoll := pollRSS(p.cmd.Process.Pid)
	tr := &http.Transport{MaxConnsPerHost: 256, MaxIdleConnsPerHost: 256, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 120 * time.Second}
	defer tr.CloseIdleConnections()
	statuses := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < 256; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r io.Reader = bytes.NewReader(body)
			if chunked {
				r = io.MultiReader(r) // hides the length: Transfer-Encoding: chunked
			}
			req, _ := http.NewRequest(http.MethodPost, p.url, r)
			req.Header.Set(signature.Header, "sha256="+strings.Repeat("0", 64))
			status := 0
			if resp, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	took := time.Since(start)
	stopPoll()
	hwm := max(peak.Load(), procRSS(p.cmd.Process.Pid, "VmHWM"))
	return fmt.Sprintf("peak RSS %.0f MB (goal < 200 MB) in %.1f s; answers %v (0: no answer)", float64(hwm)/1024, took.Seconds(), statuses), nil
}

// pollRSS samples a process's RSS every 10 ms until stop is called; peak
// holds the highest seen (KiB).
func pollRSS(pid int) (peak *atomic.Int64, stop func()) {
	peak = &atomic.Int64{}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
				if rss := procRSS(pid, "VmRSS"); rss > peak.Load() {
					peak.Store(rss)
				}
			}
		}
	}()
	return peak, func() { close(done) }
}

// hangingApp accepts requests and never answers until the caller goes away.
func hangingApp() (url string, received *atomic.Int64, closeApp func()) {
	received = &atomic.Int64{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
		<-r.Context().Done()
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/app", received, func() { _ = srv.Close() }
}

func (a *attacker) forwardFlood() (string, error) {
	appURL, received, closeApp := hangingApp()
	defer closeApp()
	p, err := a.serve("", "--forward-to", appURL, "--json")
	if err != nil {
		return "", err
	}
	pad := strings.Repeat("x", 100<<10)
	var peak atomic.Int64
	var wg sync.WaitGroup
	var next atomic.Int64
	var bad atomic.Int64
	for c := 0; c < 16; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			for i := next.Add(1); i <= 5000; i = next.Add(1) {
				body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},"messages":[{"from":"3","id":"wamid.F%d","timestamp":"1792913640","type":"text","text":{"body":"%s"}}]}}]}]}`, i, pad)
				if status, _, err := signedPost(client, p.url, body); err != nil || status != 200 {
					bad.Add(1)
				}
				if i%100 == 0 {
					if rss := procRSS(p.cmd.Process.Pid, "VmRSS"); rss > peak.Load() {
						peak.Store(rss)
					}
				}
			}
		}()
	}
	wg.Wait()
	hwm := max(peak.Load(), procRSS(p.cmd.Process.Pid, "VmHWM"))
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	code, took, err := exitCode(p, 60*time.Second)
	if err != nil {
		return "", err
	}
	dropped := summaryField(filepath.Join(a.dir, fmt.Sprintf("serve%d.out", a.n)), `"forward_dropped":`)
	return fmt.Sprintf("all answered (%d not 200); peak RSS %.0f MB; the app got %d, %s requests dropped and reported; SIGTERM → exit %d in %.1f s",
		bad.Load(), float64(hwm)/1024, received.Load(), dropped, code, took.Seconds()), nil
}

// summaryField finds a number in serve's --json summary line.
func summaryField(path, key string) string {
	data, _ := os.ReadFile(path)
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, `"kind":"summary"`) {
			if _, rest, ok := strings.Cut(l, key); ok {
				end := strings.IndexAny(rest, ",}")
				return rest[:max(end, 0)]
			}
		}
	}
	return "?"
}

func (a *attacker) forwardSelf() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var refused []string
	for _, host := range []string{"localhost", "127.0.0.1", "[::1]", "0.0.0.0"} {
		cmd := exec.Command(a.bin, "serve", "--addr", fmt.Sprintf(":%d", port), "--forward-to", fmt.Sprintf("http://%s:%d/webhook", host, port))
		cmd.Env = append(os.Environ(), "WA_HOOKS_APP_SECRET="+attackSecret)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			return "", err
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.ExitCode() == 2 && strings.Contains(stderr.String(), "points at serve itself") {
				refused = append(refused, host)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	return fmt.Sprintf("refused with exit 2 (\"points at serve itself\") for %d of 4: %s", len(refused), strings.Join(refused, ", ")), nil
}

func (a *attacker) forwardLoop() (string, error) {
	var target atomic.Value
	var appGot atomic.Int64
	app := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		appGot.Add(1)
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequest(http.MethodPost, target.Load().(string), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go app.Serve(ln)
	defer app.Close()
	p, err := a.serve("", "--forward-to", "http://"+ln.Addr().String()+"/app", "--json")
	if err != nil {
		return "", err
	}
	target.Store(p.url)
	client := &http.Client{Timeout: 10 * time.Second}
	if _, _, err := signedPost(client, p.url, uniqueBody(1)); err != nil {
		return "", err
	}
	time.Sleep(2 * time.Second)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if _, _, err := exitCode(p, 60*time.Second); err != nil {
		return "", err
	}
	out := filepath.Join(a.dir, fmt.Sprintf("serve%d.out", a.n))
	return fmt.Sprintf("in 2 s serve received %s requests and the app %d; %s dropped as a loop",
		summaryField(out, `"requests":`), appGot.Load(), summaryField(out, `"forward_dropped":`)), nil
}

func (a *attacker) secondSignal() (string, error) {
	appURL, _, closeApp := hangingApp()
	defer closeApp()
	p, err := a.serve("", "--forward-to", appURL, "--forward-timeout", "1h")
	if err != nil {
		return "", err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if _, _, err := signedPost(client, p.url, uniqueBody(1)); err != nil {
		return "", err
	}
	time.Sleep(200 * time.Millisecond)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	code, took, err := exitCode(p, 60*time.Second)
	if err != nil {
		return "", err
	}
	// And with one signal only: the shutdown's deadline.
	p, err = a.serve("", "--forward-to", appURL, "--forward-timeout", "1h")
	if err != nil {
		return "", err
	}
	if _, _, err := signedPost(client, p.url, uniqueBody(2)); err != nil {
		return "", err
	}
	time.Sleep(200 * time.Millisecond)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	code1, took1, err := exitCode(p, 60*time.Second)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("exit %d %.2f s after the second signal; with one signal, exit %d after %.1f s (the 15 s deadline)",
		code, took.Seconds(), code1, took1.Seconds()+0.2), nil
}

func (a *attacker) diskFull() (string, error) {
	rec := filepath.Join(a.dir, "disk-full.jsonl")
	// ulimit -f counts 512-byte blocks in POSIX sh (dash), 1024 in bash: ask for 64 KiB either way.
	p, err := a.serve("ulimit -f $(( 65536 / $(if [ -n \"$BASH_VERSION\" ]; then echo 1024; else echo 512; fi) ))", "--record", rec)
	if err != nil {
		return "", err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	statuses := map[int]int{}
	for i := 0; i < 300; i++ {
		status, _, err := signedPost(client, p.url, uniqueBody(i))
		if err != nil {
			status = 0
		}
		statuses[status]++
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if _, _, err := exitCode(p, 60*time.Second); err != nil {
		return "", err
	}
	res, err := recording.ReadFile(rec)
	if err != nil {
		return "", err
	}
	ok := 0
	for _, r := range res.Records {
		if r.Status == http.StatusOK {
			ok++
		}
	}
	st, _ := os.Stat(rec)
	return fmt.Sprintf("answers %v; recording %d bytes, %d records (%d of them 200), %d torn or unreadable lines; every 200 recorded: %v",
		statuses, st.Size(), len(res.Records), ok, res.Skipped, ok == statuses[200]), nil
}
