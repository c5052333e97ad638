package inspector

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// bigText is the messages.text fixture with a text of about 260 KiB, full
// of escaped quotes, that says needle once near its end.
func bigText(t *testing.T) []byte {
	t.Helper()
	body := wireFixture(t, "messages.text")
	long := strings.Repeat(`say \"hola\" `, 20_000) + "needle-in-the-spool"
	big := bytes.Replace(body, []byte("Guadalajara"), []byte("Guadalajara "+long), 1)
	if len(big) < spillBytes || !json.Valid(big) {
		t.Fatalf("the big body is %d bytes, valid %v", len(big), json.Valid(big))
	}
	return big
}

// A large body is kept in the spool, not in memory, and everything the
// page does with a body still works: the detail shows it whole, a search
// finds what only its text says, a replay sends the exact bytes, the
// selection downloads as a recording. The spool is private and gone when
// the inspector stops.
func TestLargeBodyKeptInTheSpool(t *testing.T) {
	r := newRig(t, rigOptions{forward: true})
	big, small := bigText(t), wireFixture(t, "statuses.read")
	sig := signature.Sign(testSecret, big)
	r.post(big, sig)
	r.postSigned(small)
	rows := r.waitRows("", 2).Rows
	bigID, smallID := rows[1].Request, rows[0].Request

	s := r.in.store
	s.mu.RLock()
	eb, es := *s.byID(bigID), *s.byID(smallID)
	s.mu.RUnlock()
	if !eb.spilled || eb.req.Body != nil || eb.spill.n != len(big) {
		t.Fatalf("the large body is not spilled: spilled %v, %d bytes in memory", eb.spilled, len(eb.req.Body))
	}
	if es.spilled || !bytes.Equal(es.req.Body, small) {
		t.Errorf("a small body is spilled (%v) or not kept", es.spilled)
	}
	if len(eb.text) > len(big)/2 {
		t.Errorf("the entry keeps %d bytes of fields beside a %d-byte body: the event's Raw is kept twice", len(eb.text), len(big))
	}
	if got := eb.weight(); got < int64(len(big)) {
		t.Errorf("a spilled body weighs %d against the byte bound, want at least its %d bytes", got, len(big))
	}

	var d Detail
	r.getJSON("/api/requests/"+itoa(bigID), &d)
	if d.Body == nil || *d.Body != string(big) || d.Size != len(big) || !strings.Contains(d.Pretty, "needle-in-the-spool") {
		t.Errorf("detail: size %d, body whole %v", d.Size, d.Body != nil && *d.Body == string(big))
	}
	if len(d.Events) != 1 || !strings.Contains(d.Events[0].Summary, "hola") {
		t.Errorf("detail events: %+v", d.Events)
	}

	if p := r.waitRows("q=needle-in-the-spool", 1); p.Rows[0].Request != bigID {
		t.Errorf("search found %+v", p.Rows)
	}

	for r.capture.count() < 2 { // the forwards of both
		time.Sleep(5 * time.Millisecond)
	}
	st, out := r.action("/api/requests/"+itoa(bigID)+"/replay", ActionRequest{Target: "forward", Mode: ModeExact}, nil)
	if got := r.capture.last(t); st != http.StatusOK || !bytes.Equal(got.Body, big) || got.Header.Get(signature.Header) != sig {
		t.Errorf("replay: %d %s; sent %d bytes", st, out, len(got.Body))
	}

	st, out = r.action("/api/recording", map[string]any{"ids": []uint64{bigID, smallID}}, nil)
	res, err := recording.Read(bytes.NewReader(out))
	if st != http.StatusOK || err != nil || len(res.Records) != 2 || !bytes.Equal(res.Records[0].Body, big) {
		t.Fatalf("recording: %d %v, %d records", st, err, len(res.Records))
	}

	f := s.spool.f
	st2, err := f.Stat()
	if err != nil || st2.Mode().Perm() != 0o600 {
		t.Errorf("spool mode %v (%v), want 0600", st2.Mode().Perm(), err)
	}
	if _, err := os.Stat(f.Name()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the spool %s is still in the directory while open (%v): it is removed at once on this system", f.Name(), err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.spool.read(eb.spill); !errors.Is(err, errSpillGone) {
		t.Errorf("after close the spool still reads: %v", err)
	}
}

// The spool is a ring twice the history's byte bound: a body the ring
// has since written over is reported gone, never read back wrong, and a
// body across the ring's end reads back whole.
func TestSpoolRingOverwritesTheOldest(t *testing.T) {
	sp := newSpool(128 << 10) // a ring of 256 KiB
	sp.dir = t.TempDir()
	defer sp.close()
	bodies := make([][]byte, 3)
	refs := make([]spillRef, 3)
	for i := range bodies {
		bodies[i] = bytes.Repeat([]byte{'a' + byte(i)}, 100<<10)
		ref, ok := sp.write(bodies[i])
		if !ok {
			t.Fatalf("body %d not spilled", i)
		}
		refs[i] = ref
	}
	if _, err := sp.read(refs[0]); !errors.Is(err, errSpillGone) {
		t.Errorf("the overwritten body reads back: %v", err)
	}
	for i := 1; i < 3; i++ { // the last one crosses the ring's end
		if b, err := sp.read(refs[i]); err != nil || !bytes.Equal(b, bodies[i]) {
			t.Errorf("body %d: %v, same bytes %v", i, err, bytes.Equal(b, bodies[i]))
		}
	}
	if st, err := sp.f.Stat(); err != nil || st.Size() > sp.size {
		t.Errorf("the spool is %d bytes, bound %d (%v)", st.Size(), sp.size, err)
	}
	if _, ok := sp.write(make([]byte, sp.size/2+1)); ok {
		t.Error("a body larger than half the ring went to the spool")
	}
}

// The history's byte bound counts spilled bodies: with large bodies only,
// every kept request's body reads back, however many arrived.
func TestHistoryOfLargeBodiesStaysReadable(t *testing.T) {
	s := newStore(0, 512<<10, false, testSecret, testToken)
	s.spool.dir = t.TempDir()
	defer s.close()
	big := bigText(t)
	for seq := uint64(1); seq <= 12; seq++ {
		o := observation(t, seq, "messages.text")
		o.Request.Body = big
		o.Events[0].Raw = nil // the raw event is then looked up in the kept fields
		s.add(o, false)
	}
	p := s.page(Filter{}, 0, 100)
	if p.Requests == 0 || p.Requests >= 12 || p.Bytes > s.maxBytes {
		t.Fatalf("kept %d requests, %d bytes (bound %d)", p.Requests, p.Bytes, s.maxBytes)
	}
	for _, row := range p.Rows {
		c, ok, err := s.snapshot(row.Request)
		if !ok || err != nil || !bytes.Equal(c.req.Body, big) {
			t.Errorf("request %d: found %v, %v", row.Seq, ok, err)
		}
	}
	if st, err := s.spool.f.Stat(); err != nil || st.Size() > 2*s.maxBytes {
		t.Errorf("spool %d bytes for a bound of %d (%v)", st.Size(), s.maxBytes, err)
	}
}

// A Raw the parser handed out as a copy is found in the body and kept as
// its span there, searching on from the last one found; after a Raw that is
// not in the body (or before the last one found) nothing more is looked for.
func TestRawLookFindsCopiesInTheBody(t *testing.T) {
	body := bigText(t)
	i := bytes.Index(body, []byte(`{"from"`))
	if i < 0 {
		t.Fatal("no message in the body")
	}
	first, second := body[i:i+100], body[i+200:len(body)-20]
	var l rawLook
	if a, z, ok := l.span(body, bytes.Clone(first)); !ok || int(a) != i || int(z) != i+100 {
		t.Errorf("a copy: %d..%d %v, want %d..%d", a, z, ok, i, i+100)
	}
	if a, _, ok := l.span(body, bytes.Clone(second)); !ok || int(a) != i+200 {
		t.Errorf("the next copy: at %d %v, want %d", a, ok, i+200)
	}
	if a, _, ok := l.span(body, second); !ok || int(a) != i+200 {
		t.Errorf("a part of the body: at %d %v", a, ok)
	}
	if _, _, ok := l.span(body, bytes.Clone(first)); ok {
		t.Error("a copy before the last one found was looked for")
	}
	if _, _, ok := l.span(body, bytes.Clone(second)); ok {
		t.Error("a copy was looked for after a miss")
	}
	var small rawLook
	if _, _, ok := small.span(body, bytes.Clone(first[:rawLookup-1])); ok {
		t.Error("a Raw below rawLookup was looked for")
	}
	other := bytes.Clone(second)
	other[len(other)/2] = '#'
	var l2 rawLook
	if _, _, ok := l2.span(body, other); ok {
		t.Error("a Raw that differs from the body was found")
	}
}

// Small bodies stay in memory until those kept there come to the store's
// heap bound; the ones after go to the spool, and evicting a body kept in
// memory makes room again.
func TestSmallBodiesSpillPastTheHeapBound(t *testing.T) {
	s := newStore(10, 0, false, testSecret, testToken)
	s.spool.dir = t.TempDir()
	defer s.close()
	size := len(observation(t, 1, "messages.text").Request.Body)
	s.heapMax = int64(3 * size)
	for seq := uint64(1); seq <= 5; seq++ {
		s.add(observation(t, seq, "messages.text"), false)
	}
	var spilled []uint64
	for i := range s.n {
		if e := s.at(i); e.spilled {
			spilled = append(spilled, e.req.Seq)
		}
	}
	if len(spilled) != 2 || spilled[0] != 4 || s.heapBodies != int64(3*size) {
		t.Fatalf("spilled %v, %d bytes in memory; want 4 and 5 spilled, %d in memory", spilled, s.heapBodies, 3*size)
	}
	for seq := uint64(6); seq <= 15; seq++ { // the first ten go
		s.add(observation(t, seq, "messages.text"), false)
	}
	if s.heapBodies > s.heapMax || s.heapBodies == 0 {
		t.Errorf("%d bytes in memory after evictions, bound %d", s.heapBodies, s.heapMax)
	}
	p := s.page(Filter{Text: `"timestamp"`}, 0, 100) // only in the raw event
	if p.Matched != 10 {
		t.Errorf("a search over spilled and kept bodies matched %d of 10", p.Matched)
	}
	for i := range s.n {
		c, ok, err := s.snapshot(s.at(i).id)
		if !ok || err != nil || len(c.req.Body) != size {
			t.Errorf("request %d: %v %v, %d bytes", c.req.Seq, ok, err, len(c.req.Body))
		}
	}
}
