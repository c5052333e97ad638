package receiver

import (
	"testing"
	"time"
)

func TestDedupRemembersAndForgetsOldest(t *testing.T) {
	d := newDedup(3)
	zone := time.FixedZone("X", 3600)
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 123, zone)
	if _, _, dup := d.event([]byte("message:a"), 1, t0); dup {
		t.Fatal("first sight reported as a duplicate")
	}
	at, req, dup := d.event([]byte("message:a"), 2, t0.Add(time.Minute))
	if !dup || req != 1 || !at.Equal(t0) || at.Location() != zone {
		t.Fatalf("second sight: dup %v, first request %d, first at %v", dup, req, at)
	}
	for i, k := range []string{"b", "c", "d"} { // pushes "a" out
		d.event([]byte(k), uint64(3+i), t0)
	}
	if _, _, dup := d.event([]byte("message:a"), 9, t0); dup {
		t.Fatal("the oldest key was not forgotten beyond the size")
	}
	if _, _, dup := d.event(nil, 10, t0); dup {
		t.Fatal("an empty key is never a duplicate")
	}

	body := []byte(`{"object":"whatsapp_business_account"}`)
	if retry, n, _, _ := d.body(d.hash(body), 1, t0); retry || n != 1 {
		t.Fatalf("first body: retry %v, copy %d", retry, n)
	}
	retry, n, req, at := d.body(d.hash(append([]byte(nil), body...)), 2, t0.Add(time.Second))
	if !retry || n != 2 || req != 1 || !at.Equal(t0) {
		t.Fatalf("same bytes again: retry %v, copy %d, first request %d at %v", retry, n, req, at)
	}
	if retry, _, _, _ := d.body(d.hash(append(body, ' ')), 3, t0); retry {
		t.Fatal("different bytes taken for a retry")
	}
}
