package recording

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fullDisk is a file on a disk with room bytes left: a write beyond them is
// written part-way and fails, as write(2) does on a full disk.
type fullDisk struct {
	data        []byte
	room        int
	failTrunc   bool
	truncations int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	n := min(len(p), d.room)
	d.data = append(d.data, p[:n]...)
	d.room -= n
	if n < len(p) {
		return n, syscall.ENOSPC
	}
	return n, nil
}

func (d *fullDisk) Truncate(size int64) error {
	d.truncations++
	if d.failTrunc {
		return syscall.EIO
	}
	d.room += len(d.data) - int(size)
	d.data = d.data[:size]
	return nil
}

func (d *fullDisk) Sync() error  { return nil }
func (d *fullDisk) Close() error { return nil }

func rec(seq uint64) Record {
	return Record{Time: time.Unix(1792913640, 0).UTC(), Seq: seq, Method: "POST", Path: "/webhook", Status: 200,
		Body: []byte(`{"object":"whatsapp_business_account","entry":[]}`)}
}

func readBack(t *testing.T, data []byte) []uint64 {
	t.Helper()
	res, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped > 0 {
		t.Fatalf("%d unreadable lines (first: %d) in:\n%s", res.Skipped, res.FirstSkip, data)
	}
	var seqs []uint64
	for _, r := range res.Records {
		seqs = append(seqs, r.Seq)
	}
	return seqs
}

// A write that fails part-way is cut back to the last whole line, so the
// next record is whole and readable, whether or not each line is synced.
func TestFullDiskCutsBackTornWrite(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		d := &fullDisk{room: 1 << 20}
		r := NewRecorder(d, "rec.jsonl", 0, fsync)
		if err := r.Write(rec(1)); err != nil {
			t.Fatal(err)
		}
		d.room = 40 // the next line does not fit
		err := r.Write(rec(2))
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "cut back to the last whole line") {
			t.Fatalf("fsync %v: a torn write reported %v", fsync, err)
		}
		d.room = 1 << 20 // space freed
		if err := r.Write(rec(3)); err != nil {
			t.Fatal(err)
		}
		if got := readBack(t, d.data); len(got) != 2 || got[0] != 1 || got[1] != 3 {
			t.Fatalf("fsync %v: records %v, want [1 3]", fsync, got)
		}
		if r.Count() != 2 {
			t.Fatalf("count %d", r.Count())
		}
	}
}

// When the torn line cannot be cut off either, nothing more is written
// (each Write fails, so serve answers 500) until it can.
func TestFullDiskRefusesUntilWhole(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		d := &fullDisk{room: 1 << 20}
		r := NewRecorder(d, "rec.jsonl", 0, fsync)
		if err := r.Write(rec(1)); err != nil {
			t.Fatal(err)
		}
		d.room, d.failTrunc = 40, true
		if err := r.Write(rec(2)); err == nil || !strings.Contains(err.Error(), "could not be cut off") {
			t.Fatalf("fsync %v: %v", fsync, err)
		}
		d.room = 1 << 20
		before := len(d.data)
		if err := r.Write(rec(3)); err == nil {
			t.Fatalf("fsync %v: a record was written after a torn line", fsync)
		}
		if len(d.data) != before {
			t.Fatalf("fsync %v: bytes were appended to the torn line", fsync)
		}
		d.failTrunc = false
		if err := r.Write(rec(4)); err != nil {
			t.Fatalf("fsync %v: once the torn line can be cut: %v", fsync, err)
		}
		if got := readBack(t, d.data); len(got) != 2 || got[0] != 1 || got[1] != 4 {
			t.Fatalf("fsync %v: records %v, want [1 4]", fsync, got)
		}
	}
}
