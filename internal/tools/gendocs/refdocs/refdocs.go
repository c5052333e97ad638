// Package refdocs renders the wa-hooks command tree as Markdown and man pages.
// It is shared by the gendocs command and by the test that fails when the
// committed reference is out of date.
package refdocs

import (
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/wa-hooks/wa-hooks/cmd"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
)

// manDate is fixed so regenerating the man pages changes nothing unless the
// command tree changed; the release version is what tells users how new a page is.
var manDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func tree() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	root := cmd.NewRootCmd(&cmd.App{IO: ios})
	root.DisableAutoGenTag = true
	return root
}

// WriteAll replaces dir/reference (Markdown) and dir/man (man pages), and
// the generated tables in readme (skipped when readme is "").
func WriteAll(dir, readme string) error {
	if readme != "" {
		if err := UpdateReadme(readme); err != nil {
			return err
		}
	}
	ref := filepath.Join(dir, "reference")
	if err := fresh(ref); err != nil {
		return err
	}
	if err := doc.GenMarkdownTree(tree(), ref); err != nil {
		return err
	}
	return WriteMan(filepath.Join(dir, "man"))
}

// WriteMan replaces dir with one man page per command.
func WriteMan(dir string) error {
	if err := fresh(dir); err != nil {
		return err
	}
	header := &doc.GenManHeader{Title: "WA-HOOKS", Section: "1", Source: "wa-hooks", Manual: "wa-hooks manual", Date: &manDate}
	return doc.GenManTree(tree(), header, dir)
}

func fresh(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.MkdirAll(dir, 0o755)
}
