package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/wa-hooks/wa-hooks/internal/suggest"
)

// keyLines maps every key of a YAML document ("send.concurrency") to the
// line it is on, so an error about a value can point at it.
func keyLines(data []byte) map[string]int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	lines := map[string]int{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := prefix + strings.ToLower(n.Content[i].Value)
			lines[k] = n.Content[i].Line
			walk(n.Content[i+1], k+".")
		}
	}
	walk(doc.Content[0], "")
	return lines
}

// sectionsAsValues finds sections of known keys ("serve") that the file
// gives a value instead of keys ("serve: 5"): viper would silently drop
// every setting under it.
func sectionsAsValues(data []byte, known []Key, path string, lines map[string]int) error {
	sections := map[string][]string{}
	for _, k := range known {
		if i := strings.LastIndex(k.Name, "."); i > 0 {
			sec := k.Name[:i]
			sections[sec] = append(sections[sec], k.Name[i+1:])
		}
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		name := strings.ToLower(top.Content[i].Value)
		keys, isSection := sections[name]
		if !isSection || top.Content[i+1].Kind == yaml.MappingNode {
			continue
		}
		sort.Strings(keys)
		if len(keys) > 3 {
			keys = append(keys[:3], "…")
		}
		return fmt.Errorf("%s:%d: %s is a section, not a value: write its keys (%s) indented under \"%s:\"", path, lines[name], name, strings.Join(keys, ", "), name)
	}
	return nil
}

// kinds describes what a flag's value type accepts, with an example for
// when the flag's default makes a poor one.
var kinds = map[string]struct{ what, example string }{
	"int":         {"a whole number", "4"},
	"int64":       {"a whole number", "4"},
	"uint":        {"a whole number of 0 or more", "4"},
	"float64":     {"a number", "0.5"},
	"duration":    {"a duration (a number and a unit: ms, s, m, h)", "10s"},
	"bool":        {"true or false", "true"},
	"stringSlice": {"a list (comma-separated, or a YAML list)", "a,b"},
	"stringArray": {"a list (a YAML list)", "[a, b]"},
}

// valueError explains a value a flag refused: where it came from (file and
// line, or the variable), the key, what kind of value the key takes and an
// example, instead of the parser's own message (strconv.ParseInt: …).
func valueError(f *pflag.Flag, key, shown string, src Source, origin string, line int) error {
	kind, ok := kinds[f.Value.Type()]
	if !ok {
		// A value type of our own explains itself; keep its words.
		return fmt.Errorf("%s: invalid value %q for %s", where(src, origin, line), shown, key)
	}
	example := f.DefValue
	if example == "" || example == "0" || example == "[]" || example == "false" {
		example = kind.example
	}
	leaf := key[strings.LastIndex(key, ".")+1:]
	hint := fmt.Sprintf("%s: %s", leaf, example)
	if src == FromEnv {
		hint = fmt.Sprintf("%s=%s", origin, example)
	}
	return fmt.Errorf("%s: %s is %s, not %q (for example %s)", where(src, origin, line), key, kind.what, shown, hint)
}

func where(src Source, origin string, line int) string {
	if src == FromFile && line > 0 {
		return fmt.Sprintf("%s:%d", origin, line)
	}
	return origin
}

// notEnvKeys are WA_HOOKS_ variables wa-hooks sets for the commands it runs
// (allowlist's hooks) rather than reads.
var notEnvKeys = map[string]bool{"WA_HOOKS_ALLOWLIST_FILE": true}

// unknownEnv warns about WA_HOOKS_ variables that name no key, with the
// nearest variable that does: a typo there is otherwise silently ignored.
func unknownEnv(names []string, known []Key) []string {
	if len(known) == 0 {
		return nil
	}
	envs := make([]string, len(known))
	set := map[string]bool{}
	for i, k := range known {
		envs[i] = EnvName(k.Name)
		set[envs[i]] = true
	}
	sort.Strings(names)
	var warnings []string
	for _, n := range names {
		if !strings.HasPrefix(n, EnvPrefix) || set[n] || notEnvKeys[n] {
			continue
		}
		w := fmt.Sprintf("environment variable %s sets nothing: no key has that name", n)
		if near := nearestEnv(n, envs); near != "" {
			w += fmt.Sprintf(" (did you mean %s?)", near)
		}
		warnings = append(warnings, w)
	}
	return warnings
}

func nearestEnv(n string, envs []string) string {
	best, bestD := "", len(n)/3+2
	for _, e := range envs {
		if d := suggest.Distance(n, e); d < bestD {
			best, bestD = e, d
		}
	}
	return best
}
