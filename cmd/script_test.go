package cmd_test

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wa-hooks/wa-hooks/cmd"
)

// TestMain lets testscript run the real wa-hooks binary: scripts call
// `exec wa-hooks ...` and get this test binary acting as wa-hooks.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"wa-hooks": func() { os.Exit(cmd.Execute()) },
	})
}

// runScripts runs every .txtar script in testdata/script/<dir> with a clean
// environment (no colour forcing, no config file from the developer's home).
// Each command area gets its own directory and Test function, with extra
// script commands of its own when it needs them.
func runScripts(t *testing.T, dir string, cmds map[string]func(ts *testscript.TestScript, neg bool, args []string)) {
	t.Helper()
	all := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"exits":      cmdExits,
		"freeport":   cmdFreePort,
		"closedport": cmdClosedPort,
		"waitport":   cmdWaitPort,
	}
	for name, fn := range cmds {
		all[name] = fn
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script", dir),
		Cmds:                all,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("HOME", env.WorkDir)
			for _, k := range []string{"NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"} {
				env.Setenv(k, "")
			}
			return nil
		},
	})
}

// cmdExits runs a program and asserts its exact exit code:
//
//	exits 2 wa-hooks version --bogus
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exits")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

func TestScriptCore(t *testing.T) { runScripts(t, "core", nil) }

// freeport VAR: a free loopback port for a server the script starts.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	_, port, _ := net.SplitHostPort(closedAddr(ts))
	ts.Setenv(args[0], port)
}

// closedport VAR: a loopback HOST:PORT where nothing listens.
func cmdClosedPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: closedport VAR")
	}
	ts.Setenv(args[0], closedAddr(ts))
}

// closedAddr picks a loopback address the kernel just handed out and freed.
func closedAddr(ts *testscript.TestScript) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitport HOST:PORT: wait until something accepts connections there.
func cmdWaitPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitport HOST:PORT")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", args[0], time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("nothing listens on %s: %v", args[0], err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
