package cmd

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
)

func TestRunMapsErrorsToExitCodes(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    int
		wantErr string
	}{
		{"ok", []string{"version"}, exit.OK, ""},
		{"unknown command", []string{"frobnicate"}, exit.Usage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"version", "--nope"}, exit.Usage, "unknown flag: --nope"},
		{"extra argument", []string{"version", "extra"}, exit.Usage, "unknown command"},
		{"quiet and verbose", []string{"-q", "-v", "version"}, exit.Usage, "--quiet and --verbose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			if got := Run(context.Background(), ios, tt.args); got != tt.want {
				t.Fatalf("exit code = %d, want %d (stderr %q)", got, tt.want, errOut.String())
			}
			if tt.wantErr != "" && !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut.String(), tt.wantErr)
			}
		})
	}
}

func TestPlainRunErrorIsFailure(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	app := &App{IO: ios}
	root := NewRootCmd(app)
	root.AddCommand(&cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error { return errors.New("disk full") }})
	markRunErrors(root)
	root.SetArgs([]string{"boom"})
	err := root.ExecuteContext(context.Background())
	if got := codeFor(context.Background(), err); got != exit.Failure {
		t.Fatalf("exit code = %d, want %d (stderr %q)", got, exit.Failure, errOut.String())
	}
}

func TestInterruptedCommandExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ios, _, _, _ := iostreams.Test()
	app := &App{IO: ios}
	root := NewRootCmd(app)
	root.AddCommand(&cobra.Command{
		Use: "block",
		RunE: func(cmd *cobra.Command, args []string) error {
			cancel()
			<-cmd.Context().Done()
			return cmd.Context().Err()
		},
	})
	root.SetArgs([]string{"block"})
	err := root.ExecuteContext(ctx)
	if got := codeFor(ctx, err); got != exit.Interrupted {
		t.Fatalf("exit code = %d, want %d", got, exit.Interrupted)
	}
}

// The --version shortcut must print exactly what cobra's version flag prints
// through the command tree (reached here with a flag before it).
func TestVersionShortcutMatchesCobra(t *testing.T) {
	ios, _, fast, _ := iostreams.Test()
	if code := Run(context.Background(), ios, []string{"--version"}); code != exit.OK {
		t.Fatalf("--version exit %d", code)
	}
	ios2, _, viaTree, _ := iostreams.Test()
	if code := Run(context.Background(), ios2, []string{"--color", "never", "--version"}); code != exit.OK {
		t.Fatalf("--color never --version exit %d", code)
	}
	if fast.String() == "" || fast.String() != viaTree.String() {
		t.Fatalf("shortcut printed %q, cobra printed %q", fast.String(), viaTree.String())
	}
}
