package cmd

import (
	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/signature/signcmd"
)

func newSignCmd(app *App) *cobra.Command {
	var opts signcmd.Options
	cmd := &cobra.Command{
		Use:   "sign [FILE|-]",
		Short: "Print the X-Hub-Signature-256 for a payload, or find out why a signature does not match",
		Long: `Print the X-Hub-Signature-256 value Meta would send with a payload: "sha256="
and the lowercase hex HMAC-SHA256 of the bytes exactly as given, keyed with
your App Secret. The payload is FILE, or stdin when FILE is "-" or omitted.

Meta signs the bytes it sends, and those are compact JSON with every non-ASCII
character as \uXXXX and "/" as "\/". With --wire the payload is first turned
into those wire bytes and the signature covers them; --out FILE saves exactly
the signed bytes so you can send them with curl --data-binary @FILE.

With --check SIGNATURE, compare a signature with the payload instead. Exit 0
when it matches; otherwise exit 1 and a diagnosis: whether the value is
malformed (missing "sha256=", wrong length, not hex, a legacy sha1= value,
which is then checked as HMAC-SHA1), which common re-encoding of the body
makes it match (Meta's wire form, JSON.stringify or json.dumps output,
pretty-printing, "\/" unescaped, a trailing newline, a BOM, CRLF line ends,
a secret with stray whitespace), or, when none does, that the App Secret or
the body differs and what to check.

The App Secret comes from --app-secret, WA_HOOKS_APP_SECRET or app_secret in
the config file; it is never printed.`,
		Example: `  # The signature of a file, as Meta would compute it over these bytes
  export WA_HOOKS_APP_SECRET=...
  wa-hooks sign payload.json

  # Sign Meta's wire form of a pretty fixture and save the bytes to send
  wa-hooks sign --wire --out body.json --header-line fixture.json
  curl -H 'Content-Type: application/json' -H "$(wa-hooks sign --header-line body.json)" \
       --data-binary @body.json http://localhost:8080/webhook

  # Why does my endpoint reject this signature?
  wa-hooks sign --check 'sha256=68b774...' logged-body.json
  pbpaste | wa-hooks sign --check "$SIG" -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Input = args[0]
			}
			opts.CheckSet = cmd.Flags().Changed("check")
			if cmd.Flags().Changed("legacy") {
				opts.SHA1 = true
			}
			return signcmd.Run(cmd.Context(), app.IO, opts)
		},
	}
	f := cmd.Flags()
	addAppSecretFlag(cmd, &opts.AppSecret)
	f.BoolVar(&opts.Wire, "wire", false, "sign Meta's wire encoding of the JSON payload (compact, \\uXXXX, \\/) instead of the bytes as given")
	f.StringVar(&opts.Out, "out", "", "write the exact signed bytes to `FILE` (with --wire: the wire bytes to send)")
	f.BoolVar(&opts.Header, "header-line", false, "print the full header line (X-Hub-Signature-256: sha256=…)")
	// --header was this flag's name; send's --header (-H) adds a header,
	// so the name is kept only as a hidden alias.
	f.BoolVar(&opts.Header, "header", false, "same as --header-line")
	_ = f.MarkHidden("header")
	f.BoolVar(&opts.SHA1, "sha1", false, "also print the legacy X-Hub-Signature (sha1=…) value")
	f.Bool("legacy", false, "same as --sha1")
	_ = f.MarkHidden("legacy")
	f.BoolVar(&opts.JSON, "json", false, "print {signature, body_sha256, bytes, wire} as JSON (with --check: the diagnosis)")
	f.StringVar(&opts.Check, "check", "", "check `SIGNATURE` against the payload and explain a mismatch (exit 1)")
	config.Bind(f, "wire", "sign.wire")
	config.Bind(f, "sha1", "sign.sha1")
	return cmd
}
