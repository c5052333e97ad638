// Package schemacheck holds output to the JSON Schemas documented in
// docs/schema, for tests: every JSON line and report the test suite
// produces is validated, so the documented contract and the code cannot
// drift apart. Only tests import it; the binary does not carry a validator.
package schemacheck

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The documented schemas, by file name in docs/schema.
const (
	ServeLine    = "serve-line.v1.json"
	Recording    = "recording.v1.json"
	SendReport   = "send-report.v1.json"
	VerifyReport = "verify-report.v1.json"
)

// Schema validates documents against one schema file.
type Schema struct {
	name string
	s    *jsonschema.Schema
}

var (
	mu    sync.Mutex
	cache = map[string]*Schema{}
)

// Load compiles docs/schema/name, found by walking up from the working
// directory to the module root.
func Load(name string) (*Schema, error) {
	mu.Lock()
	defer mu.Unlock()
	if s, ok := cache[name]; ok {
		return s, nil
	}
	dir, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "docs", "schema", name)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "file://" + filepath.ToSlash(path)
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	compiled, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	s := &Schema{name: name, s: compiled}
	cache[name] = s
	return s, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("schemacheck: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Validate checks one JSON document.
func (s *Schema) Validate(doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if err := s.s.Validate(v); err != nil {
		return fmt.Errorf("%s: %v", s.name, err)
	}
	return nil
}

// ValidateLines checks every non-empty line of JSON lines and returns how
// many there were; the error names the first line that does not match.
func (s *Schema) ValidateLines(lines []byte) (int, error) {
	n := 0
	for i, line := range strings.Split(string(lines), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		n++
		if err := s.Validate([]byte(line)); err != nil {
			return n, fmt.Errorf("line %d: %v\n%s", i+1, err, line)
		}
	}
	return n, nil
}
