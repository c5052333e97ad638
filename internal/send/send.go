// Package send is the flow behind `wa-hooks send`: resolve the sources,
// build signed wire-form bodies (internal/payload), deliver them with the
// sending engine (internal/sender) and report (internal/render), mapping
// the outcome to an exit code.
package send

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/sender"
)

// Options is everything `wa-hooks send` was asked to do.
type Options struct {
	To            string
	Sources       []string // catalog names, globs, files, "-"
	All           bool
	FromRecording string
	Filters       []string

	KeepIDs bool
	Sets    []string // --set PATH=VALUE
	// Identity rewrites every body for one of identity's users
	// (phone, phone+bsuid, bsuid-only, username-only).
	Identity  string
	Shortcuts payload.Shortcuts

	Headers      []string // -H "K: V"
	Raw          bool
	NoSignature  bool
	BadSignature bool
	LegacySHA1   bool
	Pretty       bool
	Oversize     bool
	AppSecret    string

	Duplicates  int
	Retry       bool
	RetryScale  float64
	RetryMax    int
	Batch       int
	BatchLayout string
	Shuffle     bool

	Timeout     time.Duration
	Insecure    bool
	CACert      string
	Count       int
	Concurrency int
	Rate        float64
	Duration    time.Duration

	ExpectStatus []string
	JSON         bool
	DryRun       bool

	// Now and Seed make bodies reproducible in tests.
	Now  func() time.Time
	Seed uint64
}

// loadRun is the number of requests from which a run is a load test.
const loadRun = 1000

// relaxGC lets the heap grow five times its live size between collections
// during a load run, unless the user chose GOGC. Every request allocates a
// few kilobytes inside net/http while the live heap stays tiny, so the
// default collects hundreds of times a second; the extra memory is a few
// megabytes. It returns the function that restores the setting.
func relaxGC(ios *iostreams.IO) func() {
	if ios.Getenv != nil && ios.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(400)
	if old > 400 || old < 0 {
		debug.SetGCPercent(old)
	}
	return func() { debug.SetGCPercent(old) }
}

// linesUpTo is the largest planned run that prints one line per request.
const linesUpTo = 50

// resultsUpTo is the largest planned run whose --json report lists every request.
const resultsUpTo = 10000

// Run sends what o describes and reports on ios.
func Run(ctx context.Context, ios *iostreams.IO, o Options) error {
	if err := validate(&o); err != nil {
		return exit.New(exit.Usage, err)
	}
	expect, expectText, err := parseExpect(o.ExpectStatus)
	if err != nil {
		return exit.New(exit.Usage, err)
	}
	popts, err := payloadOptions(o)
	if err != nil {
		return exit.New(exit.Usage, err)
	}
	srcs, err := resolveSources(ios, o)
	if err == nil {
		srcs, err = withIdentity(srcs, o)
	}
	if err != nil {
		return exit.New(exit.Usage, err)
	}
	feed, err := payload.Build(srcs, popts)
	if err != nil {
		return exit.New(exit.Usage, err)
	}
	for _, w := range feed.Warnings() {
		ios.Warnf("%s", w)
	}
	if o.DryRun {
		return dryRun(ios, o, feed)
	}

	client, err := sender.NewClient(sender.ClientOptions{Timeout: o.Timeout, Insecure: o.Insecure, CAFile: o.CACert, Conns: o.Concurrency})
	if err != nil {
		return exit.New(exit.Usage, err)
	}
	jobs := o.Count
	if jobs <= 0 && o.Duration <= 0 {
		jobs = feed.Len()
	}
	planned := max(jobs, 0) * max(o.Duplicates, 1)
	known := o.Duration <= 0 || o.Count > 0
	lines := !o.JSON && !ios.Quiet && (ios.Verbose || (known && planned <= linesUpTo))
	keepResults := o.JSON && known && planned <= resultsUpTo

	plan := sender.Plan{
		URL: o.To, Client: client, Feed: feed,
		Count: o.Count, Duration: o.Duration, Concurrency: o.Concurrency, Rate: o.Rate,
		Duplicates: o.Duplicates,
		Retry:      sender.Retry{Enabled: o.Retry, Scale: o.RetryScale, Max: o.RetryMax},
		Expect:     expect,
		KeepSent:   lines && ios.Verbose,
		Progress:   &sender.Progress{Total: int64(planned), Duration: o.Duration, Start: time.Now()},
	}
	pretty := render.NewSendPretty(ios.Out, ios.Renderer(), render.SendOptions{Verbose: ios.Verbose, NameWidth: nameWidth(feed.Names())})
	var results []render.SendResultDoc
	switch {
	case lines:
		plan.KeepResponses = true
		plan.OnResult = pretty.Result
	case keepResults:
		plan.KeepResponses = true
		plan.OnResult = func(r sender.Result) {
			results = append(results, render.SendResultDoc{Result: r, Response: string(r.Response)})
		}
	}
	if planned >= loadRun || o.Duration > 0 {
		defer relaxGC(ios)()
	}
	stopBar := startProgress(ios, plan.Progress, !lines)
	rep, runErr := sender.Run(ctx, plan)
	stopBar()
	if rep == nil {
		return exit.New(exit.Failure, runErr)
	}
	if o.JSON {
		doc := render.SendReport{Report: rep, Expect: expectText, OK: rep.OK(), Results: results}
		if err := render.WriteSendJSON(ios.Out, doc); err != nil {
			return err
		}
	} else if !ios.Quiet || !rep.OK() {
		pretty.Summary(rep, expectText)
	}
	return outcome(rep, runErr, expectText)
}

// outcome maps a report to the exit code.
func outcome(rep *sender.Report, runErr error, expect string) error {
	switch {
	case runErr != nil:
		return exit.New(exit.Failure, runErr)
	case rep.Interrupted:
		return exit.Silent(exit.Interrupted)
	case rep.NoneReached():
		for _, k := range []sender.ErrorKind{sender.KindRefused, sender.KindDNS, sender.KindTLS, sender.KindTimeout, sender.KindReset, sender.KindUnreachable, sender.KindOther} {
			if ec, ok := rep.Errors[k]; ok {
				return exit.New(exit.Unreachable, errors.New(ec.Example))
			}
		}
		return exit.Errorf(exit.Unreachable, "the endpoint could not be reached")
	case rep.Failed > 0 && rep.Unreached > 0:
		return exit.Errorf(exit.SendFailed, "%d of %d deliveries did not get %s (%d never reached the endpoint)", rep.Failed, rep.Deliveries, expect, rep.Unreached)
	case rep.Failed > 0:
		return exit.Errorf(exit.SendFailed, "%d of %d deliveries did not get %s", rep.Failed, rep.Deliveries, expect)
	}
	return nil
}

func validate(o *Options) error {
	if o.To == "" && !o.DryRun {
		return errors.New("no endpoint: give --to URL (e.g. --to http://127.0.0.1:3000/webhook), or set send.to in the config file")
	}
	if o.To != "" {
		u, err := url.Parse(o.To)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--to %q is not an http(s) URL: write it in full, e.g. http://127.0.0.1:3000/webhook", o.To)
		}
	}
	checks := []struct {
		bad bool
		msg string
	}{
		{o.Count < 0, "--count must be 0 or more"},
		{o.Concurrency < 1, "--concurrency must be at least 1"},
		{o.Rate < 0, "--rate must be 0 (no limit) or more"},
		{o.Duration < 0, "--duration must be positive"},
		{o.Duplicates < 1, "--duplicates must be at least 1"},
		{o.Batch < 0, "--batch must be 0 or more"},
		{o.Batch > 1000, "--batch is at most 1000: Meta batches up to 1000 updates per POST"},
		{o.Timeout <= 0, "--timeout must be positive, e.g. 20s"},
		{o.RetryScale <= 0, "--retry-scale must be positive (1 is real time, 0.00001 runs 7 days in 6 s)"},
		{o.RetryMax < 0, "--retry-max must be 0 (the whole schedule) or more"},
		{o.NoSignature && o.BadSignature, "--no-signature and --bad-signature cannot be used together: pick one"},
		{o.NoSignature && o.LegacySHA1, "--no-signature and --legacy-sha1 cannot be used together"},
		{o.Raw && o.KeepIDs, "--raw already keeps ids: drop --keep-ids"},
	}
	for _, c := range checks {
		if c.bad {
			return errors.New(c.msg)
		}
	}
	return nil
}

func payloadOptions(o Options) (payload.Options, error) {
	p := payload.Options{
		Shortcuts: o.Shortcuts, KeepIDs: o.KeepIDs, Raw: o.Raw, Pretty: o.Pretty, Oversize: o.Oversize,
		Batch: o.Batch, Layout: payload.Layout(o.BatchLayout), Shuffle: o.Shuffle,
		Secret: o.AppSecret, NoSignature: o.NoSignature, BadSignature: o.BadSignature, LegacySHA1: o.LegacySHA1,
		Now: o.Now, Seed: o.Seed,
	}
	for _, s := range o.Sets {
		ov, err := payload.ParseSet(s)
		if err != nil {
			return p, err
		}
		p.Overrides = append(p.Overrides, ov)
	}
	if len(o.Headers) > 0 {
		p.Headers = http.Header{}
		for _, h := range o.Headers {
			k, v, ok := strings.Cut(h, ":")
			k = strings.TrimSpace(k)
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				return p, fmt.Errorf("-H %q: write a header as 'Name: value'", h)
			}
			p.Headers.Add(k, strings.TrimSpace(v))
		}
	}
	return p, nil
}

// parseExpect reads --expect-status: codes (200) and classes (2xx), comma-separated.
func parseExpect(specs []string) (func(int) bool, string, error) {
	if len(specs) == 0 {
		specs = []string{"200"}
	}
	codes := map[int]bool{}
	classes := map[int]bool{}
	var names []string
	for _, spec := range specs {
		for _, s := range strings.Split(spec, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
				classes[int(s[0]-'0')] = true
				names = append(names, s)
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 100 || n > 599 {
				return nil, "", fmt.Errorf("--expect-status %q: give HTTP codes such as 200 or 401,403, or a class such as 2xx", spec)
			}
			codes[n] = true
			names = append(names, s)
		}
	}
	text := strings.Join(names, " or ")
	return func(c int) bool { return codes[c] || classes[c/100] }, text, nil
}

func nameWidth(names []string) int {
	w := 0
	for _, n := range names {
		w = max(w, len(n))
	}
	return min(w, 40)
}

// startProgress draws a progress bar on a terminal's stderr for runs that
// last more than a moment; the returned function clears it.
func startProgress(ios *iostreams.IO, p *sender.Progress, enabled bool) func() {
	if !enabled || !ios.StderrTTY || ios.Quiet {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-done:
			return
		case <-time.After(500 * time.Millisecond):
		}
		st := render.NewStyles(ios.ErrRenderer())
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			line := render.SendProgress(st, ios.TerminalWidth(), p.Done(), p.Total, p.Failed(), time.Since(p.Start), p.Duration)
			fmt.Fprintf(ios.ErrOut, "\r\033[K%s", line)
			select {
			case <-done:
				fmt.Fprint(ios.ErrOut, "\r\033[K")
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// dryRun prints the requests that would be sent, without sending them.
func dryRun(ios *iostreams.IO, o Options, feed *payload.Feed) error {
	n := feed.Len()
	if o.Count > 0 {
		n = min(o.Count, n)
	}
	target := o.To
	if target == "" {
		target = "(no --to)"
	}
	for job := range n {
		d, err := feed.Preview(job)
		if err != nil {
			return exit.New(exit.Failure, err)
		}
		if job > 0 {
			fmt.Fprintln(ios.Out)
		}
		fmt.Fprintf(ios.Out, "# %s\nPOST %s\n", d.Name, target)
		keys := make([]string, 0, len(d.Header))
		for k := range d.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range d.Header[k] {
				fmt.Fprintf(ios.Out, "%s: %s\n", k, v)
			}
		}
		fmt.Fprintf(ios.Out, "Content-Length: %d\n\n", len(d.Body))
		ios.Out.Write(d.Body)
		fmt.Fprintln(ios.Out)
	}
	return nil
}
