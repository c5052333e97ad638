package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

type testFlags struct {
	fs      *pflag.FlagSet
	secret  string
	addr    string
	timeout time.Duration
	headers []string
}

func newTestFlags(t *testing.T) *testFlags {
	t.Helper()
	f := &testFlags{fs: pflag.NewFlagSet("serve", pflag.ContinueOnError)}
	f.fs.StringVar(&f.secret, "app-secret", "", "")
	f.fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "")
	f.fs.DurationVar(&f.timeout, "timeout", 20*time.Second, "")
	f.fs.StringSliceVar(&f.headers, "header", nil, "")
	BindSecret(f.fs, "app-secret", "app_secret")
	Bind(f.fs, "addr", "serve.addr")
	Bind(f.fs, "timeout", "serve.timeout")
	Bind(f.fs, "header", "serve.header")
	return f
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "c.yaml", "app_secret: from-file-secret\nserve:\n  addr: 0.0.0.0:1\n  timeout: 3s\n  header: [A:1, B:2]\n")
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantAddr   string
		wantSource Source
		wantOrigin string
	}{
		{"default when nothing set", nil, nil, "127.0.0.1:8080", FromDefault, "default"},
		{"file over default", nil, nil, "0.0.0.0:1", FromFile, file},
		{"env over file", nil, map[string]string{"WA_HOOKS_SERVE_ADDR": "0.0.0.0:2"}, "0.0.0.0:2", FromEnv, "WA_HOOKS_SERVE_ADDR"},
		{"flag over env", []string{"--addr", "0.0.0.0:3"}, map[string]string{"WA_HOOKS_SERVE_ADDR": "0.0.0.0:2"}, "0.0.0.0:3", FromFlag, "--addr"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFlags(t)
			if err := f.fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			opts := Options{Getenv: envMap(tt.env), WorkDir: t.TempDir(), UserConfigDir: t.TempDir()}
			if i > 0 {
				opts.File = file
			}
			s, err := Load(opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Apply(f.fs); err != nil {
				t.Fatal(err)
			}
			if f.addr != tt.wantAddr {
				t.Errorf("addr = %q, want %q", f.addr, tt.wantAddr)
			}
			set, ok := s.Setting("serve.addr")
			if !ok || set.Source != tt.wantSource || set.Origin != tt.wantOrigin {
				t.Errorf("setting = %+v, want source %s origin %s", set, tt.wantSource, tt.wantOrigin)
			}
		})
	}
}

func TestFileTypedValues(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "c.yaml", "serve:\n  timeout: 3s\n  header: [A:1, B:2]\n")
	f := newTestFlags(t)
	s, err := Load(Options{File: file, Getenv: envMap(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(f.fs); err != nil {
		t.Fatal(err)
	}
	if f.timeout != 3*time.Second {
		t.Errorf("timeout = %v, want 3s", f.timeout)
	}
	if strings.Join(f.headers, "|") != "A:1|B:2" {
		t.Errorf("headers = %q", f.headers)
	}
}

func TestInvalidValueNamesOriginAndKey(t *testing.T) {
	f := newTestFlags(t)
	s, err := Load(Options{Getenv: envMap(map[string]string{"WA_HOOKS_SERVE_TIMEOUT": "soon"}), WorkDir: t.TempDir(), UserConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Apply(f.fs)
	if err == nil || !strings.Contains(err.Error(), "WA_HOOKS_SERVE_TIMEOUT") || !strings.Contains(err.Error(), "serve.timeout") {
		t.Fatalf("err = %v, want it to name the variable and key", err)
	}
}

func TestSearchOrder(t *testing.T) {
	wd, xdg := t.TempDir(), t.TempDir()
	user := writeFile(t, xdg, "wa-hooks/config.yaml", "app_secret: u\n")
	if p, _ := Locate(Options{WorkDir: wd, UserConfigDir: xdg}); p != user {
		t.Errorf("without ./wa-hooks.yaml: got %q, want %q", p, user)
	}
	local := writeFile(t, wd, FileName, "app_secret: l\n")
	if p, _ := Locate(Options{WorkDir: wd, UserConfigDir: xdg}); p != local {
		t.Errorf("with ./wa-hooks.yaml: got %q, want %q", p, local)
	}
	if p, _ := Locate(Options{File: "explicit.yaml", WorkDir: wd, UserConfigDir: xdg}); p != "explicit.yaml" {
		t.Errorf("--config: got %q", p)
	}
	if p, _ := Locate(Options{WorkDir: wd, Getenv: envMap(map[string]string{"XDG_CONFIG_HOME": xdg})}); p != local {
		t.Errorf("XDG: got %q", p)
	}
}

func TestBrokenFileIsAClearError(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "bad.yaml", "serve:\n  addr: [unclosed\napp_secret: x\n")
	_, err := Load(Options{File: file})
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *FileError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, file) || !strings.Contains(msg, "line") {
		t.Errorf("message %q should name the file and the line", msg)
	}

	_, err = Load(Options{File: filepath.Join(dir, "missing.yaml")})
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestUnknownKeyWarningSuggestsNearest(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "c.yaml", "app_secrt: x\nserve:\n  adr: y\n")
	f := newTestFlags(t)
	s, err := Load(Options{File: file, Known: Keys(f.fs)})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(s.Warnings, "\n")
	for _, want := range []string{`unknown key "app_secrt" (did you mean "app_secret"?)`, `unknown key "serve.adr" (did you mean "serve.addr"?)`} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q lack %q", got, want)
		}
	}
}

func TestResolveAndMask(t *testing.T) {
	f := newTestFlags(t)
	s, err := Load(Options{Getenv: envMap(map[string]string{"WA_HOOKS_APP_SECRET": "0123456789abcdef"}), WorkDir: t.TempDir(), UserConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var secret Setting
	for _, set := range s.Resolve(Keys(f.fs)) {
		if set.Key == "app_secret" {
			secret = set
		}
	}
	if secret.Value != "0123456789abcdef" || secret.Source != FromEnv || !secret.Secret {
		t.Errorf("app_secret = %+v", secret)
	}
	for in, want := range map[string]string{"": "", "short": "****", "0123456789abcdef": "****cdef"} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnvName(t *testing.T) {
	for key, want := range map[string]string{"app_secret": "WA_HOOKS_APP_SECRET", "serve.max-body": "WA_HOOKS_SERVE_MAX_BODY"} {
		if got := EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
}

// A bad value names the file and line (or the variable), the key, the kind
// of value the key takes and an example; no parser error leaks through.
func TestInvalidValueSaysWhereAndWhat(t *testing.T) {
	f := newTestFlags(t)
	file := writeFile(t, t.TempDir(), "c.yaml", "app_secret: x\nserve:\n  timeout: soon\n")
	s, err := Load(Options{File: file})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Apply(f.fs)
	want := file + `:3: serve.timeout is a duration (a number and a unit: ms, s, m, h), not "soon" (for example timeout: 20s)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestSectionUsedAsValue(t *testing.T) {
	f := newTestFlags(t)
	file := writeFile(t, t.TempDir(), "c.yaml", "app_secret: x\nserve: 5\n")
	_, err := Load(Options{File: file, Known: Keys(f.fs)})
	if err == nil || !strings.Contains(err.Error(), file+":2: serve is a section, not a value: write its keys (addr, header, timeout)") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnknownEnvWarnsWithNearest(t *testing.T) {
	f := newTestFlags(t)
	s, err := Load(Options{Known: Keys(f.fs), Environ: []string{"WA_HOOKS_SERVE_ADR", "WA_HOOKS_SERVE_ADDR", "WA_HOOKS_ALLOWLIST_FILE"}, WorkDir: t.TempDir(), UserConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 1 || s.Warnings[0] != "environment variable WA_HOOKS_SERVE_ADR sets nothing: no key has that name (did you mean WA_HOOKS_SERVE_ADDR?)" {
		t.Errorf("warnings = %q", s.Warnings)
	}
}
