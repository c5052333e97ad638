package cmd_test

import (
	"fmt"
	"os"
	"path/filepath"
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
	})
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
