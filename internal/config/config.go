// Package config resolves every setting wa-hooks uses from, in order of
// precedence, a command-line flag, a WA_HOOKS_* environment variable, a YAML
// config file, and the flag's default, and remembers where each value came from.
//
// A command declares a setting by binding one of its flags to a config key
// (Bind or BindSecret). The key "app_secret" is read from the environment as
// WA_HOOKS_APP_SECRET and from the file as `app_secret:`; the key "serve.addr"
// as WA_HOOKS_SERVE_ADDR and as `addr:` inside a `serve:` section.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/wa-hooks/wa-hooks/internal/suggest"
)

const (
	keyAnnotation    = "wa-hooks/config-key"
	secretAnnotation = "wa-hooks/secret"

	// EnvPrefix starts every environment variable wa-hooks reads.
	EnvPrefix = "WA_HOOKS_"
	// FileName is the config file looked for in the working directory.
	FileName = "wa-hooks.yaml"
)

// Source says where an effective value came from.
type Source string

const (
	FromDefault Source = "default"
	FromFile    Source = "file"
	FromEnv     Source = "env"
	FromFlag    Source = "flag"
)

// Bind declares that flag on fs is the command-line form of config key.
func Bind(fs *pflag.FlagSet, flag, key string) {
	f := fs.Lookup(flag)
	if f == nil {
		panic(fmt.Sprintf("config.Bind: no flag --%s", flag))
	}
	_ = fs.SetAnnotation(flag, keyAnnotation, []string{key})
}

// BindSecret is Bind for a value that must never be printed.
func BindSecret(fs *pflag.FlagSet, flag, key string) {
	Bind(fs, flag, key)
	_ = fs.SetAnnotation(flag, secretAnnotation, []string{"true"})
}

// EnvName is the environment variable that sets key.
func EnvName(key string) string {
	// Called for every bound flag at every start: a byte loop instead of a
	// strings.Replacer built (and its tables allocated) per call.
	b := make([]byte, len(EnvPrefix), len(EnvPrefix)+len(key))
	copy(b, EnvPrefix)
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '.' || c == '-':
			c = '_'
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 0x80:
			return EnvPrefix + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
		}
		b = append(b, c)
	}
	return string(b)
}

// Setting is one effective value and its origin.
type Setting struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Source  Source `json:"source"`
	Origin  string `json:"origin"` // flag name, env variable, file path, or "default"
	Env     string `json:"env"`
	Secret  bool   `json:"secret"`
	Default string `json:"default"`
}

// Key describes a known config key (collected from bound flags).
type Key struct {
	Name    string
	Secret  bool
	Default string
	Usage   string
}

// KeyOf returns the config key bound to f, if any.
func KeyOf(f *pflag.Flag) (key string, secret bool, ok bool) {
	k := f.Annotations[keyAnnotation]
	if len(k) == 0 {
		return "", false, false
	}
	return k[0], len(f.Annotations[secretAnnotation]) > 0, true
}

// Keys lists every config key bound on any of the flag sets, sorted, first
// binding wins for the default and usage.
func Keys(sets ...*pflag.FlagSet) []Key {
	seen := map[string]bool{}
	var keys []Key
	for _, fs := range sets {
		fs.VisitAll(func(f *pflag.Flag) {
			name, secret, ok := KeyOf(f)
			if !ok || seen[name] {
				return
			}
			seen[name] = true
			keys = append(keys, Key{Name: name, Secret: secret, Default: f.DefValue, Usage: f.Usage})
		})
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Name < keys[j].Name })
	return keys
}

// Store is a loaded configuration: the file (if any) and the environment.
type Store struct {
	v        *viper.Viper
	file     string
	lines    map[string]int // line of each key in the file
	getenv   func(string) string
	applied  map[string]Setting
	Warnings []string
}

// Options control where Load looks.
type Options struct {
	// File is --config; empty means search the default locations.
	File string
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// Known is every key wa-hooks understands, for unknown-key warnings
	// (in the file and among the WA_HOOKS_ variables).
	Known []Key
	// Environ lists the environment's variable names, for warnings about
	// WA_HOOKS_ variables that name no key (nil: none are checked).
	Environ []string
	// WorkDir and UserConfigDir override the search locations (tests).
	WorkDir       string
	UserConfigDir string
}

// FileError is a config file that cannot be read or parsed.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("config file %s: %v", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Locate returns the config file to read: explicit, else ./wa-hooks.yaml,
// else <user config dir>/wa-hooks/config.yaml; "" when none exists.
func Locate(opts Options) (string, error) {
	if opts.File != "" {
		return opts.File, nil
	}
	wd := opts.WorkDir
	if wd == "" {
		wd = "."
	}
	if p := filepath.Join(wd, FileName); exists(p) {
		return p, nil
	}
	dir := opts.UserConfigDir
	if dir == "" {
		getenv := opts.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		if x := getenv("XDG_CONFIG_HOME"); x != "" {
			dir = x
		} else if d, err := os.UserConfigDir(); err == nil {
			dir = d
		}
	}
	if dir != "" {
		if p := filepath.Join(dir, "wa-hooks", "config.yaml"); exists(p) {
			return p, nil
		}
	}
	return "", nil
}

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Load reads the config file (if any) and prepares environment lookups.
func Load(opts Options) (*Store, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	s := &Store{v: viper.New(), getenv: getenv, applied: map[string]Setting{}}
	path, err := Locate(opts)
	if err != nil {
		return nil, err
	}
	s.Warnings = unknownEnv(opts.Environ, opts.Known)
	if path == "" {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &FileError{Path: path, Err: errors.New("no such file (check --config)")}
		}
		return nil, &FileError{Path: path, Err: err}
	}
	s.v.SetConfigType("yaml")
	if err := s.v.ReadConfig(strings.NewReader(string(data))); err != nil {
		return nil, &FileError{Path: path, Err: yamlError(err)}
	}
	s.file = path
	s.lines = keyLines(data)
	if err := sectionsAsValues(data, opts.Known, path, s.lines); err != nil {
		return nil, err
	}
	s.Warnings = append(unknownKeys(s.v.AllKeys(), opts.Known, path), s.Warnings...)
	return s, nil
}

// yamlError trims viper's wrapping so the parser's "line N" stays visible.
func yamlError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "yaml: "); i >= 0 {
		msg = msg[i:]
	}
	return fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

func unknownKeys(fileKeys []string, known []Key, path string) []string {
	if len(known) == 0 {
		return nil
	}
	names := make([]string, len(known))
	set := map[string]bool{}
	for i, k := range known {
		names[i] = k.Name
		set[k.Name] = true
	}
	var warnings []string
	sort.Strings(fileKeys)
	for _, k := range fileKeys {
		if set[k] {
			continue
		}
		w := fmt.Sprintf("%s: unknown key %q", path, k)
		if near := nearest(k, names); near != "" {
			w += fmt.Sprintf(" (did you mean %q?)", near)
		}
		warnings = append(warnings, w)
	}
	return warnings
}

// File is the path of the config file in use, or "".
func (s *Store) File() string { return s.file }

// lookup finds the value for key outside the command line.
func (s *Store) lookup(key string) (value string, src Source, origin string, ok bool) {
	env := EnvName(key)
	if v, found := lookupEnv(s.getenv, env); found {
		return v, FromEnv, env, true
	}
	if s.file != "" && s.v.IsSet(key) {
		raw := s.v.Get(key)
		switch t := raw.(type) {
		case []any:
			parts := make([]string, len(t))
			for i, p := range t {
				parts[i] = fmt.Sprint(p)
			}
			return strings.Join(parts, ","), FromFile, s.file, true
		case map[string]any:
			return "", "", "", false
		}
		return s.v.GetString(key), FromFile, s.file, true
	}
	return "", "", "", false
}

func lookupEnv(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// Apply fills every bound flag in fs that was not given on the command line
// from the environment or the file, and records where each value came from.
func (s *Store) Apply(fs *pflag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		key, secret, ok := KeyOf(f)
		if !ok {
			return
		}
		set := Setting{Key: key, Env: EnvName(key), Secret: secret, Default: f.DefValue}
		switch {
		case f.Changed:
			set.Source, set.Origin = FromFlag, "--"+f.Name
		default:
			v, src, origin, found := s.lookup(key)
			if !found {
				set.Source, set.Origin = FromDefault, "default"
				break
			}
			if err := f.Value.Set(v); err != nil {
				shown := v
				if secret {
					shown = Mask(v)
				}
				errs = append(errs, valueError(f, key, shown, src, origin, s.lines[key]))
				return
			}
			set.Source, set.Origin = src, origin
		}
		set.Value = flagValue(f)
		s.applied[key] = set
	})
	return errors.Join(errs...)
}

func flagValue(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

// Resolve reports the effective value of each known key as seen outside any
// command line (environment, file, default); used by `wa-hooks config`.
// Settings applied from a flag set take precedence.
func (s *Store) Resolve(known []Key) []Setting {
	out := make([]Setting, 0, len(known))
	for _, k := range known {
		if set, ok := s.applied[k.Name]; ok {
			out = append(out, set)
			continue
		}
		set := Setting{Key: k.Name, Env: EnvName(k.Name), Secret: k.Secret, Default: k.Default}
		if v, src, origin, found := s.lookup(k.Name); found {
			set.Value, set.Source, set.Origin = v, src, origin
		} else {
			set.Value, set.Source, set.Origin = k.Default, FromDefault, "default"
		}
		out = append(out, set)
	}
	return out
}

// Setting returns how key was resolved by Apply.
func (s *Store) Setting(key string) (Setting, bool) {
	set, ok := s.applied[key]
	return set, ok
}

// Mask hides a secret, keeping the last four characters of long values so a
// user can tell which secret is in use.
func Mask(v string) string {
	switch {
	case v == "":
		return ""
	case len(v) <= 8:
		return "****"
	}
	return "****" + v[len(v)-4:]
}

// nearest returns the known name closest to k by edit distance, if close.
func nearest(k string, names []string) string {
	best, bestD := "", len(k)/2+2
	for _, n := range names {
		d := suggest.Distance(k, n)
		if leaf := n[strings.LastIndex(n, ".")+1:]; leaf != n {
			if dl := suggest.Distance(k, leaf); dl < d {
				d = dl
			}
		}
		if d < bestD {
			best, bestD = n, d
		}
	}
	return best
}
