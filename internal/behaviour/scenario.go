package behaviour

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/suggest"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// A scenario file is what a team commits beside its app: simulated users,
// then steps (a user says, sends a catalog event, taps, reads; or a wait),
// each with what the app must do in return. `wa-hooks test --init` writes
// a commented example (example.yaml); docs/test.md describes every key.

//go:embed example.yaml
var exampleScenario []byte

// Example is the commented scenario `wa-hooks test --init` writes.
func Example() []byte { return slices.Clone(exampleScenario) }

// Scenario is one parsed scenario file.
type Scenario struct {
	File    string
	Name    string
	Menu    string
	Timeout time.Duration
	Users   []ScenarioUser
	Steps   []Step
}

// ScenarioUser is a simulated user the scenario creates in the mock.
type ScenarioUser struct {
	Name        string
	Identity    string
	ProfileName string
}

// Step kinds: what the user does, or a wait.
const (
	StepSay  = "say"
	StepSend = "send"
	StepTap  = "tap"
	StepRead = "read"
	StepWait = "wait"
)

// Step is one action of a user and what the app must do after it.
type Step struct {
	Line    int
	Kind    string
	User    string
	Text    string   // say
	Fixture string   // send
	Set     []string // send: --set PATH=VALUE overrides
	Option  int      // tap: 1-based option of the app's last buttons or list
	Wait    time.Duration
	Expect  []Expectation
}

// Expectation kinds.
const (
	ExpectSends   = "sends"
	ExpectRead    = "marks_read"
	ExpectNothing = "sends_nothing"
)

// Expectation is one thing the app must do (or not do) after a step.
type Expectation struct {
	Line    int
	Kind    string
	Type    string // sends: a message type, or "any"
	To      string
	Text    *regexp.Regexp
	Buttons []string
	Within  time.Duration
}

// MessageTypes are the types an expectation can name after sends:.
var MessageTypes = []string{"any", "text", "image", "audio", "video", "document", "sticker", "location", "contacts", "interactive", "reaction", "template"}

var (
	topKeys    = []string{"name", "timeout", "menu", "users", "steps"}
	userKeys   = []string{"name", "identity", "profile_name"}
	stepKeys   = []string{"user", StepSay, StepSend, "set", StepTap, StepRead, StepWait, "expect"}
	expectKeys = []string{ExpectSends, "to", "text", "buttons", ExpectRead, ExpectNothing, "within"}
)

// maxErrors is how many problems of one file are reported at once.
const maxErrors = 10

// ScenarioError is a problem in a scenario file, at a line and field.
type ScenarioError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *ScenarioError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
}

// maxScenarioFile bounds a scenario file: a few hundred lines is typical.
const maxScenarioFile = 1 << 20

// LoadScenario reads and parses one scenario file.
func LoadScenario(path string) (*Scenario, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if info.Size() > maxScenarioFile {
		return nil, fmt.Errorf("%s: %d bytes, over the %d KB a scenario file may have", path, info.Size(), maxScenarioFile>>10)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return ParseScenario(path, data)
}

// parser collects the problems of one file.
type parser struct {
	file string
	errs []error
	sc   *Scenario
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	if len(p.errs) < maxErrors {
		// Keys and values come from the file: escaped before any terminal.
		p.errs = append(p.errs, &ScenarioError{File: termsafe.Line(p.file), Line: n.Line, Field: termsafe.Line(field),
			Msg: termsafe.Line(fmt.Sprintf(format, args...))})
	}
}

// ParseScenario parses a scenario file's content; name is the file's name
// for messages. Every problem names the file, the line and the field.
func ParseScenario(name string, data []byte) (*Scenario, error) {
	p := &parser{file: name, sc: &Scenario{File: name}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty scenario file: start from `wa-hooks test --init`", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &ScenarioError{File: name, Line: root.Line, Msg: "a scenario is a mapping with users: and steps: (see `wa-hooks test --init`)"}
	}
	p.top(root)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return p.sc, nil
}

// fields checks a mapping's keys and returns its values by key.
func (p *parser) fields(n *yaml.Node, at string, known []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, at, "expected a mapping of %s", strings.Join(known, ", "))
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := join(at, k.Value)
		switch {
		case slices.Contains(known, k.Value):
			if _, dup := out[k.Value]; dup {
				p.errorf(k, field, "given twice")
			}
			out[k.Value] = v
		default:
			p.errorf(k, field, "unknown key%s; known: %s", didYouMean(k.Value, known), strings.Join(known, ", "))
		}
	}
	return out
}

func join(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

func didYouMean(s string, known []string) string {
	c := suggest.Closest(s, known)
	if c == "" && s != "" {
		// "bsuid" for "bsuid-only": a prefix is a likely slip too.
		if i := slices.IndexFunc(known, func(k string) bool { return strings.HasPrefix(k, s) }); i >= 0 {
			c = known[i]
		}
	}
	if c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

func (p *parser) top(root *yaml.Node) {
	f := p.fields(root, "", topKeys)
	sc := p.sc
	sc.Name = termsafe.Line(strings.TrimSuffix(filepath.Base(p.file), filepath.Ext(p.file)))
	if n := f["name"]; n != nil {
		sc.Name = termsafe.Line(p.str(n, "name"))
	}
	if n := f["menu"]; n != nil {
		sc.Menu = p.str(n, "menu")
	}
	if n := f["timeout"]; n != nil {
		sc.Timeout = p.duration(n, "timeout")
	}
	users := f["users"]
	if users == nil {
		p.errorf(root, "users", "missing: list the simulated users, e.g. users: [{name: ana, identity: phone}]")
	} else {
		p.users(users)
	}
	steps := f["steps"]
	if steps == nil {
		p.errorf(root, "steps", "missing: list what the users do and what the app must do")
		return
	}
	if steps.Kind != yaml.SequenceNode {
		p.errorf(steps, "steps", "expected a list of steps")
		return
	}
	for i, n := range steps.Content {
		p.step(n, fmt.Sprintf("steps[%d]", i))
	}
}

func (p *parser) users(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.errorf(n, "users", "expected a list of users, e.g. - {name: ana, identity: phone}")
		return
	}
	for i, un := range n.Content {
		at := fmt.Sprintf("users[%d]", i)
		f := p.fields(un, at, userKeys)
		u := ScenarioUser{Identity: "phone"}
		if v := f["name"]; v != nil {
			u.Name = p.str(v, join(at, "name"))
			if u.Name != "" && (strings.ContainsAny(u.Name, "/?#% ") || termsafe.Line(u.Name) != u.Name) {
				p.errorf(v, join(at, "name"), "%q: use letters, digits, - and _", u.Name)
			}
			if slices.ContainsFunc(p.sc.Users, func(o ScenarioUser) bool { return o.Name == u.Name }) {
				p.errorf(v, join(at, "name"), "user %q is listed twice", u.Name)
			}
		} else if un.Kind == yaml.MappingNode {
			p.errorf(un, join(at, "name"), "missing: how steps refer to this user")
		}
		if v := f["identity"]; v != nil {
			u.Identity = p.oneOf(v, join(at, "identity"), Identities)
		}
		if v := f["profile_name"]; v != nil {
			u.ProfileName = p.str(v, join(at, "profile_name"))
		}
		p.sc.Users = append(p.sc.Users, u)
	}
}

func (p *parser) step(n *yaml.Node, at string) {
	before := len(p.errs)
	f := p.fields(n, at, stepKeys)
	st := Step{Line: n.Line}
	var actions []string
	for _, k := range []string{StepSay, StepSend, StepTap, StepRead, StepWait} {
		if f[k] != nil {
			actions = append(actions, k)
		}
	}
	switch len(actions) {
	case 0:
		// An unknown key is likely the misspelt action: said already.
		if n.Kind == yaml.MappingNode && len(p.errs) == before {
			p.errorf(n, at, "no action: give one of say, send, tap, read or wait")
		}
		return
	case 1:
	default:
		p.errorf(n, at, "%s in one step: give one action per step", strings.Join(actions, " and "))
		return
	}
	st.Kind = actions[0]
	v := f[st.Kind]
	field := join(at, st.Kind)
	switch st.Kind {
	case StepSay:
		st.Text = p.str(v, field)
	case StepSend:
		st.Fixture = p.str(v, field)
		if _, ok := fixtures.Get(st.Fixture); !ok && st.Fixture != "" {
			var names []string
			for _, fx := range fixtures.All() {
				names = append(names, fx.Name)
			}
			p.errorf(v, field, "no catalog event %q%s; list them with wa-hooks fixtures", st.Fixture, didYouMean(st.Fixture, names))
		}
	case StepTap:
		st.Option = p.positive(v, field)
	case StepRead:
		p.isTrue(v, field)
	case StepWait:
		st.Wait = p.duration(v, field)
	}
	if sv := f["set"]; sv != nil {
		if st.Kind != StepSend {
			p.errorf(sv, join(at, "set"), "only a send step takes overrides")
		}
		st.Set = p.strings(sv, join(at, "set"))
		for i, s := range st.Set {
			if _, err := payload.ParseSet(s); err != nil {
				p.errorf(sv.Content[i], fmt.Sprintf("%s.set[%d]", at, i), "%s", strings.TrimPrefix(err.Error(), "--set "))
			}
		}
	}
	if st.Kind != StepWait || f["user"] != nil {
		st.User = p.userRef(f["user"], n, join(at, "user"))
	}
	if ev := f["expect"]; ev != nil {
		if ev.Kind != yaml.SequenceNode {
			p.errorf(ev, join(at, "expect"), "expected a list, e.g. - sends: text")
		} else {
			for i, en := range ev.Content {
				p.expectation(en, fmt.Sprintf("%s.expect[%d]", at, i), &st)
			}
		}
	}
	p.sc.Steps = append(p.sc.Steps, st)
}

// userRef resolves a step's or expectation's user; with one user in the
// file it may be left out.
func (p *parser) userRef(v, owner *yaml.Node, field string) string {
	names := make([]string, len(p.sc.Users))
	for i, u := range p.sc.Users {
		names[i] = u.Name
	}
	if v == nil {
		if len(names) == 1 {
			return names[0]
		}
		if len(names) > 1 {
			p.errorf(owner, field, "missing: the file has %d users (%s); say which", len(names), strings.Join(names, ", "))
		}
		return ""
	}
	name := p.str(v, field)
	if name != "" && !slices.Contains(names, name) {
		p.errorf(v, field, "no user %q in users:%s", name, didYouMean(name, names))
	}
	return name
}

func (p *parser) expectation(n *yaml.Node, at string, st *Step) {
	before := len(p.errs)
	f := p.fields(n, at, expectKeys)
	e := Expectation{Line: n.Line}
	var kinds []string
	for _, k := range []string{ExpectSends, ExpectRead, ExpectNothing} {
		if f[k] != nil {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		if n.Kind == yaml.MappingNode && len(p.errs) == before {
			p.errorf(n, at, "say what the app must do: sends, marks_read or sends_nothing")
		}
		return
	case 1:
	default:
		p.errorf(n, at, "%s in one expectation: give one per list item", strings.Join(kinds, " and "))
		return
	}
	e.Kind = kinds[0]
	switch e.Kind {
	case ExpectSends:
		e.Type = p.oneOf(f[ExpectSends], join(at, ExpectSends), MessageTypes)
	default:
		p.isTrue(f[e.Kind], join(at, e.Kind))
	}
	for _, k := range []string{"text", "buttons"} {
		if f[k] != nil && e.Kind != ExpectSends {
			p.errorf(f[k], join(at, k), "only an expectation with sends: can check %s", k)
		}
	}
	if v := f["text"]; v != nil {
		src := p.str(v, join(at, "text"))
		re, err := regexp.Compile(src)
		if err != nil {
			p.errorf(v, join(at, "text"), "not a regular expression: %v", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		e.Text = re
	}
	if v := f["buttons"]; v != nil {
		e.Buttons = p.strings(v, join(at, "buttons"))
	}
	e.To = st.User
	if v := f["to"]; v != nil {
		e.To = p.userRef(v, n, join(at, "to"))
	} else if e.To == "" {
		e.To = p.userRef(nil, n, join(at, "to"))
	}
	if v := f["within"]; v != nil {
		e.Within = p.duration(v, join(at, "within"))
	}
	st.Expect = append(st.Expect, e)
}

func (p *parser) str(n *yaml.Node, field string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, field, "expected a text value")
		return ""
	}
	return n.Value
}

func (p *parser) strings(n *yaml.Node, field string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, field, "expected a list")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, v := range n.Content {
		out = append(out, p.str(v, fmt.Sprintf("%s[%d]", field, i)))
	}
	return out
}

func (p *parser) oneOf(n *yaml.Node, field string, known []string) string {
	s := p.str(n, field)
	if s != "" && !slices.Contains(known, s) {
		p.errorf(n, field, "%q is not one of %s%s", s, strings.Join(known, ", "), didYouMean(s, known))
	}
	return s
}

func (p *parser) duration(n *yaml.Node, field string) time.Duration {
	s := p.str(n, field)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		p.errorf(n, field, "%q is not a duration like 500ms, 2s or 1m", s)
		return 0
	}
	if d > 10*time.Minute {
		p.errorf(n, field, "%s is over the 10 minutes a step may wait", d)
	}
	return d
}

func (p *parser) positive(n *yaml.Node, field string) int {
	s := p.str(n, field)
	v, err := strconv.Atoi(s)
	if s != "" && (err != nil || v < 1 || v > 10) {
		p.errorf(n, field, "%q: give the option's number, 1 for the first button or row (at most 10)", s)
	}
	return v
}

func (p *parser) isTrue(n *yaml.Node, field string) {
	if n.Kind != yaml.ScalarNode || n.Value != "true" {
		p.errorf(n, field, "write %s: true", field[strings.LastIndex(field, ".")+1:])
	}
}
