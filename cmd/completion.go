package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/exit"
)

func newCompletionCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Generate a shell completion script",
		Long: `Generate the completion script for your shell.

  bash:        source <(wa-hooks completion bash)
               or: wa-hooks completion bash > ~/.local/share/bash-completion/completions/wa-hooks
               Needs bash 4.1 or newer and the bash-completion package (version 2;
               apt/dnf install bash-completion, brew install bash-completion@2),
               which most Linux distributions install by default but macOS does not.
  zsh:         wa-hooks completion zsh > "${fpath[1]}/_wa-hooks"
  fish:        wa-hooks completion fish > ~/.config/fish/completions/wa-hooks.fish
  powershell:  wa-hooks completion powershell | Out-String | Invoke-Expression`,
		ValidArgs:             []string{"bash", "zsh", "fish", "powershell"},
		Args:                  cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := app.IO.Out
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return exit.New(exit.Usage, fmt.Errorf("unknown shell %q: use bash, zsh, fish or powershell", args[0]))
		},
	}
}
