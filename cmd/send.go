package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/send"
	"github.com/wa-hooks/wa-hooks/internal/sender"
)

func newSendCmd(app *App) *cobra.Command {
	var opts send.Options
	cmd := &cobra.Command{
		Use:   "send [SOURCE...] --to URL",
		Short: "Send signed webhook events to an endpoint, exactly as Meta does",
		Long: `Send webhook events to your endpoint with traffic indistinguishable from Meta's:
the body in Meta's wire form (compact, non-ASCII as \uXXXX, "/" as "\/"), an
X-Hub-Signature-256 computed over exactly those bytes, and Meta's headers
(Content-Type: application/json, User-Agent: facebookexternalua).

A SOURCE is a catalog name (messages.text), a glob ('statuses.failed.*'), a
JSON file, or - for stdin; --all sends the whole catalog and
--from-recording FILE replays a 'serve --record' file byte for byte.
'wa-hooks fixtures' lists the catalog.

Every event gets fresh ids (wamid.… in Meta's form) and timestamps of now, so
an endpoint that deduplicates does not drop it; --keep-ids sends ids and
times as they are. --set PATH=VALUE changes one value (PATH such as
entry[0].changes[0].value.messages[0].text.body, or relative to each change's
value: messages[0].text.body; [*] matches every item; VALUE is JSON if it
parses, else a string); --from, --name, --text, --phone-number-id,
--display-phone-number and --waba-id are shortcuts. A path that does not exist
is an error naming the nearest path that does. --identity phone|phone+bsuid|
bsuid-only|username-only rewrites every body's users the way Meta identifies
them since 2026 (docs/identity.md): a username user has no wa_id and no from.

Meta's delivery habits: --duplicates N, --retry (Meta's decreasing-frequency
schedule over 7 days, compressed by --retry-scale), --batch N (N events in one
POST), --shuffle (statuses out of order: read before delivered). Negative
tests: --no-signature, --bad-signature, --pretty, --oversize, --raw.

Load: -n requests (events) over -c connections at --rate per second or for
--duration; connections are reused. The summary gives statuses, errors by
kind, throughput and latency percentiles; --json prints the whole report.

Exit status: 0 when every delivery got the expected status (--expect-status,
200 by default), 3 when some did not, 4 when the endpoint could not be
reached at all (the error says why: nothing listening, DNS, TLS, timeout).`,
		Example: `  # One text message to your local app
  export WA_HOOKS_APP_SECRET=...
  wa-hooks send messages.text --to http://127.0.0.1:3000/webhook

  # Every status, with a custom sender and text
  wa-hooks send 'statuses.*' --from 447700900123 --to $URL

  # Your own body, changed on the way
  wa-hooks send body.json --set messages[0].text.body='Hola 👋' --to $URL

  # Does the endpoint read more than messages[0]? Three events in one POST
  wa-hooks send messages.text statuses.read statuses.delivered --batch 3 --to $URL

  # Retry like Meta (7 days in ~6 s) while your endpoint answers 500
  wa-hooks send messages.text --retry --to $URL

  # A wrong signature must be refused
  wa-hooks send messages.text --bad-signature --expect-status 401,403 --to $URL

  # Load: 10 000 events over 50 connections
  wa-hooks send messages.text -n 10000 -c 50 --to $URL

  # See what would be sent
  wa-hooks send messages.image --dry-run`,
		ValidArgsFunction: completeSources,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Sources = args
			return send.Run(cmd.Context(), app.IO, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.To, "to", "", "endpoint `URL` to POST to")
	f.BoolVar(&opts.All, "all", false, "send every event of the catalog")
	f.StringVar(&opts.FromRecording, "from-recording", "", "replay the POSTs of a 'serve --record' `FILE`, byte for byte")
	f.StringSliceVar(&opts.Filters, "filter", nil, "send only bodies with an event whose field, kind or type matches a `GLOB` (messages, status, text, status.failed…)")

	f.BoolVar(&opts.KeepIDs, "keep-ids", false, "send ids and timestamps as they are instead of fresh ones")
	f.StringArrayVar(&opts.Sets, "set", nil, "set `PATH=VALUE` in every body (repeatable)")
	f.StringVar(&opts.Identity, "identity", "", "rewrite every body's users as `ID`: phone, phone+bsuid, bsuid-only or username-only (docs/identity.md)")
	f.StringVar(&opts.Shortcuts.From, "from", "", "the user's phone `NUMBER` (messages[].from, contacts[].wa_id, statuses[].recipient_id)")
	f.StringVar(&opts.Shortcuts.Name, "name", "", "the user's profile `NAME` (contacts[].profile.name)")
	f.StringVar(&opts.Shortcuts.Text, "text", "", "the body of text messages")
	f.StringVar(&opts.Shortcuts.PhoneNumberID, "phone-number-id", "", "the business phone number `ID` (metadata.phone_number_id)")
	f.StringVar(&opts.Shortcuts.DisplayPhoneNumber, "display-phone-number", "", "the business phone `NUMBER` (metadata.display_phone_number)")
	f.StringVar(&opts.Shortcuts.WABAID, "waba-id", "", "the WhatsApp Business Account `ID` (entry[].id)")

	f.StringArrayVarP(&opts.Headers, "header", "H", nil, "extra header `'Name: value'`; replaces a default of the same name (repeatable)")
	f.BoolVar(&opts.Raw, "raw", false, "send the files' bytes untouched (no wire encoding, fresh ids or overrides)")
	f.BoolVar(&opts.NoSignature, "no-signature", false, "send no X-Hub-Signature-256 header")
	f.BoolVar(&opts.BadSignature, "bad-signature", false, "send a well-formed signature that does not match")
	f.BoolVar(&opts.LegacySHA1, "legacy-sha1", false, "also send the legacy X-Hub-Signature: sha1=… header")
	f.BoolVar(&opts.Pretty, "pretty", false, "send pretty-printed JSON (validly signed) instead of Meta's compact form")
	f.BoolVar(&opts.Oversize, "oversize", false, "pad each body past Meta's 3 MB limit")
	addAppSecretFlag(cmd, &opts.AppSecret)

	f.IntVar(&opts.Duplicates, "duplicates", 1, "deliver each event `N` times, as Meta does when several apps subscribe")
	f.BoolVar(&opts.Retry, "retry", false, "re-deliver on a non-200, timeout or connection error, on Meta's schedule")
	f.Float64Var(&opts.RetryScale, "retry-scale", sender.DefaultRetryScale, "time factor for the retry schedule (1 = real time; the default runs 7 days in ~6 s)")
	f.IntVar(&opts.RetryMax, "retry-max", 0, "stop after `N` attempts (0: the whole 7-day schedule)")
	f.IntVar(&opts.Batch, "batch", 0, "merge `N` events into each POST (across messages[]/statuses[], changes and entries)")
	f.StringVar(&opts.BatchLayout, "batch-layout", "merge", "how --batch combines events: merge (shared arrays), changes or entries")
	f.BoolVar(&opts.Shuffle, "shuffle", false, "send statuses out of order (read before delivered)")

	f.DurationVar(&opts.Timeout, "timeout", sender.DefaultTimeout, "per-request timeout")
	f.BoolVar(&opts.Insecure, "insecure", false, "accept any TLS certificate (local self-signed ones)")
	f.StringVar(&opts.CACert, "ca-cert", "", "also trust the CA certificates in PEM `FILE`")
	f.IntVarP(&opts.Count, "count", "n", 0, "number of events to send, cycling through the sources (0: each source once)")
	f.IntVarP(&opts.Concurrency, "concurrency", "c", 1, "requests in flight at once")
	f.Float64Var(&opts.Rate, "rate", 0, "at most `N` requests per second (0: no limit)")
	f.DurationVar(&opts.Duration, "duration", 0, "keep sending for this long (with -n: whichever ends first)")

	f.StringSliceVar(&opts.ExpectStatus, "expect-status", []string{"200"}, "status `CODES` that count as delivered (e.g. 200, 401,403, 2xx)")
	f.BoolVar(&opts.JSON, "json", false, "print the whole report as JSON")
	f.BoolVar(&opts.DryRun, "dry-run", false, "print the requests (headers and body) instead of sending them")

	for flag, key := range map[string]string{
		"to": "send.to", "timeout": "send.timeout", "concurrency": "send.concurrency", "rate": "send.rate",
		"insecure": "send.insecure", "ca-cert": "send.ca_cert", "expect-status": "send.expect_status",
		"retry-scale": "send.retry_scale", "retry-max": "send.retry_max", "batch-layout": "send.batch_layout",
		"legacy-sha1": "send.legacy_sha1",
	} {
		config.Bind(f, flag, key)
	}
	_ = cmd.RegisterFlagCompletionFunc("batch-layout", cobra.FixedCompletions([]string{"merge", "changes", "entries"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("filter", completeFilter)
	_ = cmd.RegisterFlagCompletionFunc("identity", cobra.FixedCompletions(identity.Names(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// completeSources offers catalog names (and files, through the shell).
func completeSources(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, f := range fixtures.All() {
		if strings.HasPrefix(f.Name, toComplete) {
			out = append(out, f.Name+"\t"+f.Description)
		}
	}
	return out, cobra.ShellCompDirectiveDefault
}

func completeFilter(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, f := range append([]string{"message", "status", "error"}, fixtures.Fields()...) {
		if strings.HasPrefix(f, toComplete) {
			out = append(out, f)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
