package cmd

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type pflagSet = pflag.FlagSet

// commands lists the top-level commands. Keep one line per command, sorted,
// so that adding one never conflicts with adding another.
func commands(app *App) []*cobra.Command {
	return []*cobra.Command{
		newAllowlistCmd(app),
		newCompletionCmd(app),
		newConfigCmd(app),
		newFixturesCmd(app),
		newMockCmd(app),
		newSendCmd(app),
		newServeCmd(app),
		newSignCmd(app),
		newTestCmd(app),
		newVerifyCmd(app),
		newVersionCmd(app),
	}
}
