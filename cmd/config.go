package cmd

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/fatih/color"
	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

func newConfigCmd(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show every effective setting and where it came from",
		Long: `Show every setting wa-hooks knows, its effective value and where that value
came from: an environment variable (WA_HOOKS_*), the config file, or the default.
Secrets (app_secret, verify_token) are masked, keeping only their last four characters.

Precedence: command-line flag > environment variable > config file > default.
The config file is --config, else ./wa-hooks.yaml, else
$XDG_CONFIG_HOME/wa-hooks/config.yaml (the user config directory).`,
		Example: `  wa-hooks config
  WA_HOOKS_SERVE_ADDR=:9000 wa-hooks config --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			settings := app.Config.Resolve(config.Keys(allFlagSets(cmd.Root())...))
			for i := range settings {
				if settings[i].Secret {
					settings[i].Value = config.Mask(settings[i].Value)
					settings[i].Default = config.Mask(settings[i].Default)
				}
			}
			if asJSON {
				enc := json.NewEncoder(app.IO.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					File     string           `json:"file"`
					Settings []config.Setting `json:"settings"`
				}{app.Config.File(), settings})
			}
			return printSettings(app, settings)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func printSettings(app *App, settings []config.Setting) error {
	file := app.Config.File()
	if file == "" {
		file = "none found (looked for --config, ./wa-hooks.yaml, $XDG_CONFIG_HOME/wa-hooks/config.yaml)"
	}
	fmt.Fprintf(app.IO.Out, "config file: %s\n\n", file)
	dim := app.IO.Color(color.Faint)
	bold := app.IO.Color(color.Bold)
	tw := tabwriter.NewWriter(app.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, bold.Sprint("KEY")+"\t"+bold.Sprint("VALUE")+"\t"+bold.Sprint("FROM")+"\t"+bold.Sprint("ENV"))
	for _, s := range settings {
		// A list shows as its items, as it is written (a,b), whether it
		// is a default ("[a,b]") or set; an empty one is unset like "".
		value := s.Value
		if strings.HasPrefix(value, "[") && strings.HasSuffix(value, "]") && !strings.Contains(value, "]:") {
			value = value[1 : len(value)-1]
		}
		value = termsafe.Line(value)
		if value == "" {
			value = dim.Sprint("(unset)")
		}
		from := string(s.Source)
		if s.Source != config.FromDefault {
			from = s.Origin
		} else {
			from = dim.Sprint(from)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Key, value, from, dim.Sprint(s.Env))
	}
	return tw.Flush()
}
