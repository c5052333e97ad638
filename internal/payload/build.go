package payload

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MetaMaxBody is the largest webhook body Meta sends ("up to 3 MB").
const MetaMaxBody = 3 << 20

// Source is one body to send: a fixture, a file, stdin or a recorded request.
type Source struct {
	Name string
	Body []byte
	// Raw sends Body byte for byte: no overrides, no fresh ids, no re-encoding.
	Raw bool
	// Header holds the headers recorded with the body (recordings only); its
	// signatures are replayed when no App Secret is given.
	Header http.Header
}

// Layout says how --batch merges events into one body.
type Layout string

const (
	// LayoutMerge puts events that share a WABA, field and phone number into
	// the same value's arrays (messages[], statuses[]…), others into more
	// changes and entries, as Meta does.
	LayoutMerge Layout = "merge"
	// LayoutChanges gives every event its own change inside its WABA's entry.
	LayoutChanges Layout = "changes"
	// LayoutEntries gives every event its own entry.
	LayoutEntries Layout = "entries"
)

// Options control how bodies are built and signed.
type Options struct {
	Overrides []Override // --set, in order
	Shortcuts Shortcuts
	// KeepIDs sends ids and timestamps as the source has them.
	KeepIDs bool
	// Raw sends every source's bytes untouched.
	Raw bool
	// Pretty sends an indented body (still correctly signed).
	Pretty bool
	// Oversize pads each body past MetaMaxBody.
	Oversize bool
	// Batch merges this many events into one body (0 or 1: one per body).
	Batch  int
	Layout Layout
	// Shuffle sends statuses out of order: later states (read) before earlier ones (delivered).
	Shuffle bool

	Secret       string
	NoSignature  bool
	BadSignature bool // a well-formed X-Hub-Signature-256 that does not match
	LegacySHA1   bool // also send X-Hub-Signature: sha1=…
	// Headers are extra headers (-H); they replace the defaults of the same name.
	Headers http.Header

	Now  func() time.Time
	Seed uint64
}

// Feed is a built set of bodies; it implements sender.Feed.
type Feed struct {
	bodies   []*template
	order    []int
	opts     Options
	now      func() time.Time
	seed     uint64
	warnings []string
	base     http.Header
	// lifecycle counts statuses per recipient and state while building
	// with --shuffle, to pair them into messages.
	lifecycle map[string]int
}

// Warnings are notes for the user (an override that applied to only some sources).
func (f *Feed) Warnings() []string { return f.warnings }

// Len is the number of bodies in one pass.
func (f *Feed) Len() int { return len(f.order) }

// Events is the number of events in one pass.
func (f *Feed) Events() int {
	n := 0
	for _, t := range f.bodies {
		n += t.events
	}
	return n
}

// Names lists the bodies of one pass in sending order.
func (f *Feed) Names() []string {
	out := make([]string, len(f.order))
	for i, j := range f.order {
		out[i] = f.bodies[j].name
	}
	return out
}

// Build prepares every body. Errors name the source and what to change.
func Build(sources []Source, o Options) (*Feed, error) {
	if len(sources) == 0 {
		return nil, errors.New("nothing to send: give a catalog name, a glob, --all, a file, - for stdin, or --from-recording FILE")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Seed == 0 {
		o.Seed = rand.Uint64() | 1
	}
	if o.Layout == "" {
		o.Layout = LayoutMerge
	}
	switch o.Layout {
	case LayoutMerge, LayoutChanges, LayoutEntries:
	default:
		return nil, fmt.Errorf("--batch-layout %q: use merge, changes or entries", o.Layout)
	}
	overrides := append(append([]Override(nil), o.Overrides...), o.Shortcuts.Overrides()...)
	anyRaw := o.Raw
	for _, s := range sources {
		anyRaw = anyRaw || s.Raw
	}
	if anyRaw {
		if err := rawConflicts(o, overrides, sources); err != nil {
			return nil, err
		}
	}
	if err := checkSecret(o, sources); err != nil {
		return nil, err
	}

	f := &Feed{opts: o, now: o.Now, seed: o.Seed, base: MetaHeader(o.Headers), lifecycle: map[string]int{}}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))

	type parsed struct {
		src  Source
		tree *node
	}
	var trees []parsed
	for _, s := range sources {
		if o.Raw || s.Raw {
			t := &template{name: s.Name, events: countEventsRaw(s.Body), segs: [][]byte{s.Body}, recorded: s.Header}
			f.bodies = append(f.bodies, t)
			continue
		}
		tree, err := parse(s.Body)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", s.Name, err)
		}
		trees = append(trees, parsed{s, tree})
	}

	// Overrides: each must apply somewhere; a miss everywhere is an error
	// naming the nearest existing path.
	for _, ov := range overrides {
		var missed []string
		var firstWhy string
		hits := 0
		for _, p := range trees {
			n, why := ov.apply(p.tree)
			if n == 0 {
				missed = append(missed, p.src.Name)
				if firstWhy == "" {
					firstWhy = why
				}
			}
			hits += n
		}
		switch {
		case hits == 0 && ov.Flag == "--set":
			return nil, fmt.Errorf("--set %s: %s", ov.Path, firstWhy)
		case hits == 0:
			return nil, fmt.Errorf("%s: no selected event has %s to change", ov.Flag, ov.where)
		case len(missed) > 0:
			f.warnings = append(f.warnings, fmt.Sprintf("%s %s did not apply to %s", ov.Flag, ov.Path, strings.Join(limitNames(missed, 5), ", ")))
		}
	}

	// Batches.
	per := max(o.Batch, 1)
	var groups [][]parsed
	switch {
	case per == 1:
		for _, p := range trees {
			groups = append(groups, []parsed{p})
		}
	case len(trees) > 0 && len(trees) < per:
		// Fewer sources than a batch holds: cycle through them so the body
		// carries the number of events asked for.
		g := make([]parsed, per)
		for i := range g {
			g[i] = parsed{trees[i%len(trees)].src, trees[i%len(trees)].tree.clone()}
		}
		groups = append(groups, g)
	default:
		for i := 0; i < len(trees); i += per {
			groups = append(groups, trees[i:min(i+per, len(trees))])
		}
	}
	for gi, g := range groups {
		b := &builder{feed: f, rng: rng, body: gi}
		var names []string
		var roots []*node
		events := 0
		for _, p := range g {
			root := p.tree
			if len(g) > 1 {
				root = root.clone()
			}
			events += countEvents(root)
			if !o.KeepIDs {
				b.freshen(root)
			}
			roots = append(roots, root)
			names = append(names, p.src.Name)
		}
		root := roots[0]
		if len(roots) > 1 {
			root = merge(roots, o.Layout)
		}
		if o.Shuffle {
			shuffleStatuses(root, rng)
		}
		t, err := b.finish(root, o)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", strings.Join(limitNames(names, 3), "+"), err)
		}
		t.name = batchName(names)
		t.events = events
		f.bodies = append(f.bodies, t)
	}
	for _, t := range f.bodies {
		if len(t.slots) == 0 {
			t.presign(o)
		}
	}
	f.order = make([]int, len(f.bodies))
	for i := range f.order {
		f.order[i] = i
	}
	if o.Shuffle {
		orderForShuffle(f, rng)
	}
	return f, nil
}

func rawConflicts(o Options, overrides []Override, sources []Source) error {
	what := "--verbatim"
	if !o.Raw {
		what = "a recording replayed byte for byte"
	}
	conflicts := []struct {
		on   bool
		flag string
	}{
		{len(overrides) > 0, "--set and the shortcuts (--from, --name, --text…)"},
		{o.Pretty, "--pretty"},
		{o.Oversize, "--oversize"},
		{o.Batch > 1, "--batch"},
		{o.Shuffle && o.Raw, "--shuffle"},
	}
	for _, c := range conflicts {
		if c.on {
			return fmt.Errorf("%s cannot be combined with %s: the bytes are sent untouched", c.flag, what)
		}
	}
	return nil
}

func checkSecret(o Options, sources []Source) error {
	if o.NoSignature || o.Secret != "" || o.Headers.Get("X-Hub-Signature-256") != "" {
		return nil
	}
	for _, s := range sources {
		if s.Header.Get("X-Hub-Signature-256") == "" {
			return errors.New("no App Secret to sign with: set WA_HOOKS_APP_SECRET, app_secret in the config file, or --app-secret (or send unsigned with --no-signature)")
		}
	}
	return nil
}

// MetaHeader is the headers Meta sends with every webhook POST (before the
// signature), plus extra.
func MetaHeader(extra http.Header) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "facebookexternalua")
	for k, vs := range extra {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	return h
}

func limitNames(names []string, n int) []string {
	if len(names) <= n {
		return names
	}
	return append(append([]string(nil), names[:n]...), fmt.Sprintf("%d more", len(names)-n))
}

func batchName(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	same := true
	for _, n := range names {
		same = same && n == names[0]
	}
	if same {
		return fmt.Sprintf("%s×%d", names[0], len(names))
	}
	return fmt.Sprintf("batch[%s]", strings.Join(limitNames(names, 3), "+"))
}

// eventArrays are value keys whose items are events; contacts only describe them.
func countEvents(root *node) int {
	n := 0
	for _, e := range arr(root.get("entry")) {
		for _, c := range arr(e.get("changes")) {
			v := c.get("value")
			items := 0
			if v != nil && v.kind == kObject {
				for i, k := range v.keys {
					if k != "contacts" && v.vals[i].kind == kArray {
						items += len(v.vals[i].vals)
					}
				}
			}
			n += max(items, 1)
		}
	}
	return max(n, 1)
}

func countEventsRaw(body []byte) int {
	tree, err := parse(body)
	if err != nil {
		return 1
	}
	return countEvents(tree)
}

func arr(n *node) []*node {
	if n == nil || n.kind != kArray {
		return nil
	}
	return n.vals
}

// merge combines documents into one batched body.
func merge(roots []*node, layout Layout) *node {
	out := roots[0]
	entries := out.get("entry")
	if entries == nil || entries.kind != kArray {
		return out
	}
	for _, r := range roots[1:] {
		for _, e := range arr(r.get("entry")) {
			if layout == LayoutEntries {
				entries.vals = append(entries.vals, e)
				continue
			}
			dst := findEntry(entries, e)
			if dst == nil {
				entries.vals = append(entries.vals, e)
				continue
			}
			dstChanges := dst.get("changes")
			if dstChanges == nil || dstChanges.kind != kArray {
				continue
			}
			for _, c := range arr(e.get("changes")) {
				if layout == LayoutChanges {
					dstChanges.vals = append(dstChanges.vals, c)
					continue
				}
				if into := findChange(dstChanges, c); into != nil {
					mergeValue(into.get("value"), c.get("value"))
				} else {
					dstChanges.vals = append(dstChanges.vals, c)
				}
			}
		}
	}
	return out
}

func findEntry(entries, e *node) *node {
	id := e.get("id")
	for _, d := range entries.vals {
		if sameScalar(d.get("id"), id) {
			return d
		}
	}
	return nil
}

func findChange(changes, c *node) *node {
	if !hasItems(c.get("value")) {
		// A management update (template status, account…) is one object:
		// a second one can only be another change.
		return nil
	}
	for _, d := range changes.vals {
		if !sameScalar(d.get("field"), c.get("field")) {
			continue
		}
		dv, cv := d.get("value"), c.get("value")
		if dv == nil || cv == nil || dv.kind != kObject || cv.kind != kObject {
			continue
		}
		if hasItems(dv) && sameScalar(dv.get("metadata").get("phone_number_id"), cv.get("metadata").get("phone_number_id")) {
			return d
		}
	}
	return nil
}

// hasItems reports whether a change's value carries arrays of events
// (messages, statuses, calls…) that further events can join.
func hasItems(v *node) bool {
	if v == nil || v.kind != kObject {
		return false
	}
	for i, k := range v.keys {
		if k != "contacts" && v.vals[i].kind == kArray {
			return true
		}
	}
	return false
}

func sameScalar(a, b *node) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.kind == b.kind && a.str == b.str && a.b == b.b && a.kind != kObject && a.kind != kArray
}

// mergeValue appends src's arrays (messages, statuses, errors…) to dst's;
// a sender's contact is added once.
func mergeValue(dst, src *node) {
	for i, k := range src.keys {
		sv := src.vals[i]
		if sv.kind != kArray {
			continue
		}
		dv := dst.get(k)
		if dv == nil || dv.kind != kArray {
			dst.set(k, sv)
			continue
		}
		for _, item := range sv.vals {
			if k == "contacts" && hasContact(dv, item) {
				continue
			}
			dv.vals = append(dv.vals, item)
		}
	}
}

func hasContact(list, c *node) bool {
	for _, d := range list.vals {
		if sameScalar(d.get("wa_id"), c.get("wa_id")) && sameScalar(d.get("user_id"), c.get("user_id")) {
			return true
		}
	}
	return false
}

// statusRank orders a message's lifecycle; shuffling sends higher ranks first.
func statusRank(n *node) int {
	switch s := n.get("status"); {
	case s == nil:
		return -1
	case s.str == "sent":
		return 1
	case s.str == "delivered":
		return 2
	case s.str == "read":
		return 3
	case s.str == "played":
		return 4
	case s.str == "failed":
		return 0
	}
	return 0
}

// shuffleStatuses puts every value's statuses in a random order in which no
// status comes before a later state (read before delivered, as Meta may send
// them), and shuffles messages too.
func shuffleStatuses(root *node, rng *rand.Rand) {
	for _, e := range arr(root.get("entry")) {
		for _, c := range arr(e.get("changes")) {
			v := c.get("value")
			for _, key := range []string{"messages", "statuses"} {
				items := arr(v.get(key))
				rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
				if key == "statuses" {
					sort.SliceStable(items, func(i, j int) bool { return statusRank(items[i]) > statusRank(items[j]) })
				}
			}
		}
	}
}

// orderForShuffle shuffles the bodies of a pass, bodies with later statuses first.
func orderForShuffle(f *Feed, rng *rand.Rand) {
	rng.Shuffle(len(f.order), func(i, j int) { f.order[i], f.order[j] = f.order[j], f.order[i] })
	sort.SliceStable(f.order, func(i, j int) bool {
		return f.bodies[f.order[i]].rank > f.bodies[f.order[j]].rank
	})
}

// digitsOnly reports whether s is a plausible unix time in seconds.
func isUnixTime(s string) (int64, bool) {
	if len(s) < 9 || len(s) > 11 {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}
