package webhook_test

import (
	"encoding/json"
	"testing"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// FuzzParse: Parse never panics, fails only on input that is not a JSON
// envelope, and everything it accepts turns into events that carry their
// raw JSON and a key. Seeded with the whole catalog (readable and wire
// forms), truncations and small mutations of it.
func FuzzParse(f *testing.F) {
	for _, fx := range fixtures.All() {
		f.Add(fx.Body)
		if w, err := wire.Encode(fx.Body); err == nil {
			f.Add(w)
			f.Add(w[:len(w)/2])
			f.Add(w[:len(w)-1])
		}
		f.Add(fx.Body[:len(fx.Body)*3/4])
		for _, m := range mutations(fx.Body) {
			f.Add(m)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := webhook.Parse(body)
		if err != nil {
			return
		}
		if !json.Valid(stripBOM(body)) {
			t.Fatalf("Parse accepted invalid JSON")
		}
		for _, e := range n.Events() {
			if e.Field == "" && e.Kind == "" && len(n.Entry) == 0 {
				t.Fatalf("event from nothing: %+v", e)
			}
			if e.Key() == "" {
				t.Fatalf("empty key: %+v", e)
			}
			if len(e.Raw) > 0 && !json.Valid(e.Raw) {
				t.Fatalf("event raw is not JSON: %s", e.Raw)
			}
			if _, err := json.Marshal(e); err != nil {
				t.Fatalf("event does not marshal: %v", err)
			}
		}
	})
}

func stripBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

// mutations swaps the types of values a parser is most likely to trust:
// strings become numbers, objects, arrays and nulls.
func mutations(body []byte) [][]byte {
	var out [][]byte
	for _, r := range []struct{ from, to string }{
		{`"timestamp": "`, `"timestamp": {"x":"`},
		{`"type": "`, `"type": ["`},
		{`"id": "`, `"id": 1, "x": "`},
		{`"messages": [`, `"messages": {"0":`},
		{`"value": {`, `"value": [{`},
		{`"errors": [`, `"errors": "`},
		{`"text": {`, `"text": null, "y": {`},
		{`"code": `, `"code": "`},
	} {
		if m := replaceFirst(body, r.from, r.to); m != nil {
			out = append(out, m)
		}
	}
	return out
}

func replaceFirst(b []byte, from, to string) []byte {
	s := string(b)
	for i := 0; i+len(from) <= len(s); i++ {
		if s[i:i+len(from)] == from {
			return []byte(s[:i] + to + s[i+len(from):])
		}
	}
	return nil
}
