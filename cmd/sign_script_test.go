package cmd_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestScriptSign runs the sign scripts. txtar files always end in a newline
// and cannot hold a byte order mark comfortably, so two helpers shape the
// exact bytes a case needs:
//
//	trimnl FILE   remove one trailing newline
//	addbom FILE   put a UTF-8 byte order mark in front
func TestScriptSign(t *testing.T) {
	runScripts(t, "sign", map[string]func(*testscript.TestScript, bool, []string){
		"trimnl": func(ts *testscript.TestScript, neg bool, args []string) {
			rewrite(ts, neg, args, func(b []byte) []byte { return bytes.TrimSuffix(b, []byte("\n")) })
		},
		"addbom": func(ts *testscript.TestScript, neg bool, args []string) {
			rewrite(ts, neg, args, func(b []byte) []byte { return append([]byte("\xef\xbb\xbf"), b...) })
		},
	})
}

func rewrite(ts *testscript.TestScript, neg bool, args []string, f func([]byte) []byte) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: trimnl|addbom FILE")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	ts.Check(os.WriteFile(path, f(b), 0o644))
}
