package simnet

import (
	"strings"
	"testing"
	"time"
)

func TestSeededUsersAndLookup(t *testing.T) {
	n := NewNetwork(1)
	n.Seed()
	if n.Len() != 3 {
		t.Fatalf("%d users", n.Len())
	}
	for key, want := range map[string]string{
		"alice": "alice", "15550100001": "alice", "+1 555 010 0001": "alice",
		"BR.20847561938475610293": "bruno", "US.13491208655302741918": "chen",
	} {
		if u := n.Find(key); u == nil || u.Name != want {
			t.Errorf("Find(%q) = %v, want %s", key, u, want)
		}
	}
	chen := n.Find("chen")
	if chen.WaID != "" || chen.Username == "" || chen.UserID == "" {
		t.Errorf("chen should have a BSUID and username and no phone: %+v", chen)
	}
	if err := n.Unknown("alcie"); !strings.Contains(err.Error(), `did you mean "alice"`) {
		t.Errorf("did-you-mean: %v", err)
	}
	if _, err := n.Add(Spec{Name: "alice"}); err == nil {
		t.Errorf("a second alice")
	}
	if _, err := n.Add(Spec{Name: "x", Identity: "fax"}); err == nil {
		t.Errorf("an unknown identity kind")
	}
	u, err := n.Add(Spec{Name: "dana", Identity: BSUIDOnly})
	if err != nil || u.WaID != "" || u.Username != "" || u.UserID == "" {
		t.Errorf("bsuid-only: %+v %v", u, err)
	}
}

func TestWindow(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	u := &User{}
	if u.WindowOpen(now) {
		t.Error("open without a message")
	}
	u.LastInbound = now.Add(-23 * time.Hour)
	if !u.WindowOpen(now) || !u.WindowExpires(now).Equal(now.Add(time.Hour)) {
		t.Error("23 hours ago: open for another hour")
	}
	u.LastInbound = now.Add(-25 * time.Hour)
	if u.WindowOpen(now) {
		t.Error("25 hours ago: closed")
	}
}

func TestChangeNumberGivesANewBSUID(t *testing.T) {
	n := NewNetwork(1)
	n.Seed()
	b := n.Find("bruno")
	oldWa, oldID, err := n.ChangeNumber(b, "+55 11 95550 0009")
	if err != nil || oldWa != "5511955500002" || b.WaID != "5511955500009" || b.UserID == oldID {
		t.Fatalf("%v %s %s %+v", err, oldWa, oldID, b)
	}
	if n.Find(oldWa) != nil || n.Find(b.WaID) != b {
		t.Error("the index follows the change")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Now()
	l := NewLimiter(Limits{PairBurst: 2, PairEvery: time.Hour})
	if l.Allow("a", now) != "" || l.Allow("a", now) != "" || l.Allow("a", now) != "pair" || l.Allow("b", now) != "" {
		t.Error("pair burst of 2 per user")
	}
	l = NewLimiter(Limits{MPS: 1})
	if l.Allow("a", now) != "" || l.Allow("b", now) != "throughput" {
		t.Error("1 mps")
	}
}

func TestDiceAreSeeded(t *testing.T) {
	a, b := NewDice(7), NewDice(7)
	for range 100 {
		if a.Roll(0.5) != b.Roll(0.5) {
			t.Fatal("same seed, different flips")
		}
	}
	if NewDice(1).Roll(0) || !NewDice(1).Roll(1) {
		t.Error("0 and 1 are never and always")
	}
}
