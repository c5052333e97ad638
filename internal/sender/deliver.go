package sender

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Delivery is one POST: the exact body bytes and the headers to send with them.
type Delivery struct {
	// Name identifies the source (catalog name, file, recording line) in reports.
	Name   string
	Body   []byte
	Header http.Header
	// Events is how many webhook events the body carries (batches carry several).
	Events int
}

// MaxResponseBody bounds how much of a response body a Result keeps.
const MaxResponseBody = 64 << 10

// drainLimit bounds how much of a response is read so the connection can be reused.
const drainLimit = 4 << 20

// Result is the outcome of one request.
type Result struct {
	Name      string        `json:"name"`
	Job       int           `json:"job"`       // index of the delivery in the run
	Duplicate int           `json:"duplicate"` // 1-based copy of the delivery (with --duplicates)
	Attempt   int           `json:"attempt"`   // 1-based; >1 for retries
	Status    int           `json:"status,omitempty"`
	Latency   time.Duration `json:"latency_ns"`
	BodySize  int           `json:"body_size"`
	// Response is the start of the response body (at most MaxResponseBody bytes).
	Response  []byte      `json:"-"`
	Truncated bool        `json:"response_truncated,omitempty"`
	RespHead  http.Header `json:"-"`
	// Sent is the request's headers (for -v output); nil unless asked for.
	Sent http.Header `json:"-"`
	Err  error       `json:"-"`
	// Kind and Explanation describe Err in words; empty when a response came back.
	Kind        ErrorKind `json:"error_kind,omitempty"`
	Explanation string    `json:"error,omitempty"`
	// Expected reports whether Status matched what the caller expects.
	Expected bool `json:"expected"`
	// Final is false for an attempt that will be retried.
	Final bool `json:"final"`
}

// Reached reports whether the request got an HTTP response at all.
func (r Result) Reached() bool { return r.Err == nil }

// Deliver POSTs d to url once with client and reports what happened. It is
// safe for concurrent use; the engine (Run) uses the same path with reused
// buffers.
func Deliver(ctx context.Context, client *http.Client, url string, d Delivery) Result {
	var c conn
	c.init(client, url, true)
	return c.post(ctx, d)
}

// conn is one worker's reusable request state.
type conn struct {
	client  *http.Client
	url     string
	keep    bool // keep response bodies in results
	body    reusableBody
	scratch []byte
	timeout time.Duration
}

func (c *conn) init(client *http.Client, url string, keep bool) {
	c.client, c.url, c.keep = client, url, keep
	c.timeout = client.Timeout
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
}

func (c *conn) post(ctx context.Context, d Delivery) Result {
	res := Result{Name: d.Name, BodySize: len(d.Body)}
	// The transport may still read the previous body after Do returns;
	// wait until it has closed it before reusing the reader.
	c.body.wait()
	c.body.reset(d.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, nil)
	if err != nil {
		c.body.done()
		res.Err = err
		res.Kind, res.Explanation = KindOther, "invalid URL: "+err.Error()
		return res
	}
	req.Header = d.Header
	if len(d.Body) > 0 {
		req.Body = &c.body
		req.ContentLength = int64(len(d.Body))
	} else {
		c.body.done()
	}
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		res.Latency = time.Since(start)
		res.Err = err
		res.Kind, res.Explanation = Explain(err, c.url, c.timeout)
		return res
	}
	res.Status = resp.StatusCode
	res.RespHead = resp.Header
	if c.keep {
		buf := bytes.NewBuffer(c.scratch[:0])
		n, _ := io.CopyN(buf, resp.Body, MaxResponseBody+1)
		if n > MaxResponseBody {
			res.Truncated = true
			n = MaxResponseBody
		}
		c.scratch = buf.Bytes()
		res.Response = append([]byte(nil), c.scratch[:n]...)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	_ = resp.Body.Close()
	res.Latency = time.Since(start)
	return res
}

// reusableBody is a request body over a caller's bytes that tells its owner
// when the transport has closed it, so the bytes can be rewritten safely.
type reusableBody struct {
	r      bytes.Reader
	open   sync.WaitGroup
	closed atomic.Bool
	inUse  bool
}

func (b *reusableBody) reset(p []byte) {
	b.r.Reset(p)
	b.closed.Store(false)
	b.open.Add(1)
	b.inUse = true
}

func (b *reusableBody) wait() {
	if b.inUse {
		b.open.Wait()
		b.inUse = false
	}
}

func (b *reusableBody) done() {
	if b.closed.CompareAndSwap(false, true) {
		b.open.Done()
	}
}

func (b *reusableBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *reusableBody) Close() error {
	b.done()
	return nil
}
