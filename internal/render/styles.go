// Package render turns what wa-hooks observed or did into output: a pretty,
// colour-aware form for people (lipgloss, colour only when the renderer says
// so) and JSON lines for machines. Nothing here does I/O beyond writing to
// the writer it is given, so every form is testable with a buffer.
package render

import "github.com/charmbracelet/lipgloss"

// Palette colours, shared by every renderer so the commands look alike.
// ANSI 256 codes: they render on any colour terminal and degrade to plain
// text when the renderer's profile is Ascii.
const (
	colorGreen   = lipgloss.Color("42")
	colorRed     = lipgloss.Color("203")
	colorYellow  = lipgloss.Color("214")
	colorCyan    = lipgloss.Color("45")
	colorBlue    = lipgloss.Color("75")
	colorMagenta = lipgloss.Color("170")
	colorGrey    = lipgloss.Color("245")
	colorDim     = lipgloss.Color("240")
)

// Styles is the shared set of lipgloss styles, bound to one renderer.
type Styles struct {
	OK, Fail, Warn, Info, Dim, Bold, Title lipgloss.Style
	Key                                    lipgloss.Style // labels in key/value blocks

	// Event kinds.
	Message, Status, Error, Other lipgloss.Style
	// Badges: short inverse labels (DUP, RETRY, STALE, FAILED).
	BadgeFail, BadgeWarn, BadgeInfo lipgloss.Style
}

// NewStyles builds the styles on r (from iostreams.IO.Renderer()).
func NewStyles(r *lipgloss.Renderer) Styles {
	s := r.NewStyle
	return Styles{
		OK:        s().Foreground(colorGreen),
		Fail:      s().Foreground(colorRed).Bold(true),
		Warn:      s().Foreground(colorYellow),
		Info:      s().Foreground(colorBlue),
		Dim:       s().Foreground(colorDim),
		Bold:      s().Bold(true),
		Title:     s().Bold(true).Foreground(colorCyan),
		Key:       s().Foreground(colorGrey),
		Message:   s().Foreground(colorCyan),
		Status:    s().Foreground(colorGreen),
		Error:     s().Foreground(colorRed).Bold(true),
		Other:     s().Foreground(colorMagenta),
		BadgeFail: s().Foreground(lipgloss.Color("231")).Background(colorRed).Bold(true),
		BadgeWarn: s().Foreground(lipgloss.Color("16")).Background(colorYellow),
		BadgeInfo: s().Foreground(lipgloss.Color("16")).Background(colorBlue),
	}
}
