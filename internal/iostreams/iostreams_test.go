package iostreams

import (
	"strings"
	"testing"

	"github.com/fatih/color"
)

func TestColorDecision(t *testing.T) {
	tests := []struct {
		name string
		mode ColorMode
		tty  bool
		env  map[string]string
		want bool
	}{
		{"tty auto", ColorAuto, true, nil, true},
		{"pipe auto", ColorAuto, false, nil, false},
		{"NO_COLOR on tty", ColorAuto, true, map[string]string{"NO_COLOR": "1"}, false},
		{"CLICOLOR=0 on tty", ColorAuto, true, map[string]string{"CLICOLOR": "0"}, false},
		{"TERM=dumb on tty", ColorAuto, true, map[string]string{"TERM": "dumb"}, false},
		{"CLICOLOR_FORCE on pipe", ColorAuto, false, map[string]string{"CLICOLOR_FORCE": "1"}, true},
		{"CLICOLOR_FORCE=0 on pipe", ColorAuto, false, map[string]string{"CLICOLOR_FORCE": "0"}, false},
		{"NO_COLOR beats CLICOLOR_FORCE", ColorAuto, false, map[string]string{"NO_COLOR": "1", "CLICOLOR_FORCE": "1"}, false},
		{"--color=always beats NO_COLOR", ColorAlways, false, map[string]string{"NO_COLOR": "1"}, true},
		{"--color=never beats tty", ColorNever, true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := Test()
			ios.Mode, ios.StdoutTTY = tt.mode, tt.tty
			ios.Getenv = func(k string) string { return tt.env[k] }
			if got := ios.ColorEnabled(); got != tt.want {
				t.Errorf("ColorEnabled() = %v, want %v", got, tt.want)
			}
			painted := ios.Color(color.FgRed).Sprint("x")
			if hasEscape := strings.Contains(painted, "\x1b["); hasEscape != tt.want {
				t.Errorf("Color().Sprint = %q, escape codes %v, want %v", painted, hasEscape, tt.want)
			}
			styled := ios.Renderer().NewStyle().Bold(true).Render("x")
			if hasEscape := strings.Contains(styled, "\x1b["); hasEscape != tt.want {
				t.Errorf("Renderer style = %q, escape codes %v, want %v", styled, hasEscape, tt.want)
			}
		})
	}
}

func TestParseColorMode(t *testing.T) {
	for _, ok := range []string{"auto", "always", "never", "NEVER"} {
		if _, err := ParseColorMode(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	if _, err := ParseColorMode("sometimes"); err == nil || !strings.Contains(err.Error(), "auto, always or never") {
		t.Errorf("bad mode error = %v", err)
	}
}

func TestQuietAndVerbose(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.Quiet = true
	ios.Warnf("w")
	ios.Infof("i")
	ios.Debugf("d")
	if errOut.Len() != 0 {
		t.Errorf("quiet printed %q", errOut.String())
	}
	ios.Quiet, ios.Verbose = false, true
	ios.Warnf("w")
	ios.Debugf("d")
	if got := errOut.String(); got != "warning: w\nd\n" {
		t.Errorf("got %q", got)
	}
}
