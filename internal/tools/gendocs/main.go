// Command gendocs writes the command reference (Markdown and man pages) from
// the cobra command tree:
//
//	go run ./internal/tools/gendocs            # rewrites docs/reference, docs/man and README tables
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
	readme := flag.String("readme", "README.md", "README whose generated tables are rewritten (\"\" to skip)")
	manOnly := flag.String("man", "", "write only man pages, into this directory")
	flag.Parse()
	var err error
	if *manOnly != "" {
		err = refdocs.WriteMan(*manOnly)
	} else {
		err = refdocs.WriteAll(*out, *readme)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
