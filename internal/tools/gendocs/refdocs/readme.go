package refdocs

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/exit"
)

// The README carries two tables generated from the code, between markers
// `<!-- BEGIN name -->` and `<!-- END name -->`, so they cannot drift from
// what the binary does.
func readmeBlocks() map[string]string {
	return map[string]string{
		"exit-codes":   exitCodeTable(),
		"config-table": configTable(tree()),
	}
}

func exitCodeTable() string {
	var b strings.Builder
	b.WriteString("| code | command | meaning |\n|---:|---|---|\n")
	for _, c := range exit.Table {
		fmt.Fprintf(&b, "| %d | %s | %s |\n", c.Code, c.Command, c.Meaning)
	}
	return b.String()
}

func configTable(root *cobra.Command) string {
	var sets []*pflag.FlagSet
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		sets = append(sets, c.LocalFlags())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	var b strings.Builder
	b.WriteString("| key | environment variable | default | meaning |\n|---|---|---|---|\n")
	for _, k := range config.Keys(sets...) {
		def := k.Default
		if def == "" || def == "[]" {
			def = "—"
		} else {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", k.Name, config.EnvName(k.Name), def, strings.ReplaceAll(k.Usage, "|", "\\|"))
	}
	return b.String()
}

// UpdateReadme rewrites the generated blocks in the README at path.
func UpdateReadme(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := fillBlocks(string(data), readmeBlocks())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if out == string(data) {
		return nil
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

func fillBlocks(doc string, blocks map[string]string) (string, error) {
	for name, body := range blocks {
		re := regexp.MustCompile(`(?s)(<!-- BEGIN ` + regexp.QuoteMeta(name) + ` -->\n).*?(<!-- END ` + regexp.QuoteMeta(name) + ` -->)`)
		if !re.MatchString(doc) {
			return "", fmt.Errorf("no <!-- BEGIN %s --> … <!-- END %s --> block", name, name)
		}
		doc = re.ReplaceAllLiteralString(doc, "<!-- BEGIN "+name+" -->\n"+body+"<!-- END "+name+" -->")
	}
	return doc, nil
}
