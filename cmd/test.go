package cmd

import (
	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/behaviour"
	"github.com/wa-hooks/wa-hooks/internal/config"
)

func newTestCmd(app *App) *cobra.Command {
	var opts behaviour.CommandOptions
	cmd := &cobra.Command{
		Use:   "test --app URL [SCENARIO.yaml ...]",
		Short: "Check what an app does with webhooks, through the mock: replies, retries, batches",
		Long: `Check what an app does with Meta's webhooks, not only what it answers.

wa-hooks test finds the mock (wa-hooks mock) answering on --addr, or starts
one there in deterministic mode, and points it at the app's webhook URL. The
app must call the Graph API at the mock's address (its GRAPH_API_BASE or its
SDK's base URL) with the mock's access token, and check signatures with the
same App Secret. Every webhook goes to the app signed like Meta's; every
Graph call the app makes comes back through the mock, which is how the
suite sees what the app did.

The built-in checks (each says what it sends and what the app must do; -v
lists every webhook and Graph call of a check):
  reply          a text message: answered 200 and a Graph call about it
                 (without one, the checks that need a reply are skipped)
  batch          three messages in one value, two changes, two entries:
                 every message handled
  redelivery     a retry (same bytes) and a duplicate (same message, new
                 body): each answered 200 and replied to once
  no-phone       BSUID-only and username-only users answered by recipient
  unknown-type   a message type Meta may add later, then a text: the text
                 is still handled
  unknown-field  a field Meta may add later, then a text: likewise
  statuses       every status kind answered 200
  other-fields   template and account webhooks answered 200
  taps           each option of the app's buttons or list (scenario menu:)
                 gets a different reply
  window         a user outside the 24-hour window gets a template, or the
                 131047 failure of free-form text is followed by one
  forged         a forged and an unsigned webhook refused with 401/403 and
                 not acted on (5xx is a warning)
  burst          50 webhooks at once, each answered 200 within --budget
                 (runs last, after the scenario files)

Scenario files (YAML; wa-hooks test --init writes a commented example) add
the app's own conversations: users, then steps (say, send a catalog event
with --set overrides, tap, read, wait) and what the app must do after each.

Each check prints ✓ pass, ✗ fail, ! warning or – skipped, with a reason and a
fix, and the last line is "N passed, N failed, N warnings, N skipped".
Exit codes: 0 nothing failed, 5 a check failed (warnings too with --strict),
4 the app could not be reached, 2 bad usage or a bad scenario file.`,
		Example: `  # Start the app against the mock's Graph API, then test it
  export WA_HOOKS_APP_SECRET=test-secret WA_HOOKS_ACCESS_TOKEN=test-token
  GRAPH_API_BASE=http://127.0.0.1:8090 ./my-app &
  wa-hooks test --app http://127.0.0.1:3000/webhook

  # With the team's scenarios, as a CI gate with a JUnit report
  wa-hooks test --app http://127.0.0.1:3000/webhook --strict --junit report.xml tests/*.yaml

  # Only some checks, showing every webhook and Graph call
  wa-hooks test --app http://127.0.0.1:3000/webhook --only batch,redelivery -v

  # Write a commented example scenario
  wa-hooks test --init orders.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			return behaviour.Command(cmd.Context(), app.IO, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.App, "app", "", "the app's webhook URL, where the mock posts (http://127.0.0.1:3000/webhook)")
	f.StringVar(&opts.Addr, "addr", behaviour.DefaultAddr, "where the mock runs, or is started (same default as wa-hooks mock)")
	addAppSecretFlag(cmd, &opts.AppSecret)
	f.StringVar(&opts.AccessToken, "access-token", "", "the access token the app sends as Bearer (prefer WA_HOOKS_ACCESS_TOKEN or the config file)")
	config.BindSecret(f, "access-token", "access_token")
	f.StringSliceVar(&opts.Only, "only", nil, "run only these checks or groups, comma-separated (scenarios: only the scenario files)")
	f.StringVar(&opts.Menu, "menu", "", "a text that makes the app answer with buttons or a list, for the taps check (else a scenario's menu:)")
	f.BoolVar(&opts.Strict, "strict", false, "treat warnings as failures")
	f.DurationVar(&opts.Timeout, "timeout", behaviour.DefaultTimeout, "how long a check waits for a Graph call it expects")
	f.DurationVar(&opts.Settle, "settle", behaviour.DefaultSettle, "how long a check watches for something that must not happen (a second reply)")
	f.DurationVar(&opts.Budget, "budget", behaviour.DefaultBudget, "the time the app has to answer one webhook")
	f.BoolVar(&opts.JSON, "json", false, "print the whole report as JSON")
	f.StringVar(&opts.JUnit, "junit", "", "also write the report to `FILE` as JUnit XML (for CI)")
	f.BoolVar(&opts.Init, "init", false, "write a commented example scenario (to the file given, default "+behaviour.DefaultInitFile+"; - for stdout)")
	config.Bind(f, "app", "test.app")
	config.Bind(f, "addr", "test.addr")
	config.Bind(f, "only", "test.only")
	config.Bind(f, "strict", "test.strict")
	config.Bind(f, "menu", "test.menu")
	config.Bind(f, "timeout", "test.timeout")
	config.Bind(f, "settle", "test.settle")
	config.Bind(f, "budget", "test.budget")
	_ = cmd.RegisterFlagCompletionFunc("only", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return behaviour.IDs(), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.MarkFlagFilename("junit", "xml")
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	}
	return cmd
}
