package signature

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
)

// reorderedKeys tells whether a JSON body shows that its object keys were
// put in another order than Meta sends them: the top-level "entry" before
// "object" (Meta writes object first), or keys sorted alphabetically in
// every object (a map-based re-encoder: Go's map[string]any, json.dumps
// with sort_keys, jq -S). Either way the bytes were re-encoded after
// delivery, and the signed bytes cannot be rebuilt from them. It returns
// the evidence in words, or "".
func reorderedKeys(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   []string
		expect bool // the next string token is a key
	}
	var stack []*frame
	var top []string
	objects, sorted := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ""
		}
		var cur *frame
		if len(stack) > 0 {
			cur = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if cur != nil && cur.object {
					cur.expect = true
				}
				stack = append(stack, &frame{object: t == '{', expect: t == '{'})
			default:
				if cur.object {
					if len(stack) == 1 {
						top = cur.keys
					}
					if len(cur.keys) >= 2 {
						objects++
						if slices.IsSorted(cur.keys) {
							sorted++
						}
					}
				}
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].expect = true
				}
			}
		case string:
			if cur != nil && cur.object && cur.expect {
				cur.keys = append(cur.keys, t)
				cur.expect = false
				continue
			}
			if cur != nil && cur.object {
				cur.expect = true
			}
		default:
			if cur != nil && cur.object {
				cur.expect = true
			}
		}
	}
	if e, o := slices.Index(top, "entry"), slices.Index(top, "object"); e >= 0 && o >= 0 && e < o {
		return `its top-level keys come as "entry" before "object", and Meta sends "object" first`
	}
	if objects >= 3 && sorted == objects {
		return "the keys of every object are in alphabetical order, and Meta's are not"
	}
	return ""
}
