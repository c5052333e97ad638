package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/exit"
)

// ExitCodesText is the exit-code table as plain text (help topic, README).
func ExitCodesText() string {
	var b strings.Builder
	b.WriteString("wa-hooks exits with one of these codes:\n\n")
	for _, c := range exit.Table {
		fmt.Fprintf(&b, "  %3d  %-13s %s\n", c.Code, c.Command, strings.ReplaceAll(c.Meaning, "`", ""))
	}
	return b.String()
}

// newExitCodesTopic is a help-only command: `wa-hooks help exit-codes`.
func newExitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "What each exit code means",
		Long:  ExitCodesText(),
	}
}
