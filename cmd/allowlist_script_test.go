package cmd_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wa-hooks/wa-hooks/internal/allowlist/irrtest"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/prefixset"
	"github.com/wa-hooks/wa-hooks/internal/allowlist/safewrite"
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
