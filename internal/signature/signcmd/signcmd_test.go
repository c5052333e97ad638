package signcmd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	secret  = "0123456789abcdef0123456789abcdef"
	utf8Doc = `{"text":{"body":"café 👍 https://x.y/z"}}`
	wireDoc = `{"text":{"body":"caf\u00e9 \ud83d\udc4d https:\/\/x.y\/z"}}`
)

type run struct {
	out, errOut string
	code        int
}

func runWith(t *testing.T, stdin string, opts Options, tweak ...func(*iostreams.IO)) run {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	ios.SetTerminalWidth(80)
	for _, f := range tweak {
		f(ios)
	}
	err := Run(context.Background(), ios, opts)
	return run{out: out.String(), errOut: errOut.String(), code: exit.CodeOf(err)}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Fatalf("output differs from %s (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestSignOutputs(t *testing.T) {
	sig := signature.Sign(secret, []byte(utf8Doc))
	r := runWith(t, utf8Doc, Options{AppSecret: secret})
	if r.out != sig+"\n" || r.code != 0 || r.errOut != "" {
		t.Fatalf("%+v", r)
	}

	wireSig := signature.Sign(secret, []byte(wireDoc))
	r = runWith(t, utf8Doc, Options{AppSecret: secret, Wire: true, Header: true, SHA1: true})
	want := "X-Hub-Signature-256: " + wireSig + "\nX-Hub-Signature: " + signature.SignSHA1(secret, []byte(wireDoc)) + "\n"
	if r.out != want {
		t.Fatalf("got %q want %q", r.out, want)
	}

	r = runWith(t, utf8Doc, Options{AppSecret: secret, Wire: true, JSON: true})
	var res map[string]any
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(wireDoc))
	if res["signature"] != wireSig || res["bytes"] != float64(len(wireDoc)) || res["wire"] != true || res["sha1"] != nil ||
		res["body_sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("%v", res)
	}
	if strings.Contains(r.out+r.errOut, secret) {
		t.Fatal("secret printed")
	}
}

func TestSignWireOut(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "fixture.json")
	out := filepath.Join(dir, "body.json")
	pretty := "{\n  \"text\": {\n    \"body\": \"café 👍 https://x.y/z\"\n  }\n}\n"
	if err := os.WriteFile(in, []byte(pretty), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runWith(t, "", Options{AppSecret: secret, Input: in, Wire: true, Out: out})
	got, err := os.ReadFile(out)
	if err != nil || string(got) != wireDoc {
		t.Fatalf("--out wrote %q (%v)", got, err)
	}
	if r.out != signature.Sign(secret, got)+"\n" || !strings.Contains(r.errOut, "curl --data-binary @"+out) {
		t.Fatalf("%+v", r)
	}
	// Without --out, a notice says the file itself was not what got signed.
	r = runWith(t, "", Options{AppSecret: secret, Input: in, Wire: true})
	if !strings.Contains(r.errOut, "add --out FILE") {
		t.Fatalf("%+v", r)
	}
	r = runWith(t, "", Options{AppSecret: secret, Input: in, Wire: true}, func(io *iostreams.IO) { io.Quiet = true })
	if r.errOut != "" {
		t.Fatalf("quiet printed %q", r.errOut)
	}
}

func TestSignErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		stdin string
		opts  Options
		tty   bool
		want  string
		code  int
	}{
		{"no secret", utf8Doc, Options{}, false, "no App Secret: pass --app-secret, set WA_HOOKS_APP_SECRET", exit.Usage},
		{"missing file", "", Options{AppSecret: secret, Input: filepath.Join(dir, "nope.json")}, false, "nope.json: no such file", exit.Usage},
		{"directory", "", Options{AppSecret: secret, Input: dir}, false, "it is a directory", exit.Usage},
		{"terminal stdin", "", Options{AppSecret: secret}, true, "no payload: give a FILE", exit.Usage},
		{"wire needs JSON", "not json", Options{AppSecret: secret, Wire: true}, false, "--wire needs a JSON payload: stdin is invalid JSON at line 1, column 1", exit.Usage},
		{"check with out", utf8Doc, Options{AppSecret: secret, CheckSet: true, Out: "x"}, false, "--out does not apply to --check", exit.Usage},
		{"check with sha1", utf8Doc, Options{AppSecret: secret, CheckSet: true, SHA1: true}, false, "--sha1 does not apply to --check", exit.Usage},
		{"json and header", utf8Doc, Options{AppSecret: secret, JSON: true, Header: true}, false, "--header and --json", exit.Usage},
		{"signature forgotten", "", Options{AppSecret: secret, CheckSet: true, Check: "signcmd_test.go"}, false, "--check takes the signature, then the payload", exit.Usage},
		{"out to stdout", utf8Doc, Options{AppSecret: secret, Out: "-"}, false, "--out needs a file name", exit.Usage},
		{"unwritable out", utf8Doc, Options{AppSecret: secret, Out: filepath.Join(dir, "no", "dir", "x")}, false, "cannot write", exit.Failure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, out, _ := iostreams.Test()
			in.WriteString(tt.stdin)
			ios.StdinTTY = tt.tty
			err := Run(context.Background(), ios, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || exit.CodeOf(err) != tt.code {
				t.Fatalf("err = %v (code %d), want %q (code %d)", err, exit.CodeOf(err), tt.want, tt.code)
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Fatalf("error spans lines: %q", err)
			}
			if tt.code == exit.Usage && out.Len() > 0 {
				t.Fatalf("printed %q before failing", out)
			}
		})
	}
}

func TestCleanSignature(t *testing.T) {
	for in, want := range map[string]string{
		"sha256=ab":                         "sha256=ab",
		"  X-Hub-Signature-256: sha256=ab ": "sha256=ab",
		"x-hub-signature: sha1=ab":          "sha1=ab",
		`"sha256=ab"`:                       "sha256=ab",
		"'sha256=ab'":                       "sha256=ab",
		"X-Hub-Signature-256":               "X-Hub-Signature-256",
	} {
		if got := cleanSignature(in); got != want {
			t.Errorf("cleanSignature(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckRendering pins the human --check output for each kind of answer.
func TestCheckRendering(t *testing.T) {
	pretty, _ := wire.Format([]byte(wireDoc), wire.Style{Escaping: wire.Unicode, Indent: "  "})
	sigWire := signature.Sign(secret, []byte(wireDoc))
	tests := []struct {
		name, stdin, check string
		secret             string
		code               int
	}{
		{"valid", wireDoc, sigWire, secret, 0},
		{"valid-header-line", wireDoc, "X-Hub-Signature-256: " + sigWire, secret, 0},
		{"meta-wire", utf8Doc, sigWire, secret, 1},
		{"pretty-2", wireDoc, signature.Sign(secret, pretty), secret, 1},
		{"newline-removed", wireDoc + "\n", sigWire, secret, 1},
		{"bom-removed", "\xef\xbb\xbf" + wireDoc, sigWire, secret, 1},
		{"slash-unescaped", wireDoc, signature.Sign(secret, []byte(strings.ReplaceAll(wireDoc, `\/`, "/"))), secret, 1},
		{"no-prefix", wireDoc, strings.TrimPrefix(sigWire, "sha256="), secret, 1},
		{"malformed", wireDoc, sigWire[:40], secret, 1},
		{"missing", wireDoc, "", secret, 1},
		{"legacy-valid", wireDoc, signature.SignSHA1(secret, []byte(wireDoc)), secret, 0},
		{"legacy-wire", utf8Doc, signature.SignSHA1(secret, []byte(wireDoc)), secret, 1},
		{"secret-trimmed", wireDoc, sigWire, secret + "\n", 1},
		{"nothing-matches", wireDoc, signature.Sign("the-verify-token", []byte(wireDoc)), "the-verify-token-x", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWith(t, tt.stdin, Options{AppSecret: tt.secret, Check: tt.check, CheckSet: true})
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tt.code, r.out)
			}
			if strings.Contains(r.out, strings.TrimSpace(tt.secret)) {
				t.Fatal("secret printed")
			}
			golden(t, "check-"+tt.name, r.out)
		})
	}
}

func TestCheckColourAndQuiet(t *testing.T) {
	sig := signature.Sign(secret, []byte(wireDoc))
	r := runWith(t, utf8Doc, Options{AppSecret: secret, Check: sig, CheckSet: true}, func(io *iostreams.IO) {
		io.StdoutTTY = true
	})
	if !strings.Contains(r.out, "\x1b[") {
		t.Fatal("no colour on a terminal")
	}
	golden(t, "check-meta-wire-colour", r.out)

	r = runWith(t, utf8Doc, Options{AppSecret: secret, Check: sig, CheckSet: true}, func(io *iostreams.IO) {
		io.StdoutTTY = true
		io.Getenv = func(k string) string {
			if k == "NO_COLOR" {
				return "1"
			}
			return ""
		}
	})
	if strings.Contains(r.out, "\x1b[") {
		t.Fatal("colour despite NO_COLOR")
	}

	r = runWith(t, utf8Doc, Options{AppSecret: secret, Check: sig, CheckSet: true}, func(io *iostreams.IO) { io.Quiet = true })
	if strings.Count(r.out, "\n") != 1 || !strings.HasPrefix(r.out, "✗ signature mismatch") || r.code != 1 {
		t.Fatalf("quiet: %q", r.out)
	}
}

func TestCheckJSON(t *testing.T) {
	sig := signature.Sign(secret, []byte(wireDoc))
	r := runWith(t, utf8Doc, Options{AppSecret: secret, Check: sig, CheckSet: true, JSON: true})
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	var res struct {
		OK        bool   `json:"ok"`
		Reason    string `json:"reason"`
		Signature string `json:"signature"`
		Expected  string `json:"expected"`
		Algorithm string `json:"algorithm"`
		Match     struct {
			Transform string `json:"transform"`
			Bytes     int    `json:"bytes"`
		} `json:"match"`
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Reason != "mismatch" || res.Signature != sig || res.Algorithm != "sha256" ||
		res.Match.Transform != "meta-wire" || res.Match.Bytes != len(wireDoc) || len(res.Notes) == 0 ||
		res.Expected != signature.Sign(secret, []byte(utf8Doc)) {
		t.Fatalf("%s", r.out)
	}
	golden(t, "check-meta-wire-json", r.out)

	r = runWith(t, wireDoc, Options{AppSecret: secret, Check: sig, CheckSet: true, JSON: true})
	if r.code != 0 || !strings.Contains(r.out, `"ok": true`) || !strings.Contains(r.out, `"reason": "valid"`) {
		t.Fatalf("%+v", r)
	}
}

func TestCheckWire(t *testing.T) {
	// --check with --wire checks the wire bytes of a pretty or raw file.
	sig := signature.Sign(secret, []byte(wireDoc))
	r := runWith(t, utf8Doc, Options{AppSecret: secret, Check: sig, CheckSet: true, Wire: true})
	if r.code != 0 || !strings.HasPrefix(r.out, "✓ signature valid") {
		t.Fatalf("%+v", r)
	}
}

func TestWrap(t *testing.T) {
	lines := wrap("aaa bbb ccc ddd eee fff ggg hhh iii jjj kkk lll mmm nnn ooo ppp", 20, "")
	for _, l := range lines {
		if len(l) > 20 {
			t.Fatalf("line %q longer than 20", l)
		}
	}
	if strings.Join(lines, " ") != "aaa bbb ccc ddd eee fff ggg hhh iii jjj kkk lll mmm nnn ooo ppp" {
		t.Fatalf("%q", lines)
	}
	if got := wrap("\x1b[1mbold\x1b[0m word", 20, ""); len(got) != 1 {
		t.Fatalf("%q", got)
	}
	if got := wrap(strings.Repeat("x", 30)+" y", 20, ""); len(got) != 2 {
		t.Fatalf("%q", got)
	}
}

// Plain signing streams its input: the result must be what signing the
// whole body at once gives, with --out, --sha1 and --json alike, for a body
// larger than one read buffer.
func TestStreamedSigningMatchesWholeBody(t *testing.T) {
	body := strings.Repeat(`{"text":{"body":"café 👍"}},`, 40_000) // ~1 MB, several reads
	dir := t.TempDir()
	path := filepath.Join(dir, "body.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.json")
	r := runWith(t, "", Options{AppSecret: secret, Input: path, Out: out, SHA1: true, JSON: true})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	var res signResult
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if res.Signature != signature.Sign(secret, []byte(body)) || res.SHA1 != signature.SignSHA1(secret, []byte(body)) ||
		res.BodySHA256 != hex.EncodeToString(sum[:]) || res.Bytes != len(body) {
		t.Fatalf("streamed result differs from the whole-body one: %+v", res)
	}
	if copied, err := os.ReadFile(out); err != nil || string(copied) != body {
		t.Fatalf("--out did not get the exact bytes (%v)", err)
	}
	// stdin streams too.
	if r := runWith(t, body, Options{AppSecret: secret, Input: "-"}); strings.TrimSpace(r.out) != signature.Sign(secret, []byte(body)) {
		t.Fatalf("stdin: %q", r.out)
	}
	// A directory is named as such, not read.
	ios, _, _, _ := iostreams.Test()
	if err := Run(context.Background(), ios, Options{AppSecret: secret, Input: dir}); exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("directory: %v", err)
	}
}
