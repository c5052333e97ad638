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

// addExitCodes ends the long help of every runnable command with the exit
// codes it can return, from exit.Table, so --help, the reference and the man
// pages say the same as the code.
func addExitCodes(c *cobra.Command) {
	if c.Runnable() {
		var b strings.Builder
		b.WriteString("\n\nExit codes:\n")
		for _, code := range exit.For(strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")) {
			fmt.Fprintf(&b, "  %3d  %s\n", code.Code, strings.ReplaceAll(code.Meaning, "`", ""))
		}
		if c.Long == "" {
			c.Long = c.Short
		}
		c.Long = strings.TrimRight(c.Long, "\n") + strings.TrimRight(b.String(), "\n")
	}
	for _, sub := range c.Commands() {
		addExitCodes(sub)
	}
}
