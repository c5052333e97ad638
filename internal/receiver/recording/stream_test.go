package recording

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// bigBody is a body past streamBody whose escapes and multi-byte runes
// fall on every side of the pieces' boundaries.
func bigBody(valid bool) []byte {
	b := bytes.Clone(bigText())
	if !valid {
		b = append(b, 0xff)
	}
	return b
}

var bigText = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	b.WriteString(`{"text":"`)
	for i := 0; b.Len() < streamBody+2*streamPiece+17; i++ {
		fmt.Fprintf(&b, `say \"hola\" é✓😀 \n\t%c`, rune(i%0x20))
	}
	b.WriteString(`"}`)
	return b.Bytes()
})

func bigRec(seq uint64, valid bool) Record {
	r := rec(seq)
	r.Body = bigBody(valid)
	r.Header = map[string][]string{"X-Hub-Signature-256": {"sha256=00"}}
	return r
}

// A large body's line, written in pieces, is byte for byte the line built
// whole, as text and as base64, with and without fsync.
func TestStreamedLineIsTheWholeLine(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		for _, valid := range []bool{true, false} {
			d := &fullDisk{room: 64 << 20}
			r := NewRecorder(d, "rec.jsonl", 0, fsync)
			rc := bigRec(7, valid)
			if err := r.Write(rc); err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := rc.encode(&want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.data, want.Bytes()) {
				t.Fatalf("fsync %v, text %v: the streamed line (%d bytes) is not the whole line (%d bytes)", fsync, valid, len(d.data), want.Len())
			}
			res, err := Read(bytes.NewReader(d.data))
			if err != nil || len(res.Records) != 1 || !bytes.Equal(res.Records[0].Body, rc.Body) {
				t.Fatalf("fsync %v, text %v: read back %v, %d records", fsync, valid, err, len(res.Records))
			}
			if r.Count() != 1 || r.size != int64(len(d.data)) {
				t.Errorf("count %d, size %d of %d", r.Count(), r.size, len(d.data))
			}
		}
	}
}

// A streamed line that the disk cuts off part-way, after some of its
// pieces were written, is cut back whole: the file keeps no part of it.
// When the cut fails, nothing more is written until it works.
func TestStreamedLineCutBackWhenTheDiskFills(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		d := &fullDisk{room: 64 << 20}
		r := NewRecorder(d, "rec.jsonl", 0, fsync)
		if err := r.Write(rec(1)); err != nil {
			t.Fatal(err)
		}
		d.room = 3*streamPiece + 100 // a few pieces fit
		err := r.Write(bigRec(2, true))
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "cut back to the last whole line") {
			t.Fatalf("fsync %v: %v", fsync, err)
		}
		d.room = 64 << 20
		if err := r.Write(bigRec(3, true)); err != nil {
			t.Fatal(err)
		}
		if got := readBack(t, d.data); len(got) != 2 || got[0] != 1 || got[1] != 3 {
			t.Fatalf("fsync %v: records %v, want [1 3]", fsync, got)
		}

		d.room, d.failTrunc = 2*streamPiece, true
		if err := r.Write(bigRec(4, true)); err == nil || !strings.Contains(err.Error(), "could not be cut off") {
			t.Fatalf("fsync %v: %v", fsync, err)
		}
		d.room = 64 << 20
		if err := r.Write(bigRec(5, true)); err == nil {
			t.Fatalf("fsync %v: a line was written after a torn one", fsync)
		}
		d.failTrunc = false
		if err := r.Write(rec(6)); err != nil {
			t.Fatal(err)
		}
		if got := readBack(t, d.data); len(got) != 3 || got[2] != 6 {
			t.Fatalf("fsync %v: records %v, want [1 3 6]", fsync, got)
		}
	}
}

// Streamed lines and whole ones written at once never interleave, with
// fsync's batches or without.
func TestStreamedAndSmallLinesStayWhole(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "rec.jsonl")
		r, err := Open(path, fsync)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		const writers, each = 4, 3
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					rc := rec(uint64(w*each + i + 1))
					if w%3 == 0 {
						rc = bigRec(rc.Seq, true)
					}
					if err := r.Write(rc); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := readBack(t, data); len(got) != writers*each {
			t.Fatalf("fsync %v: %d records, want %d", fsync, len(got), writers*each)
		}
	}
}

// AppendBody is the body field of the line Write writes, as text and as
// base64.
func TestAppendBodyIsTheLinesBody(t *testing.T) {
	for _, body := range [][]byte{[]byte(`{"a":"say \"hi\"\n"}`), {0xff, 'x', 0}, {}} {
		var line bytes.Buffer
		r := rec(1)
		r.Body = body
		if err := r.encode(&line); err != nil {
			t.Fatal(err)
		}
		field := AppendBody(nil, body)
		if !bytes.HasSuffix(bytes.TrimSuffix(line.Bytes(), []byte("}\n")), append([]byte(","), field...)) {
			t.Errorf("%q: field %s, line %s", body, field, line.Bytes())
		}
	}
}
