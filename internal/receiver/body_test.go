package receiver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// slowUpload opens a connection that announces a body of declared bytes
// (chunked when declared < 0) and sends only the first few; it returns the
// connection, still open.
func slowUpload(t *testing.T, addr string, declared int, first []byte) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	framing := fmt.Sprintf("Content-Length: %d\r\n", declared)
	if declared < 0 {
		framing = "Transfer-Encoding: chunked\r\n"
		first = fmt.Appendf(nil, "%x\r\n%s", len(first), first) // a chunk that never ends
	}
	fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s\r\n%s", framing, first)
	return c
}

// Fifty clients that announce 4 MB and then stall must not hold up signed
// deliveries: bytes are charged as they arrive (small deliveries need none
// of the budget), and over the limit per address the upload stalled longest
// is cut off for a new one. Fifty send a byte; fifty more send 8 KiB first,
// past the free bytes, so that they do take from the budget.
func TestSlowUploadsDoNotStallDeliveries(t *testing.T) {
	rc, _ := newJSONReceiver(t, nil)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	var slow []net.Conn
	for i := 0; i < 50; i++ {
		slow = append(slow, slowUpload(t, addr, 4<<20, bytes.Repeat([]byte(" "), 8<<10)))
	}
	for i := 0; i < 50; i++ {
		c := slowUpload(t, addr, 4<<20, []byte("{"))
		defer c.Close()
	}
	defer func() {
		for _, c := range slow {
			c.Close()
		}
	}()
	body := wireFixture(t, "messages.text")
	client := &http.Client{Timeout: 20 * time.Second}
	for i := 0; i < 20; i++ {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhook", bytes.NewReader(body))
		req.Header.Set(signature.Header, signature.Sign(testSecret, body))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("delivery %d not answered while 50 slow uploads are open: %v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i+1, resp.StatusCode)
		}
	}
	// The slow uploads beyond the per-address limit were cut off with 408.
	var cut atomic.Int64
	var wg sync.WaitGroup
	for _, c := range slow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			if strings.HasPrefix(line, "HTTP/1.1 408") {
				cut.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := cut.Load(); n < 50-DefaultReadsPerClient {
		t.Errorf("%d slow uploads cut off, want at least %d", n, 50-DefaultReadsPerClient)
	}
}

// A body that stops arriving is answered 408 once its grace is over.
func TestSlowBodyTimesOut(t *testing.T) {
	rc, out := newJSONReceiver(t, func(o *Options) { o.BodyGrace = 100 * time.Millisecond })
	srv := httptest.NewServer(rc)
	defer srv.Close()
	for _, declared := range []int{4 << 20, -1} {
		c := slowUpload(t, strings.TrimPrefix(srv.URL, "http://"), declared, []byte(`{"object":`))
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 408") {
			t.Fatalf("declared %d: answer %q, %v; want 408", declared, line, err)
		}
	}
	rc.Close()
	if got := strings.Count(out.String(), "body too slow"); got != 2 {
		t.Fatalf("%d 'body too slow' problems reported, want 2:\n%s", got, out)
	}
}

// Chunked bodies are charged to the same budget as they arrive, and a
// chunked body over the limit is refused like a declared one.
func TestChunkedBodiesUseTheBudget(t *testing.T) {
	rc, _ := newJSONReceiver(t, func(o *Options) { o.MaxBody = 256 << 10 })
	srv := httptest.NewServer(rc)
	defer srv.Close()
	c := slowUpload(t, strings.TrimPrefix(srv.URL, "http://"), -1, bytes.Repeat([]byte("x"), 100<<10))
	defer c.Close()
	charged := func() int64 {
		rc.inflight.mu.Lock()
		defer rc.inflight.mu.Unlock()
		return rc.inflight.used
	}
	for deadline := time.Now().Add(5 * time.Second); charged() < 64<<10 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if got := charged(); got < 64<<10 {
		t.Fatalf("a chunked body with 100 KiB received holds %d bytes of the budget", got)
	}

	big := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("x"), 300<<10))) // hides the length
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhook", big)        // no length: chunked
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked body over --max-body: %d, want 413", resp.StatusCode)
	}
}

// Waiters are served in the order they came, whatever their size (each
// needs more than half the limit, so they take turns).
func TestByteGateIsFIFO(t *testing.T) {
	g := newByteGate(10)
	g.acquire(10)
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := 1; i <= 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.acquire(int64(5 + i))
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			g.release(int64(5 + i))
		}()
		// Wait until this one is in line before the next comes.
		for queued := false; !queued; {
			g.mu.Lock()
			queued = len(g.queue) == i
			g.mu.Unlock()
			time.Sleep(time.Millisecond)
		}
	}
	if g.tryAcquire(1) {
		t.Fatal("tryAcquire went ahead of waiters")
	}
	g.release(10)
	wg.Wait()
	if fmt.Sprint(order) != "[1 2 3 4 5]" {
		t.Fatalf("served in order %v, want [1 2 3 4 5]", order)
	}
}

// Readers that each hold part of the budget and all wait for more would
// wait forever: one of them is let over the limit to finish.
func TestByteGateBreaksDeadlock(t *testing.T) {
	g := newByteGate(10)
	a, b := &bodyReader{}, &bodyReader{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if g.acquireCtx(ctx, 5, a) != nil || g.acquireCtx(ctx, 5, b) != nil {
		t.Fatal("within the limit")
	}
	done := make(chan error, 2)
	go func() { done <- g.acquireCtx(ctx, 5, a) }()
	go func() { done <- g.acquireCtx(ctx, 5, b) }()
	if err := <-done; err != nil {
		t.Fatalf("no reader could go on: %v", err)
	}
	g.mu.Lock()
	f := g.finisher
	var held int64
	if f != nil {
		held = f.held
	}
	g.mu.Unlock()
	if f == nil {
		t.Fatal("no finisher")
	}
	g.releaseFor(held, f) // the finisher is done
	if err := <-done; err != nil {
		t.Fatalf("the other reader never got its bytes: %v", err)
	}
}
