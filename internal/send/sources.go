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
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// resolveSources turns the SOURCE arguments, --all and --from-recording into
// bodies, in the order given, then applies --filter.
func resolveSources(ios *iostreams.IO, o Options) ([]payload.Source, error) {
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
			return nil, err
		}
		out = append(out, srcs...)
	}
	if o.FromRecording != "" {
		srcs, err := fromRecording(ios, o.FromRecording)
		if err != nil {
			return nil, err
		}
		out = append(out, srcs...)
	}
	if len(out) == 0 {
		return nil, errors.New("nothing to send: give a catalog name (messages.text), a glob ('statuses.*'), --all, a file, - for stdin, or --from-recording FILE; 'wa-hooks fixtures' lists the catalog")
	}
	if len(o.Filters) > 0 {
		return filter(out, o.Filters)
	}
	return out, nil
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

// fromRecording replays the POSTs of a serve --record file, byte for byte.
func fromRecording(ios *iostreams.IO, file string) ([]payload.Source, error) {
	res, err := recording.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("--from-recording %s: no such file", file)
		}
		return nil, fmt.Errorf("--from-recording %s: %v", file, err)
	}
	if res.Skipped > 0 {
		ios.Warnf("%s: skipped %d unreadable line(s), the first at line %d", file, res.Skipped, res.FirstSkip)
	}
	var out []payload.Source
	truncated := 0
	base := filepath.Base(file)
	for _, r := range res.Records {
		if r.Method != "POST" || r.Body == nil {
			continue
		}
		if r.Truncated {
			truncated++
			continue
		}
		out = append(out, payload.Source{Name: fmt.Sprintf("%s#%d", base, r.Seq), Body: r.Body, Raw: true, Header: r.Header})
	}
	if truncated > 0 {
		ios.Warnf("%s: left out %d request(s) whose body was cut short when recorded", file, truncated)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--from-recording %s: the file holds no POST request to replay", file)
	}
	return out, nil
}

// filter keeps the sources with at least one event whose field, kind, type
// or source name matches one of the globs.
func filter(srcs []payload.Source, globs []string) ([]payload.Source, error) {
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
	var out []payload.Source
	for _, s := range srcs {
		keep := match(s.Name)
		if n, err := webhook.Parse(s.Body); err == nil && !keep {
			for _, e := range n.Events() {
				if match(e.Field) || match(e.Kind) || match(e.Type) || match(e.Field+"."+e.Type) {
					keep = true
					break
				}
			}
		}
		if keep {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--filter %s matched none of the %d selected bodies (it is matched against field, kind and type, e.g. messages, status, text, status.failed)", strings.Join(globs, ","), len(srcs))
	}
	return out, nil
}
