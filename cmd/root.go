// Package cmd holds the cobra command tree. Each command turns flags and
// config into an options struct and calls one function in internal/; no
// business logic lives here.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/fatih/color"
	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/version"
)

// App is what every command receives: the streams and the loaded config.
type App struct {
	IO     *iostreams.IO
	Config *config.Store

	configFile string
	colorMode  string
}

// Execute runs wa-hooks with the process's arguments and returns the exit code.
func Execute() int {
	// Before the signal handler: NotifyContext starts two goroutines, and
	// with them threads, which were a tenth of --version's start-up.
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		return printVersion(os.Stdout)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, iostreams.System(), os.Args[1:])
}

// Run executes the command tree with args on ios and returns the exit code.
func Run(ctx context.Context, ios *iostreams.IO, args []string) int {
	// `wa-hooks --version` is what scripts and package managers run to probe
	// the binary; building the whole command tree for it was half its
	// start-up. The line is the one cobra would print from the template.
	if len(args) == 1 && args[0] == "--version" {
		return printVersion(ios.Out)
	}
	app := &App{IO: ios}
	root := NewRootCmd(app)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	err := root.ExecuteContext(ctx)
	code := codeFor(ctx, err)
	if err == nil {
		return code
	}
	var ee *exit.Error
	silent := errors.As(err, &ee) && ee.Err == nil
	if msg := err.Error(); msg != "" && !silent && code != exit.Interrupted {
		fmt.Fprintf(ios.ErrOut, "%s %s\n", ios.ErrColor(color.FgRed, color.Bold).Sprint("error:"), msg)
		if code == exit.Usage && ee == nil {
			fmt.Fprintf(ios.ErrOut, "Run '%s --help' for usage.\n", commandPathForHelp(root, args))
		}
	}
	return code
}

// codeFor maps a command's error to the process exit code: errors that carry
// a code keep it, an interruption is 130, and cobra's own errors (unknown
// command or flag, wrong arguments) are usage errors.
func codeFor(ctx context.Context, err error) int {
	if err == nil {
		return exit.OK
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return exit.Interrupted
	}
	var ee *exit.Error
	if errors.As(err, &ee) {
		return ee.Code
	}
	if ctx.Err() != nil {
		return exit.Interrupted
	}
	return exit.Usage
}

func commandPathForHelp(root *cobra.Command, args []string) string {
	if c, _, err := root.Find(args); err == nil && c != nil {
		return c.CommandPath()
	}
	return root.Name()
}

// NewRootCmd builds the whole command tree.
func NewRootCmd(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "wa-hooks",
		Short: "Receive, sign, send and verify WhatsApp Business Cloud API webhooks",
		Long: `wa-hooks is the developer's toolbox for WhatsApp Business Cloud API webhooks.
It runs a local receiver that answers Meta's verification handshake, checks
X-Hub-Signature-256 on every POST and pretty-prints each event; signs payloads
exactly as Meta does and diagnoses "signature always invalid"; replays realistic,
correctly signed events to any endpoint; checks an endpoint the way Meta will;
and keeps a firewall allowlist of Meta's webhook servers fresh from cron.`,
		Example: `  # See every kind of WhatsApp event arrive, signed and rendered
  wa-hooks serve --demo

  # Receive Meta's webhooks locally (put an HTTPS tunnel in front)
  export WA_HOOKS_APP_SECRET=... WA_HOOKS_VERIFY_TOKEN=...
  wa-hooks serve --record hooks.jsonl --forward-to http://localhost:3000/webhook

  # Send your own endpoint a correctly signed event, or the whole catalog
  wa-hooks send messages.text --to http://localhost:3000/webhook
  wa-hooks send --all --to http://localhost:3000/webhook

  # Will Meta accept this endpoint?
  wa-hooks verify https://example.com/webhook

  # Find out why your endpoint rejects a signature
  wa-hooks sign --check sha256=4f0c... payload.json

  # Keep an nginx allowlist of Meta's webhook servers fresh (cron)
  wa-hooks allowlist --format nginx -o /etc/nginx/meta-webhooks.conf --on-change 'nginx -s reload'`,
		Version:       version.Get().Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return app.setup(cmd)
		},
	}
	root.SetVersionTemplate(versionLine() + "\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exit.New(exit.Usage, err)
	})

	pf := root.PersistentFlags()
	pf.StringVar(&app.configFile, "config", "", "config `FILE` (default ./wa-hooks.yaml, else $XDG_CONFIG_HOME/wa-hooks/config.yaml)")
	pf.StringVar(&app.colorMode, "color", "auto", "colour output: `WHEN` is auto, always or never")
	pf.BoolVarP(&app.IO.Quiet, "quiet", "q", false, "print only results and errors")
	pf.BoolVarP(&app.IO.Verbose, "verbose", "v", false, "print more detail")
	_ = root.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(commands(app)...)
	addExitCodes(root)
	root.AddCommand(newExitCodesTopic())
	markRunErrors(root)
	return root
}

// markRunErrors gives every error a command's RunE returns without an exit
// code the generic failure code, so that the errors left without one are
// cobra's own (unknown command, wrong arguments): usage errors.
func markRunErrors(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			var ee *exit.Error
			if err != nil && !errors.As(err, &ee) && !errors.Is(err, context.Canceled) {
				return exit.New(exit.Failure, err)
			}
			return err
		}
	}
	for _, sub := range c.Commands() {
		markRunErrors(sub)
	}
}

// setup runs before every command: colour mode, config file, and applying
// env/file values to the command's bound flags.
func (app *App) setup(cmd *cobra.Command) error {
	mode, err := iostreams.ParseColorMode(app.colorMode)
	if err != nil {
		return exit.New(exit.Usage, err)
	}
	app.IO.Mode = mode
	if app.IO.Quiet && app.IO.Verbose {
		return exit.Errorf(exit.Usage, "--quiet and --verbose cannot be used together: pick one")
	}
	opts := config.Options{File: app.configFile, Getenv: app.IO.Getenv, Environ: app.waHooksEnv()}
	// The known keys only serve to warn about unknown ones in a config
	// file or the environment; collecting them walks every flag of every
	// command, so it is done only when there is something to check.
	if path, err := config.Locate(opts); (err == nil && path != "") || len(opts.Environ) > 0 {
		opts.Known = config.Keys(allFlagSets(cmd.Root())...)
	}
	store, err := config.Load(opts)
	if err != nil {
		return exit.New(exit.Usage, err)
	}
	for _, w := range store.Warnings {
		app.IO.Warnf("%s", w)
	}
	if err := store.Apply(cmd.Flags()); err != nil {
		return exit.New(exit.Usage, err)
	}
	app.Config = store
	return nil
}

// waHooksEnv lists the WA_HOOKS_ variables that are set (as the IO's
// Getenv sees them, so tests with a fake environment see their own).
func (app *App) waHooksEnv() []string {
	var names []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, config.EnvPrefix) && app.IO.Getenv != nil && app.IO.Getenv(name) != "" {
			names = append(names, name)
		}
	}
	return names
}

// allFlagSets returns the flag sets of every command in the tree.
func allFlagSets(c *cobra.Command) []*pflagSet {
	sets := []*pflagSet{c.LocalFlags()}
	for _, sub := range c.Commands() {
		sets = append(sets, allFlagSets(sub)...)
	}
	return sets
}
