package payload

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/suggest"
)

// segment is one step of a JSON path: an object key, an array index, or [*].
type segment struct {
	key     string
	index   int
	isIndex bool
	all     bool // [*]: every item of an array
}

// parsePath reads a path such as `entry[0].changes[0].value.messages[*].text.body`.
// A leading "$" or "$." is allowed; keys containing dots or brackets can be
// written as ["a.b"].
func parsePath(s string) ([]segment, error) {
	orig := s
	s = strings.TrimPrefix(s, "$")
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return nil, fmt.Errorf("empty path %q: write a path such as entry[0].changes[0].value.messages[0].text.body", orig)
	}
	var segs []segment
	for len(s) > 0 {
		switch s[0] {
		case '.':
			s = s[1:]
			if s == "" || s[0] == '.' || s[0] == '[' {
				return nil, fmt.Errorf("path %q: empty key after '.'", orig)
			}
		case '[':
			end := strings.IndexByte(s, ']')
			if strings.HasPrefix(s, `["`) {
				q := strings.Index(s[2:], `"]`)
				if q < 0 {
					return nil, fmt.Errorf("path %q: unclosed [\"…\"]", orig)
				}
				segs = append(segs, segment{key: s[2 : 2+q]})
				s = s[2+q+2:]
				continue
			}
			if end < 0 {
				return nil, fmt.Errorf("path %q: unclosed '['", orig)
			}
			inner := s[1:end]
			s = s[end+1:]
			if inner == "*" {
				segs = append(segs, segment{all: true, isIndex: true})
				continue
			}
			i, err := strconv.Atoi(inner)
			if err != nil || i < 0 {
				return nil, fmt.Errorf("path %q: [%s] is not an array index (use a number from 0, or *)", orig, inner)
			}
			segs = append(segs, segment{index: i, isIndex: true})
		default:
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			segs = append(segs, segment{key: s[:end]})
			s = s[end:]
		}
	}
	return segs, nil
}

func formatPath(segs []segment) string {
	var b strings.Builder
	for i, sg := range segs {
		switch {
		case sg.all:
			b.WriteString("[*]")
		case sg.isIndex:
			fmt.Fprintf(&b, "[%d]", sg.index)
		case strings.ContainsAny(sg.key, ".[]\"$") || sg.key == "":
			b.WriteString(`["` + sg.key + `"]`)
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(sg.key)
		}
	}
	return b.String()
}

// location is one existing value: parent.vals[i].
type location struct {
	parent *node
	i      int
	path   []segment // concrete path (no wildcards)
}

func (l location) node() *node { return l.parent.vals[l.i] }

// miss explains why a path matched nothing.
type miss struct {
	depth  int    // number of segments that did resolve
	reason string // names the nearest existing path
}

// resolve returns every location path reaches in root.
func resolve(root *node, segs []segment) ([]location, *miss) {
	holder := &node{kind: kArray, vals: []*node{root}}
	cur := []location{{parent: holder, i: 0}}
	var best *miss
	for depth, sg := range segs {
		var next []location
		for _, l := range cur {
			n := l.node()
			found, m := step(n, l.path, sg, depth)
			next = append(next, found...)
			if m != nil && (best == nil || m.depth > best.depth) {
				best = m
			}
		}
		if len(next) == 0 {
			return nil, best
		}
		cur = next
	}
	return cur, nil
}

func step(n *node, at []segment, sg segment, depth int) ([]location, *miss) {
	here := formatPath(at)
	if here == "" {
		here = "the document root"
	}
	extend := func(s segment) []segment {
		return append(append([]segment(nil), at...), s)
	}
	switch {
	case sg.isIndex && n.kind == kArray:
		if sg.all {
			out := make([]location, len(n.vals))
			for i := range n.vals {
				out[i] = location{parent: n, i: i, path: extend(segment{index: i, isIndex: true})}
			}
			if len(out) == 0 {
				return nil, &miss{depth, fmt.Sprintf("%s is an empty array", here)}
			}
			return out, nil
		}
		if sg.index >= len(n.vals) {
			return nil, &miss{depth, fmt.Sprintf("%s has %s, so [%d] does not exist; nearest existing path: %s",
				here, plural(len(n.vals), "item"), sg.index, formatPath(extend(segment{index: max(len(n.vals)-1, 0), isIndex: true})))}
		}
		return []location{{parent: n, i: sg.index, path: extend(sg)}}, nil
	case !sg.isIndex && n.kind == kObject:
		for i, k := range n.keys {
			if k == sg.key {
				return []location{{parent: n, i: i, path: extend(sg)}}, nil
			}
		}
		reason := fmt.Sprintf("no key %q in %s", sg.key, here)
		if near := suggest.Closest(sg.key, n.keys); near != "" {
			reason += "; nearest existing path: " + formatPath(extend(segment{key: near}))
		} else if len(n.keys) > 0 {
			reason += fmt.Sprintf(" (it has: %s)", strings.Join(n.keys, ", "))
		}
		return nil, &miss{depth, reason}
	case sg.isIndex:
		return nil, &miss{depth, fmt.Sprintf("%s is %s, not an array", here, describeKind(n))}
	case n.kind == kArray:
		return nil, &miss{depth, fmt.Sprintf("%s is an array: index it first, e.g. %s", here, formatPath(append(extend(segment{index: 0, isIndex: true}), sg)))}
	}
	return nil, &miss{depth, fmt.Sprintf("%s is %s, not an object", here, describeKind(n))}
}

func describeKind(n *node) string {
	switch n.kind {
	case kNull:
		return "null"
	case kBool:
		return "a boolean"
	case kNumber:
		return "a number"
	case kString:
		return "a string"
	case kArray:
		return "an array"
	}
	return "an object"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// valuePrefix is where relative paths (`messages[0].text.body`) are looked
// up: inside every change's value.
var valuePrefix = []segment{{key: "entry"}, {all: true, isIndex: true}, {key: "changes"}, {all: true, isIndex: true}, {key: "value"}}

// resolveUser resolves a path as a user wrote it: from the document root, or,
// when its first key is not a root key, relative to each change's value.
func resolveUser(root *node, segs []segment) ([]location, *miss) {
	locs, m := resolve(root, segs)
	if len(locs) > 0 || len(segs) == 0 || segs[0].isIndex || root.get(segs[0].key) != nil || root.get("entry") == nil {
		return locs, m
	}
	rel, rm := resolve(root, append(append([]segment(nil), valuePrefix...), segs...))
	if len(rel) > 0 {
		return rel, nil
	}
	if rm != nil && rm.depth > len(valuePrefix) {
		return nil, rm
	}
	return nil, m
}
