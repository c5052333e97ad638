package cmd

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/inspector"
	"github.com/wa-hooks/wa-hooks/internal/mock"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
	"github.com/wa-hooks/wa-hooks/internal/sender"
)

func newMockCmd(app *App) *cobra.Command {
	var o mock.RunOptions
	var insp inspectFlags
	h := simnet.Realistic()
	l := simnet.DefaultLimits()
	cmd := &cobra.Command{
		Use:   "mock",
		Short: "Run a local twin of the WhatsApp Cloud API that talks to your app both ways",
		Long: `Run a local twin of the Cloud API. Your app calls it as it would call
graph.facebook.com (point its Graph API base URL at the address below) and the
mock answers as Meta does: validation, Meta's error objects, wamids. Then it
posts the webhooks Meta would post to --webhook: sent, delivered, read and
failed statuses for what the app sent, and the messages simulated users write
(wa-hooks mock say alice 'hi'), signed with the App Secret in Meta's wire form,
with Meta's habits (batches, out-of-order and skipped statuses, duplicates,
retries on Meta's schedule, and the updates that waited for a slow app
coalesced into one POST) unless --deterministic.

The app must send Authorization: Bearer <access token>: set access_token in
the config file or WA_HOOKS_ACCESS_TOKEN; without one a token is generated and
printed. Webhooks are signed with app_secret (WA_HOOKS_APP_SECRET), generated
and printed when none is configured.

A fresh mock has one business number and three users: alice (phone number
only), bruno (phone number and BSUID) and chen (BSUID and username, no phone
number). --state FILE keeps users, templates, media and history across
restarts. The control API under /_mock/ (see docs/mock.md) drives it; the
subcommands below use it.`,
		Example: `  # Start the twin next to your app
  wa-hooks mock --webhook http://127.0.0.1:3000/webhook
  GRAPH_API_BASE=http://127.0.0.1:8090 WHATSAPP_TOKEN=... npm start

  # In another terminal: a user writes, taps, reads
  wa-hooks mock say alice 'Do you ship to Lima?'
  wa-hooks mock tap alice 2
  wa-hooks mock read alice

  # Reproducible runs for tests, state kept between them
  wa-hooks mock --deterministic --state mock-state.json --webhook $URL`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.AccessToken == "" {
				o.AccessToken, o.TokenGenerated = mock.GenerateToken(), true
			}
			if o.AppSecret == "" {
				o.AppSecret, o.SecretGenerated = mock.GenerateSecret(), true
			}
			if o.Deterministic {
				h = simnet.Deterministic()
				reapply(cmd, &h)
				if !cmd.Flags().Changed("template-review") {
					o.TemplateReview = -1 // decided at once
				}
			} else if cmd.Flags().Changed("status-delay") {
				h.DeliveredDelay = 4 * h.SentDelay // as the flag's help says, in either mode
			}
			if h.Batch < 0 || h.Batch > 1 || h.OutOfOrder < 0 || h.OutOfOrder > 1 || h.SkipDelivered < 0 || h.SkipDelivered > 1 || h.Duplicate < 0 || h.Duplicate > 1 {
				return exit.Errorf(exit.Usage, "habit rates are shares between 0 and 1 (e.g. --batch-rate 0.1)")
			}
			o.Habits, o.Limits = &h, &l
			if !insp.off {
				o.Companions = append(o.Companions, inspector.NewMock(inspector.MockOptions{AppSecret: o.AppSecret, AccessToken: o.AccessToken,
					Options: inspector.Options{Addr: insp.addr, AddrGiven: cmd.Flags().Changed("inspect")}}))
			}
			return mock.Run(cmd.Context(), app.IO, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", mock.DefaultAddr, "address to listen on (host:port; the verbs below find the mock there too)")
	f.StringVar(&o.Webhook, "webhook", "", "your app's webhook `URL` (where the mock posts what Meta would)")
	addAppSecretFlag(cmd, &o.AppSecret)
	f.StringVar(&o.AccessToken, "access-token", "", "the token your app must send as Bearer (prefer WA_HOOKS_ACCESS_TOKEN or the config file)")
	config.BindSecret(f, "access-token", "access_token")
	f.StringVar(&o.StatePath, "state", "", "keep users, templates, media and history in this JSON `FILE` across restarts")
	f.BoolVar(&o.Deterministic, "deterministic", false, "no random habits, zero delays, one ordered queue, fixed ids: the same run gives the same sequence")
	f.DurationVar(&o.WebhookTimeout, "webhook-timeout", mock.DefaultWebhookTimeout, "how long your app may take to answer a webhook before it counts as failed")
	f.BoolVar(&o.NoRetry, "no-retry", false, "post each webhook once, even when the app fails it")
	f.BoolVar(&o.NoCoalesce, "no-coalesce", false, "post every webhook on its own even when the app falls behind (by default what waited leaves in one POST, up to 1,000 updates, as Meta does)")
	f.Float64Var(&o.RetryScale, "retry-scale", sender.DefaultRetryScale, "time factor for Meta's 7-day retry schedule (1 = real time)")
	f.Float64Var(&h.Batch, "batch-rate", h.Batch, "share of webhooks that carry the other updates due at the same time")
	f.Float64Var(&h.OutOfOrder, "out-of-order-rate", h.OutOfOrder, "share of messages whose read arrives before delivered")
	f.Float64Var(&h.SkipDelivered, "skip-delivered-rate", h.SkipDelivered, "share of messages that never get delivered (only read)")
	f.Float64Var(&h.Duplicate, "duplicate-rate", h.Duplicate, "share of webhooks posted twice")
	f.DurationVar(&h.SentDelay, "status-delay", h.SentDelay, "typical delay from a send to its sent status (delivered follows ~4× later)")
	f.DurationVar(&h.ReadDelay, "read-after", h.ReadDelay, "users read the app's messages this long after delivery (0: only with 'mock read')")
	f.Float64Var(&l.MPS, "mps", l.MPS, "messages per second the business number may send (130429 above; 0: no limit)")
	f.IntVar(&l.PairBurst, "pair-burst", l.PairBurst, "messages to one user at once before the pair rate (one per 6 s) applies (131056; 0: no limit)")
	f.StringSliceVar(&o.AllowList, "allow-list", nil, "make the business number a test number that may only send to these phone `NUMBERS` (131030)")
	f.DurationVar(&o.TemplateReview, "template-review", mock.DefaultTemplateReview, "how long a new template stays PENDING before its status webhook")
	f.StringVar(&o.TemplateDecision, "template-decision", "APPROVED", "what review decides for new templates: APPROVED or REJECTED")
	f.IntVar(&o.MaxHistory, "max-history", mock.DefaultMaxHistory, "messages kept in the history (oldest dropped)")
	f.BoolVar(&o.JSON, "json", false, "print every Graph call and webhook as one JSON line (the log entry)")
	f.StringVar(&insp.addr, "inspect", inspector.DefaultAddr, "serve the web inspector (a chat per simulated user, a box to write as them, the webhooks posted) on this `ADDR`; the next free port when the default is taken; beyond loopback a token is required in its URL")
	f.BoolVar(&insp.off, "no-inspect", false, "do not start the web inspector")
	for flag, key := range map[string]string{
		"addr": "mock.addr", "webhook": "mock.webhook", "state": "mock.state", "webhook-timeout": "mock.webhook_timeout",
		"deterministic": "mock.deterministic", "mps": "mock.mps", "allow-list": "mock.allow_list",
		"inspect": "mock.inspect", "no-inspect": "mock.no_inspect", "no-coalesce": "mock.no_coalesce",
	} {
		config.Bind(f, flag, key)
	}
	_ = cmd.RegisterFlagCompletionFunc("template-decision", cobra.FixedCompletions([]string{"APPROVED", "REJECTED"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("state", "json")
	cmd.AddCommand(mockVerbs(app)...)
	return cmd
}

// reapply copies explicitly given habit flags over the deterministic defaults.
func reapply(cmd *cobra.Command, h *simnet.Habits) {
	f := cmd.Flags()
	num := func(name string, p *float64) {
		if f.Changed(name) {
			*p, _ = strconv.ParseFloat(f.Lookup(name).Value.String(), 64)
		}
	}
	dur := func(name string, p *time.Duration) {
		if f.Changed(name) {
			*p, _ = time.ParseDuration(f.Lookup(name).Value.String())
		}
	}
	num("batch-rate", &h.Batch)
	num("out-of-order-rate", &h.OutOfOrder)
	num("skip-delivered-rate", &h.SkipDelivered)
	num("duplicate-rate", &h.Duplicate)
	dur("status-delay", &h.SentDelay)
	if f.Changed("status-delay") {
		h.DeliveredDelay = 4 * h.SentDelay
	}
	dur("read-after", &h.ReadDelay)
}

func mockVerbs(app *App) []*cobra.Command {
	verb := func(use, short string, args cobra.PositionalArgs, fill func(o *mock.VerbOptions, args []string) error, extra func(*cobra.Command, *mock.VerbOptions)) *cobra.Command {
		var o mock.VerbOptions
		c := &cobra.Command{Use: use, Short: short, Args: args,
			RunE: func(cmd *cobra.Command, args []string) error {
				o.Verb = cmd.Name()
				if err := fill(&o, args); err != nil {
					return err
				}
				return mock.RunVerb(cmd.Context(), app.IO, o)
			}}
		c.Flags().StringVar(&o.Addr, "addr", mock.DefaultAddr, "address of the running mock")
		config.Bind(c.Flags(), "addr", "mock.addr")
		if extra != nil {
			extra(c, &o)
		}
		return c
	}
	user := func(o *mock.VerbOptions, args []string) error { o.User = args[0]; return nil }
	jsonFlag := func(c *cobra.Command, o *mock.VerbOptions) {
		c.Flags().BoolVar(&o.JSON, "json", false, "print the answer as JSON")
	}
	return []*cobra.Command{
		verb("say USER TEXT", "A simulated user writes a text message to the app", cobra.ExactArgs(2),
			func(o *mock.VerbOptions, a []string) error { o.User, o.Text = a[0], a[1]; return nil }, jsonFlag),
		verb("send USER FIXTURE", "A simulated user sends any catalog message (wa-hooks fixtures messages)", cobra.ExactArgs(2),
			func(o *mock.VerbOptions, a []string) error { o.User, o.Fixture = a[0], a[1]; return nil },
			func(c *cobra.Command, o *mock.VerbOptions) {
				jsonFlag(c, o)
				c.Flags().StringArrayVar(&o.Sets, "set", nil, "set `PATH=VALUE` in the body, as with send (repeatable)")
			}),
		verb("tap USER N", "A simulated user taps option N of the app's last interactive message", cobra.ExactArgs(2),
			func(o *mock.VerbOptions, a []string) error {
				n, err := strconv.Atoi(a[1])
				if err != nil || n < 1 {
					return exit.Errorf(exit.Usage, "tap: N is the 1-based option to tap (it is %q)", a[1])
				}
				o.User, o.N = a[0], n
				return nil
			}, jsonFlag),
		verb("read USER", "A simulated user reads everything the app sent them (read statuses)", cobra.ExactArgs(1), user, jsonFlag),
		verb("users", "List the simulated users and their 24-hour windows", cobra.NoArgs,
			func(*mock.VerbOptions, []string) error { return nil }, jsonFlag),
		verb("log", "Print every Graph call and webhook so far, in order, with status and latency", cobra.NoArgs,
			func(*mock.VerbOptions, []string) error { return nil },
			func(c *cobra.Command, o *mock.VerbOptions) {
				c.Flags().BoolVar(&o.JSON, "json", false, "one JSON object per entry per line")
				c.Flags().BoolVarP(&o.Follow, "follow", "f", false, "keep printing new entries as they happen")
			}),
		verb("reset", "Put users, history, windows, media and the log back to a fresh mock's", cobra.NoArgs,
			func(*mock.VerbOptions, []string) error { return nil }, nil),
	}
}
