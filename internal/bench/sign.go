package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// runSign compares `wa-hooks sign` with `openssl dgst -sha256 -hmac` on the
// same body (process start included, as a user runs them), checks both print
// the same digest, and times `sign --wire` and a diagnosed `sign --check`
// mismatch on that body as well.
func runSign(args []string) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	size := fs.Int("size", 3<<20, "size of the pretty-printed source file in bytes (its wire form is about two thirds of it)")
	runs := fs.Int("runs", 15, "timed runs per command (median reported)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bin, dir, cleanup, err := buildWaHooks("sign")
	if err != nil {
		return err
	}
	defer cleanup()
	pretty, err := signBenchBody(*size)
	if err != nil {
		return err
	}
	prettyPath := filepath.Join(dir, "pretty.json")
	wirePath := filepath.Join(dir, "wire.json")
	if err := os.WriteFile(prettyPath, pretty, 0o644); err != nil {
		return err
	}
	const secret = "0123456789abcdef0123456789abcdef"
	if out, err := exec.Command(bin, "sign", "--app-secret", secret, "--wire", "--out", wirePath, prettyPath).CombinedOutput(); err != nil {
		return fmt.Errorf("sign --wire: %v\n%s", err, out)
	}
	st, err := os.Stat(wirePath)
	if err != nil {
		return err
	}
	fmt.Printf("sign benchmark: %d-byte wire body (from a %d-byte pretty file), median of %d runs after one warm-up\n\n", st.Size(), len(pretty), *runs)

	ours, oursOut, err := signMedian(*runs, bin, "sign", "--app-secret", secret, wirePath)
	if err != nil {
		return err
	}
	fmt.Printf("  %-46s %8.2f ms\n", "wa-hooks sign", ms(ours))
	if path, lerr := exec.LookPath("openssl"); lerr != nil {
		fmt.Println("  openssl: not installed; comparison skipped")
	} else {
		ref, refOut, err := signMedian(*runs, path, "dgst", "-sha256", "-hmac", secret, wirePath)
		if err != nil {
			return err
		}
		fmt.Printf("  %-46s %8.2f ms\n", "openssl dgst -sha256 -hmac", ms(ref))
		same := strings.TrimPrefix(strings.TrimSpace(oursOut), "sha256=") == signLastField(refOut)
		fmt.Printf("  ratio wa-hooks/openssl: %.2fx   same digest: %v\n", float64(ours)/float64(ref), same)
		if !same {
			return fmt.Errorf("digests differ: %q vs %q", oursOut, refOut)
		}
	}
	wireT, _, err := signMedian(*runs, bin, "sign", "--app-secret", secret, "--wire", prettyPath)
	if err != nil {
		return err
	}
	fmt.Printf("  %-46s %8.2f ms  (%.2fx plain sign)\n", "wa-hooks sign --wire (pretty file)", ms(wireT), float64(wireT)/float64(ours))
	// A mismatch nothing explains is the slowest --check: every variant is tried.
	checkT, _, err := signMedian(*runs, bin, "sign", "--app-secret", secret, "--check", "sha256="+strings.Repeat("0", 64), wirePath)
	if err != nil {
		return err
	}
	fmt.Printf("  %-46s %8.2f ms  (%.2fx plain sign)\n", "wa-hooks sign --check (no variant matches)", ms(checkT), float64(checkT)/float64(ours))
	return nil
}

// signBenchBody builds a pretty-printed webhook of about size bytes: a batch
// of text messages with non-ASCII text and URLs, so --wire has work to do.
func signBenchBody(size int) ([]byte, error) {
	type text struct {
		Body string `json:"body"`
	}
	type message struct {
		From      string `json:"from"`
		ID        string `json:"id"`
		Timestamp string `json:"timestamp"`
		Type      string `json:"type"`
		Text      text   `json:"text"`
	}
	var msgs []message
	for n := 0; n*330 < size; n++ {
		msgs = append(msgs, message{"16505551234", fmt.Sprintf("wamid.HBgLMTY1MDUwNzY1MjAVAgASGBQz%08d", n), "1749416383", "text",
			text{fmt.Sprintf("Olá %d! Preço em https://example.com/p/%d 👍 — até já", n, n)}})
	}
	doc := map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": "102290129340398", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{"messaging_product": "whatsapp", "messages": msgs}}},
	}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(doc)
	return buf.Bytes(), err
}

// signMedian runs a command once to warm up, then runs times and returns the
// median wall time and the last output. A non-zero exit is fine (--check).
func signMedian(runs int, name string, args ...string) (time.Duration, string, error) {
	var times []time.Duration
	var out []byte
	for i := 0; i <= runs; i++ {
		start := time.Now()
		b, err := exec.Command(name, args...).Output()
		d := time.Since(start)
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				return 0, "", err
			}
		}
		out = b
		if i > 0 {
			times = append(times, d)
		}
	}
	slices.Sort(times)
	return times[len(times)/2], string(out), nil
}

func signLastField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}
