// Command gendocs writes the command reference (Markdown and man pages) from
// the cobra command tree:
//
//	go run ./internal/tools/gendocs            # rewrites docs/reference and docs/man
//	go run ./internal/tools/gendocs -man DIR   # man pages only, into DIR (release builds)
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/wa-hooks/wa-hooks/internal/tools/gendocs/refdocs"
)

func main() {
	out := flag.String("out", "docs", "directory that receives reference/ and man/")
	manOnly := flag.String("man", "", "write only man pages, into this directory")
	flag.Parse()
	var err error
	if *manOnly != "" {
		err = refdocs.WriteMan(*manOnly)
	} else {
		err = refdocs.WriteAll(*out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
