package cmd

import (
	"github.com/spf13/cobra"

	"github.com/wa-hooks/wa-hooks/internal/inspector"
	"github.com/wa-hooks/wa-hooks/internal/receiver"
)

// inspectFlags are serve's --inspect and --no-inspect.
type inspectFlags struct {
	addr string
	off  bool
}

func (i *inspectFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&i.addr, "inspect", inspector.DefaultAddr, "serve the web inspector (live requests, detail, replay) on this `ADDR`; the next free port when the default is taken; beyond loopback a token is required in its URL")
	f.BoolVar(&i.off, "no-inspect", false, "do not start the web inspector")
}

func (i *inspectFlags) companions(cmd *cobra.Command) []receiver.Companion {
	if i.off {
		return nil
	}
	return []receiver.Companion{inspector.New(inspector.Options{Addr: i.addr, AddrGiven: cmd.Flags().Changed("inspect")})}
}
