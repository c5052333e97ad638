package cmd

import (
	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/catalog"
)

func newFixturesCmd(app *App) *cobra.Command {
	cmd := newFixturesListCmd(app, "fixtures [PATTERN]")
	cmd.Short = "List the catalog of realistic webhook bodies (messages, statuses, every other field)"
	cmd.Long = `List the fixture catalog: one webhook body per event, exactly as Meta sends it
(values invented, forms realistic), grouped by webhook field. It covers every
inbound message type and variant, the 2026 identity variants (BSUID, username
without a phone number), every status and the common failure codes, value
errors, batches, every other field, and deliberately unknown types.

PATTERN selects names with * and ? ("statuses.failed.*"); a plain word
selects a family ("statuses"). Fixtures whose shape Meta's reference does not
confirm say UNCONFIRMED in their description; --json gives every fixture's
source (a Meta page, a library's fixtures, or a note that none is public)
and whether it is confirmed.

Print one with 'wa-hooks fixtures show NAME', deliver it signed with
'wa-hooks send NAME --to URL'; 'wa-hooks serve --demo' renders the whole catalog.`
	cmd.Example = `  wa-hooks fixtures
  wa-hooks fixtures --field account_update
  wa-hooks fixtures 'statuses.failed.*' --json
  wa-hooks fixtures show messages.text.non_ascii --wire > body.json`
	cmd.AddCommand(newFixturesListCmd(app, "list [PATTERN]"), newFixturesShowCmd(app))
	return cmd
}

func newFixturesListCmd(app *App, use string) *cobra.Command {
	var opts catalog.ListOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: "List fixtures with their descriptions, grouped by field",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Pattern = args[0]
			}
			return catalog.List(app.IO, opts)
		},
		ValidArgsFunction: completeFixtureNames,
	}
	f := cmd.Flags()
	f.StringVar(&opts.Field, "field", "", "only fixtures of this webhook field (e.g. messages, account_update)")
	f.BoolVar(&opts.JSON, "json", false, "print as a JSON array (name, field, description, events, source, confirmed, bytes)")
	// The field list is built when completing, not every time the command
	// tree is (which is at every start of every command).
	_ = cmd.RegisterFlagCompletionFunc("field", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return fixtures.Fields(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func newFixturesShowCmd(app *App) *cobra.Command {
	var opts catalog.ShowOptions
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Print one fixture, readable or as Meta's exact wire bytes",
		Long: `Print one fixture. By default the readable file (pretty-printed, raw UTF-8).
With --wire, the bytes Meta would put on the wire for the same document:
compact, key order kept, non-ASCII as \uXXXX (emoji as surrogate pairs) and
"/" as "\/". Those are the bytes X-Hub-Signature-256 is computed over; when
stdout is not a terminal no newline is added, so a redirect holds exactly them.`,
		Example: `  wa-hooks fixtures show statuses.failed.131047
  wa-hooks fixtures show messages.text.non_ascii --wire | wa-hooks sign --header -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return catalog.Show(app.IO, opts)
		},
		ValidArgsFunction: completeFixtureNames,
	}
	cmd.Flags().BoolVar(&opts.Wire, "wire", false, "print Meta's wire bytes (compact, \\uXXXX, \\/) instead of the readable file")
	return cmd
}

// completeFixtureNames offers fixture names, with descriptions, for the
// first argument.
func completeFixtureNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return catalog.Complete(toComplete), cobra.ShellCompDirectiveNoFileComp
}
