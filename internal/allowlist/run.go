// Package allowlist keeps a firewall or reverse-proxy allowlist of an AS's
// registered prefixes (Meta's AS32934 by default) fresh, safely enough to run
// from cron: fetch from an IRR server, filter, aggregate, render, and replace
// the installed file only when the new list is sane and different.
package allowlist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/fatih/color"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/format"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/irr"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/prefixset"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/reserved"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/safewrite"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
	"github.com/wa-hooks/wa-hooks/internal/version"
)

// MetaASN is Meta's AS, the default origin.
const MetaASN = "AS32934"

// DefaultAnchors are Meta's large, long-standing blocks: an answer that no
// longer covers them is far more likely broken than real.
var DefaultAnchors = []string{"31.13.64.0/18", "157.240.0.0/16", "2a03:2880::/32"}

// Source says where to fetch and what to keep; shared by the list and check.
type Source struct {
	ASN         string
	Server      string
	Query       string // irr.ModeRPSL or irr.ModeIRRd
	V4Only      bool
	V6Only      bool
	Sources     []string
	Maintainers []string
	IncludeRPKI bool
	ShortestV4  int
	ShortestV6  int

	ConnectTimeout time.Duration
	Timeout        time.Duration
	Retries        int
	Backoff        time.Duration
	MaxBytes       int
	// Deadline bounds the whole run after --jitter: fetch with its
	// retries, checks, writing and hooks.
	Deadline time.Duration

	// Input reads the answer from a file ("-" = stdin) instead of a server:
	// an RPSL answer, an IRRd answer or a plain prefix list (InputFormat
	// "auto", "rpsl", "irrd" or "plain").
	Input       string
	InputFormat string
}

// withDeadline bounds ctx by s.Deadline (when set).
func (s Source) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.Deadline <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.Deadline)
}

// Options are the allowlist command's settings.
type Options struct {
	Source

	NoAggregate bool
	Format      string
	Name        string
	Table       string
	DenyAll     bool
	NoHeader    bool

	Output  string
	InPlace bool

	MinPrefixes int
	Anchors     []string
	// AnchorsSet is true when the user chose the anchors; otherwise
	// DefaultAnchors apply only to Meta's AS.
	AnchorsSet bool
	MaxShrink  string // "30%", "30" or "0" (off)
	MaxGrowth  string // the same form; shares above 100% allowed
	// MaxSpaceV4/V6 cap the addresses the list covers per family: "/10"
	// (as many as one /10), a count, or "0" (off).
	MaxSpaceV4 string
	MaxSpaceV6 string
	Force      bool
	// Jitter waits a random time up to this long before starting, so cron
	// jobs started at the same minute spread out.
	Jitter time.Duration
	JSON   bool

	CheckCmd    string
	OnChange    string
	HookTimeout time.Duration
	DryRun      bool
	Diff        bool
	ExitChanged bool
}

// collected is the accepted, aggregated list and where it came from.
type collected struct {
	answer   *irr.Answer
	filtered Filtered
	prefixes []netip.Prefix // what gets written
	meta     format.Meta
}

// prepare validates the source settings and builds the fetch options.
func (s Source) prepare(ios *iostreams.IO) (irr.Options, Policy, error) {
	asn, err := irr.NormalizeASN(s.ASN)
	if err != nil {
		return irr.Options{}, Policy{}, usage("--asn: %v", err)
	}
	server, err := irr.NormalizeServer(s.Server)
	if err != nil {
		return irr.Options{}, Policy{}, usage("%v", err)
	}
	if s.Query != irr.ModeRPSL && s.Query != irr.ModeIRRd {
		return irr.Options{}, Policy{}, usage("bad --query %q: use rpsl (RIPE-style -i origin, filterable by maintainer) or irrd (!g/!6, exact framing)", s.Query)
	}
	if s.V4Only && s.V6Only {
		return irr.Options{}, Policy{}, usage("-4 and -6 together mean both families, which is the default: give at most one")
	}
	if err := checkInputFormat(s.InputFormat); err != nil {
		return irr.Options{}, Policy{}, usage("%v", err)
	}
	if s.Input != "" && s.InputFormat == "" {
		s.InputFormat = irr.InputAuto
	}
	if len(s.Maintainers) > 0 && s.Query == irr.ModeIRRd && s.Input == "" {
		return irr.Options{}, Policy{}, usage("--maintainers needs --query rpsl: IRRd's !g/!6 answers carry no maintainer")
	}
	if s.ShortestV4 < 0 || s.ShortestV4 > 32 || s.ShortestV6 < 0 || s.ShortestV6 > 128 {
		return irr.Options{}, Policy{}, usage("--shortest-v4 must be 0–32 and --shortest-v6 0–128")
	}
	if s.Timeout <= 0 || s.ConnectTimeout <= 0 {
		return irr.Options{}, Policy{}, usage("--timeout and --connect-timeout must be positive durations such as 30s")
	}
	if s.Retries < 0 || s.Retries > 10 {
		return irr.Options{}, Policy{}, usage("--retries must be 0–10")
	}
	if s.MaxBytes < 1024 {
		return irr.Options{}, Policy{}, usage("--max-bytes must be at least 1024")
	}
	sources := upper(s.Sources)
	for _, src := range sources {
		if src == "" || strings.ContainsAny(src, " !-\t") {
			return irr.Options{}, Policy{}, usage("bad --sources entry %q: give source names such as RADB,RIPE", src)
		}
	}
	v4, v6 := !s.V6Only, !s.V4Only
	o := irr.Options{
		Server: server, ASN: asn, Mode: s.Query, V4: v4, V6: v6,
		Sources: sources, IncludeRPKI: s.IncludeRPKI,
		ConnectTimeout: s.ConnectTimeout, Timeout: s.Timeout, MaxBytes: s.MaxBytes,
		Retries: s.Retries, Backoff: s.Backoff,
		ClientName: "wa-hooks/" + version.Get().Version,
		Logf:       func(f string, a ...any) { ios.Debugf("allowlist: "+f, a...) },
	}
	p := Policy{ASN: asn, V4: v4, V6: v6, Sources: sources, Maintainers: upper(s.Maintainers),
		IncludeRPKI: s.IncludeRPKI, ShortestV4: s.ShortestV4, ShortestV6: s.ShortestV6}
	return o, p, nil
}

// collect fetches (or reads --input) and filters; every refusal carries
// its exit code. What was collected comes back with a refusal too, for the
// report.
func collect(ctx context.Context, ios *iostreams.IO, w *warner, src Source, o irr.Options, p Policy, kept string) (*collected, error) {
	var ans *irr.Answer
	var err error
	if src.Input != "" {
		ans, err = readInput(ios, src, o)
	} else {
		ans, err = irr.Fetch(ctx, o)
	}
	if err != nil {
		return nil, fetchError(ctx, err, kept)
	}
	f := p.Apply(ans.Routes)
	c := &collected{answer: ans, filtered: f}
	var r4, r6 int
	for _, pfx := range f.Prefixes {
		if pfx.Addr().Is4() {
			r4++
		} else {
			r6++
		}
	}
	c.meta = format.Meta{ASN: p.ASN, Server: ans.Server, Query: ans.Query, Registrations4: r4, Registrations6: r6, Digest: Digest(f.Prefixes)}
	ios.Debugf("allowlist: %d routes from %s in %d attempt(s), %d bytes; accepted %d (%d distinct prefixes)%s",
		len(ans.Routes), termsafe.Line(ans.Server), ans.Attempts, ans.Bytes, len(f.Accepted), len(f.Prefixes), dropNote(f.Dropped))
	for i, r := range f.Invalid {
		if i == maxNamed {
			w.Warnf("… and %d more registrations with an unusable prefix", len(f.Invalid)-maxNamed)
			break
		}
		w.Warnf("dropped %s: %s", whoRegistered(&r), termsafe.Line(r.Err.Error()))
	}
	for i, d := range f.NonGlobal {
		if i == maxNamed {
			w.Warnf("… and %d more registrations that are not global unicast", len(f.NonGlobal)-maxNamed)
			break
		}
		part := "is"
		if d.Hit.Part {
			part = "holds"
		}
		w.Warnf("dropped %s: it %s %s, not global unicast", whoRegistered(d.Route), part, d.Hit)
	}
	if len(f.Poisoned) > 0 {
		r := f.Poisoned[0]
		bound := p.ShortestV4
		if r.Prefix.Addr().Is6() {
			bound = p.ShortestV6
		}
		return c, exit.Errorf(exit.AllowlistGuard, "refused: %s is broader than /%d and looks like poisoning (%d such registration(s))%s; raise --shortest-v4/--shortest-v6 only if it is genuine",
			whoRegistered(&r), bound, len(f.Poisoned), keptNote(kept))
	}
	if len(f.Prefixes) == 0 && len(f.NonGlobal) > 0 {
		return c, exit.Errorf(exit.AllowlistGuard, "refused: every registration of %s that passed the filters is not global unicast (%d: loopback, private, link-local, documentation or other special-purpose space)%s; the answer is broken or poisoned",
			p.ASN, len(f.NonGlobal), keptNote(kept))
	}
	if len(f.Prefixes) == 0 {
		return c, exit.Errorf(exit.AllowlistGuard, "refused: no registration of %s passed the filters (%s)%s", p.ASN, droppedSummary(f.Dropped), keptNote(kept))
	}
	return c, nil
}

// maxNamed bounds the dropped registrations named one by one: an answer
// can hold thousands.
const maxNamed = 10

// whoRegistered is "127.0.0.0/16 (source RADB, mnt-by X)", escaped: the
// key, source and maintainers are the server's text.
func whoRegistered(r *irr.Route) string {
	key := r.Key
	if r.Err == nil {
		key = r.Prefix.String()
	}
	s := termsafe.Line(key)
	if r.Source != "" {
		s += fmt.Sprintf(" (source %s, mnt-by %s)", termsafe.Line(r.Source), termsafe.Line(strings.Join(r.Maintainers, ",")))
	}
	return s
}

func dropNote(d map[string]int) string {
	if len(d) == 0 {
		return ""
	}
	return "; dropped " + droppedSummary(d)
}

func keptNote(kept string) string {
	if kept == "" {
		return ""
	}
	return "; " + kept + " left as it was"
}

// fetchError maps a failed fetch to an exit code: network and server trouble
// is temporary (75), a bad answer is refused by a guard (10).
func fetchError(ctx context.Context, err error, kept string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var coded *exit.Error
	if errors.As(err, &coded) {
		return err
	}
	switch irr.KindOf(err) {
	case irr.Network, irr.ServerError:
		return exit.Errorf(exit.TempFail, "%v%s; try again later", err, keptNote(kept))
	case irr.Truncated, irr.Empty, irr.Malformed, irr.TooLarge:
		return exit.Errorf(exit.AllowlistGuard, "refused: %v%s", err, keptNote(kept))
	}
	return exit.New(exit.Failure, err)
}

func usage(f string, a ...any) error { return exit.Errorf(exit.Usage, f, a...) }

func upper(in []string) []string {
	var out []string
	for _, s := range in {
		for _, item := range strings.Split(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, strings.ToUpper(item))
			}
		}
	}
	return out
}

// parseShare reads "30%", "30" or "0.5%" as a fraction; 0 turns the guard
// off. max bounds the percentage (0: no bound).
func parseShare(flag, s string, max float64) (float64, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "%")
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || max > 0 && v > max || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("bad %s %q: give a percentage such as 30%% (0 turns the guard off)", flag, s)
	}
	return v / 100, nil
}

// Run fetches, checks and writes the allowlist. With o.JSON it prints one
// report object (the schema in docs/allowlist.md) whatever the outcome, and
// the error still decides the exit code.
func Run(ctx context.Context, ios *iostreams.IO, o Options) error {
	rep := newReport(o)
	w := &warner{ios: ios, rep: rep, json: o.JSON}
	err := run(ctx, ios, w, o, rep)
	where := keptNote(o.Output)
	if rep.Result == "written" || rep.Result == "created" {
		where = "; the new " + o.Output + " is in place" // cut short in --on-change
	}
	err = pastDeadline(ctx, err, o.Deadline, where)
	if o.JSON {
		rep.finish(ctx, err)
		if jerr := writeJSON(ios.Out, rep); jerr != nil && err == nil {
			err = jerr
		}
	}
	return err
}

func run(ctx context.Context, ios *iostreams.IO, w *warner, o Options, rep *Report) error {
	fo, policy, err := o.Source.prepare(ios)
	if err != nil {
		return err
	}
	if !format.Known(o.Format) {
		return usage("unknown --format %q: use one of %s", o.Format, strings.Join(format.Names(), ", "))
	}
	if err := format.CheckName(o.Name); err != nil {
		return usage("%v", err)
	}
	if format.OneFamily(o.Format) && !o.V4Only && !o.V6Only {
		return usage("--format %s holds one address family: add -4 (iptables-restore) or -6 (ip6tables-restore)", o.Format)
	}
	maxShrink, err := parseShare("--max-shrink", o.MaxShrink, 100)
	if err != nil {
		return usage("%v", err)
	}
	maxGrowth, err := parseShare("--max-growth", o.MaxGrowth, 0)
	if err != nil {
		return usage("%v", err)
	}
	caps, err := o.spaceCaps()
	if err != nil {
		return usage("%v", err)
	}
	if o.MinPrefixes < 0 {
		return usage("--min-prefixes must be 0 or more")
	}
	if o.Jitter < 0 {
		return usage("--jitter must be 0 or a positive duration such as 10m")
	}
	anchors, err := o.anchors(policy)
	if err != nil {
		return err
	}
	if o.Output == "" {
		for flag, set := range map[string]bool{"--in-place": o.InPlace, "--check-cmd": o.CheckCmd != "", "--on-change": o.OnChange != "",
			"--diff": o.Diff, "--dry-run": o.DryRun, "--exit-changed": o.ExitChanged} {
			if set {
				return usage("%s needs --output FILE", flag)
			}
		}
	}
	if o.HookTimeout <= 0 {
		o.HookTimeout = time.Minute
	}
	if o.Jitter > 0 {
		// Many cron jobs start at the same minute; RADB asks for low
		// traffic. The wait comes before the lock and the deadline.
		d := time.Duration(rand.Int64N(int64(o.Jitter)))
		ios.Debugf("allowlist: waiting %s (--jitter %s)", d.Round(time.Millisecond), o.Jitter)
		if err := irr.Sleep(ctx, d); err != nil {
			return err
		}
	}
	ctx, cancel := o.Source.withDeadline(ctx)
	defer cancel()

	kept := ""
	if o.Output != "" {
		unlock, err := safewrite.Lock(o.Output)
		var locked *safewrite.LockedError
		if errors.As(err, &locked) {
			return exit.Errorf(exit.AllowlistLocked, "%s is being updated by another allowlist run%s; it is left as it is. The lock ends with that process, so it is never stale: let it finish, or stop it", o.Output, locked.Holder())
		}
		if err != nil {
			return exit.New(exit.Failure, err)
		}
		defer unlock()
		kept = o.Output
	}

	c, err := collect(ctx, ios, w, o.Source, fo, policy, kept)
	rep.collected(c)
	if err != nil {
		return err
	}
	if len(c.filtered.Prefixes) < o.MinPrefixes {
		return exit.Errorf(exit.AllowlistGuard, "refused: only %d registrations accepted, fewer than --min-prefixes %d (incomplete answer?)%s", len(c.filtered.Prefixes), o.MinPrefixes, keptNote(kept))
	}
	if o.NoAggregate {
		c.prefixes = c.filtered.Prefixes
	} else {
		c.prefixes = prefixset.Aggregate(c.filtered.Prefixes)
		c.meta.Aggregated = true
	}
	rep.list(c.prefixes, c.meta.Aggregated)
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, a := range anchors {
		if !prefixset.CoversPrefix(c.prefixes, a) {
			if o.Force {
				w.Warnf("anchor %s is no longer covered; accepting it anyway (--force)", a)
				continue
			}
			return exit.Errorf(exit.AllowlistGuard, "refused: anchor %s is no longer covered (incomplete answer?)%s; use --force if this is expected", a, keptNote(kept))
		}
	}
	if err := caps.check(c.prefixes, kept); err != nil {
		return err
	}
	out, err := format.Render(o.Format, c.prefixes, c.meta, format.Options{Name: o.Name, Table: o.Table, DenyAll: o.DenyAll, NoHeader: o.NoHeader})
	if err != nil {
		return usage("%v", err)
	}
	if o.Output == "" {
		rep.Result = "printed"
		if o.JSON {
			return nil // the list is in the report
		}
		_, err := ios.Out.Write(out)
		return err
	}
	return install(ctx, ios, w, o, c, out, limits{shrink: maxShrink, growth: maxGrowth}, rep)
}

// pastDeadline turns the error of a run cut short by --deadline (not by a
// signal) into a temporary failure, 75; where says what became of the file.
func pastDeadline(ctx context.Context, err error, deadline time.Duration, where string) error {
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return exit.Errorf(exit.TempFail, "the run took longer than --deadline %s%s; try again later", deadline, where)
	}
	return err
}

// limits are the guards that compare the new list with the installed one.
type limits struct{ shrink, growth float64 }

func (o Options) anchors(p Policy) ([]netip.Prefix, error) {
	list := o.Anchors
	if !o.AnchorsSet {
		list = nil
		if p.ASN == MetaASN {
			list = DefaultAnchors
		}
	}
	var out []netip.Prefix
	for _, s := range upper(list) {
		if strings.EqualFold(s, "none") {
			continue
		}
		a, err := netip.ParsePrefix(strings.ToLower(s))
		if err != nil {
			return nil, usage("bad --anchor %q: give a prefix such as 157.240.0.0/16, or none", s)
		}
		if a.Addr().Is4() && !p.V4 || a.Addr().Is6() && !p.V6 {
			continue // the family is not being fetched
		}
		out = append(out, a.Masked())
	}
	return out, nil
}

// install compares, guards against shrinking and growing, writes, checks
// and reloads.
func install(ctx context.Context, ios *iostreams.IO, w *warner, o Options, c *collected, out []byte, lim limits, rep *Report) error {
	prev, err := safewrite.Read(o.Output)
	if err != nil {
		return exit.Errorf(exit.Failure, "cannot read the current %s: %v", o.Output, err)
	}
	old := prefixset.Extract(prev.Data)
	if prev.Exists && len(old) > 0 {
		// Space that is not global unicast in the installed file (from an
		// older version, or another tool) was never Meta's: it does not
		// count as space the new list takes away.
		if err := compareGuards(w, o, globalOnly(w, o.Output, old), c.prefixes, lim); err != nil {
			return err
		}
	}
	changed := !prev.Exists || !bytes.Equal(prev.Data, out)
	added, removed := prefixset.Diff(old, c.prefixes)
	rep.diff(changed, added, removed)
	if o.Diff && !o.JSON {
		printDiff(ios, o.Output, prev.Exists, added, removed, changed)
	}
	summary := fmt.Sprintf("%s: %s", o.Output, countLine(c))
	if o.DryRun {
		switch {
		case !changed:
			rep.Result = "unchanged"
			w.Printf("%s unchanged (dry run)\n", o.Output)
		case !prev.Exists:
			rep.Result = "would-create"
			w.Printf("would create %s with %d prefixes (dry run)\n", o.Output, len(c.prefixes))
		default:
			rep.Result = "would-update"
			w.Printf("would update %s: +%d -%d prefixes (dry run)\n", o.Output, len(added), len(removed))
		}
		if changed && o.ExitChanged {
			return exit.Silent(exit.AllowlistChanged)
		}
		return nil
	}
	if !changed {
		rep.Result = "unchanged"
		ios.Debugf("%s; unchanged, not written", summary)
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := safewrite.Replace(o.Output, out, o.InPlace, prev)
	if err != nil {
		return exit.New(exit.Failure, err)
	}
	if o.CheckCmd != "" {
		hookOut, err := runHook(ctx, o.CheckCmd, o.Output, o.HookTimeout)
		rep.hook("checkCmd", err, hookOut)
		if err != nil {
			showHookOutput(ios, hookOut)
			what := "the old file was restored (same inode and mtime)"
			if !prev.Exists {
				what = "the new file was removed"
			}
			if rerr := r.Rollback(); rerr != nil {
				return exit.Errorf(exit.AllowlistCheck, "--check-cmd failed (%v) and restoring the old %s failed too: %v", err, o.Output, rerr)
			}
			rep.Result = "restored"
			if ctx.Err() != nil {
				// Interrupted (130) or past --deadline (75): Run names it;
				// the file is as it was either way.
				w.Warnf("--check-cmd stopped before it finished; %s: %s", o.Output, what)
				return ctx.Err()
			}
			return exit.Errorf(exit.AllowlistCheck, "--check-cmd %q failed on the new list (%v); %s", o.CheckCmd, err, what)
		} else if ios.Verbose {
			showHookOutput(ios, hookOut)
		}
	}
	r.Commit()
	rep.Result = "written"
	if !prev.Exists {
		rep.Result = "created"
	}
	ios.Debugf("%s; written (+%d -%d prefixes)", summary, len(added), len(removed))
	if o.OnChange != "" {
		hookOut, err := runHook(ctx, o.OnChange, o.Output, o.HookTimeout)
		rep.hook("onChange", err, hookOut)
		if err != nil || ios.Verbose {
			showHookOutput(ios, hookOut)
		}
		if err != nil {
			if ctx.Err() != nil {
				w.Warnf("--on-change stopped before it finished; the new %s is in place", o.Output)
				return ctx.Err()
			}
			return exit.Errorf(exit.AllowlistHook, "--on-change %q failed (%v); the new %s is in place", o.OnChange, err, o.Output)
		}
	}
	if o.ExitChanged {
		return exit.Silent(exit.AllowlistChanged)
	}
	return nil
}

// compareGuards refuses a list that removes or adds more of the address
// space the installed file allows than --max-shrink / --max-growth let it
// (per family; --force lets it through with a warning).
func compareGuards(w *warner, o Options, old, new []netip.Prefix, lim limits) error {
	check := func(share float64, fam, verb, flag, limit string) error {
		if !o.Force {
			return exit.Errorf(exit.AllowlistGuard, "refused: the new list %s %.1f%% of the %s space %s allows now (limit %s %s); %s left as it was; use --force if this is expected",
				verb, share*100, fam, o.Output, flag, limit, o.Output)
		}
		w.Warnf("the new list %s %.1f%% of the %s space; accepting it anyway (--force)", verb, share*100, fam)
		return nil
	}
	ch := prefixset.Compare(old, new)
	if worst, fam := worstOf(ch.Removed4, ch.Removed6); lim.shrink > 0 && worst > lim.shrink {
		if err := check(worst, fam, "removes", "--max-shrink", o.MaxShrink); err != nil {
			return err
		}
	}
	if worst, fam := worstOf(ch.Added4, ch.Added6); lim.growth > 0 && worst > lim.growth {
		if err := check(worst, fam, "adds", "--max-growth", o.MaxGrowth); err != nil {
			return err
		}
	}
	return nil
}

// globalOnly drops the prefixes that are not global unicast from a list
// read back from the installed file, saying which.
func globalOnly(w *warner, file string, ps []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ps))
	var gone []string
	for _, p := range ps {
		if hit, bad := reserved.Check(p); bad {
			if len(gone) < maxNamed {
				gone = append(gone, fmt.Sprintf("%s (%s)", p, hit.Block.Name))
			}
			continue
		}
		out = append(out, p)
	}
	if len(gone) > 0 {
		w.Warnf("%s admits space that is not global unicast, which the new list leaves out: %s", file, strings.Join(gone, ", "))
	}
	return out
}

func worstOf(v4, v6 float64) (float64, string) {
	if v6 > v4 {
		return v6, "IPv6"
	}
	return v4, "IPv4"
}

func countLine(c *collected) string {
	v4, v6 := prefixset.Split(c.prefixes)
	return fmt.Sprintf("%d IPv4 + %d IPv6 prefixes from %d registrations (%s via %s, %s)",
		len(v4), len(v6), len(c.filtered.Prefixes), c.meta.ASN, c.meta.Server, c.answer.Mode)
}

// showHookOutput prints the last lines of a hook's output, escaped: a
// reload script can echo anything, including what a server sent it.
func showHookOutput(ios *iostreams.IO, out []byte) {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > 20 {
		lines = append([]string{"…"}, lines[len(lines)-20:]...)
	}
	for _, l := range lines {
		if l != "" {
			fmt.Fprintf(ios.ErrOut, "  | %s\n", termsafe.Line(strings.TrimSuffix(l, "\r")))
		}
	}
}

func printDiff(ios *iostreams.IO, path string, existed bool, added, removed []netip.Prefix, changed bool) {
	if !changed {
		return
	}
	red, green := ios.Color(color.FgRed), ios.Color(color.FgGreen)
	from := path
	if !existed {
		from = "/dev/null"
	}
	fmt.Fprintf(ios.Out, "--- %s\n+++ %s (new)\n", from, path)
	for _, p := range removed {
		fmt.Fprintln(ios.Out, red.Sprintf("-%s", p))
	}
	for _, p := range added {
		fmt.Fprintln(ios.Out, green.Sprintf("+%s", p))
	}
	if len(added) == 0 && len(removed) == 0 {
		fmt.Fprintln(ios.Out, "(same prefixes; header or layout changed)")
	}
}
