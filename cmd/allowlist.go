package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wa-hooks/wa-hooks/internal/allowlist"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/format"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/irr"
	"github.com/wa-hooks/wa-hooks/internal/config"
)

func newAllowlistCmd(app *App) *cobra.Command {
	opts := allowlist.Options{}
	cmd := &cobra.Command{
		Use:   "allowlist",
		Short: "Write an allowlist of Meta's webhook source prefixes from the IRR, safely from cron",
		Long: `Fetch the route registrations of Meta's AS32934 from an IRR server (RADB by
default) over the WHOIS port, keep only the ones that really belong to the AS,
aggregate them and write them in the format your firewall or proxy reads.

Meta documents 'whois -h whois.radb.net -- '-i origin AS32934' | grep ^route'.
That pipeline also takes RPKI pseudo-objects and third-party registrations,
never aggregates, and in cron happily installs an empty list when the query
fails. This command refuses such answers instead and leaves the installed file
untouched:

  - empty, truncated or unparsable answers, or fewer than --min-prefixes;
  - registrations broader than /12 (IPv4) or /24 (IPv6), as poisoning;
  - answers made only of space that is not global unicast (loopback,
    private, CGNAT, link-local, multicast, documentation…: such
    registrations are always dropped and named);
  - a list covering more than --max-space-v4 / --max-space-v6;
  - losing an --anchor (Meta's big blocks by default);
  - removing more than --max-shrink, or adding more than --max-growth, of
    the address space the file allows now.

--input FILE (or -) reads a saved RPSL or IRRd answer, or a plain prefix
list, instead of asking a server; --deadline bounds the whole run; --json
prints a report of it.

With --output the file is replaced atomically and only when its content
changes, --check-cmd validates it (and the old file comes back if it fails),
--on-change reloads the consumer. Quiet on success unless -v.

An allowlist is defence in depth: keep checking X-Hub-Signature-256, and
behind a proxy make sure the real client address is what gets matched.`,
		Example: `  # Meta's prefixes, aggregated, one per line
  wa-hooks allowlist

  # nginx include, replaced only on change, checked and reloaded (cron)
  wa-hooks allowlist --format nginx --deny-all --output /etc/nginx/meta-webhooks.conf \
    --check-cmd 'nginx -t' --on-change 'nginx -s reload'

  # nftables sets with only Meta's own maintainers' registrations, loaded on change
  wa-hooks allowlist --format nftables --output /etc/nftables.d/meta.nft \
    --maintainers MAINT-AS32934,fb-neteng,facebook-neteng,meta-mnt --on-change 'nft -f "$WA_HOOKS_ALLOWLIST_FILE"'

  # IRRd's !g/!6 commands (exact framing), IPv4 only, as an ipset restore script
  wa-hooks allowlist --query irrd -4 --format ipset --output /etc/ipset/meta.ipset --on-change 'ipset restore < /etc/ipset/meta.ipset'

  # Try it offline with the sample answer shipped in the repository
  wa-hooks allowlist --input docs/examples/as32934.rpsl --format nginx

  # What would change?
  wa-hooks allowlist --format nginx --output /etc/nginx/meta.conf --dry-run --diff

  # Is this address one of Meta's?
  wa-hooks allowlist check 157.240.22.35 --list /etc/nginx/meta-webhooks.conf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.AnchorsSet = cmd.Flags().Changed("anchor")
			if s, ok := app.Config.Setting("allowlist.anchor"); ok && s.Source != config.FromDefault {
				opts.AnchorsSet = true
			}
			return allowlist.Run(cmd.Context(), app.IO, opts)
		},
	}
	addAllowlistSourceFlags(cmd.PersistentFlags(), &opts.Source)

	f := cmd.Flags()
	f.StringVar(&opts.Format, "format", "plain", "output `FORMAT`: "+strings.Join(format.Names(), ", "))
	f.StringVarP(&opts.Output, "output", "o", "", "write to `FILE` atomically, only on change, with guards and hooks (default: stdout)")
	f.BoolVar(&opts.InPlace, "in-place", false, "rewrite the file's inode instead of renaming over it (for single-file bind mounts)")
	f.BoolVar(&opts.NoAggregate, "no-aggregate", false, "keep the registrations as they are (deduplicated), without collapsing them")
	f.StringVar(&opts.Name, "name", "meta_webhooks", "`NAME` of the nftables/ipset set (+4/6), iptables chain or Caddy matcher")
	f.StringVar(&opts.Table, "nft-table", "inet wa_hooks", "nftables `TABLE` (family and name) holding the sets")
	f.BoolVar(&opts.DenyAll, "deny-all", false, "nginx: end with 'deny all;'")
	f.BoolVar(&opts.NoHeader, "no-header", false, "leave out the header comment")
	f.IntVar(&opts.MinPrefixes, "min-prefixes", 10, "refuse an answer with fewer than `N` distinct accepted registrations")
	f.StringSliceVar(&opts.Anchors, "anchor", allowlist.DefaultAnchors, "`PREFIXES` that must stay covered (defaults apply to AS32934 only; 'none' turns them off)")
	f.StringVar(&opts.MaxShrink, "max-shrink", "30%", "refuse a list that removes more than this `SHARE` of the address space the file allows now (0 = off)")
	f.StringVar(&opts.MaxGrowth, "max-growth", "100%", "refuse a list that adds more than this `SHARE` to the address space the file allows now, per family (0 = off)")
	f.StringVar(&opts.MaxSpaceV4, "max-space-v4", "/10", "refuse a list covering more IPv4 addresses than `SPACE`: one /N, or N addresses (0 = off)")
	f.StringVar(&opts.MaxSpaceV6, "max-space-v6", "/26", "refuse a list covering more IPv6 addresses than `SPACE`: one /N, or N addresses (0 = off)")
	f.BoolVar(&opts.Force, "force", false, "write even if the anchor, shrink or growth guard objects")
	f.DurationVar(&opts.Jitter, "jitter", 0, "first wait a random time up to `DURATION` (e.g. 10m), so cron jobs do not all ask at once")
	f.BoolVar(&opts.JSON, "json", false, "print a JSON report of the run on stdout (the list itself goes to --output, or into the report)")
	f.StringVar(&opts.CheckCmd, "check-cmd", "", "shell `COMMAND` that validates the new file (e.g. 'nginx -t'); on failure the old file is restored")
	f.StringVar(&opts.OnChange, "on-change", "", "shell `COMMAND` run after the file changed (e.g. 'nginx -s reload')")
	f.DurationVar(&opts.HookTimeout, "hook-timeout", time.Minute, "time limit (`DURATION`) for --check-cmd and --on-change")
	f.BoolVar(&opts.DryRun, "dry-run", false, "fetch and check, say what would change, write nothing")
	f.BoolVar(&opts.Diff, "diff", false, "print the prefixes added and removed")
	f.BoolVar(&opts.ExitChanged, "exit-changed", false, "exit 13 when the file changed (or would change, with --dry-run)")
	for _, name := range []string{"format", "output", "in-place", "no-aggregate", "name", "nft-table", "deny-all", "no-header",
		"min-prefixes", "anchor", "max-shrink", "max-growth", "max-space-v4", "max-space-v6", "check-cmd", "on-change", "hook-timeout", "exit-changed", "jitter"} {
		config.Bind(f, name, "allowlist."+strings.ReplaceAll(name, "-", "_"))
	}
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(format.Names(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("query", cobra.FixedCompletions([]string{"rpsl", "irrd"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("input-format", cobra.FixedCompletions(irr.InputFormats, cobra.ShellCompDirectiveNoFileComp))

	cmd.AddCommand(newAllowlistCheckCmd(app, &opts.Source))
	// --maintainer is how people say it (one mnt-by); it is --maintainers.
	cmd.SetGlobalNormalizationFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "maintainer" {
			name = "maintainers"
		}
		return pflag.NormalizedName(name)
	})
	return cmd
}

// addAllowlistSourceFlags adds the fetch and filter flags shared by
// allowlist and allowlist check.
func addAllowlistSourceFlags(f *pflag.FlagSet, s *allowlist.Source) {
	f.StringVar(&s.ASN, "asn", allowlist.MetaASN, "origin `AS` whose registrations to fetch")
	f.StringVar(&s.Server, "server", "whois.radb.net:43", "IRR server, `HOST[:PORT]`")
	f.StringVar(&s.Query, "query", "rpsl", "query `STYLE`: rpsl (-i origin, RPSL objects) or irrd (!g/!6 with exact framing)")
	f.BoolVarP(&s.V4Only, "ipv4", "4", false, "IPv4 only")
	f.BoolVarP(&s.V6Only, "ipv6", "6", false, "IPv6 only")
	f.StringSliceVar(&s.Sources, "sources", nil, "IRR `SOURCES` to ask, e.g. RADB,RIPE (default: the server's selection minus RPKI)")
	f.StringSliceVar(&s.Maintainers, "maintainers", nil, "accept only registrations with one of these `MAINTAINERS` (mnt-by, rpsl), e.g. MAINT-AS32934,fb-neteng")
	f.BoolVar(&s.IncludeRPKI, "include-rpki", false, "keep RPKI pseudo-objects (source RPKI)")
	f.IntVar(&s.ShortestV4, "shortest-v4", 12, "refuse the answer if an IPv4 registration is broader than /`N` (poisoning)")
	f.IntVar(&s.ShortestV6, "shortest-v6", 24, "refuse the answer if an IPv6 registration is broader than /`N` (poisoning)")
	f.DurationVar(&s.ConnectTimeout, "connect-timeout", 10*time.Second, "time limit (`DURATION`) to connect to the server")
	f.DurationVar(&s.Timeout, "timeout", 60*time.Second, "time limit (`DURATION`) for one whole exchange with the server")
	f.IntVar(&s.Retries, "retries", 3, "`N` extra attempts after a network failure or truncated answer")
	f.DurationVar(&s.Backoff, "backoff", 2*time.Second, "first wait (`DURATION`) between attempts (doubles each time, with jitter)")
	f.IntVar(&s.MaxBytes, "max-bytes", 16<<20, "refuse answers larger than `BYTES`")
	f.DurationVar(&s.Deadline, "deadline", 5*time.Minute, "time limit (`DURATION`) for the whole run after --jitter: fetch with retries, checks, writing and hooks (0 = none)")
	f.StringVar(&s.Input, "input", "", "read the answer from `FILE` ('-' = stdin) instead of asking a server: RPSL, IRRd or a plain prefix list")
	f.StringVar(&s.InputFormat, "input-format", "auto", "`FORMAT` of --input: auto, rpsl, irrd or plain")
	for _, name := range []string{"asn", "server", "query", "ipv4", "ipv6", "sources", "maintainers", "include-rpki",
		"shortest-v4", "shortest-v6", "connect-timeout", "timeout", "retries", "backoff", "max-bytes", "deadline", "input-format"} {
		config.Bind(f, name, "allowlist."+strings.ReplaceAll(name, "-", "_"))
	}
}

func newAllowlistCheckCmd(app *App, src *allowlist.Source) *cobra.Command {
	opts := allowlist.CheckOptions{}
	cmd := &cobra.Command{
		Use:   "check IP",
		Short: "Say whether an address is covered by the allowlist, and by which prefix",
		Long: `Say whether an address is covered (exit 0) or not (exit 1), and by which
prefix. With --list, read the prefixes from an allowlist file in any format
(plain, nginx, nftables, JSON, …); otherwise fetch them from the IRR with the
same settings as 'wa-hooks allowlist' and also show the registrations behind
the match. Handy when Meta's deliveries do not reach your endpoint: compare the
address in your proxy's log with the list.`,
		Example: `  wa-hooks allowlist check 157.240.22.35
  wa-hooks allowlist check 2a03:2880:f20c::1 --list /etc/nginx/meta-webhooks.conf`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("give exactly one IP address to check")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Source = *src
			opts.Address = args[0]
			return allowlist.Check(cmd.Context(), app.IO, opts)
		},
	}
	cmd.Flags().StringVar(&opts.From, "list", "", "read the prefixes from this allowlist `FILE` (any format allowlist writes, or a plain list) instead of the IRR")
	// --from was this flag's name; send's --from is the user's phone number,
	// so the old name is kept only as a hidden alias.
	cmd.Flags().StringVar(&opts.From, "from", "", "same as --list")
	_ = cmd.Flags().MarkHidden("from")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}
