package cmd_test

import (
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"

	"github.com/wa-hooks/wa-hooks/internal/behaviour/behaviourtest"
)

func TestScriptTest(t *testing.T) {
	runScripts(t, "test", map[string]func(*testscript.TestScript, bool, []string){
		"testapp":    testApp,
		"junitvalid": junitValid,
		"actionrun":  actionRun,
	})
}

// actionrun FILE: write the shell script of the composite action's
// "wa-hooks test" step (docs/ci/action.yml) to FILE, so a script runs the
// action's own commands with INPUT_* variables as GitHub would set them.
func actionRun(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: actionrun FILE")
	}
	data, err := os.ReadFile(filepath.Join("..", "docs", "ci", "action.yml"))
	ts.Check(err)
	var action struct {
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				Name string `yaml:"name"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	ts.Check(yaml.Unmarshal(data, &action))
	if action.Runs.Using != "composite" {
		ts.Fatalf("action.yml: runs.using %q, want composite", action.Runs.Using)
	}
	for _, st := range action.Runs.Steps {
		if st.Name == "wa-hooks test" {
			ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte("set -euo pipefail\n"+st.Run), 0o755))
			return
		}
	}
	ts.Fatalf("action.yml has no step named \"wa-hooks test\"")
}

// testapp VAR BUG GRAPH_ADDR: start a loopback WhatsApp app (behaviourtest:
// "correct" or one bug) that checks signatures with $WA_HOOKS_APP_SECRET and
// replies through the Graph API at http://GRAPH_ADDR with
// $WA_HOOKS_ACCESS_TOKEN; put its webhook URL in $VAR.
func testApp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: testapp VAR BUG GRAPH_ADDR")
	}
	bug := behaviourtest.Bug(args[1])
	if args[1] == "correct" {
		bug = behaviourtest.Correct
	}
	graph := "http://" + args[2]
	app := &behaviourtest.App{Secret: ts.Getenv("WA_HOOKS_APP_SECRET"), Token: ts.Getenv("WA_HOOKS_ACCESS_TOKEN"),
		Graph: func() string { return graph }, Bug: bug}
	srv := httptest.NewServer(app)
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/webhook")
}

// junitvalid FILE: FILE is JUnit XML valid against the JUnit schema (when
// xmllint is installed; .ci/run installs it) with counts that add up.
func junitValid(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: junitvalid FILE")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	ts.Check(behaviourtest.CheckJUnitCounts(data))
	if err := behaviourtest.ValidateJUnitSchema(path); errors.Is(err, behaviourtest.ErrNoXmllint) {
		ts.Logf("schema not checked: %v", err)
	} else {
		ts.Check(err)
	}
}

// The CI workflow in docs/ci/ runs wa-hooks commands that ci.txtar runs
// too, word for word (shell quotes aside): what the docs tell people to
// put in CI is what the tests run.
func TestCIWorkflowCommandsAreScripted(t *testing.T) {
	wf, err := os.ReadFile(filepath.Join("..", "docs", "ci", "wa-hooks-test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Jobs map[string]struct {
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(wf, &doc); err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join("testdata", "script", "test", "ci.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	scripted := map[string]bool{}
	prefix := regexp.MustCompile(`^(!\s+)?(exec|exits \d+)\s+`)
	for _, l := range strings.Split(string(script), "\n") {
		if m := prefix.FindString(l); m != "" {
			scripted[normal(strings.TrimPrefix(l, m))] = true
		}
	}
	n := 0
	for _, job := range doc.Jobs {
		for _, st := range job.Steps {
			for _, l := range strings.Split(st.Run, "\n") {
				l = strings.TrimSpace(l)
				if !strings.HasPrefix(l, "wa-hooks ") {
					continue
				}
				n++
				if !scripted[normal(l)] {
					t.Errorf("the workflow runs\n  %s\nbut ci.txtar does not (scripted: %v)", l, keys(scripted))
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no wa-hooks command in the workflow")
	}
	// docs/ci.md shows the workflow inline: the same commands.
	guide, err := os.ReadFile(filepath.Join("..", "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	shown := 0
	for _, l := range strings.Split(string(guide), "\n") {
		if cmd, ok := strings.CutPrefix(strings.TrimSpace(l), "run: wa-hooks "); ok {
			shown++
			if !scripted[normal("wa-hooks "+cmd)] {
				t.Errorf("docs/ci.md shows\n  %s\nbut ci.txtar does not run it", l)
			}
		}
	}
	if shown == 0 {
		t.Error("docs/ci.md shows no wa-hooks command of the workflow")
	}
}

func normal(s string) string {
	s = strings.NewReplacer(`"`, "", `'`, "", "${", "$", "}", "").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
