package render

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Summary is what serve prints when it stops.
type Summary struct {
	Uptime   time.Duration `json:"-"`
	Requests int           `json:"requests"`
	// ByStatus counts answers by HTTP status.
	ByStatus map[int]int    `json:"by_status"`
	Events   int            `json:"events"`
	ByField  map[string]int `json:"by_field"`
	ByType   map[string]int `json:"by_type"`
	// SignatureFailures counts POSTs whose signature was invalid or missing
	// (answered 401, or 200 with --accept-invalid).
	SignatureFailures int `json:"signature_failures"`
	Duplicates        int `json:"duplicates"`
	Retries           int `json:"retries"`
	Stale             int `json:"stale"`
	// EventErrors counts failed statuses and value.errors.
	EventErrors int `json:"event_errors"`
	// Problems counts request-level problems by kind.
	Problems        map[string]int `json:"problems"`
	Handshakes      int            `json:"handshakes"`
	Forwarded       int            `json:"forwarded"`
	ForwardFailures int            `json:"forward_failures"`
	// ForwardDropped counts requests not forwarded at all (queue full,
	// serve stopping, a loop back to serve).
	ForwardDropped int    `json:"forward_dropped"`
	Recorded       int    `json:"recorded"`
	RecordPath     string `json:"record_path,omitempty"`
	// NotPrinted counts events not printed because the output was not
	// being read (a pager, a full pipe): answering never waits for it.
	NotPrinted int `json:"not_printed"`
}

type count struct {
	name string
	n    int
}

func sortedCounts[K comparable](m map[K]int, name func(K) string) []count {
	out := make([]count, 0, len(m))
	for k, n := range m {
		out = append(out, count{name(k), n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		return out[i].name < out[j].name
	})
	return out
}

func joinCounts(cs []count, limit int) string {
	parts := make([]string, 0, len(cs))
	for i, c := range cs {
		if limit > 0 && i == limit {
			parts = append(parts, fmt.Sprintf("… %d more", len(cs)-limit))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", c.name, c.n))
	}
	return strings.Join(parts, ", ")
}

// WriteSummary prints s for people (the end-of-run block on stderr).
func WriteSummary(w io.Writer, st Styles, s Summary) { WriteSummaryWidth(w, st, s, 0) }

// WriteSummaryWidth is WriteSummary for a terminal width columns wide:
// long values wrap under their column (0 never wraps).
func WriteSummaryWidth(w io.Writer, st Styles, s Summary, width int) {
	fmt.Fprintf(w, "\n%s after %s\n", st.Title.Render("Summary"), s.Uptime.Round(time.Second))
	const valueAt = 2 + 12 + 1
	line := func(label, value string) {
		fmt.Fprintf(w, "  %s %s\n", st.Key.Render(fmt.Sprintf("%-12s", label)), WrapIndent(value, width, valueAt, valueAt))
	}
	statuses := sortedCounts(s.ByStatus, func(k int) string { return fmt.Sprint(k) })
	req := fmt.Sprint(s.Requests)
	if len(statuses) > 0 {
		req += st.Dim.Render(" (" + joinCounts(statuses, 0) + ")")
	}
	line("requests", req)
	line("events", fmt.Sprint(s.Events))
	// Long lists are cut on a terminal only: a file or a pipe gets all.
	fields, types := 0, 0
	if width > 0 {
		fields, types = 10, 12
	}
	if len(s.ByField) > 0 {
		line("by field", joinCounts(sortedCounts(s.ByField, func(k string) string { return k }), fields))
	}
	if len(s.ByType) > 0 {
		line("by type", joinCounts(sortedCounts(s.ByType, func(k string) string { return k }), types))
	}
	if s.Handshakes > 0 {
		line("handshakes", fmt.Sprint(s.Handshakes))
	}
	sig := fmt.Sprint(s.SignatureFailures)
	if s.SignatureFailures > 0 {
		sig = st.Fail.Render(sig)
	}
	line("bad sigs", sig)
	line("duplicates", fmt.Sprintf("%d (whole-body retries: %d)", s.Duplicates, s.Retries))
	if s.Stale > 0 {
		line("stale", st.Warn.Render(fmt.Sprint(s.Stale)))
	}
	errs := fmt.Sprint(s.EventErrors)
	if s.EventErrors > 0 {
		errs = st.Fail.Render(errs)
	}
	line("errors", errs+st.Dim.Render(" (failed statuses and value.errors)"))
	if len(s.Problems) > 0 {
		line("rejected", st.Warn.Render(joinCounts(sortedCounts(s.Problems, func(k string) string { return k }), 0)))
	}
	if s.Forwarded > 0 || s.ForwardFailures > 0 || s.ForwardDropped > 0 {
		fw := fmt.Sprintf("%d", s.Forwarded)
		if s.ForwardFailures > 0 {
			fw += st.Fail.Render(fmt.Sprintf(", %d failed", s.ForwardFailures))
		}
		if s.ForwardDropped > 0 {
			fw += st.Fail.Render(fmt.Sprintf(", %d not forwarded (queue full or stopping)", s.ForwardDropped))
		}
		line("forwarded", fw)
	}
	if s.RecordPath != "" {
		line("recorded", fmt.Sprintf("%d requests to %s", s.Recorded, s.RecordPath))
	}
	if s.NotPrinted > 0 {
		line("not printed", st.Warn.Render(fmt.Sprintf("%d events: the output was not being read (all were answered and counted)", s.NotPrinted)))
	}
}
