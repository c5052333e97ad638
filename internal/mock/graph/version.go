package graph

import (
	"strconv"
	"strings"
)

// Oldest and Latest bound the API versions the mock serves. Calls to an
// older v*.0 are served as Oldest (Meta upgrades calls to expired versions
// to the oldest usable one); newer or malformed versions are refused.
const (
	Oldest = 19
	Latest = 27
)

// Versions lists every version the mock serves, oldest first.
func Versions() []string {
	out := make([]string, 0, Latest-Oldest+1)
	for v := Oldest; v <= Latest; v++ {
		out = append(out, "v"+strconv.Itoa(v)+".0")
	}
	return out
}

// LatestVersion is the newest version ("v27.0").
func LatestVersion() string { return "v" + strconv.Itoa(Latest) + ".0" }

// Path is a Graph request path split into its version and nodes.
type Path struct {
	// Version is the major version the call is served as (Latest when the
	// path has none).
	Version int
	// Given is the version segment as written ("" when absent).
	Given string
	// Nodes are the remaining segments: an id, then an edge.
	Nodes []string
}

// VersionString is Version as "v21.0".
func (p Path) VersionString() string { return "v" + strconv.Itoa(p.Version) + ".0" }

// ParsePath splits path; an unknown version is Meta's error.
func ParsePath(path string) (Path, *Error) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) == 1 && segs[0] == "" {
		segs = nil
	}
	p := Path{Version: Latest}
	if len(segs) > 0 && len(segs[0]) > 1 && (segs[0][0] == 'v' || segs[0][0] == 'V') && isDigit(segs[0][1]) {
		p.Given = segs[0]
		v, ok := parseVersion(segs[0])
		if !ok || v > Latest {
			return p, UnknownPath(path)
		}
		p.Version = max(v, Oldest)
		segs = segs[1:]
	}
	p.Nodes = segs
	return p, nil
}

// parseVersion reads "v21.0" (a minor other than 0 does not exist).
func parseVersion(s string) (int, bool) {
	major, minor, ok := strings.Cut(s[1:], ".")
	if !ok || minor != "0" {
		return 0, false
	}
	v, err := strconv.Atoi(major)
	if err != nil || v < 1 || len(major) > 3 {
		return 0, false
	}
	return v, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
