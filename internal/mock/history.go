package mock

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

// Message states, in the order a message goes through them.
const (
	stAccepted uint8 = iota
	stSent
	stDelivered
	stRead
	stFailed
	stReceived // an inbound message
)

var stateNames = [...]string{"accepted", "sent", "delivered", "read", "failed", "received"}

// Pricing categories.
const (
	catService uint8 = iota
	catUtility
	catMarketing
	catAuthentication
)

var categoryNames = [...]string{"service", "utility", "marketing", "authentication"}

func categoryOf(s string) uint8 {
	for i, n := range categoryNames {
		if strings.EqualFold(n, s) {
			return uint8(i)
		}
	}
	return catService
}

// Message flags.
const (
	flHoldAfterRead uint8 = 1 << iota // post delivered only after read (out of order)
	flSkipDelivered                   // never post delivered (the read carries pricing)
	flDeliveredDone                   // delivered posted (or skipped)
	flPricingDone                     // the second priced status went out
	flToBSUID                         // sent to the user's BSUID
	flFreeWindow                      // sent inside the customer-service window
)

// message is one entry of the history, kept small: a mock holds up to a
// million of them. Its wamid is derived from seq, never stored.
type message struct {
	seq      uint64
	user     *simnet.User
	at       int64 // unix nanoseconds
	out      bool
	state    uint8
	category uint8
	version  uint8
	flags    uint8
	errCode  int32
	typ      uint8  // index in typeNames
	text     string // a short summary
}

// history is a ring of the latest messages, indexed by seq.
type history struct {
	ring  []message
	first uint64 // seq of ring[start]
	start int
	n     int
	limit int
	// opaque holds biz_opaque_callback_data by seq: few messages have one.
	opaque map[uint64]string
}

// newHistory allocates the whole ring at once: growing it by appending
// would hold the old and the new array at the same time, and the pages of
// a large allocation cost memory only once they are written.
func newHistory(limit int) *history {
	return &history{limit: limit, ring: make([]message, 0, limit), opaque: map[uint64]string{}}
}

// typeNames are the message types the history knows by number, so a
// million messages do not each hold a type string.
var typeNames = [...]string{"unknown", "text", "image", "audio", "video", "document", "sticker", "location",
	"contacts", "interactive", "reaction", "template", "button", "order", "system", "unsupported",
	"request_welcome", "revoke", "edit"}

func typeCode(t string) uint8 {
	for i, n := range typeNames {
		if n == t {
			return uint8(i)
		}
	}
	return 0
}

func (m *message) typeName() string { return typeNames[m.typ] }

func (h *history) add(m message) *message {
	if len(h.ring) < h.limit {
		if h.n == 0 {
			h.first = m.seq
		}
		h.ring = append(h.ring, m)
		h.n++
		return &h.ring[len(h.ring)-1]
	}
	// Full: overwrite the oldest.
	i := h.start
	delete(h.opaque, h.ring[i].seq)
	h.ring[i] = m
	h.start = (h.start + 1) % len(h.ring)
	h.first = h.ring[h.start].seq
	return &h.ring[i]
}

// get finds a message by seq (seqs grow, but not every seq is a message).
// What is looked up is mostly what was sent moments ago (its statuses),
// so the search gallops back from the newest message: a few steps near
// the end of a ring of a million rather than twenty across it, each a
// likely cache miss.
func (h *history) get(seq uint64) *message {
	n := len(h.ring)
	if h.n == 0 || seq < h.first || h.at(n-1).seq < seq {
		return nil
	}
	// Find lo < hi with seq(lo) < seq <= seq(hi), hi counted from the end.
	hi, step := n-1, 1
	lo := hi - step
	for lo >= 0 && h.at(lo).seq >= seq {
		hi, step = lo, step*2
		lo = hi - step
	}
	lo = max(lo, -1)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if h.at(mid).seq < seq {
			lo = mid
		} else {
			hi = mid
		}
	}
	if m := h.at(hi); m.seq == seq {
		return m
	}
	return nil
}

func (h *history) setOpaque(seq uint64, v string) {
	if v != "" {
		h.opaque[seq] = v
	}
}

func (h *history) opaqueOf(seq uint64) string { return h.opaque[seq] }

func (h *history) at(i int) *message {
	if i += h.start; i >= len(h.ring) {
		i -= len(h.ring)
	}
	return &h.ring[i]
}

func (h *history) len() int { return len(h.ring) }

// each calls fn for every message, oldest first.
func (h *history) each(fn func(*message)) {
	for i := range h.ring {
		fn(h.at(i))
	}
}

// wamid encodes seq in Meta's wamid shape: base64 of a small binary record
// holding the counterpart's number, a direction byte and 20 hex digits.
func (s *Server) wamid(seq uint64, who string, out bool) string {
	dir := byte(0x12)
	if out {
		dir = 0x11
	}
	who = strings.TrimLeft(who, "+")
	if len(who) > 40 {
		who = who[:40]
	}
	var raw [72]byte
	b := append(raw[:0], 0x1c, 0x18, byte(len(who)))
	b = append(b, who...)
	b = append(b, 0x15, 0x02, 0x00, dir, 0x18, 0x14)
	b = appendHex(b, uint64(uint16(s.idMask>>48)), 4)
	b = appendHex(b, seq^s.idMask, 16)
	b = append(b, 0x00)
	var buf [len("wamid.") + (len(raw)+2)/3*4]byte // on the stack: the string is the one copy
	id := base64.StdEncoding.AppendEncode(append(buf[:0], "wamid."...), b)
	return string(id)
}

// appendHex appends v as exactly n upper-case hex digits (%0nX).
func appendHex(b []byte, v uint64, n int) []byte {
	const digits = "0123456789ABCDEF"
	for i := n - 1; i >= 0; i-- {
		b = append(b, digits[(v>>(4*uint(i)))&0xf])
	}
	return b
}

// seqOf decodes a wamid made by wamid; ok is false for any other string.
func (s *Server) seqOf(id string) (uint64, bool) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(id, "wamid."))
	if err != nil || len(raw) < 23 || !strings.HasPrefix(id, "wamid.") {
		return 0, false
	}
	tail := raw[len(raw)-21 : len(raw)-1]
	if raw[len(raw)-1] != 0 || raw[len(raw)-23] != 0x18 || raw[len(raw)-22] != 0x14 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(tail[4:]), 16, 64)
	if err != nil {
		return 0, false
	}
	return v ^ s.idMask, true
}

func (s *Server) nextSeq() uint64 {
	s.seq++
	return s.seq
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
