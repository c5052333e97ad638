// Package suggest finds the known name a user most likely meant, for "did you
// mean …?" hints in error messages and warnings.
package suggest

// Distance is the Levenshtein edit distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Likely reports whether a distance d from name is small enough to be a typo
// rather than a different word.
func Likely(name string, d int) bool { return d < len(name)/2+2 }

// Closest returns the candidate nearest to name by Distance, or "" when none
// is close enough to be a likely typo. Ties go to the earlier candidate.
func Closest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if d := Distance(name, c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || !Likely(name, bestD) {
		return ""
	}
	return best
}
