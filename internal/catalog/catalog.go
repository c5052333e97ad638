// Package catalog is what `wa-hooks fixtures` does: list the fixture
// catalog grouped by field, and print one fixture as a file or as the exact
// bytes Meta would put on the wire.
package catalog

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/suggest"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// ListOptions selects what `fixtures list` prints.
type ListOptions struct {
	// Field keeps only the fixtures of one webhook field.
	Field string
	// Pattern keeps only names matching a path.Match glob ("statuses.*").
	Pattern string
	JSON    bool
}

// listed is one fixture in --json output.
type listed struct {
	Name        string `json:"name"`
	Field       string `json:"field"`
	Description string `json:"description"`
	Events      int    `json:"events"`
	Unknown     bool   `json:"unknown,omitempty"`
	// Source says where the shape comes from; Confirmed is false when
	// Meta's reference has no such shape.
	Source    string `json:"source"`
	Confirmed bool   `json:"confirmed"`
	Bytes     int    `json:"bytes"`
}

// List prints the catalog, grouped by field, or as a JSON array.
func List(ios *iostreams.IO, opts ListOptions) error {
	all, err := selectFixtures(opts)
	if err != nil {
		return err
	}
	if opts.JSON {
		out := make([]listed, len(all))
		for i, f := range all {
			out[i] = listed{f.Name, f.Field, f.Description, f.Events, f.Unknown, f.Source, f.Confirmed, len(f.Body)}
		}
		enc := json.NewEncoder(ios.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	if len(all) == 0 {
		return exit.Errorf(exit.Failure, "no fixture matches %q: run 'wa-hooks fixtures' to see all names", opts.Pattern)
	}
	return printGrouped(ios, all)
}

func selectFixtures(opts ListOptions) ([]fixtures.Fixture, error) {
	if opts.Field != "" && !knownField(opts.Field) {
		msg := fmt.Sprintf("unknown --field %q.", opts.Field)
		if near := nearestField(opts.Field); near != "" {
			msg = fmt.Sprintf("unknown --field %q: did you mean %q?", opts.Field, near)
		}
		return nil, exit.Errorf(exit.Usage, "%s Run 'wa-hooks fixtures' to see every field.", msg)
	}
	if opts.Pattern != "" {
		if _, err := path.Match(opts.Pattern, ""); err != nil {
			return nil, exit.Errorf(exit.Usage, "bad pattern %q: %v (use * and ? as in \"statuses.failed.*\")", opts.Pattern, err)
		}
	}
	var out []fixtures.Fixture
	for _, f := range fixtures.All() {
		if opts.Field != "" && f.Field != opts.Field {
			continue
		}
		if opts.Pattern != "" && !matchName(opts.Pattern, f.Name) {
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

// matchName matches a glob, and lets a plain word select a whole family:
// "statuses" is read as "statuses.*".
func matchName(pattern, name string) bool {
	if ok, _ := path.Match(pattern, name); ok {
		return true
	}
	if !strings.ContainsAny(pattern, "*?[") {
		return strings.HasPrefix(name, pattern+".")
	}
	return false
}

func knownField(field string) bool {
	for _, f := range fixtures.Fields() {
		if f == field {
			return true
		}
	}
	return false
}

func nearestField(field string) string {
	best, bestScore := "", 1<<30
	for _, f := range fixtures.Fields() {
		score := suggest.Distance(field, f)
		if strings.Contains(f, field) {
			score = 0
		}
		if score < bestScore {
			best, bestScore = f, score
		}
	}
	if bestScore > len(field)/2+2 {
		return ""
	}
	return best
}

// printGrouped prints one block per field: a heading with the count, then
// the names aligned with their descriptions. On a terminal descriptions are
// cut to the width; in a pipe they are kept whole.
func printGrouped(ios *iostreams.IO, all []fixtures.Fixture) error {
	heading := ios.Color(color.Bold)
	name := ios.Color(color.FgCyan)
	dim := ios.Color(color.Faint)
	groups, order := group(all)
	for i, field := range order {
		if i > 0 {
			fmt.Fprintln(ios.Out)
		}
		fs := groups[field]
		width := 0
		for _, f := range fs {
			width = max(width, utf8.RuneCountInString(f.Name))
		}
		maxDesc := 0
		if ios.StdoutTTY {
			maxDesc = ios.TerminalWidth() - width - 4
		}
		fmt.Fprintf(ios.Out, "%s %s\n", heading.Sprint(field), dim.Sprintf("(%d)", len(fs)))
		for _, f := range fs {
			desc := f.Description
			if maxDesc > 10 {
				desc = cut(desc, maxDesc)
			}
			pad := strings.Repeat(" ", width-utf8.RuneCountInString(f.Name))
			fmt.Fprintf(ios.Out, "  %s%s  %s\n", name.Sprint(f.Name), pad, desc)
		}
	}
	if ios.StdoutTTY && !ios.Quiet {
		fmt.Fprintf(ios.Out, "\n%s\n", dim.Sprintf("%d fixtures. Show one: wa-hooks fixtures show NAME [--wire]", len(all)))
	}
	return nil
}

// group keeps the catalog's name order inside each field and orders the
// fields with messages first, as it is the one most people need.
func group(all []fixtures.Fixture) (map[string][]fixtures.Fixture, []string) {
	groups := map[string][]fixtures.Fixture{}
	var order []string
	for _, f := range all {
		if _, ok := groups[f.Field]; !ok {
			order = append(order, f.Field)
		}
		groups[f.Field] = append(groups[f.Field], f)
	}
	for i, f := range order {
		if f == "messages" && i > 0 {
			copy(order[1:i+1], order[:i])
			order[0] = "messages"
		}
	}
	return groups, order
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// ShowOptions selects the fixture `fixtures show` prints and how.
type ShowOptions struct {
	Name string
	// Wire prints Meta's wire bytes (compact, \uXXXX, \/) instead of the
	// readable file.
	Wire bool
}

// Show prints one fixture. The wire form is written without a trailing
// newline when stdout is not a terminal, so `> body.json` holds exactly the
// bytes to sign.
func Show(ios *iostreams.IO, opts ShowOptions) error {
	f, err := Lookup(opts.Name)
	if err != nil {
		return err
	}
	body := f.Body
	if opts.Wire {
		body, err = wire.Encode(f.Body)
		if err != nil {
			return exit.Errorf(exit.Failure, "fixture %s does not wire-encode: %v", f.Name, err)
		}
		if ios.StdoutTTY {
			body = append(body, '\n')
		}
	}
	_, err = ios.Out.Write(body)
	return err
}

// Lookup finds a fixture by name, or returns a usage error that suggests
// the nearest names.
func Lookup(name string) (fixtures.Fixture, error) {
	if f, ok := fixtures.Get(name); ok {
		return f, nil
	}
	msg := fmt.Sprintf("unknown fixture %q.", name)
	if near := fixtures.Nearest(name, 3); len(near) > 0 {
		msg = fmt.Sprintf("unknown fixture %q: did you mean %s?", name, strings.Join(near, ", "))
	}
	return fixtures.Fixture{}, exit.Errorf(exit.Usage, "%s Run 'wa-hooks fixtures' to list them all.", msg)
}

// Complete returns "name\tdescription" candidates for shell completion.
func Complete(prefix string) []string {
	var out []string
	for _, f := range fixtures.All() {
		if strings.HasPrefix(f.Name, prefix) {
			out = append(out, f.Name+"\t"+f.Description)
		}
	}
	return out
}
