package cmd

import (
	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/conformance"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/render"
)

func newVerifyCmd(app *App) *cobra.Command {
	var opts conformance.Options
	var asJSON bool
	var junit string
	cmd := &cobra.Command{
		Use:   "verify URL",
		Short: "Check an endpoint the way Meta will: handshake, TLS, signed deliveries",
		Long: `Check a webhook endpoint the way Meta will use it, and report like a test runner.

Handshake checks (always run, need the verify token):
  - the GET handshake exactly as Meta sends it, with a fresh random challenge:
    only 200 with the challenge as the whole body passes
  - a wrong verify token and a request without hub.mode=subscribe are refused
  - HTTPS (plain HTTP is a warning on loopback), a certificate chain that
    verifies with the system roots, names the host, is not self-signed and
    does not expire within 14 days (warning), TLS 1.2 or later
  - latency (over --slow is a warning) and Content-Type text/plain (warning)

Delivery checks (run when the App Secret is known, or with --deliveries):
real catalog events, signed like Meta signs them: a text message, a message
from a BSUID-only and from a username-only user (no wa_id, no from), a batch,
a status, an unknown future message type, non-ASCII and \/ escapes, a
duplicate and a body near 3 MB must get 200; so must one webhook of every
field an app may subscribe to (templates, account and phone number updates,
security, flows, history, echoes, calls…, with value.metadata where Meta
sends it and without where it does not, and a field Meta may add later):
the check names every field not answered 200. --fields limits it to the
fields your app subscribes to. A forged and a missing signature must be
refused: 401 or 403 pass, 5xx is a warning (crashed instead of refusing).
--identity sends every delivery's users as one kind of 2026 user.

Each check prints ✓ pass, ✗ fail, ! warning or – skipped, with a reason and a
fix, and the last line is "N passed, N failed, N warnings, N skipped".
Exit codes: 0 nothing failed, 5 a check failed (warnings too with --strict),
4 the endpoint could not be reached at all, 2 bad usage.`,
		Example: `  # The handshake only
  WA_HOOKS_VERIFY_TOKEN=... wa-hooks verify https://example.com/webhook

  # Handshake and signed deliveries, as a CI gate
  export WA_HOOKS_VERIFY_TOKEN=... WA_HOOKS_APP_SECRET=...
  wa-hooks verify --strict https://staging.example.com/webhook

  # A local server with a certificate from your own test CA
  wa-hooks verify --ca-cert ca.pem https://127.0.0.1:8443/webhook

  # Machine-readable report, and JUnit XML for CI
  wa-hooks verify --json --junit verify.xml https://example.com/webhook | jq '.checks[] | select(.status=="fail")'

  # Only the fields the app subscribes to, every user without a phone number
  wa-hooks verify --fields messages,message_template_status_update --identity bsuid-only $URL`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.URL = args[0]
			if asJSON {
				opts.Reporter = render.NewVerifyJSON(app.IO.Out)
			} else {
				width := 0
				if app.IO.StdoutTTY {
					width = app.IO.TerminalWidth()
				}
				opts.Reporter = render.NewVerifyPretty(app.IO.Out, app.IO.Renderer(), render.VerifyOptions{Width: width, Verbose: app.IO.Verbose})
			}
			if junit != "" {
				if err := render.CheckJUnitPath(junit); err != nil {
					return exit.New(exit.Usage, err)
				}
				opts.Reporter = render.JUnitFile{Next: opts.Reporter, Path: junit, Name: "wa-hooks verify"}
			}
			return conformance.Verify(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addVerifyTokenFlag(cmd, &opts.VerifyToken)
	addAppSecretFlag(cmd, &opts.AppSecret)
	f.StringVar(&opts.Challenge, "challenge", "", "hub.challenge to send (default: a fresh random 10-digit number, like Meta's)")
	f.BoolVar(&opts.AlphaChallenge, "alpha-challenge", false, "send a random non-numeric challenge (catches handlers that parse it as an integer)")
	f.StringVar(&opts.Only, "only", "", "run only one group of checks: handshake or deliveries")
	f.BoolVar(&opts.Deliveries, "deliveries", false, "require the delivery checks (an error without an App Secret, instead of skipping them)")
	f.BoolVar(&opts.Strict, "strict", false, "treat warnings as failures")
	f.DurationVar(&opts.Timeout, "timeout", conformance.DefaultTimeout, "time allowed for each request")
	f.DurationVar(&opts.Slow, "slow", conformance.DefaultSlow, "handshake latency above which verify warns")
	f.StringVar(&opts.CACert, "ca-cert", "", "PEM file of extra CA certificates to trust (a test or private CA; Meta trusts only public CAs)")
	f.BoolVar(&asJSON, "json", false, "print the whole report as JSON")
	f.StringVar(&junit, "junit", "", "also write the report as JUnit XML to `FILE`, for CI")
	f.StringSliceVar(&opts.Fields, "fields", nil, "send field deliveries only for these webhook `FIELDS` (the ones your app subscribes to: messages,account_update,…)")
	f.StringVar(&opts.Identity, "identity", "", "send every delivery's users as `ID`: phone, phone+bsuid, bsuid-only or username-only (docs/identity.md)")
	config.Bind(f, "only", "verify.only")
	config.Bind(f, "strict", "verify.strict")
	config.Bind(f, "timeout", "verify.timeout")
	config.Bind(f, "slow", "verify.slow")
	config.Bind(f, "ca-cert", "verify.ca_cert")
	config.Bind(f, "deliveries", "verify.deliveries")
	config.Bind(f, "alpha-challenge", "verify.alpha_challenge")
	config.Bind(f, "fields", "verify.fields")
	_ = cmd.RegisterFlagCompletionFunc("only", cobra.FixedCompletions([]string{"handshake", "deliveries"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("ca-cert", "pem", "crt")
	_ = cmd.MarkFlagFilename("junit", "xml")
	_ = cmd.RegisterFlagCompletionFunc("identity", cobra.FixedCompletions(identity.Names(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fields", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return fixtures.Fields(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}
