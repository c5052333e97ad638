package cmd

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/receiver"
)

func newServeCmd(app *App) *cobra.Command {
	var opts receiver.Config
	var inspect inspectFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a local webhook receiver that verifies and pretty-prints every event",
		Long: `Run a local receiver for WhatsApp webhooks, as strict as a production endpoint
and far more helpful.

GET requests on the path answer Meta's verification handshake (hub.mode=subscribe
and the verify token, compared in constant time: 200 with the challenge, else 403).
POST bodies are read raw (up to --max-body, else 413), X-Hub-Signature-256 is
checked over the exact bytes with the App Secret (401 with a diagnosis when it
does not match, unless --accept-invalid), and the body must be a webhook envelope
(else 400). Everything valid is answered 200 at once; printing, duplicate
detection and forwarding happen after the answer.

Each event is printed on one line that fits the terminal: time, signature badge,
request number, kind (message, echo, history, standby, status, error, unknown,
or event for other fields), type, who, a summary, markers (FAILED, DUPLICATE,
RETRY, STALE, UNKNOWN, ×N for a run of alike events) and the message id's tail.
--json prints one JSON object per event instead ("v":1, schema in docs/schema),
and request-level problems as "kind":"request_error" lines; notices go to stderr.
Printing never holds up answers: if stdout is not read, events are counted
instead of printed and the count is reported.

No verify token configured: one is generated and printed with where to paste it.
No App Secret: serve runs but says loudly that signatures are not checked.
/healthz always answers 200. SIGINT/SIGTERM finish requests in flight (15s at
most), flush the recording, print a summary and exit 130; a second signal exits
at once.`,
		Example: `  # See every kind of event rendered, no setup needed
  wa-hooks serve --demo

  # Receive from Meta through a tunnel, checking signatures
  WA_HOOKS_APP_SECRET=... WA_HOOKS_VERIFY_TOKEN=... wa-hooks serve --addr 127.0.0.1:8080

  # Record every request and pass it on to your own app
  wa-hooks serve --record hooks.jsonl --forward-to http://localhost:3000/webhook

  # Machine-readable, only failed statuses
  wa-hooks serve --json --type status.failed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Origin = func(flag string) string { return flagOrigin(app, cmd, flag) }
			opts.Companions = append(opts.Companions, inspect.companions(cmd)...)
			return receiver.Serve(cmd.Context(), app.IO, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; 127.0.0.1:0 picks a free port)")
	f.StringVar(&opts.Path, "path", "/webhook", "callback path that answers the handshake and receives events")
	f.StringVar(&opts.PublicURL, "public-url", "", "public https:// URL of your tunnel, shown as the Callback URL to paste in Meta's dashboard")
	addAppSecretFlag(cmd, &opts.AppSecret)
	addVerifyTokenFlag(cmd, &opts.VerifyToken)
	f.StringVar(&opts.MaxBody, "max-body", "4MiB", "largest body accepted, 413 above it (Meta sends at most 3 MB)")
	f.BoolVar(&opts.AcceptInvalid, "accept-invalid", false, "answer 200 to bad or missing signatures (still flagged)")
	f.DurationVar(&opts.StaleAfter, "stale-after", 10*time.Minute, "mark events whose timestamp is older than this (0 turns it off)")
	f.BoolVar(&opts.JSON, "json", false, "print one JSON object per event per line")
	f.BoolVar(&opts.Raw, "raw", false, "also print each body, pretty-printed")
	f.BoolVar(&opts.Redact, "redact", false, "mask phone numbers, BSUIDs and message text in the output (not in recordings)")
	f.StringSliceVar(&opts.Fields, "field", nil, "show only these fields (messages, account_update, …; globs allowed)")
	f.StringSliceVar(&opts.Types, "type", nil, "show only these kinds or types (message, echo, history, standby, status, error, text, status.failed, interactive.*, …)")
	f.StringVar(&opts.Record, "record", "", "append every request (headers, exact body, verdict, status) to this JSON-lines file")
	f.BoolVar(&opts.RecordFsync, "record-fsync", false, "force each recorded request to disk before answering (survives power loss; slower)")
	f.StringVar(&opts.ForwardTo, "forward-to", "", "pass every POST on to this URL with the same bytes and signature headers")
	f.StringArrayVar(&opts.ForwardHeaders, "forward-header", nil, "add a header to forwarded requests, \"Name: value\" (repeatable)")
	f.BoolVar(&opts.ForwardHandshake, "forward-handshake", false, "also forward GET verification requests")
	f.DurationVar(&opts.ForwardTimeout, "forward-timeout", receiver.DefaultForwardTimeout, "timeout of one forwarded request")
	f.BoolVar(&opts.ForwardInsecure, "forward-insecure", false, "do not verify the TLS certificate of --forward-to (local self-signed apps)")
	f.StringVar(&opts.TLSCert, "tls-cert", "", "serve HTTPS with this PEM certificate (with --tls-key)")
	f.StringVar(&opts.TLSKey, "tls-key", "", "PEM private key for --tls-cert")
	f.BoolVar(&opts.Demo, "demo", false, "post the whole fixture catalog to this server, signed, to see every event rendered")
	f.BoolVar(&opts.DemoExit, "demo-exit", false, "with --demo: stop after the demo instead of waiting for Ctrl-C")
	f.StringVar(&opts.DemoIdentity, "identity", "", "with --demo: send the catalog's users as `ID`: phone, phone+bsuid, bsuid-only or username-only")
	_ = cmd.RegisterFlagCompletionFunc("identity", cobra.FixedCompletions(identity.Names(), cobra.ShellCompDirectiveNoFileComp))
	inspect.add(cmd)

	for flag, key := range map[string]string{
		"addr": "serve.addr", "path": "serve.path", "public-url": "serve.public_url", "max-body": "serve.max_body",
		"accept-invalid": "serve.accept_invalid", "stale-after": "serve.stale_after", "json": "serve.json",
		"raw": "serve.raw", "redact": "serve.redact", "field": "serve.field", "type": "serve.type",
		"record": "serve.record", "record-fsync": "serve.record_fsync", "forward-to": "serve.forward_to",
		"forward-header": "serve.forward_header", "forward-handshake": "serve.forward_handshake",
		"forward-timeout": "serve.forward_timeout", "forward-insecure": "serve.forward_insecure",
		"tls-cert": "serve.tls_cert", "tls-key": "serve.tls_key",
		"inspect": "serve.inspect", "no-inspect": "serve.no_inspect",
	} {
		config.Bind(f, flag, key)
	}
	_ = cmd.MarkFlagFilename("record", "jsonl")
	_ = cmd.MarkFlagFilename("tls-cert", "pem", "crt")
	_ = cmd.MarkFlagFilename("tls-key", "pem", "key")
	return cmd
}

// flagOrigin names where a bound flag's value came from, for error messages:
// "--flag", the environment variable, or the config file.
func flagOrigin(app *App, cmd *cobra.Command, flag string) string {
	f := cmd.Flags().Lookup(flag)
	if f == nil || app.Config == nil {
		return ""
	}
	key, _, ok := config.KeyOf(f)
	if !ok {
		return ""
	}
	if s, ok := app.Config.Setting(key); ok && (s.Source == config.FromEnv || s.Source == config.FromFile) {
		return s.Origin
	}
	return "--" + flag
}
