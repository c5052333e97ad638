package allowlist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irr"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/prefixset"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// ReportSchema names the shape of the --json report; it changes only when
// a field changes meaning or goes away (fields may be added).
const ReportSchema = "wa-hooks.allowlist.report/v1"

// Report is what `allowlist --json` prints: one object per run, also when
// the run fails, so a script reads the outcome from one place. Text that
// came from the server is escaped as it is for the terminal.
type Report struct {
	Schema   string `json:"schema"`
	ASN      string `json:"asn"`
	Source   string `json:"source"` // host:port, file:PATH or stdin
	Mode     string `json:"mode"`   // rpsl, irrd or plain
	Query    string `json:"query"`
	Format   string `json:"format"`
	Output   string `json:"output"` // "" = stdout
	DryRun   bool   `json:"dryRun"`
	Result   string `json:"result"`
	ExitCode int    `json:"exitCode"`
	Error    string `json:"error"`

	Registrations familyCount    `json:"registrations"`
	Dropped       map[string]int `json:"dropped"`
	DroppedList   []droppedReg   `json:"droppedRegistrations"`
	Aggregated    bool           `json:"aggregated"`
	Digest        string         `json:"digest"`
	Prefixes      []string       `json:"prefixes"`
	Addresses     familyAddrs    `json:"addresses"`

	Changed bool     `json:"changed"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`

	Hooks    map[string]hookResult `json:"hooks"`
	Warnings []string              `json:"warnings"`

	wanted bool // --json: fill the costly fields
}

type familyCount struct {
	IPv4 int `json:"ipv4"`
	IPv6 int `json:"ipv6"`
}

// familyAddrs are decimal strings: an IPv6 count does not fit a JSON number
// that every parser reads exactly.
type familyAddrs struct {
	IPv4 string `json:"ipv4"`
	IPv6 string `json:"ipv6"`
}

type droppedReg struct {
	Prefix      string `json:"prefix"`
	Source      string `json:"source,omitempty"`
	Maintainers string `json:"maintainers,omitempty"`
	Reason      string `json:"reason"`
}

type hookResult struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
	Output string `json:"output"`
}

func newReport(o Options) *Report {
	r := &Report{Schema: ReportSchema, ASN: o.ASN, Source: o.Server, Mode: o.Query, Format: o.Format, Output: o.Output, DryRun: o.DryRun,
		Dropped: map[string]int{}, DroppedList: []droppedReg{}, Prefixes: []string{}, Added: []string{}, Removed: []string{},
		Hooks: map[string]hookResult{}, Warnings: []string{}, wanted: o.JSON}
	if o.Input != "" {
		r.Source, r.Mode = inputName(o.Input), o.InputFormat
	}
	return r
}

// collected records what the fetch and the filters gave, as far as they got.
func (r *Report) collected(c *collected) {
	if c == nil {
		return
	}
	r.ASN, r.Source, r.Mode, r.Query = c.meta.ASN, c.meta.Server, c.answer.Mode, c.meta.Query
	r.Registrations = familyCount{c.meta.Registrations4, c.meta.Registrations6}
	r.Digest = c.meta.Digest
	for k, v := range c.filtered.Dropped {
		r.Dropped[k] = v
	}
	for _, x := range c.filtered.Invalid {
		r.DroppedList = append(r.DroppedList, dropped(&x, termsafe.Line(x.Err.Error())))
	}
	for _, x := range c.filtered.NonGlobal {
		r.DroppedList = append(r.DroppedList, dropped(x.Route, "not global unicast: "+x.Hit.String()))
	}
}

func dropped(rt *irr.Route, reason string) droppedReg {
	key := rt.Key
	if rt.Err == nil {
		key = rt.Prefix.String()
	}
	return droppedReg{Prefix: termsafe.Line(key), Source: termsafe.Line(rt.Source), Maintainers: termsafe.Line(strings.Join(rt.Maintainers, ",")), Reason: reason}
}

func (r *Report) list(ps []netip.Prefix, aggregated bool) {
	if !r.wanted {
		return // counting addresses costs a set per family
	}
	r.Prefixes, r.Aggregated = prefixStrings(ps), aggregated
	v4, v6 := prefixset.Split(ps)
	r.Addresses = familyAddrs{prefixset.Size(v4).String(), prefixset.Size(v6).String()}
}

func (r *Report) diff(changed bool, added, removed []netip.Prefix) {
	if !r.wanted {
		return
	}
	r.Changed, r.Added, r.Removed = changed, prefixStrings(added), prefixStrings(removed)
}

func (r *Report) hook(name string, err error, out []byte) {
	h := hookResult{OK: err == nil, Output: termsafe.Bytes(out, 4096)}
	if err != nil {
		h.Error = err.Error()
	}
	r.Hooks[name] = h
}

// finish fills the outcome from the run's error.
func (r *Report) finish(ctx context.Context, err error) {
	r.ExitCode = exit.CodeOf(err)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		r.ExitCode = exit.Interrupted
	}
	if err != nil {
		r.Error = err.Error()
	}
	switch {
	case r.ExitCode == exit.AllowlistChanged:
		r.Error = ""
	case r.ExitCode == exit.Interrupted:
		r.Error = "interrupted"
		if r.Result != "restored" {
			r.Result = "interrupted"
		}
	case r.Result == "restored":
	case r.ExitCode == exit.AllowlistGuard || r.ExitCode == exit.AllowlistLocked:
		r.Result = "refused"
	case r.ExitCode == exit.AllowlistHook:
		r.Result = "hook-failed"
	case err != nil:
		r.Result = "failed"
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// warner prints warnings and keeps them for the report, and keeps the
// human lines off stdout when stdout carries JSON.
type warner struct {
	ios  *iostreams.IO
	rep  *Report
	json bool
}

func (w *warner) Warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	w.ios.Warnf("%s", msg)
	w.rep.Warnings = append(w.rep.Warnings, msg)
}

func (w *warner) Printf(format string, args ...any) {
	if !w.json {
		fmt.Fprintf(w.ios.Out, format, args...)
	}
}

func inputName(path string) string {
	if path == "-" {
		return "stdin"
	}
	return "file:" + strings.TrimSpace(path)
}
