package send

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// resolveSources turns the SOURCE arguments and --all into bodies, in the
// order given, and --from-recording into a feed read from the file as it is
// sent; --filter applies to both.
func resolveSources(ios *iostreams.IO, o Options) ([]payload.Source, *recordingFeed, error) {
	var out []payload.Source
	if o.All {
		for _, f := range fixtures.All() {
			out = append(out, payload.Source{Name: f.Name, Body: f.Body})
		}
	}
	readStdin := false
	for _, arg := range o.Sources {
		srcs, err := resolveOne(ios, arg, &readStdin)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, srcs...)
	}
	var match func(name string, body []byte) bool
	if len(o.Filters) > 0 {
		m, err := filterMatch(o.Filters)
		if err != nil {
			return nil, nil, err
		}
		match = m
	}
	selected := len(out)
	var rec *recordingFeed
	if o.FromRecording != "" {
		r, scan, err := openRecording(o.FromRecording, match)
		if err != nil {
			return nil, nil, err
		}
		if scan.skipped > 0 {
			ios.Warnf("%s: skipped %d unreadable %s, the first at line %d", termsafe.Line(o.FromRecording), scan.skipped, plural(scan.skipped, "line"), scan.firstSkip)
		}
		if scan.truncated > 0 {
			ios.Warnf("%s: left out %d %s whose body was cut short when recorded", termsafe.Line(o.FromRecording), scan.truncated, plural(scan.truncated, "request"))
		}
		if scan.posts == 0 {
			r.Close()
			return nil, nil, fmt.Errorf("--from-recording %s: the file holds no POST request to replay", o.FromRecording)
		}
		selected += scan.posts
		rec = r
	}
	if selected == 0 {
		return nil, nil, errors.New("nothing to send: give a catalog name (messages.text), a glob ('statuses.*'), --all, a file, - for stdin, or --from-recording FILE; 'wa-hooks fixtures' lists the catalog")
	}
	if match != nil {
		kept := out[:0]
		for _, s := range out {
			if match(s.Name, s.Body) {
				kept = append(kept, s)
			}
		}
		out = kept
		if len(out) == 0 && (rec == nil || rec.Len() == 0) {
			if rec != nil {
				rec.Close()
			}
			return nil, nil, fmt.Errorf("--filter %s matched none of the %d selected bodies (it is matched against field, kind and type, e.g. messages, status, text, status.failed)", strings.Join(o.Filters, ","), selected)
		}
	}
	if rec != nil && rec.Len() == 0 {
		rec.Close()
		rec = nil
	}
	return out, rec, nil
}

func resolveOne(ios *iostreams.IO, arg string, readStdin *bool) ([]payload.Source, error) {
	if arg == "-" {
		if *readStdin {
			return nil, errors.New("- (stdin) given twice: standard input can be read only once")
		}
		*readStdin = true
		b, err := io.ReadAll(ios.In)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %v", err)
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			return nil, errors.New("stdin is empty: pipe a webhook body into 'wa-hooks send -'")
		}
		return []payload.Source{{Name: "stdin", Body: b}}, nil
	}
	looksLikePath := strings.ContainsRune(arg, os.PathSeparator) || strings.ContainsRune(arg, '/') || filepath.Ext(arg) == ".json"
	if looksLikePath {
		if src, ok, err := readFile(arg); ok || err != nil {
			return src, err
		}
		if _, isName := fixtures.Get(arg); !isName && !strings.ContainsAny(arg, "*?[") {
			// A path, not a catalog name: suggesting names would mislead.
			return nil, fmt.Errorf("%s: no such file", arg)
		}
	}
	if f, ok := fixtures.Get(arg); ok {
		return []payload.Source{{Name: f.Name, Body: f.Body}}, nil
	}
	if strings.ContainsAny(arg, "*?[") {
		if _, err := path.Match(arg, ""); err != nil {
			return nil, fmt.Errorf("%q is not a valid glob: %v", arg, err)
		}
		var out []payload.Source
		for _, f := range fixtures.Match(arg) {
			out = append(out, payload.Source{Name: f.Name, Body: f.Body})
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no catalog name matches %q: 'wa-hooks fixtures' lists them", arg)
		}
		return out, nil
	}
	if src, ok, err := readFile(arg); ok || err != nil {
		return src, err
	}
	msg := fmt.Sprintf("%q is neither a catalog name nor a file", arg)
	if near := fixtures.Nearest(arg, 3); len(near) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(near, ", "))
	} else {
		msg += ": 'wa-hooks fixtures' lists the catalog"
	}
	return nil, errors.New(msg)
}

func readFile(p string) ([]payload.Source, bool, error) {
	st, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, false, nil
		}
		return nil, true, fmt.Errorf("%s: %v", p, errors.Unwrap(err))
	}
	if st.IsDir() {
		return nil, true, fmt.Errorf("%s is a directory: give a JSON file, or a glob of catalog names", p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, true, fmt.Errorf("%s: %v", p, errors.Unwrap(err))
	}
	return []payload.Source{{Name: p, Body: b}}, true, nil
}

// filterMatch returns whether a body has an event whose field, kind or
// type, or whose source name, matches one of the globs.
func filterMatch(globs []string) (func(name string, body []byte) bool, error) {
	for _, g := range globs {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("--filter %q is not a valid glob: %v", g, err)
		}
	}
	match := func(s string) bool {
		for _, g := range globs {
			if ok, _ := path.Match(g, s); ok && s != "" {
				return true
			}
		}
		return false
	}
	return func(name string, body []byte) bool {
		if match(name) {
			return true
		}
		n, err := webhook.Parse(body)
		if err != nil {
			return false
		}
		for _, e := range n.Events() {
			if match(e.Field) || match(e.Kind) || match(e.Type) || match(e.Field+"."+e.Type) {
				return true
			}
		}
		return false
	}, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
