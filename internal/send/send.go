// Package send is the flow behind `wa-hooks send`: resolve the sources,
// build signed wire-form bodies (internal/payload), deliver them with the
// sending engine (internal/sender) and report (internal/render), mapping
// the outcome to an exit code.
package send

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
	"github.com/wa-hooks/wa-hooks/internal/weburl"
)

// Options is everything `wa-hooks send` was asked to do.
type Options struct {
	To            string
	Sources       []string // catalog names, globs, files, "-"
	All           bool
	FromRecording string
	// Resign signs recorded bodies afresh instead of replaying the
	// recorded signatures.
	Resign  bool
	Filters []string

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

	Retries     int // --repeat: more copies in the same bytes (serve's RETRY)
	Duplicates  int // --duplicates: more copies in new bytes (serve's DUPLICATE)
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

// runFeed is what a run sends: one pass of deliveries, and a way to show
// one without sending it (--dry-run).
type runFeed interface {
	sender.Feed
	Preview(job int) (sender.Delivery, error)
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
	srcs, rec, err := resolveSources(ios, o)
	if err == nil {
		srcs, err = withIdentity(srcs, o)
	}
	if err != nil {
		return exit.New(exit.Usage, err)
	}
	var parts feeds
	width := 0
	if len(srcs) > 0 {
		built, err := payload.Build(srcs, popts)
		if err != nil {
			if rec != nil {
				rec.Close()
			}
			return exit.New(exit.Usage, err)
		}
		for _, w := range built.Warnings() {
			ios.Warnf("%s", w)
		}
		parts = append(parts, built)
		width = nameWidth(built.Names())
	}
	if rec != nil {
		defer rec.Close()
		if err := prepareReplay(ios, o, popts, rec); err != nil {
			return exit.New(exit.Usage, err)
		}
		parts = append(parts, rec)
		width = min(max(width, rec.nameWidth()), 40)
	}
	if o.Duplicates > 0 && (o.KeepIDs || o.Raw || rec != nil) {
		ios.Warnf("--duplicates: with --keep-ids, --verbatim or --from-recording there are no timestamps to move, so a duplicate goes out in the same bytes (serve shows it as RETRY)")
	}
	var feed runFeed = parts
	if len(parts) == 1 {
		feed = parts[0].(runFeed)
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
	planned := max(jobs, 0) * (1 + max(o.Retries, 0) + max(o.Duplicates, 0))
	known := o.Duration <= 0 || o.Count > 0
	lines := !o.JSON && !ios.Quiet && (ios.Verbose || (known && planned <= linesUpTo))
	keepResults := o.JSON && known && planned <= resultsUpTo

	plan := sender.Plan{
		URL: o.To, Client: client, Feed: feed,
		Count: o.Count, Duration: o.Duration, Concurrency: o.Concurrency, Rate: o.Rate,
		Retries:    o.Retries,
		Duplicates: o.Duplicates,
		Retry:      sender.Retry{Enabled: o.Retry, Scale: o.RetryScale, Max: o.RetryMax},
		Expect:     expect,
		KeepSent:   lines && ios.Verbose,
		Progress:   &sender.Progress{Total: int64(planned), Duration: o.Duration, Start: time.Now()},
	}
	pretty := render.NewSendPretty(ios.Out, ios.Renderer(), render.SendOptions{Verbose: ios.Verbose, NameWidth: width})
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
	case !o.JSON:
		// Too many for a line each: the summary still lists the failed
		// ones, with the start of each answer when the run is not a load test.
		plan.KeepResponses = known && planned < loadRun
		plan.OnResult = pretty.Failed
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

// prepareReplay sets how a recording is signed and says so on stderr: the
// recorded signatures, fresh ones (--resign), or fresh ones because
// --identity rewrites the bodies.
func prepareReplay(ios *iostreams.IO, o Options, popts payload.Options, rec *recordingFeed) error {
	rec.opts, rec.resign = popts, o.Resign
	what := "with the signatures as recorded (--resign signs them with your App Secret instead)"
	switch {
	case o.Identity != "":
		// Rewriting the users changes the bytes: the recorded signatures
		// no longer apply, so the bodies are signed again.
		if o.AppSecret == "" && !o.NoSignature {
			return errors.New("--identity rewrites the recorded bodies, so they are signed again: set WA_HOOKS_APP_SECRET, app_secret in the config file, or --app-secret")
		}
		id, err := identity.Parse(o.Identity)
		if err != nil {
			return fmt.Errorf("--identity: %v", err)
		}
		rec.identity, rec.resign = id, true
		what = "rewritten for --identity " + string(id) + " and re-signed with your App Secret"
	case o.Resign:
		what = "re-signed with your App Secret (--resign)"
	}
	ios.Infof("%s: replaying %d recorded %s %s", termsafe.Line(o.FromRecording), rec.Len(), plural(rec.Len(), "request"), what)
	return nil
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
				return exit.New(exit.Unreachable, errors.New(termsafe.Line(ec.Example)))
			}
		}
		return exit.Errorf(exit.Unreachable, "the endpoint gave no answer")
	case rep.Failed > 0:
		return exit.New(exit.SendFailed, errors.New(render.SendVerdict(rep, expect)))
	}
	return nil
}

func validate(o *Options) error {
	if o.To == "" && !o.DryRun {
		return errors.New("no endpoint: give --to URL (e.g. --to http://127.0.0.1:3000/webhook), or set send.to in the config file")
	}
	if o.To != "" {
		if _, err := weburl.Parse("--to", o.To); err != nil {
			return err
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
		{o.Retries < 0, "--repeat must be 0 or more"},
		{o.Duplicates < 0, "--duplicates must be 0 or more"},
		{o.Batch < 0, "--batch must be 0 or more"},
		{o.Batch > 1000, "--batch is at most 1000: Meta batches up to 1000 updates per POST"},
		{o.Timeout <= 0, "--timeout must be positive, e.g. 20s"},
		{o.RetryScale <= 0, "--retry-scale must be positive (1 is real time, 0.00001 runs 7 days in 6 s)"},
		{o.RetryMax < 0, "--retry-max must be 0 (the whole schedule) or more"},
		{o.NoSignature && o.BadSignature, "--no-signature and --bad-signature cannot be used together: pick one"},
		{o.NoSignature && o.LegacySHA1, "--no-signature and --legacy-sha1 cannot be used together"},
		{o.Raw && o.KeepIDs, "--verbatim already keeps ids: drop --keep-ids"},
		{o.Resign && o.FromRecording == "", "--resign re-signs a recording: use it with --from-recording FILE"},
		{o.Resign && o.AppSecret == "", "--resign signs with your App Secret: set WA_HOOKS_APP_SECRET, app_secret in the config file, or --app-secret"},
	}
	for _, c := range checks {
		if c.bad {
			return errors.New(c.msg)
		}
	}
	if o.FromRecording != "" {
		for _, c := range []struct {
			on   bool
			flag string
		}{
			{len(o.Sets) > 0 || len(o.Shortcuts.Overrides()) > 0, "--set and the shortcuts (--from, --name, --text…)"},
			{o.Pretty, "--pretty"},
			{o.Oversize, "--oversize"},
			{o.Batch > 1, "--batch"},
		} {
			if c.on {
				return fmt.Errorf("%s cannot be combined with --from-recording: the recorded bytes are sent untouched", c.flag)
			}
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
func dryRun(ios *iostreams.IO, o Options, feed runFeed) error {
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
		fmt.Fprintf(ios.Out, "# %s\nPOST %s\n", termsafe.Line(d.Name), termsafe.Line(target))
		keys := make([]string, 0, len(d.Header))
		for k := range d.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range d.Header[k] {
				fmt.Fprintf(ios.Out, "%s: %s\n", termsafe.Line(k), termsafe.Line(v))
			}
		}
		fmt.Fprintf(ios.Out, "Content-Length: %d\n\n", len(d.Body))
		if ios.StdoutTTY {
			// A recorded body came from outside: shown, not obeyed.
			io.WriteString(ios.Out, termsafe.Text(string(d.Body)))
		} else {
			ios.Out.Write(d.Body)
		}
		fmt.Fprintln(ios.Out)
	}
	return nil
}
