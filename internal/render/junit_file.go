package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wa-hooks/wa-hooks/internal/conformance"
)

// JUnitFile is a reporter that passes everything on to Next and, once the
// report is finished, also writes it as JUnit XML to Path (see JUnit), for
// CI beside the terminal or --json output. The file is replaced whole, never
// left half-written.
type JUnitFile struct {
	Next conformance.Reporter
	Path string
	// Name is the top-level suite name ("wa-hooks verify").
	Name string
}

// CheckJUnitPath reports early whether path can be written, so a typo in
// --junit fails before the checks run rather than after.
func CheckJUnitPath(path string) error {
	dir := filepath.Dir(path)
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("--junit %s is a directory: give a file name, e.g. %s", path, filepath.Join(path, "verify.xml"))
	}
	f, err := os.CreateTemp(dir, ".junit-*")
	if err != nil {
		return fmt.Errorf("--junit %s: cannot write in %s: %v", path, dir, unwrapPathError(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func (j JUnitFile) Start(r *conformance.Report) { j.Next.Start(r) }

func (j JUnitFile) Check(c conformance.Check) { j.Next.Check(c) }

// Finish finishes Next, then writes the file.
func (j JUnitFile) Finish(r *conformance.Report) error {
	err := j.Next.Finish(r)
	if werr := WriteJUnitFile(j.Path, j.Name, r); werr != nil && err == nil {
		err = fmt.Errorf("--junit %s: %v", j.Path, werr)
	}
	return err
}

// WriteJUnitFile writes r as JUnit XML to path, replacing it whole, so a CI
// step never reads half a file.
func WriteJUnitFile(path, name string, r *conformance.Report) error {
	var buf bytes.Buffer
	if err := JUnit(&buf, name, r); err != nil {
		return err
	}
	return writeReplace(path, buf.Bytes())
}

// writeReplace writes data to a temporary file beside path and renames it
// over path.
func writeReplace(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".junit-*")
	if err != nil {
		return unwrapPathError(err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return unwrapPathError(err)
	}
	return nil
}
