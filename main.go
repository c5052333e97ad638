// Command wa-hooks is a toolbox for WhatsApp Business Cloud API webhooks.
package main

import (
	"os"

	"github.com/wa-hooks/wa-hooks/cmd"
)

func main() {
	os.Exit(cmd.Execute())
}
