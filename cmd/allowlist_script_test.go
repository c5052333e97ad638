package cmd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wa-hooks/wa-hooks/cmd"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/irrtest"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/prefixset"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/safewrite"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
)

func TestScriptAllowlist(t *testing.T) {
	runScripts(t, "allowlist", map[string]func(*testscript.TestScript, bool, []string){
		"irrserver":  cmdIRRServer,
		"holdlock":   cmdHoldLock,
		"savemtime":  cmdSaveMtime,
		"checkmtime": cmdCheckMtime,
		"sameset":    cmdSameSet,
		"cprepo":     cmdCopyRepoFile,
		"termduring": cmdTermDuring,
	})
}

// cprepo PATH: copy a file of the repository (relative to its root) into
// the script's directory, under its base name.
func cmdCopyRepoFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: cprepo PATH")
	}
	data, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(args[0])))
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(filepath.Base(args[0])), data, 0o644))
}

// termduring FILE CODE wa-hooks ARGS...: start the command, send it
// SIGTERM as soon as FILE exists (a hook creates it), and assert its exit
// code. Bounded: the command gets 20 s in all.
func cmdTermDuring(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: termduring FILE CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	path, err := exec.LookPath(args[2])
	if err != nil {
		// testscript puts its programs in a directory of $PATH.
		for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
			if p := filepath.Join(dir, args[2]); fileExists(p) {
				path, err = p, nil
				break
			}
		}
	}
	ts.Check(err)
	cmd := exec.Command(path, args[3:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"), "HOME="+ts.Getenv("HOME"), "XDG_CONFIG_HOME="+ts.Getenv("XDG_CONFIG_HOME"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ts.Check(cmd.Start())
	deadline := time.Now().Add(20 * time.Second)
	for !fileExists(ts.MkAbs(args[0])) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			ts.Fatalf("%s never appeared; stderr: %s", args[0], stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.Check(cmd.Process.Signal(syscall.SIGTERM))
	timer := time.AfterFunc(time.Until(deadline), func() { cmd.Process.Kill() })
	defer timer.Stop()
	err = cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		ts.Check(err)
	}
	ts.Logf("stderr: %s", stderr.String())
	if code != want {
		ts.Fatalf("exit code %d, want %d; stderr: %s", code, want, stderr.String())
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// irrserver VAR [behaviour] [objects]: start a fake WHOIS/IRRd server on
// loopback and put its host:port in $VAR. It stops when the script ends.
func cmdIRRServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 3 {
		ts.Fatalf("usage: irrserver VAR [behaviour] [objects]")
	}
	b := irrtest.Normal
	if len(args) > 1 && args[1] != "normal" {
		b = irrtest.Behaviour(args[1])
	}
	n := 400
	if len(args) > 2 {
		var err error
		if n, err = strconv.Atoi(args[2]); err != nil {
			ts.Fatalf("irrserver: bad object count %q", args[2])
		}
	}
	srv, err := irrtest.Start(irrtest.Generate(1, n), b)
	ts.Check(err)
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.Addr)
}

// holdlock FILE: hold the allowlist lock for FILE until the script ends.
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdlock FILE")
	}
	unlock, err := safewrite.Lock(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Defer(unlock)
}

// savemtime FILE VAR / checkmtime FILE VAR: remember a file's modification
// time (and inode) and later assert that it is unchanged.
func cmdSaveMtime(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: savemtime FILE VAR")
	}
	ts.Setenv(args[1], fileStamp(ts, args[0]))
}

func cmdCheckMtime(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: [!] checkmtime FILE VAR")
	}
	same := fileStamp(ts, args[0]) == ts.Getenv(args[1])
	if same == neg {
		ts.Fatalf("%s: modification time or inode changed=%v, want changed=%v", args[0], !same, neg)
	}
}

func fileStamp(ts *testscript.TestScript, name string) string {
	fi, err := os.Stat(ts.MkAbs(name))
	ts.Check(err)
	st := fi.Sys().(*syscall.Stat_t)
	return fmt.Sprintf("%d/%d", fi.ModTime().UnixNano(), st.Ino)
}

// sameset FILE1 FILE2: both files (in any format) hold the same prefixes.
func cmdSameSet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: [!] sameset FILE1 FILE2")
	}
	read := func(name string) []string {
		data, err := os.ReadFile(ts.MkAbs(filepath.Clean(name)))
		ts.Check(err)
		var out []string
		for _, p := range prefixset.Aggregate(prefixset.Extract(data)) {
			out = append(out, p.String())
		}
		return out
	}
	a, b := read(args[0]), read(args[1])
	if len(a) == 0 {
		ts.Fatalf("%s holds no prefixes", args[0])
	}
	if slices.Equal(a, b) == neg {
		ts.Fatalf("%s: %v\n%s: %v\nsame=%v", args[0], a, args[1], b, !neg)
	}
}

// docBlocks returns the fenced code blocks of docs/allowlist.md whose info
// string is info ("```crontab", "```ini wa-hooks-allowlist.timer"): the
// tests check the text users copy, so it cannot drift from what is tested.
func docBlocks(t *testing.T, info string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "allowlist.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur *strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case cur == nil && line == "```"+info:
			cur = &strings.Builder{}
		case cur != nil && line == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if len(blocks) == 0 {
		t.Fatalf("docs/allowlist.md has no ```%s block", info)
	}
	return blocks
}

// shellWords splits a command line the way /bin/sh does (quotes, no
// expansion of anything but the words themselves), after checking its
// syntax with sh -n.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	if out, err := exec.Command("sh", "-n", "-c", line).CombinedOutput(); err != nil {
		t.Fatalf("sh -n rejects %q: %v %s", line, err, out)
	}
	if strings.ContainsAny(line, "$`") {
		t.Fatalf("%q expands variables or commands; the doc's lines must not depend on the shell", line)
	}
	out, err := exec.Command("sh", "-c", `eval "set -- $1"; for a; do printf '%s\0' "$a"; done`, "sh", line).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// checkWaHooksArgs parses args (starting with wa-hooks or its path) with
// the real command tree: every flag must exist and take its value, and the
// hooks must be valid /bin/sh.
func checkWaHooksArgs(t *testing.T, args []string) {
	t.Helper()
	if filepath.Base(args[0]) != "wa-hooks" {
		t.Fatalf("the command runs %q, not wa-hooks", args[0])
	}
	ios, _, _, _ := iostreams.Test()
	root := cmd.NewRootCmd(&cmd.App{IO: ios})
	c, rest, err := root.Find(args[1:])
	if err != nil || c.Name() != "allowlist" {
		t.Fatalf("%v: not the allowlist command (%v)", args, err)
	}
	if err := c.ParseFlags(rest); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	if c.Flags().NArg() != 0 {
		t.Fatalf("%v: stray arguments %v", args, c.Flags().Args())
	}
	for _, hook := range []string{"check-cmd", "on-change"} {
		if v := c.Flags().Lookup(hook).Value.String(); v != "" {
			if out, err := exec.Command("sh", "-n", "-c", v).CombinedOutput(); err != nil {
				t.Errorf("--%s %q: %v %s", hook, v, err, out)
			}
		}
	}
}

// cronField checks one time field of a crontab entry as cron reads it:
// "*", numbers, ranges, lists and steps within bounds, and (for month and
// day of week) names.
func cronField(field string, lo, hi int, names []string) error {
	for _, item := range strings.Split(field, ",") {
		rng, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || n < 1 || n > hi {
				return fmt.Errorf("bad step %q", step)
			}
		}
		if rng == "*" {
			continue
		}
		a, b, isRange := strings.Cut(rng, "-")
		for _, v := range []string{a, b} {
			if v == "" && !isRange && v == b {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				n = slices.Index(names, strings.ToLower(v)) + lo
				if n < lo || names == nil {
					return fmt.Errorf("bad value %q", v)
				}
			}
			if n < lo || n > hi {
				return fmt.Errorf("%d is out of %d-%d", n, lo, hi)
			}
		}
	}
	return nil
}

// cronCommand is what cron runs for the command part of an entry: an
// unescaped % ends the command (the rest becomes its stdin), \% is a %.
func cronCommand(t *testing.T, cmdPart string) string {
	t.Helper()
	for i := 0; i < len(cmdPart); i++ {
		if cmdPart[i] == '%' && (i == 0 || cmdPart[i-1] != '\\') {
			t.Fatalf("unescaped %% in %q: cron would cut the command there", cmdPart)
		}
	}
	return strings.ReplaceAll(cmdPart, `\%`, `%`)
}

// TestAllowlistDocsCron parses the doc's user crontab and /etc/cron.d lines
// as cron does and checks each command with sh and the real flags.
func TestAllowlistDocsCron(t *testing.T) {
	months := []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	for _, kind := range []struct {
		info       string
		userField  bool
		wantFields int
	}{{"crontab", false, 5}, {"cron.d", true, 6}} {
		entries := 0
		for _, block := range docBlocks(t, kind.info) {
			for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
				line = strings.TrimSpace(line)
				if line == "" || line[0] == '#' {
					continue
				}
				if name, _, ok := strings.Cut(line, "="); ok && !strings.ContainsAny(name, " \t*") {
					if name != "PATH" && name != "MAILTO" && name != "SHELL" {
						t.Errorf("%s: unexpected variable %q", kind.info, name)
					}
					continue
				}
				fields := strings.Fields(line)
				if len(fields) <= kind.wantFields {
					t.Fatalf("%s: %q has no command after %d fields", kind.info, line, kind.wantFields)
				}
				bounds := []struct {
					lo, hi int
					names  []string
				}{{0, 59, nil}, {0, 23, nil}, {1, 31, nil}, {1, 12, months}, {0, 7, days}}
				for i, b := range bounds {
					if err := cronField(fields[i], b.lo, b.hi, b.names); err != nil {
						t.Errorf("%s: field %d of %q: %v", kind.info, i+1, line, err)
					}
				}
				rest := fields[5:]
				if kind.userField {
					if fields[5] != "root" {
						t.Errorf("%s: user field %q", kind.info, fields[5])
					}
					rest = fields[6:]
				} else if fields[5] == "root" {
					t.Errorf("%s: a user crontab has no user field, but %q has root there", kind.info, line)
				}
				// The command is the rest of the line as written.
				idx := strings.Index(line, rest[0])
				command := cronCommand(t, line[idx:])
				checkWaHooksArgs(t, shellWords(t, command))
				entries++
			}
		}
		if entries == 0 {
			t.Errorf("%s: no entries", kind.info)
		}
	}
	if err := cronField("*/6", 0, 23, nil); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"60", "*/0", "x", "1-99"} {
		if cronField(bad, 0, 59, nil) == nil {
			t.Errorf("cronField accepts %q", bad)
		}
	}
}

// TestAllowlistDocsSystemd checks the doc's service and timer: no stray %
// (systemd specifiers), ExecStart's flags parse, and `systemd-analyze
// verify` accepts both when it is installed (with ExecStart pointed at an
// executable that exists here).
func TestAllowlistDocsSystemd(t *testing.T) {
	dir := t.TempDir()
	var units []string
	for _, name := range []string{"wa-hooks-allowlist.service", "wa-hooks-allowlist.timer"} {
		text := docBlocks(t, "ini "+name)[0]
		if strings.Contains(strings.ReplaceAll(text, "%%", ""), "%") {
			t.Errorf("%s: a lone %% is a systemd specifier", name)
		}
		for _, line := range strings.Split(text, "\n") {
			if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
				args := shellWords(t, v)
				if !filepath.IsAbs(args[0]) {
					t.Errorf("ExecStart=%s: systemd wants an absolute path", args[0])
				}
				checkWaHooksArgs(t, args)
				self, err := os.Executable()
				if err != nil {
					t.Fatal(err)
				}
				text = strings.Replace(text, args[0], self, 1)
			}
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		units = append(units, p)
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not installed: units not verified")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "systemd-analyze", append([]string{"verify"}, units...)...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestAllowlistDocsOffline runs the doc's offline line (the first command
// with --input) through the command tree from the repository's root: it
// must work with nothing but the shipped file.
func TestAllowlistDocsOffline(t *testing.T) {
	var line string
	for _, block := range docBlocks(t, "sh") {
		for _, l := range strings.Split(block, "\n") {
			if strings.Contains(l, "--input docs/") {
				line = l
				break
			}
		}
		if line != "" {
			break
		}
	}
	if line == "" {
		t.Fatal("docs/allowlist.md has no offline --input line")
	}
	args := shellWords(t, line)
	t.Chdir("..")
	ios, _, out, errOut := iostreams.Test()
	if code := cmd.Run(context.Background(), ios, args[1:]); code != 0 {
		t.Fatalf("%s: exit %d: %s", line, code, errOut)
	}
	if !strings.Contains(out.String(), "157.240.0.0/16") || errOut.Len() != 0 {
		t.Errorf("%s:\nstdout %s\nstderr %s", line, out, errOut)
	}
}
