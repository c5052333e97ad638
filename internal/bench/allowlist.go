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
	fmt.Printf("allowlist benchmark: fake IRR server %s, %d objects, median of %d runs each (after one warm-up), each pair interleaved\n", srv.Addr, len(data.Objects), *runs)
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
	ours := command{bin, []string{"allowlist", "--server", addr, "--query", "irrd", "-4", "--no-header"}}
	if path, err := exec.LookPath("bgpq4"); err != nil {
		t := measure(runs, ours)[0]
		report("wa-hooks allowlist --query irrd -4", t, describeOurs(t.out, truth(true, false)))
		fmt.Println("  bgpq4: not installed (apt-get install bgpq4); comparison skipped")
	} else {
		ts := measure(runs, ours, command{path, []string{"-h", addr, "-4", "-A", "-j", "AS32934"}})
		report("wa-hooks allowlist --query irrd -4", ts[0], describeOurs(ts[0].out, truth(true, false)))
		report("bgpq4 -4 -A -j AS32934", ts[1], describeBgpq4(ts[1].out, truth(true, false)))
		ratio(ts[0], ts[1], "bgpq4")
	}

	fmt.Println("RPSL style (-i origin), both families:")
	ours = command{bin, []string{"allowlist", "--server", addr, "--query", "rpsl", "--no-header"}}
	if _, err := exec.LookPath("whois"); err != nil {
		t := measure(runs, ours)[0]
		report("wa-hooks allowlist --query rpsl", t, describeOurs(t.out, truth(true, true)))
		fmt.Println("  whois: not installed (apt-get install whois); comparison skipped")
	} else {
		pipeline := fmt.Sprintf("whois -h 127.0.0.1 -p %s -- '-i origin AS32934' | grep ^route | awk '{print $2}' | sort", port)
		ts := measure(runs, ours, command{"/bin/sh", []string{"-c", pipeline}})
		report("wa-hooks allowlist --query rpsl", ts[0], describeOurs(ts[0].out, truth(true, true)))
		report("whois | grep ^route | awk | sort", ts[1], describePipeline(ts[1].out, truth(true, true), data))
		ratio(ts[0], ts[1], "the whois pipeline")
	}
}

type command struct {
	name string
	args []string
}

type timing struct {
	median, min time.Duration
	cpu         time.Duration // median user+sys time of the process (and its children)
	out         []byte
	err         error
}

// measure runs the commands in turn, runs times each after one warm-up
// round: interleaved, so that load from elsewhere on a shared machine falls
// on all of them alike rather than on whichever ran during it.
func measure(runs int, cmds ...command) []timing {
	ts := make([]timing, len(cmds))
	walls := make([][]time.Duration, len(cmds))
	cpus := make([][]time.Duration, len(cmds))
	for i := 0; i <= runs; i++ {
		for j, c := range cmds {
			if ts[j].err != nil {
				continue
			}
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(c.name, c.args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			d := time.Since(start)
			if err != nil {
				ts[j].err = fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
				continue
			}
			ts[j].out = stdout.Bytes()
			if i > 0 { // the first round warms caches
				walls[j] = append(walls[j], d)
				cpus[j] = append(cpus[j], cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
			}
		}
	}
	for j := range ts {
		if ts[j].err != nil {
			continue
		}
		slices.Sort(walls[j])
		slices.Sort(cpus[j])
		ts[j].median, ts[j].min, ts[j].cpu = walls[j][len(walls[j])/2], walls[j][0], cpus[j][len(cpus[j])/2]
	}
	return ts
}

func report(label string, t timing, what string) {
	if t.err != nil {
		fmt.Printf("  %-38s failed: %v\n", label, t.err)
		return
	}
	fmt.Printf("  %-38s %8.1f ms (min %6.1f, cpu %5.1f)  %s\n", label, ms(t.median), ms(t.min), ms(t.cpu), what)
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
