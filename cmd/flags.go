package cmd

import (
	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/config"
)

// addAppSecretFlag adds --app-secret bound to the app_secret key. Users should
// prefer WA_HOOKS_APP_SECRET or the config file: flags end up in shell history.
func addAppSecretFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "app-secret", "", "Meta App `SECRET` used for X-Hub-Signature-256 (prefer WA_HOOKS_APP_SECRET or the config file)")
	config.BindSecret(cmd.Flags(), "app-secret", "app_secret")
}

// addVerifyTokenFlag adds --verify-token bound to the verify_token key.
func addVerifyTokenFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "verify-token", "", "verify `TOKEN` for the GET handshake (prefer WA_HOOKS_VERIFY_TOKEN or the config file)")
	config.BindSecret(cmd.Flags(), "verify-token", "verify_token")
}
