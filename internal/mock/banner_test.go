package mock

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
)

// On a terminal the banner fits its width: every value wraps under itself,
// the inspector's line and the generated secrets included.
func TestBannerFitsTheTerminal(t *testing.T) {
	s, err := New(Options{Webhook: "http://127.0.0.1:3000/webhook", AccessToken: testToken, AppSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inspector := [][2]string{{"Inspector", "http://127.0.0.1:4040/  (conversations with the simulated users, the webhooks posted: open it in your browser)"}}
	for _, width := range []int{80, 50} {
		ios, _, _, errOut := iostreams.Test()
		ios.StderrTTY = true
		ios.SetTerminalWidth(width)
		banner(ios, RunOptions{Options: s.opts, TokenGenerated: true, SecretGenerated: true}, s, inspector)
		out := errOut.String()
		if !strings.Contains(out, "Inspector") || !strings.Contains(out, "Drive it:") {
			t.Fatalf("banner without its rows:\n%s", out)
		}
		for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
			if w := ansi.StringWidth(line); w > width {
				t.Errorf("at %d columns a line is %d wide: %q", width, w, line)
			}
		}
	}
}
