// Package iostreams bundles the process's standard streams with what is known
// about them (terminal or not, colour on or off, width), so everything that
// prints can be tested with buffers and a chosen terminal state.
package iostreams

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/fatih/color"
	"github.com/muesli/termenv"
	"golang.org/x/term"
)

// ColorMode is the user's choice from --color.
type ColorMode string

const (
	ColorAuto   ColorMode = "auto"
	ColorAlways ColorMode = "always"
	ColorNever  ColorMode = "never"
)

// ParseColorMode validates a --color value.
func ParseColorMode(s string) (ColorMode, error) {
	switch m := ColorMode(strings.ToLower(s)); m {
	case ColorAuto, ColorAlways, ColorNever:
		return m, nil
	}
	return "", fmt.Errorf("invalid --color %q: use auto, always or never", s)
}

// IO is the set of streams a command reads and writes.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	StdinTTY  bool
	StdoutTTY bool
	StderrTTY bool

	// Getenv reads the environment; tests replace it.
	Getenv func(string) string

	Mode    ColorMode
	Quiet   bool
	Verbose bool

	width int
}

// System returns streams bound to the process's stdin, stdout and stderr.
func System() *IO {
	return &IO{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		StdinTTY:  isTerminal(os.Stdin),
		StdoutTTY: isTerminal(os.Stdout),
		StderrTTY: isTerminal(os.Stderr),
		Getenv:    os.Getenv,
		Mode:      ColorAuto,
	}
}

// Test returns streams backed by buffers, none of them a terminal.
func Test() (ios *IO, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	ios = &IO{In: in, Out: out, ErrOut: errOut, Getenv: func(string) string { return "" }, Mode: ColorAuto}
	return ios, in, out, errOut
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// colorFor decides colour for a stream: --color wins, then NO_COLOR,
// CLICOLOR_FORCE and CLICOLOR=0 (https://no-color.org, https://bixense.com/clicolors),
// and otherwise colour only on a terminal.
func (s *IO) colorFor(tty bool) bool {
	switch s.Mode {
	case ColorAlways:
		return true
	case ColorNever:
		return false
	}
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if getenv("NO_COLOR") != "" {
		return false
	}
	if v := getenv("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	if getenv("CLICOLOR") == "0" || getenv("TERM") == "dumb" {
		return false
	}
	return tty
}

// ColorEnabled reports whether stdout gets colour.
func (s *IO) ColorEnabled() bool { return s.colorFor(s.StdoutTTY) }

// ColorErrEnabled reports whether stderr gets colour.
func (s *IO) ColorErrEnabled() bool { return s.colorFor(s.StderrTTY) }

// Renderer returns a lipgloss renderer for stdout whose colour profile follows
// ColorEnabled, instead of lipgloss's own global detection.
func (s *IO) Renderer() *lipgloss.Renderer { return s.renderer(s.Out, s.ColorEnabled()) }

// ErrRenderer is Renderer for stderr.
func (s *IO) ErrRenderer() *lipgloss.Renderer { return s.renderer(s.ErrOut, s.ColorErrEnabled()) }

func (s *IO) renderer(w io.Writer, colour bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(w)
	if colour {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	r.SetHasDarkBackground(true)
	return r
}

// Color returns a fatih/color painter for stdout that is on or off per
// ColorEnabled, never touching the package-global color.NoColor.
func (s *IO) Color(attrs ...color.Attribute) *color.Color {
	return paint(s.ColorEnabled(), attrs)
}

// ErrColor is Color for stderr.
func (s *IO) ErrColor(attrs ...color.Attribute) *color.Color {
	return paint(s.ColorErrEnabled(), attrs)
}

func paint(on bool, attrs []color.Attribute) *color.Color {
	c := color.New(attrs...)
	if on {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return c
}

// TerminalWidth is stdout's width, or 80 when it is not a terminal.
func (s *IO) TerminalWidth() int {
	if s.width > 0 {
		return s.width
	}
	if f, ok := s.Out.(*os.File); ok && s.StdoutTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 80
}

// SetTerminalWidth fixes the width (tests, or a --width flag).
func (s *IO) SetTerminalWidth(w int) { s.width = w }

// Warnf prints a warning line to stderr unless quiet.
func (s *IO) Warnf(format string, args ...any) {
	if s.Quiet {
		return
	}
	fmt.Fprintf(s.ErrOut, "%s %s\n", s.ErrColor(color.FgYellow).Sprint("warning:"), fmt.Sprintf(format, args...))
}

// Infof prints a notice to stderr unless quiet.
func (s *IO) Infof(format string, args ...any) {
	if s.Quiet {
		return
	}
	fmt.Fprintf(s.ErrOut, format+"\n", args...)
}

// Debugf prints to stderr only with --verbose.
func (s *IO) Debugf(format string, args ...any) {
	if !s.Verbose {
		return
	}
	fmt.Fprintf(s.ErrOut, format+"\n", args...)
}
