package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irrtest"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/prefixset"
)

// runAllowlist compares `wa-hooks allowlist` with bgpq4 (IRRd style, IPv4)
// and with Meta's documented whois | grep | awk | sort pipeline (RPSL,
// both families), all against the same fake IRR server on loopback, and
// checks what each produced against the registry's true content.
func runAllowlist(args []string) error {
	fs := flag.NewFlagSet("allowlist", flag.ContinueOnError)
	objects := fs.Int("objects", 3000, "route/route6 objects in the fake registry")
	runs := fs.Int("runs", 20, "timed runs per command (median reported)")
	rtt := fs.Duration("rtt", 20*time.Millisecond, "also measure with this emulated round-trip time per exchange (0 = loopback only); with -serve, the delay the server adds")
	serve := fs.Bool("serve", false, "only run the fake IRR server (print its address, stop on Ctrl-C), for profiling a binary by hand")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *serve {
		return serveOnly(*objects, *rtt)
	}
	bin, _, cleanup, err := buildWaHooks("allowlist")
	if err != nil {
		return err
	}
	defer cleanup()
	data := irrtest.Generate(1, *objects)
	srv, err := irrtest.Start(data, irrtest.Normal)
	if err != nil {
		return err
	}
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Addr)

	truth := func(v4, v6 bool) []netip.Prefix {
		var ps []netip.Prefix
		for _, o := range data.Select("AS32934", []string{"RADB", "RIPE", "ARIN"}, v4, v6) {
			ps = append(ps, o.Prefix)
		}
		return prefixset.Aggregate(ps)
	}
	fmt.Printf("allowlist benchmark: fake IRR server %s, %d objects, median of %d runs each (after one warm-up)\n", srv.Addr, len(data.Objects), *runs)
	latencies := []time.Duration{0}
	if *rtt > 0 {
		latencies = append(latencies, *rtt)
	}
	for _, lat := range latencies {
		srv.SetLatency(lat)
		where := "loopback"
		if lat > 0 {
			where = fmt.Sprintf("emulated round trip %s per exchange", lat)
		}
		fmt.Printf("\n== %s ==\n", where)
		compare(bin, srv.Addr, port, *runs, truth, data)
	}
	return nil
}

// serveOnly runs the benchmark's fake server until interrupted, so that a
// binary can be profiled (perf, strace) against the same data by hand.
func serveOnly(objects int, latency time.Duration) error {
	srv, err := irrtest.Start(irrtest.Generate(1, objects), irrtest.Normal)
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.SetLatency(latency)
	fmt.Printf("fake IRR server on %s (%d objects, %s per exchange); Ctrl-C stops it\n", srv.Addr, objects, latency)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

func compare(bin, addr, port string, runs int, truth func(v4, v6 bool) []netip.Prefix, data irrtest.Dataset) {
	fmt.Println("IRRd style (!g), IPv4:")
	ours := measure(runs, bin, "allowlist", "--server", addr, "--query", "irrd", "-4", "--no-header")
	report("wa-hooks allowlist --query irrd -4", ours, describeOurs(ours.out, truth(true, false)))
	if path, err := exec.LookPath("bgpq4"); err != nil {
		fmt.Println("  bgpq4: not installed (apt-get install bgpq4); comparison skipped")
	} else {
		ref := measure(runs, path, "-h", addr, "-4", "-A", "-j", "AS32934")
		report("bgpq4 -4 -A -j AS32934", ref, describeBgpq4(ref.out, truth(true, false)))
		ratio(ours, ref, "bgpq4")
	}

	fmt.Println("RPSL style (-i origin), both families:")
	ours = measure(runs, bin, "allowlist", "--server", addr, "--query", "rpsl", "--no-header")
	report("wa-hooks allowlist --query rpsl", ours, describeOurs(ours.out, truth(true, true)))
	if _, err := exec.LookPath("whois"); err != nil {
		fmt.Println("  whois: not installed (apt-get install whois); comparison skipped")
	} else {
		pipeline := fmt.Sprintf("whois -h 127.0.0.1 -p %s -- '-i origin AS32934' | grep ^route | awk '{print $2}' | sort", port)
		ref := measure(runs, "/bin/sh", "-c", pipeline)
		report("whois | grep ^route | awk | sort", ref, describePipeline(ref.out, truth(true, true), data))
		ratio(ours, ref, "the whois pipeline")
	}
}

type timing struct {
	median, min time.Duration
	out         []byte
	err         error
}

func measure(runs int, name string, args ...string) timing {
	var t timing
	var ds []time.Duration
	for i := 0; i <= runs; i++ {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(name, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if err != nil {
			t.err = fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
			return t
		}
		t.out = stdout.Bytes()
		if i > 0 { // the first run warms caches
			ds = append(ds, d)
		}
	}
	slices.Sort(ds)
	t.median, t.min = ds[len(ds)/2], ds[0]
	return t
}

func report(label string, t timing, what string) {
	if t.err != nil {
		fmt.Printf("  %-38s failed: %v\n", label, t.err)
		return
	}
	fmt.Printf("  %-38s %8.1f ms (min %6.1f)  %s\n", label, ms(t.median), ms(t.min), what)
}

func ratio(ours, ref timing, name string) {
	if ours.err != nil || ref.err != nil {
		return
	}
	r := float64(ours.median) / float64(ref.median)
	verdict := "faster"
	if r > 1 {
		verdict = "slower"
	}
	fmt.Printf("  ratio wa-hooks / %s: %.2f (wa-hooks %s)\n", name, r, verdict)
}

func describeOurs(out []byte, truth []netip.Prefix) string {
	got := prefixset.Extract(out)
	verdict := "correct: exactly the registry's non-RPKI union"
	if !slices.Equal(got, truth) {
		verdict = fmt.Sprintf("WRONG: differs from the registry's union (%d prefixes)", len(truth))
	}
	return fmt.Sprintf("%d prefixes, %s", len(got), verdict)
}

func describeBgpq4(out []byte, truth []netip.Prefix) string {
	entries := bytes.Count(out, []byte(`"prefix"`))
	got := prefixset.Aggregate(prefixset.Extract(out))
	cover := "same address space"
	if !slices.Equal(got, truth) {
		cover = "different address space (RPKI pseudo-objects included)"
	}
	return fmt.Sprintf("%d prefix-list entries (ge/le ranges, covered routes kept), %s", entries, cover)
}

func describePipeline(out []byte, truth []netip.Prefix, data irrtest.Dataset) string {
	lines := bytes.Count(out, []byte("\n"))
	got := prefixset.Extract(out)
	distinct := len(prefixset.Dedup(got))
	extra := 0
	agg := prefixset.Aggregate(truth)
	for _, p := range prefixset.Dedup(got) {
		if !prefixset.CoversPrefix(agg, p) {
			extra++
		}
	}
	return fmt.Sprintf("%d lines, %d distinct, %d not Meta's (RPKI pseudo-objects)", lines, distinct, extra)
}
