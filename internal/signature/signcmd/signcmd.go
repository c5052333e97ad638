// Package signcmd runs `wa-hooks sign`: it reads a payload, optionally turns
// it into Meta's wire bytes, and either prints the X-Hub-Signature-256 value
// for those exact bytes or checks a given signature against them and, on a
// mismatch, explains why.
package signcmd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// Options are the flags of `wa-hooks sign`.
type Options struct {
	AppSecret string
	// Input is a file path, "-" for stdin, or "" (stdin unless it is a terminal).
	Input string
	// Wire signs Meta's wire encoding of the input instead of the input bytes.
	Wire bool
	// Out, when set, receives the exact bytes that were signed.
	Out string
	// Header prints full header lines instead of bare values.
	Header bool
	// SHA1 also prints the legacy X-Hub-Signature value.
	SHA1 bool
	JSON bool
	// Check is the signature to check; CheckSet says --check was given
	// (an empty value is then checked as a missing signature).
	Check    string
	CheckSet bool
}

// Run executes sign or sign --check.
func Run(ctx context.Context, ios *iostreams.IO, opts Options) error {
	if err := validate(opts); err != nil {
		return err
	}
	if !opts.Wire && !opts.CheckSet {
		// Plain signing needs the bytes only once, in order: stream them,
		// so a large body costs neither its size in memory nor a second pass.
		return signStream(ios, opts)
	}
	body, label, err := readInput(ios, opts.Input)
	if err != nil {
		return err
	}
	if opts.Wire {
		w, err := wire.Encode(body)
		if err != nil {
			return exit.Errorf(exit.Usage, "--wire needs a JSON payload: %s is %v", label, err)
		}
		body = w
	}
	if opts.CheckSet {
		return check(ios, opts, body, label)
	}
	return sign(ios, opts, body, label)
}

func validate(opts Options) error {
	if opts.AppSecret == "" {
		return exit.Errorf(exit.Usage, "no App Secret: pass --app-secret, set WA_HOOKS_APP_SECRET, or put app_secret in the config file (see wa-hooks config)")
	}
	if opts.CheckSet {
		for _, f := range []struct {
			set  bool
			name string
		}{{opts.Out != "", "--out"}, {opts.Header, "--header"}, {opts.SHA1, "--sha1"}} {
			if f.set {
				return exit.Errorf(exit.Usage, "%s does not apply to --check: a sha1= value is recognised by its prefix; drop %s", f.name, f.name)
			}
		}
	}
	if opts.JSON && opts.Header {
		return exit.Errorf(exit.Usage, "--header and --json cannot be used together: pick one")
	}
	if opts.CheckSet && opts.Input == "" && looksLikeFile(opts.Check) {
		return exit.Errorf(exit.Usage, "--check takes the signature, then the payload: wa-hooks sign --check sha256=… %s", opts.Check)
	}
	if opts.Out == "-" {
		return exit.Errorf(exit.Usage, "--out needs a file name (stdout carries the signature): for example --out body.json")
	}
	return nil
}

// looksLikeFile reports whether a --check value is really a payload path
// (the signature forgotten), so we do not wait for a body on stdin.
func looksLikeFile(v string) bool {
	if strings.ContainsRune(v, '=') || v == "" {
		return false
	}
	st, err := os.Stat(v)
	return err == nil && !st.IsDir()
}

// readInput returns the payload bytes exactly as stored, and a name for them.
func readInput(ios *iostreams.IO, path string) ([]byte, string, error) {
	r, label, err := openInput(ios, path)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, "", readError(path, label, err)
	}
	return b, label, nil
}

// openInput opens the payload: a file, or stdin for "-" (and for "" when
// stdin is not a terminal).
func openInput(ios *iostreams.IO, path string) (io.ReadCloser, string, error) {
	if path == "" || path == "-" {
		if path == "" && ios.StdinTTY {
			return nil, "", exit.Errorf(exit.Usage, "no payload: give a FILE, or pipe the body on stdin (wa-hooks sign - < body.json)")
		}
		return io.NopCloser(ios.In), "stdin", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", readError(path, path, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, "", exit.Errorf(exit.Usage, "cannot read payload %s: it is a directory, not a file", path)
	}
	return f, path, nil
}

func readError(path, label string, err error) error {
	if label == "stdin" {
		return exit.Errorf(exit.Usage, "cannot read the payload from stdin: %v", err)
	}
	var why string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		why = "no such file"
	case errors.Is(err, fs.ErrPermission):
		why = "permission denied"
	default:
		why = unwrapPath(err).Error()
	}
	return exit.Errorf(exit.Usage, "cannot read payload %s: %s", path, why)
}

// signResult is the --json form of sign.
type signResult struct {
	Signature  string `json:"signature"`
	BodySHA256 string `json:"body_sha256"`
	Bytes      int    `json:"bytes"`
	Wire       bool   `json:"wire"`
	SHA1       string `json:"sha1,omitempty"`
	Out        string `json:"out,omitempty"`
}

func sign(ios *iostreams.IO, opts Options, body []byte, label string) error {
	sum := sha256.Sum256(body)
	res := signResult{
		Signature:  signature.Sign(opts.AppSecret, body),
		BodySHA256: hex.EncodeToString(sum[:]),
		Bytes:      len(body),
		Wire:       opts.Wire,
		Out:        opts.Out,
	}
	if opts.SHA1 {
		res.SHA1 = signature.SignSHA1(opts.AppSecret, body)
	}
	if opts.Out != "" {
		if err := os.WriteFile(opts.Out, body, 0o644); err != nil {
			return exit.Errorf(exit.Failure, "cannot write %s: %v", opts.Out, unwrapPath(err))
		}
	}
	return printSigned(ios, opts, res, label)
}

// signStream signs the input as it is read, working out only what will be
// printed: the body's own SHA-256 only for --json, SHA-1 only for --sha1.
func signStream(ios *iostreams.IO, opts Options) error {
	r, label, err := openInput(ios, opts.Input)
	if err != nil {
		return err
	}
	defer r.Close()
	sig := signature.NewHasher(opts.AppSecret)
	writers := []io.Writer{sig}
	var bodySum hash.Hash
	if opts.JSON {
		bodySum = sha256.New()
		writers = append(writers, bodySum)
	}
	var legacy *signature.Hasher
	if opts.SHA1 {
		legacy = signature.NewHasherSHA1(opts.AppSecret)
		writers = append(writers, legacy)
	}
	var out *os.File
	if opts.Out != "" {
		if out, err = os.Create(opts.Out); err != nil {
			return exit.Errorf(exit.Failure, "cannot write %s: %v", opts.Out, unwrapPath(err))
		}
		defer out.Close()
		writers = append(writers, out)
	}
	n, err := io.CopyBuffer(io.MultiWriter(writers...), r, make([]byte, 256<<10))
	if err != nil {
		var pe *fs.PathError
		if out != nil && errors.As(err, &pe) && pe.Path == opts.Out {
			return exit.Errorf(exit.Failure, "cannot write %s: %v", opts.Out, pe.Err)
		}
		return readError(opts.Input, label, err)
	}
	if out != nil {
		if err := out.Close(); err != nil {
			return exit.Errorf(exit.Failure, "cannot write %s: %v", opts.Out, unwrapPath(err))
		}
	}
	res := signResult{Signature: sig.Value(), Bytes: int(n), Out: opts.Out}
	if bodySum != nil {
		res.BodySHA256 = hex.EncodeToString(bodySum.Sum(nil))
	}
	if legacy != nil {
		res.SHA1 = legacy.Value()
	}
	return printSigned(ios, opts, res, label)
}

func printSigned(ios *iostreams.IO, opts Options, res signResult, label string) error {
	if opts.JSON {
		enc := json.NewEncoder(ios.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if opts.Header {
		fmt.Fprintf(ios.Out, "%s: %s\n", signature.Header, res.Signature)
		if res.SHA1 != "" {
			fmt.Fprintf(ios.Out, "%s: %s\n", signature.LegacyHeader, res.SHA1)
		}
	} else {
		fmt.Fprintln(ios.Out, res.Signature)
		if res.SHA1 != "" {
			fmt.Fprintln(ios.Out, res.SHA1)
		}
	}
	switch {
	case opts.Out != "":
		ios.Infof("wrote the %d signed bytes to %s; send exactly those: curl --data-binary @%s", res.Bytes, opts.Out, opts.Out)
	case opts.Wire && label != "stdin":
		ios.Infof("signed the %d wire bytes of %s, not the file itself: add --out FILE to get the bytes to send", res.Bytes, label)
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// cleanSignature accepts what users paste: the bare value, the whole header
// line from a log, or a quoted value.
func cleanSignature(s string) string {
	s = strings.TrimSpace(s)
	for _, name := range []string{signature.Header, signature.LegacyHeader} {
		if len(s) > len(name) && strings.EqualFold(s[:len(name)], name) && s[len(name)] == ':' {
			s = strings.TrimSpace(s[len(name)+1:])
			break
		}
	}
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = s[1 : len(s)-1]
	}
	return s
}

// checkResult is the --json form of --check.
type checkResult struct {
	OK      bool             `json:"ok"`
	Reason  signature.Reason `json:"reason"`
	Detail  string           `json:"detail,omitempty"`
	Summary string           `json:"summary"`
	Input   string           `json:"input"`
	Wire    bool             `json:"wire"`
	signature.Diagnosis
}

func check(ios *iostreams.IO, opts Options, body []byte, label string) error {
	d := signature.Diagnose(opts.AppSecret, body, cleanSignature(opts.Check))
	if opts.JSON {
		enc := json.NewEncoder(ios.Out)
		enc.SetIndent("", "  ")
		res := checkResult{OK: d.OK(), Reason: d.Result.Reason, Detail: d.Result.Detail, Summary: d.Summary(), Input: label, Wire: opts.Wire, Diagnosis: d}
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		Render(ios, d, label)
	}
	if d.OK() {
		return nil
	}
	return exit.Silent(exit.Failure)
}
