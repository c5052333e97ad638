package mock

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// The wamid's digits are written by hand (it is on every status's path);
// they must stay what %04X%016X wrote, so ids in saved states still decode.
func TestWamidKeepsItsShapeAndDecodes(t *testing.T) {
	s := &Server{idMask: 0x9e3779b97f4a7c15}
	for _, seq := range []uint64{0, 1, 42, 1 << 40, ^uint64(0)} {
		for _, out := range []bool{true, false} {
			got := s.wamid(seq, "+15550100001", out)
			dir := byte(0x12)
			if out {
				dir = 0x11
			}
			raw := append([]byte{0x1c, 0x18, 11}, "15550100001"...)
			raw = append(raw, 0x15, 0x02, 0x00, dir, 0x18, 0x14)
			raw = append(raw, fmt.Sprintf("%04X%016X", uint16(s.idMask>>48), seq^s.idMask)...)
			raw = append(raw, 0)
			if want := "wamid." + base64.StdEncoding.EncodeToString(raw); got != want {
				t.Errorf("wamid(%d, %v) = %s, want %s", seq, out, got, want)
			}
			if back, ok := s.seqOf(got); !ok || back != seq {
				t.Errorf("seqOf(wamid(%d)) = %d, %v", seq, back, ok)
			}
		}
	}
	if long := s.wamid(7, strings.Repeat("9", 60), true); !strings.HasPrefix(long, "wamid.") {
		t.Errorf("long counterpart: %s", long)
	}
}

// get finds every message by seq, and nothing for a seq no message has,
// before and after the ring wraps (the search starts at the newest).
func TestHistoryGetFindsEachSeqAcrossTheRing(t *testing.T) {
	for _, limit := range []int{1, 2, 7, 64} {
		h := newHistory(limit)
		if h.get(1) != nil {
			t.Fatalf("limit %d: empty history found seq 1", limit)
		}
		seq := uint64(0)
		var kept []uint64
		for round := range 3 * limit {
			seq += uint64(1 + round%3) // gaps: not every seq is a message
			h.add(message{seq: seq})
			kept = append(kept, seq)
			if len(kept) > limit {
				kept = kept[1:]
			}
			in := map[uint64]bool{}
			for _, k := range kept {
				in[k] = true
			}
			for q := uint64(0); q <= seq+2; q++ {
				m := h.get(q)
				switch {
				case in[q] && (m == nil || m.seq != q):
					t.Fatalf("limit %d after %d adds: get(%d) = %v, want that message", limit, round+1, q, m)
				case !in[q] && m != nil:
					t.Fatalf("limit %d after %d adds: get(%d) found seq %d, want none", limit, round+1, q, m.seq)
				}
			}
		}
	}
}
