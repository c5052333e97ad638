package cmd

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/version"
)

func versionLine() string {
	v := version.Get()
	return fmt.Sprintf("wa-hooks %s (commit %s, built %s, %s %s)", v.Version, v.Commit, v.Date, v.GoVersion, v.Platform)
}

// printVersion answers `wa-hooks --version`.
func printVersion(w io.Writer) int {
	if _, err := fmt.Fprintln(w, versionLine()); err != nil {
		return exit.Failure
	}
	return exit.OK
}

func newVersionCmd(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				enc := json.NewEncoder(app.IO.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(version.Get())
			}
			_, err := fmt.Fprintln(app.IO.Out, versionLine())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
