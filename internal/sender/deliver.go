package sender

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// Delivery is one POST: the exact body bytes and the headers to send with
// them. The HTTP transport may read both after the request has returned, so
// neither may be modified once handed over.
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
	Name string `json:"name"`
	Job  int    `json:"job"` // index of the delivery in the run
	// Copy is 1 for a delivery as planned, 2… for its repeated copies
	// (--repeat, --duplicates); Repeat says which kind a copy is.
	Copy     int           `json:"copy"`
	Repeat   string        `json:"repeat,omitempty"` // RepeatRetry or RepeatDuplicate; "" for copy 1
	Attempt  int           `json:"attempt"`          // 1-based; >1 when re-sent on Meta's retry schedule (--retry)
	Status   int           `json:"status,omitempty"`
	Latency  time.Duration `json:"latency_ns"`
	BodySize int           `json:"body_size"`
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

// Reached reports whether the request got a whole HTTP answer.
func (r Result) Reached() bool { return r.Err == nil }

// Answered reports whether the endpoint answered at all, whole or not (an
// answer cut short still came from the endpoint: it was reached).
func (r Result) Answered() bool { return r.Status != 0 }

// Deliver POSTs d to url once with client and reports what happened,
// keeping the start of the response body. It is safe for concurrent use and
// takes the same path as every request of Run.
func Deliver(ctx context.Context, client *http.Client, url string, d Delivery) Result {
	var c conn
	c.init(client, url, true)
	return c.post(ctx, d)
}

// conn is one worker's request state.
type conn struct {
	client  *http.Client
	url     string
	keep    bool // keep response bodies in results
	scratch []byte
	timeout time.Duration
	// deadline: the client had a Timeout, enforced through the context.
	deadline bool
	// tmpl is a parsed request copied for every POST, so the URL is parsed
	// once per worker rather than once per request.
	tmpl *http.Request
}

func (c *conn) init(client *http.Client, url string, keep bool) {
	c.client, c.url, c.keep = client, url, keep
	c.timeout = client.Timeout
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if client.Timeout > 0 {
		// The timeout rides on each request's context instead (see post):
		// http.Client enforces its own Timeout with a goroutine and a
		// timer per request. The copy shares the client's Transport.
		cp := *client
		cp.Timeout = 0
		c.client, c.deadline = &cp, true
	}
}

func (c *conn) request(ctx context.Context, body []byte) (*http.Request, error) {
	if c.tmpl == nil {
		tmpl, err := http.NewRequest(http.MethodPost, c.url, nil)
		if err != nil {
			return nil, err
		}
		c.tmpl = tmpl
	}
	req := c.tmpl.WithContext(ctx) // a copy
	// A *bytes.Reader body lets the transport write headers and body in
	// one go (other reader types get the headers flushed on their own: one
	// more syscall and packet per request). The transport may still read
	// the body after Do returns, so Delivery bytes are never reused.
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	if req.URL.Scheme == "https" {
		// HTTP/2 may replay a request whose stream the server refused.
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	if len(body) == 0 {
		req.Body, req.GetBody = http.NoBody, nil
	}
	return req, nil
}

func (c *conn) post(ctx context.Context, d Delivery) Result {
	res := Result{Name: d.Name, BodySize: len(d.Body)}
	if c.deadline { // as http.Client's Timeout would: from dialling to the body's last byte
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := c.request(ctx, d.Body)
	if err != nil {
		res.Err = err
		res.Kind, res.Explanation = KindOther, "invalid URL: "+err.Error()
		return res
	}
	req.Header = d.Header
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
	var got int64
	var readErr error
	if c.keep {
		buf := bytes.NewBuffer(c.scratch[:0])
		n, err := io.CopyN(buf, resp.Body, MaxResponseBody+1)
		got, readErr = n, err
		if n > MaxResponseBody {
			res.Truncated = true
			n = MaxResponseBody
		}
		c.scratch = buf.Bytes()
		res.Response = append([]byte(nil), c.scratch[:n]...)
	}
	if readErr == nil || readErr == io.EOF {
		n, err := io.CopyN(io.Discard, resp.Body, drainLimit)
		got += n
		readErr = err
	}
	_ = resp.Body.Close()
	res.Latency = time.Since(start)
	if readErr != nil && readErr != io.EOF {
		// The status line came, the rest of the answer did not: Meta only
		// counts a delivery whose whole answer arrived, so neither do we.
		res.Err = readErr
		res.Kind, res.Explanation = explainIncomplete(readErr, c.url, c.timeout, got)
	}
	return res
}
