package behaviour

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleScenarioParses(t *testing.T) {
	sc, err := ParseScenario("example.yaml", Example())
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "greeting and menu" || sc.Menu != "menu" || sc.Timeout != 5*time.Second {
		t.Fatalf("top: %+v", sc)
	}
	if len(sc.Users) != 2 || sc.Users[1].Identity != "bsuid-only" {
		t.Fatalf("users: %+v", sc.Users)
	}
	kinds := ""
	for _, st := range sc.Steps {
		kinds += st.Kind + " "
	}
	if kinds != "say say tap send read wait " {
		t.Fatalf("steps: %s", kinds)
	}
	tap := sc.Steps[2]
	if tap.Option != 2 || tap.User != "ana" || len(tap.Expect) != 1 || !tap.Expect[0].Text.MatchString("You chose Blue") ||
		tap.Expect[0].Within != 3*time.Second || tap.Expect[0].To != "ana" {
		t.Fatalf("tap step: %+v", tap)
	}
	if b := sc.Steps[1].Expect[0].Buttons; len(b) != 2 || b[1] != "Blue" {
		t.Fatalf("buttons: %v", b)
	}
	if send := sc.Steps[3]; send.Fixture != "messages.text" || len(send.Set) != 1 || send.Expect[0].To != "kenji" {
		t.Fatalf("send step: %+v", send)
	}
}

func TestScenarioDefaults(t *testing.T) {
	sc, err := ParseScenario("dir/orders.yml", []byte(`
users: [{name: bo}]
steps:
  - say: hi
    expect:
      - sends_nothing: true
`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "orders" || sc.Users[0].Identity != "phone" || sc.Steps[0].User != "bo" || sc.Steps[0].Expect[0].To != "bo" {
		t.Fatalf("defaults: %+v", sc)
	}
}

func TestScenarioErrors(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"unknown top key", "users: [{name: a}]\nstep:\n  - say: hi\n",
			`f.yaml:2: step: unknown key (did you mean "steps"?)`},
		{"unknown step key", "users: [{name: a}]\nsteps:\n  - sya: hi\n",
			`f.yaml:3: steps[0].sya: unknown key (did you mean "say"?)`},
		{"unknown expect key", "users: [{name: a}]\nsteps:\n  - say: hi\n    expect:\n      - sends: text\n        txt: hi\n",
			`f.yaml:6: steps[0].expect[0].txt: unknown key (did you mean "text"?)`},
		{"unknown user", "users: [{name: ana}, {name: bo}]\nsteps:\n  - user: anna\n    say: hi\n",
			`f.yaml:3: steps[0].user: no user "anna" in users: (did you mean "ana"?)`},
		{"unknown to", "users: [{name: ana}]\nsteps:\n  - say: hi\n    expect:\n      - sends: any\n        to: bob\n",
			`f.yaml:6: steps[0].expect[0].to: no user "bob" in users:`},
		{"user left out with two users", "users: [{name: ana}, {name: bo}]\nsteps:\n  - say: hi\n",
			`f.yaml:3: steps[0].user: missing: the file has 2 users (ana, bo); say which`},
		{"bad identity", "users: [{name: a, identity: bsuid}]\nsteps: []\n",
			`f.yaml:1: users[0].identity: "bsuid" is not one of phone, phone+bsuid, bsuid-only, username-only (did you mean "bsuid-only"?)`},
		{"bad type", "users: [{name: a}]\nsteps:\n  - say: hi\n    expect:\n      - sends: txt\n",
			`f.yaml:5: steps[0].expect[0].sends: "txt" is not one of`},
		{"bad regexp", "users: [{name: a}]\nsteps:\n  - say: hi\n    expect:\n      - sends: text\n        text: \"(\"\n",
			`f.yaml:6: steps[0].expect[0].text: not a regular expression`},
		{"bad duration", "users: [{name: a}]\nsteps:\n  - wait: soon\n",
			`f.yaml:3: steps[0].wait: "soon" is not a duration`},
		{"two actions", "users: [{name: a}]\nsteps:\n  - say: hi\n    tap: 1\n",
			`f.yaml:3: steps[0]: say and tap in one step`},
		{"no action", "users: [{name: a}]\nsteps:\n  - user: a\n",
			`f.yaml:3: steps[0]: no action`},
		{"unknown fixture", "users: [{name: a}]\nsteps:\n  - send: messages.imag\n",
			`f.yaml:3: steps[0].send: no catalog event "messages.imag" (did you mean "messages.image"?)`},
		{"bad set", "users: [{name: a}]\nsteps:\n  - send: messages.text\n    set: [nonsense]\n",
			`f.yaml:4: steps[0].set[0]:`},
		{"set without send", "users: [{name: a}]\nsteps:\n  - say: hi\n    set: [a=b]\n",
			`f.yaml:4: steps[0].set: only a send step takes overrides`},
		{"bad tap", "users: [{name: a}]\nsteps:\n  - tap: first\n",
			`f.yaml:3: steps[0].tap: "first": give the option's number`},
		{"text on marks_read", "users: [{name: a}]\nsteps:\n  - say: hi\n    expect:\n      - marks_read: true\n        text: x\n",
			`f.yaml:6: steps[0].expect[0].text: only an expectation with sends: can check text`},
		{"two expectation kinds", "users: [{name: a}]\nsteps:\n  - say: hi\n    expect:\n      - sends: any\n        sends_nothing: true\n",
			`f.yaml:5: steps[0].expect[0]: sends and sends_nothing in one expectation`},
		{"duplicate user", "users: [{name: a}, {name: a}]\nsteps: []\n",
			`f.yaml:1: users[1].name: user "a" is listed twice`},
		{"control character in a name", "users: [{name: \"a\\e[31m\"}]\nsteps: []\n",
			`f.yaml:1: users[0].name: "a\x1b[31m": use letters, digits, - and _`},
		{"missing users", "steps: []\n", `f.yaml:1: users: missing`},
		{"not a mapping", "- a\n- b\n", `f.yaml:1: a scenario is a mapping`},
		{"yaml syntax", "users: [\n", `f.yaml: `},
		{"empty", "", `f.yaml: empty scenario file`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScenario("f.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.yaml)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error\n  %s\nwant it to contain\n  %s", err, tt.want)
			}
		})
	}
}

func TestScenarioReportsSeveralProblems(t *testing.T) {
	_, err := ParseScenario("f.yaml", []byte("users: [{name: a, idenity: phone}]\nsteps:\n  - sya: hi\n"))
	if err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Fatalf("want two lines, got %v", err)
	}
}

func TestLoadScenarioFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadScenario(filepath.Join(dir, "nope.yaml")); err == nil || !strings.Contains(err.Error(), "nope.yaml: no such file") {
		t.Fatalf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, maxScenarioFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadScenario(big); err == nil || !strings.Contains(err.Error(), "over the") {
		t.Fatalf("big file: %v", err)
	}
}

func TestOnlyNames(t *testing.T) {
	if err := checkOnly([]string{"batch", "security", "scenarios", "scenario:orders"}); err != nil {
		t.Fatal(err)
	}
	err := checkOnly([]string{"bacth"})
	if err == nil || !strings.Contains(err.Error(), `did you mean "batch"?`) {
		t.Fatalf("typo: %v", err)
	}
}

// Titles fit the report's title column (38), so reasons line up.
func TestCheckTitlesFitTheColumn(t *testing.T) {
	for _, d := range builtins() {
		if n := len([]rune(d.Title)); n > 38 {
			t.Errorf("%s: title %q is %d wide", d.ID, d.Title, n)
		}
		if d.Sends == "" || d.Must == "" {
			t.Errorf("%s: says not what it sends or what the app must do", d.ID)
		}
	}
}
