package inspector

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/mock"
)

// startedMock is the mock's inspector started beside an idle mock (the
// traffic is handed to it by the test), on a port of its own.
func startedMock(t *testing.T, opts MockOptions) *Mock {
	t.Helper()
	idle, err := mock.New(mock.Options{AppSecret: mockSecret, AccessToken: mockAccess, Deterministic: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idle.Close() })
	opts.Options = Options{Addr: "127.0.0.1:0", AddrGiven: true, Token: mockInspTk}
	opts.AppSecret, opts.AccessToken = mockSecret, mockAccess
	m := NewMock(opts)
	ios, _, _, _ := iostreams.Test()
	if _, _, err := m.Start(context.Background(), ios, idle); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

// settled returns once everything handed to m so far is filed: an item of
// the kind a wake-up queues, with nothing in it, is taken after them.
func (m *Mock) settled() {
	done := make(chan struct{})
	m.queue <- mockEntry{done: done}
	<-done
}

func (m *Mock) get(t *testing.T, path string) []byte {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(m.URL(), "/") + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

// filed is how much the inspector has filed: bubbles and requests.
func (m *Mock) filed() (bubbles, requests int) {
	return m.conv.stats().Bubbles, m.store.count(Filter{})
}

var pagePaths = []string{"/api/mock/users", "/api/rows?limit=500", "/api/mock/users/alice/conversation",
	"/api/mock/users/bruno/conversation", "/api/rows?limit=500&q=delivered"}

// A page opened after the traffic shows exactly what a page open from the
// start shows, reset included, while a mock nobody looks at files nothing.
func TestMockInspectorFilesItsBacklogWhenAPageFirstLooks(t *testing.T) {
	traffic := mockTraffic(t, 120)
	// The reset comes before the 60th send's Graph call: sends before and
	// after it, and statuses of both after it.
	resetAt, graphs := 0, 0
	for i, le := range traffic {
		if le.e.Kind == "graph" {
			if graphs++; graphs == 60 {
				resetAt = i
			}
		}
	}
	for _, withReset := range []bool{false, true} {
		feed := func(m *Mock) {
			for i, le := range traffic {
				if withReset && i == resetAt {
					m.Reset()
				}
				m.Entry(le.e, le.body)
			}
		}
		eager := startedMock(t, MockOptions{})
		eager.get(t, "/api/mock/users") // a page looks before anything happens
		feed(eager)
		eager.settled()

		lazy := startedMock(t, MockOptions{})
		feed(lazy)
		lazy.settled()
		if b, r := lazy.filed(); b != 0 || r != 0 {
			t.Fatalf("reset %v: with no page open the inspector filed %d bubbles and %d requests", withReset, b, r)
		}
		// A request the guard refuses is not a page looking.
		req, _ := http.NewRequest(http.MethodGet, lazy.URL()+"api/mock/users", nil)
		req.Host = "evil.example:4040"
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMisdirectedRequest {
			t.Fatalf("reset %v: a foreign Host: %v %v", withReset, resp, err)
		} else {
			resp.Body.Close()
		}
		if b, r := lazy.filed(); b != 0 || r != 0 {
			t.Fatalf("reset %v: a refused request filed %d bubbles and %d requests", withReset, b, r)
		}

		for _, p := range pagePaths {
			want, got := eager.get(t, p), lazy.get(t, p)
			if !bytes.Equal(want, got) {
				t.Errorf("reset %v: %s differs between a page open from the start and one opened after:\n%s\n%s", withReset, p, want, got)
			}
		}
		b, r := lazy.filed()
		if b == 0 || r == 0 {
			t.Fatalf("reset %v: nothing filed once a page looked (%d bubbles, %d requests)", withReset, b, r)
		}
		// From then on entries go straight through, as before.
		more := mockTraffic(t, 4)
		for _, le := range more {
			eager.Entry(le.e, le.body)
			lazy.Entry(le.e, le.body)
		}
		eager.settled()
		lazy.settled()
		for _, p := range pagePaths[:2] {
			if want, got := eager.get(t, p), lazy.get(t, p); !bytes.Equal(want, got) {
				t.Errorf("reset %v: after the wake-up, %s differs:\n%s\n%s", withReset, p, want, got)
			}
		}
	}
}

// Past its bound the backlog keeps the newest entries and counts the rest,
// which the users list reports.
func TestMockInspectorBacklogKeepsTheNewest(t *testing.T) {
	traffic := mockTraffic(t, 60)
	m := startedMock(t, MockOptions{})
	m.backlog.maxItems = 20 // MaxRequests cannot reach NewMock through startedMock
	for _, le := range traffic {
		m.Entry(le.e, le.body)
	}
	var users ChatUsers
	if err := json.Unmarshal(m.get(t, "/api/mock/users"), &users); err != nil {
		t.Fatal(err)
	}
	if want := uint64(len(traffic) - 20); users.Unkept != want {
		t.Fatalf("unkept %d, want %d (of %d entries, 20 kept)", users.Unkept, want, len(traffic))
	}
	kept := map[uint64]bool{}
	var newest uint64
	for _, le := range traffic[len(traffic)-20:] {
		if le.e.Kind == "webhook" {
			kept[le.e.Seq] = true
			newest = max(newest, le.e.Seq)
		}
	}
	var page Page
	if err := json.Unmarshal(m.get(t, "/api/rows?limit=500"), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) == 0 || page.Rows[0].Seq != newest {
		t.Fatalf("the newest row is not the newest webhook (%d): %+v", newest, page.Rows)
	}
	for _, row := range page.Rows {
		if !kept[row.Seq] {
			t.Errorf("row of request %d, which is older than the backlog kept", row.Seq)
		}
	}
}

func TestBacklogBoundsItsBytes(t *testing.T) {
	b := backlog{maxItems: 1000, maxBytes: 10 * (entryOverhead + 100)}
	var dropped uint64
	for i := range 50 {
		dropped += b.push(mockEntry{e: mock.Entry{Seq: uint64(i)}, body: make([]byte, 100)})
		if b.bytes > b.maxBytes {
			t.Fatalf("after %d entries the backlog holds %d bytes, more than its %d", i+1, b.bytes, b.maxBytes)
		}
	}
	items := b.take()
	if len(items) != 10 || dropped != 40 || items[0].e.Seq != 40 || items[9].e.Seq != 49 {
		t.Fatalf("kept %d (seq %d…), dropped %d: want the newest 10 and 40 dropped", len(items), items[0].e.Seq, dropped)
	}
	// One entry larger than the bound is still kept: the newest is never lost.
	if dropped := b.push(mockEntry{body: make([]byte, 2*b.maxBytes)}); dropped != 0 || b.n != 1 {
		t.Fatalf("a large entry alone: dropped %d, kept %d", dropped, b.n)
	}
}

// By count, the ring wraps and still hands everything over oldest first,
// before and after it is full.
func TestBacklogBoundsItsCount(t *testing.T) {
	for _, pushes := range []int{0, 3, 299, 300, 301, 777} {
		b := backlog{maxItems: 300, maxBytes: 1 << 40}
		var dropped uint64
		for i := range pushes {
			dropped += b.push(mockEntry{e: mock.Entry{Seq: uint64(i)}})
		}
		items := b.take()
		first := max(pushes-300, 0)
		if len(items) != pushes-first || dropped != uint64(first) {
			t.Fatalf("%d pushes: kept %d, dropped %d", pushes, len(items), dropped)
		}
		for i, it := range items {
			if it.e.Seq != uint64(first+i) {
				t.Fatalf("%d pushes: item %d is seq %d, want %d", pushes, i, it.e.Seq, first+i)
			}
		}
		if b.n != 0 || b.bytes != 0 {
			t.Fatalf("%d pushes: not empty after take: %d items, %d bytes", pushes, b.n, b.bytes)
		}
	}
}
