package refdocs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestReferenceUpToDate fails when docs/reference or docs/man no longer match
// the command tree. Fix: go run ./internal/tools/gendocs
func TestReferenceUpToDate(t *testing.T) {
	tmp := t.TempDir()
	if err := WriteAll(tmp, ""); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", "..", "..", "docs")
	for _, sub := range []string{"reference", "man"} {
		want := readDir(t, filepath.Join(tmp, sub))
		got := readDir(t, filepath.Join(committed, sub))
		for name, body := range want {
			if c, ok := got[name]; !ok {
				t.Errorf("docs/%s/%s is missing; run: go run ./internal/tools/gendocs", sub, name)
			} else if !bytes.Equal(c, body) {
				t.Errorf("docs/%s/%s is out of date; run: go run ./internal/tools/gendocs", sub, name)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("docs/%s/%s belongs to no command; run: go run ./internal/tools/gendocs", sub, name)
			}
		}
	}
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// TestReadmeTablesUpToDate fails when the README's exit-code or config table
// no longer matches the code. Fix: go run ./internal/tools/gendocs
func TestReadmeTablesUpToDate(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fillBlocks(string(data), readmeBlocks())
	if err != nil {
		t.Fatal(err)
	}
	if want != string(data) {
		t.Error("README.md tables are out of date; run: go run ./internal/tools/gendocs")
	}
}

func TestFillBlocks(t *testing.T) {
	got, err := fillBlocks("a\n<!-- BEGIN x -->\nold\n<!-- END x -->\nb\n", map[string]string{"x": "new\n"})
	if err != nil || got != "a\n<!-- BEGIN x -->\nnew\n<!-- END x -->\nb\n" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := fillBlocks("no markers", map[string]string{"x": ""}); err == nil {
		t.Error("missing markers must be an error")
	}
}

// Every command's reference page and man page carry its exit codes.
func TestReferenceListsExitCodes(t *testing.T) {
	tmp := t.TempDir()
	if err := WriteAll(tmp, ""); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"reference/wa-hooks_send.md":   "3  some requests did not get the expected status",
		"reference/wa-hooks_verify.md": "5  the endpoint answered and at least one conformance or behaviour check failed",
		"man/wa-hooks-verify.1":        "4  no request got an HTTP answer",
		"man/wa-hooks-sign.1":          "1  a check or operation failed",
	} {
		b, err := os.ReadFile(filepath.Join(tmp, file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("Exit codes:")) || !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s lacks its exit codes (%q)", file, want)
		}
	}
}
