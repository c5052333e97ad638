package cmd_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestScriptFixtures(t *testing.T) {
	runScripts(t, "fixtures", map[string]func(*testscript.TestScript, bool, []string){
		"jsonequal": cmdJSONEqual,
	})
}

// cmdJSONEqual asserts that two files hold the same JSON value, whatever
// their whitespace and escaping:
//
//	jsonequal wire.json pretty.json
func cmdJSONEqual(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsonequal FILE1 FILE2")
	}
	var a, b any
	for i, v := range []*any{&a, &b} {
		if err := json.Unmarshal([]byte(ts.ReadFile(args[i])), v); err != nil {
			ts.Fatalf("%s: %v", args[i], err)
		}
	}
	if equal := reflect.DeepEqual(a, b); equal == neg {
		ts.Fatalf("%s and %s: JSON equal = %v", args[0], args[1], equal)
	}
}
