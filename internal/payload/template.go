package payload

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the legacy X-Hub-Signature header is HMAC-SHA1 by definition
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

type slotKind uint8

const (
	slotTime slotKind = iota // unix seconds: now + offset
	slotID                   // a fresh wamid./wacid.
)

// slot is a value filled in for every request.
type slot struct {
	kind   slotKind
	offset int64  // slotTime: seconds from the source's first timestamp
	key    uint64 // slotID: which id this is (same key, same fresh id within a pass)
	prefix string // slotID: "wamid." or "wacid."
	head   []byte // slotID: the id's binary form up to its random part
	hexLen int    // slotID: length of the random hex part
}

// template is one body: fixed byte segments with slots between them.
type template struct {
	name        string
	events      int
	rank        int // highest status lifecycle state in the body (for --shuffle)
	segs        [][]byte
	slots       []slot
	escapeSlash bool
	size        int // room a rendered body needs
	recorded    http.Header
	// Signatures of a body without slots, computed once.
	sig256, sig1 string
}

// builder prepares one body.
type builder struct {
	feed    *Feed
	rng     *rand.Rand
	body    int
	slots   []slot
	prefixS string // placeholder for string slots
	prefixN string // placeholder for number slots
}

const placeholderDigits = 6

func (b *builder) placeholders() {
	if b.prefixS != "" {
		return
	}
	const letters = "abcdefghijklmnopqrstuvwxyz"
	var s, n strings.Builder
	s.WriteString("wahooks")
	n.WriteString("9")
	for range 16 {
		s.WriteByte(letters[b.rng.IntN(len(letters))])
		n.WriteByte(byte('0' + b.rng.IntN(10)))
	}
	b.prefixS, b.prefixN = s.String(), n.String()
}

func (b *builder) add(sl slot, number bool) *node {
	b.placeholders()
	idx := len(b.slots)
	b.slots = append(b.slots, sl)
	if number {
		return numNode(fmt.Sprintf("%s%0*d", b.prefixN, placeholderDigits, idx))
	}
	return strNode(fmt.Sprintf("%s%0*d", b.prefixS, placeholderDigits, idx))
}

// timeKeys hold unix times Meta fills with the time of the event, or a
// time at a fixed distance from it (an expiry, a call's start and end).
var timeKeys = map[string]bool{"timestamp": true, "time": true, "expiration_timestamp": true, "created_timestamp": true,
	"updated_timestamp": true, "start_time": true, "end_time": true, "category_update_timestamp": true, "tier_update_time": true}

// freshen replaces every event id and timestamp of root with slots. Times
// keep their distance from the document's first timestamp, so the first
// becomes "now" and an expiry a day later stays a day later.
func (b *builder) freshen(root *node) {
	ref, ok := firstTime(root)
	if !ok {
		ref = 0
	}
	b.walk(root, false, ref)
}

func firstTime(n *node) (int64, bool) {
	switch n.kind {
	case kObject:
		for i, k := range n.keys {
			v := n.vals[i]
			if timeKeys[k] && (v.kind == kString || v.kind == kNumber) {
				if t, ok := isUnixTime(v.str); ok {
					return t, true
				}
			}
		}
		for _, v := range n.vals {
			if t, ok := firstTime(v); ok {
				return t, true
			}
		}
	case kArray:
		for _, v := range n.vals {
			if t, ok := firstTime(v); ok {
				return t, true
			}
		}
	}
	return 0, false
}

func (b *builder) walk(n *node, item bool, ref int64) {
	switch n.kind {
	case kArray:
		for _, v := range n.vals {
			b.walk(v, true, ref)
		}
	case kObject:
		for i, k := range n.keys {
			v := n.vals[i]
			switch {
			case timeKeys[k] && (v.kind == kString || v.kind == kNumber):
				if t, ok := isUnixTime(v.str); ok {
					n.vals[i] = b.add(slot{kind: slotTime, offset: t - ref}, v.kind == kNumber)
					continue
				}
			case k == "id" && item && v.kind == kString && (strings.HasPrefix(v.str, "wamid.") || strings.HasPrefix(v.str, "wacid.")):
				n.vals[i] = b.add(b.idSlot(n, v.str), false)
				continue
			}
			b.walk(v, false, ref)
		}
	}
}

// idSlot describes a fresh id for the event object ev whose id is old.
// Message ids are unique per event; a status's id names the message it is
// about, so statuses sharing an id keep sharing one (and with --shuffle all
// statuses to one recipient become the lifecycle of one message).
func (b *builder) idSlot(ev *node, old string) slot {
	phone := ""
	for _, k := range []string{"from", "recipient_id", "to", "wa_id"} {
		if p := ev.get(k); p != nil && p.kind == kString {
			phone = p.str
			break
		}
	}
	status := ev.get("status") != nil
	var key string
	switch {
	case status && b.feed.opts.Shuffle:
		// The k-th "delivered" and the k-th "read" to one recipient are
		// about the same message; two "delivered" never are.
		state := ev.get("status").str
		k := b.feed.lifecycle[phone+"\x00"+state]
		b.feed.lifecycle[phone+"\x00"+state] = k + 1
		key = fmt.Sprintf("lifecycle:%s:%d", phone, k)
	case status:
		key = "status:" + old
	default:
		key = fmt.Sprintf("event:%d:%d", b.body, len(b.slots))
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	sl := slot{kind: slotID, key: h.Sum64(), prefix: old[:6], hexLen: 20}
	if len(phone) > 100 {
		phone = phone[:100]
	}
	// The layout of a real wamid (base64 of a small protobuf-like record
	// holding the user's number and a random hex id); outgoing messages use
	// a shorter id.
	head := []byte{0x1c, 0x18, byte(len(phone))}
	head = append(head, phone...)
	head = append(head, 0x15, 0x02, 0x00)
	if status {
		head = append(head, 0x11, 0x18, 0x12)
		sl.hexLen = 18
	} else {
		head = append(head, 0x12, 0x18, 0x14)
	}
	sl.head = head
	return sl
}

// finish encodes root and cuts it into a template.
func (b *builder) finish(root *node, o Options) (*template, error) {
	style := wire.Style{Escaping: wire.Meta}
	if o.Pretty {
		style = wire.Style{Escaping: wire.Unicode, Indent: "  "}
	}
	out, err := wire.Format(encode(nil, root), style)
	if err != nil {
		return nil, err
	}
	if o.Oversize && len(out) <= MetaMaxBody {
		pad(root, MetaMaxBody+4096-len(out), b.prefixS)
		if out, err = wire.Format(encode(nil, root), style); err != nil {
			return nil, err
		}
	}
	t := &template{escapeSlash: !o.Pretty, rank: maxRank(root)}
	if err := b.split(t, out); err != nil {
		return nil, err
	}
	return t, nil
}

func (b *builder) split(t *template, out []byte) error {
	if len(b.slots) == 0 {
		t.segs = [][]byte{out}
		return nil
	}
	ps, pn := []byte(b.prefixS), []byte(b.prefixN)
	rest := out
	for {
		i, j := bytes.Index(rest, ps), bytes.Index(rest, pn)
		p, plen := i, len(ps)
		if p < 0 || (j >= 0 && j < p) {
			p, plen = j, len(pn)
		}
		if p < 0 {
			break
		}
		end := p + plen + placeholderDigits
		if end > len(rest) {
			return fmt.Errorf("internal error: truncated placeholder")
		}
		idx, err := strconv.Atoi(string(rest[p+plen : end]))
		if err != nil || idx >= len(b.slots) {
			return fmt.Errorf("internal error: bad placeholder")
		}
		t.segs = append(t.segs, rest[:p])
		t.slots = append(t.slots, b.slots[idx])
		rest = rest[end:]
	}
	t.segs = append(t.segs, rest)
	for _, seg := range t.segs {
		t.size += len(seg)
	}
	t.size += 96 * len(t.slots) // a wamid with a long number and escapes fits
	// Fewer slots than placeholders is fine: merging a batch keeps one
	// entry's time and one value's metadata, dropping the others'.
	return nil
}

func maxRank(root *node) int {
	best := -1
	for _, e := range arr(root.get("entry")) {
		for _, c := range arr(e.get("changes")) {
			for _, s := range arr(c.get("value").get("statuses")) {
				best = max(best, statusRank(s))
			}
		}
	}
	return best
}

// pad lengthens the first text message body, else the longest string, by n bytes.
func pad(root *node, n int, placeholder string) {
	if n <= 0 {
		return
	}
	filler := strings.Repeat("wa-hooks oversize padding. ", n/27+1)[:n]
	for _, e := range arr(root.get("entry")) {
		for _, c := range arr(e.get("changes")) {
			for _, m := range arr(c.get("value").get("messages")) {
				if t := m.get("text").get("body"); t != nil && t.kind == kString {
					t.str += filler
					return
				}
			}
		}
	}
	var longest *node
	var visit func(*node)
	visit = func(n *node) {
		if n.kind == kString && (placeholder == "" || !strings.HasPrefix(n.str, placeholder)) && (longest == nil || len(n.str) > len(longest.str)) {
			longest = n
		}
		for _, v := range n.vals {
			visit(v)
		}
	}
	visit(root)
	if longest != nil {
		longest.str += filler
		return
	}
	if root.kind == kObject {
		root.set("padding", strNode(filler))
	}
}

// presign computes the signatures of a body that never changes.
func (t *template) presign(o Options) {
	if o.Secret == "" {
		return
	}
	t.sig256 = signature.Sign(o.Secret, t.segs[0])
	t.sig1 = signature.SignSHA1(o.Secret, t.segs[0])
}

// NewStream returns a producer of deliveries for one worker.
func (f *Feed) NewStream() sender.Stream {
	s := &stream{f: f}
	if f.opts.Secret != "" {
		s.h256 = hmac.New(sha256.New, []byte(f.opts.Secret))
		s.h1 = hmac.New(sha1.New, []byte(f.opts.Secret))
	}
	return s
}

// Preview builds delivery job without sending it (for --dry-run and tests).
func (f *Feed) Preview(job int) (sender.Delivery, error) {
	return f.NewStream().Delivery(job)
}

// stream renders deliveries for one worker. Its scratch buffers and HMAC
// states are reused; the body and header it returns are new each time,
// because the HTTP transport may read them after the request returned.
type stream struct {
	f        *Feed
	blob     []byte
	b64      []byte
	sum      []byte
	sigbuf   []byte
	h256, h1 hash.Hash
}

// Delivery implements sender.Stream.
func (s *stream) Delivery(job int) (sender.Delivery, error) { return s.delivery(job, 0) }

// Duplicate implements sender.DuplicateStream: job's events with the same
// ids in new bytes, their timestamps n seconds later, as Meta sends the same
// event again in another POST (serve shows it as DUPLICATE). A body without
// timestamps to move (--keep-ids, --verbatim) comes out as the same bytes.
func (s *stream) Duplicate(job, n int) (sender.Delivery, error) {
	return s.delivery(job, int64(n))
}

func (s *stream) delivery(job int, shift int64) (sender.Delivery, error) {
	f := s.f
	n := len(f.order)
	t := f.bodies[f.order[job%n]]
	cycle := uint64(job / n)
	body := t.segs[0] // never modified, so it can be shared
	if len(t.slots) > 0 {
		body = s.render(t, cycle, shift)
	}
	h := make(http.Header, len(f.base)+2)
	for k, v := range f.base {
		h[k] = v // shared, never modified
	}
	s.sign(h, t, body)
	return sender.Delivery{Name: t.name, Body: body, Header: h, Events: t.events}, nil
}

func (s *stream) render(t *template, cycle uint64, shift int64) []byte {
	now := s.f.now().Unix() + shift
	b := make([]byte, 0, t.size)
	for i, sl := range t.slots {
		b = append(b, t.segs[i]...)
		switch sl.kind {
		case slotTime:
			b = strconv.AppendInt(b, now+sl.offset, 10)
		case slotID:
			b = s.appendID(b, t, sl, cycle)
		}
	}
	return append(b, t.segs[len(t.slots)]...)
}

const upperHex = "0123456789ABCDEF"

func (s *stream) appendID(b []byte, t *template, sl slot, cycle uint64) []byte {
	x := mix(s.f.seed ^ sl.key ^ (cycle+1)*0x9e3779b97f4a7c15)
	y := mix(x)
	blob := append(s.blob[:0], sl.head...)
	for i := range sl.hexLen {
		var nib uint64
		if i < 16 {
			nib = x >> (4 * i) & 0xf
		} else {
			nib = y >> (4 * (i - 16)) & 0xf
		}
		blob = append(blob, upperHex[nib])
	}
	blob = append(blob, 0x00)
	s.blob = blob
	s.b64 = base64.StdEncoding.AppendEncode(s.b64[:0], blob)
	b = append(b, sl.prefix...)
	for _, c := range s.b64 {
		if c == '/' && t.escapeSlash {
			b = append(b, '\\', '/')
			continue
		}
		b = append(b, c)
	}
	return b
}

// mix is SplitMix64's finaliser: a cheap, well-spread 64-bit hash.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// sign sets the signature headers for body in h.
func (s *stream) sign(h http.Header, t *template, body []byte) {
	o := s.f.opts
	if o.Headers.Get("X-Hub-Signature-256") != "" {
		return // the user fixed it with -H
	}
	if o.NoSignature {
		delete(h, "X-Hub-Signature-256")
		delete(h, "X-Hub-Signature")
		return
	}
	var sig256, sig1 string
	switch {
	case o.Secret == "":
		sig256, sig1 = t.recorded.Get("X-Hub-Signature-256"), t.recorded.Get("X-Hub-Signature")
	case len(t.slots) == 0:
		sig256, sig1 = t.sig256, t.sig1
	default:
		sig256 = s.hmacHex("sha256=", s.h256, body)
		if o.LegacySHA1 {
			sig1 = s.hmacHex("sha1=", s.h1, body)
		}
	}
	if o.BadSignature {
		sig256 = Spoil(sig256)
		sig1 = Spoil(sig1)
	}
	setOne(h, "X-Hub-Signature-256", sig256)
	if o.LegacySHA1 || (o.Secret == "" && sig1 != "") {
		setOne(h, "X-Hub-Signature", sig1)
	} else {
		delete(h, "X-Hub-Signature")
	}
}

func setOne(h http.Header, k, v string) {
	if v == "" {
		delete(h, k)
		return
	}
	h[k] = []string{v}
}

func (s *stream) hmacHex(prefix string, h hash.Hash, body []byte) string {
	h.Reset()
	h.Write(body)
	s.sum = h.Sum(s.sum[:0])
	out := append(s.sigbuf[:0], prefix...)
	out = hex.AppendEncode(out, s.sum)
	s.sigbuf = out
	return string(out)
}

// Spoil changes the last hex digit: still well-formed, never valid (a
// forged signature, for receivers that must refuse one).
func Spoil(sig string) string {
	if sig == "" {
		return ""
	}
	last := sig[len(sig)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return sig[:len(sig)-1] + string(repl)
}
