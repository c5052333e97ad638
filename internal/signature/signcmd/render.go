package signcmd

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// Render writes the human form of a --check diagnosis to ios.Out: the
// verdict, the given and expected values, the transformation that explains
// a mismatch, facts about the body and, when nothing matched, what to check.
// With -q only the verdict line is written.
func Render(ios *iostreams.IO, d signature.Diagnosis, label string) {
	// Wrap prose to the terminal; piped output keeps one line per paragraph
	// so it greps and logs well.
	width := 1 << 20
	if ios.StdoutTTY {
		width = ios.TerminalWidth()
	}
	p := painter{
		w:     ios.Out,
		width: width,
		ok:    ios.Color(color.FgGreen, color.Bold),
		bad:   ios.Color(color.FgRed, color.Bold),
		found: ios.Color(color.FgYellow, color.Bold),
		dim:   ios.Color(color.Faint),
		bold:  ios.Color(color.Bold),
	}
	label = termsafe.Line(label)
	bytesOf := fmt.Sprintf("%d bytes of %s", d.Bytes, label)
	if label == "stdin" {
		bytesOf = fmt.Sprintf("%d bytes from stdin", d.Bytes)
	}

	switch {
	case d.Result.OK():
		p.line(p.ok.Sprint("✓ signature valid") + " for the " + bytesOf)
	case d.OK(): // a matching legacy sha1= value
		p.line(p.ok.Sprint("✓ valid legacy X-Hub-Signature (HMAC-SHA1)") + " for the " + bytesOf)
	case d.Result.Reason == signature.Mismatch:
		p.line(p.bad.Sprint("✗ signature mismatch") + ": not the HMAC-SHA256 of the " + bytesOf + " with this App Secret")
	case d.Result.Reason == signature.LegacySHA1 && d.Algorithm != "":
		p.line(p.bad.Sprint("✗ legacy sha1= value") + " that does not match the " + bytesOf)
	case d.Result.Reason == signature.Missing:
		p.line(p.bad.Sprint("✗ no signature") + ": the value to check is empty")
	default:
		p.line(p.bad.Sprint("✗ malformed signature") + ": " + d.Result.String())
	}
	if ios.Quiet {
		return
	}

	given := termsafe.Line(d.Header) // pasted from a log: shown, not obeyed
	if given == "" {
		given = "(empty)"
	}
	p.field("given", given)
	if d.ExpectedSHA1 != "" && !d.OK() {
		p.field("expected", d.ExpectedSHA1+p.dim.Sprint("  (legacy X-Hub-Signature for these bytes)"))
	}
	if !d.Result.OK() {
		p.field("expected", d.Expected+p.dim.Sprint("  ("+signature.Header+" for these bytes)"))
	}

	if m := d.Match; m != nil && !d.OK() {
		p.blank()
		if m.Transform == "exact-bytes" {
			p.para(p.found.Sprint("The digest is right:")+" "+m.Hint, "")
		} else {
			size := "."
			if m.Bytes != d.Bytes {
				size = fmt.Sprintf(" (%d bytes instead of %d).", m.Bytes, d.Bytes)
			}
			p.para(p.found.Sprint("Found it:")+" the signature matches "+m.Description+size, "")
			p.para(p.bold.Sprint("Why:")+" "+upperFirst(m.Hint), "")
		}
	} else if !d.OK() {
		p.blank()
		switch {
		case d.Algorithm == "" && d.Result.Reason == signature.Missing:
			p.para("Pass the "+signature.Header+" value Meta sent, for example: --check 'sha256=…'.", "")
		case d.Algorithm == "":
			p.para(signature.Header+" is \"sha256=\" followed by 64 lowercase hex digits: the HMAC-SHA256 of the raw body, keyed with the App Secret. Check that the whole value was copied.", "")
		case d.Reencoded != "":
			p.para(p.found.Sprint("The body was re-encoded:")+" it is "+d.Reencoded+". These are not the bytes Meta signed, and they cannot be rebuilt from a parsed copy: hash the raw request body, before any JSON parsing.", "")
			p.para(fmt.Sprintf("No common re-encoding reproduces the signed bytes (tried %d variants); whether the App Secret is also wrong cannot be told from these bytes.", d.Tried), "")
		default:
			p.para(fmt.Sprintf("No common re-encoding explains it (tried %d variants of the body), so the App Secret or the body's content differs from what was signed.", d.Tried), "")
		}
	}

	if len(d.Notes) > 0 {
		p.blank()
		p.line(p.bold.Sprint("Worth knowing:"))
		for _, n := range d.Notes {
			p.item("•", termsafe.Line(n))
		}
	}
	if len(d.Advice) > 0 {
		p.blank()
		p.line(p.bold.Sprint("What to check:"))
		for i, a := range d.Advice {
			p.item(fmt.Sprintf("%d.", i+1), a)
		}
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

type painter struct {
	w                         io.Writer
	width                     int
	ok, bad, found, dim, bold *color.Color
}

func (p painter) line(s string) { fmt.Fprintln(p.w, s) }
func (p painter) blank()        { fmt.Fprintln(p.w) }

func (p painter) field(name, value string) {
	fmt.Fprintf(p.w, "  %s %s\n", p.dim.Sprintf("%-9s", name+":"), value)
}

// para writes text wrapped to the terminal width (extra is appended after a space).
func (p painter) para(text, extra string) {
	if extra != "" {
		text += " " + extra
	}
	for _, l := range wrap(text, p.width, "") {
		fmt.Fprintln(p.w, l)
	}
}

// item writes a list entry with a hanging indent.
func (p painter) item(mark, text string) {
	n := utf8.RuneCountInString(mark)
	lines := wrap(text, p.width-n-3, "")
	for i, l := range lines {
		if i == 0 {
			fmt.Fprintf(p.w, "  %s %s\n", mark, l)
		} else {
			fmt.Fprintf(p.w, "  %s %s\n", strings.Repeat(" ", n), l)
		}
	}
}

// wrap breaks text at spaces so each line fits width visible characters
// (ANSI colour sequences do not count); a word longer than width stays whole.
func wrap(text string, width int, indent string) []string {
	if width < 20 {
		width = 20
	}
	var lines []string
	var cur strings.Builder
	curLen := 0
	for _, word := range strings.Fields(text) {
		n := visibleLen(word)
		if curLen > 0 && curLen+1+n > width {
			lines = append(lines, cur.String())
			cur.Reset()
			curLen = 0
		}
		if curLen > 0 {
			cur.WriteByte(' ')
			curLen++
		} else if indent != "" && len(lines) > 0 {
			cur.WriteString(indent)
			curLen += len(indent)
		}
		cur.WriteString(word)
		curLen += n
	}
	if curLen > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

func visibleLen(s string) int {
	n, inEsc := 0, false
	for _, r := range s {
		switch {
		case r == '\x1b':
			inEsc = true
		case inEsc:
			if r == 'm' {
				inEsc = false
			}
		default:
			n++
		}
	}
	return n
}
