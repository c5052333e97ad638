package receiver

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/suggest"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// Filter selects events to show by field and type. Patterns are
// path.Match globs ("status.*"); a bare prefix also matches its subtypes
// ("interactive" matches "interactive.button_reply").
type Filter struct {
	Fields []string
	Types  []string
}

// Match reports whether e passes the filter.
func (f Filter) Match(e webhook.Event) bool {
	return matchAny(f.Fields, e.Field) && (matchAny(f.Types, e.Type) || kindOnly(f.Types, e.Kind))
}

func kindOnly(pats []string, kind string) bool {
	for _, p := range pats {
		if p == kind {
			return true
		}
	}
	return false
}

func matchAny(pats []string, s string) bool {
	if len(pats) == 0 {
		return true
	}
	for _, p := range pats {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}

func globMatch(pat, s string) bool {
	pat = strings.TrimSpace(pat)
	if pat == s || strings.HasPrefix(s, pat+".") {
		return true
	}
	ok, err := path.Match(pat, s)
	return err == nil && ok
}

// Check refuses patterns that cannot match anything serve knows: a typo
// in --field or --type would otherwise hide every event in silence. The
// error names the closest known name.
func (f Filter) Check() error {
	if len(f.Fields) == 0 && len(f.Types) == 0 {
		return nil
	}
	fields, types := knownNames()
	for _, c := range []struct {
		flag  string
		pats  []string
		names []string
	}{{"--field", f.Fields, fields}, {"--type", f.Types, types}} {
		for _, p := range c.pats {
			if _, err := path.Match(p, ""); err != nil {
				return fmt.Errorf("%s %q is not a valid pattern: %v (globs use *, ? and [...])", c.flag, p, err)
			}
			if matchesAny(p, c.names) {
				continue
			}
			msg := fmt.Sprintf("%s %q matches no %s serve knows, so it would hide every event", c.flag, p, strings.TrimPrefix(c.flag, "--"))
			if near := closest(p, c.names); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			if c.flag == "--type" {
				msg += " Kinds: " + strings.Join(webhook.Kinds(), ", ") + "; types such as text, status.failed, interactive.*; a glob such as status.* matches types not listed (wa-hooks fixtures list shows them)"
			} else {
				msg += " (wa-hooks fixtures list shows the fields)"
			}
			return fmt.Errorf("%s", msg)
		}
	}
	return nil
}

// Describe is the filter for the banner; "" when everything is shown.
func (f Filter) Describe() string {
	var parts []string
	if len(f.Fields) > 0 {
		parts = append(parts, "fields "+strings.Join(f.Fields, ", "))
	}
	if len(f.Types) > 0 {
		parts = append(parts, "kinds or types "+strings.Join(f.Types, ", "))
	}
	return strings.Join(parts, "; ")
}

func matchesAny(pat string, names []string) bool {
	for _, n := range names {
		if globMatch(pat, n) {
			return true
		}
	}
	return false
}

// closest finds the name a mistyped pattern most likely meant.
func closest(pat string, names []string) string { return suggest.Closest(pat, names) }

// knownNames lists the fields and the kinds and types serve knows: the
// documented fields, the event kinds, and every type the fixture catalog
// produces, with the statuses and message types Meta documents.
func knownNames() (fields, types []string) {
	seenF, seenT := map[string]bool{}, map[string]bool{}
	addF := func(s string) {
		if s != "" && !seenF[s] {
			seenF[s] = true
			fields = append(fields, s)
		}
	}
	addT := func(s string) {
		if s != "" && !seenT[s] {
			seenT[s] = true
			types = append(types, s)
		}
	}
	for _, f := range webhook.Fields() {
		addF(f)
	}
	for _, k := range webhook.Kinds() {
		addT(k)
	}
	for _, t := range webhook.MessageTypes() {
		addT(t)
	}
	for _, s := range []string{"sent", "delivered", "read", "played", "failed", "deleted", "warning"} {
		addT("status." + s)
	}
	addT("history.chunk") // an empty chunk: no fixture has one
	for _, f := range fixtures.All() {
		addF(f.Field)
		n, err := webhook.Parse(f.Body)
		if err != nil {
			continue
		}
		for _, e := range n.Events() {
			addF(e.Field)
			addT(e.Type)
			addT(e.Kind)
		}
	}
	sort.Strings(fields)
	sort.Strings(types)
	return fields, types
}
