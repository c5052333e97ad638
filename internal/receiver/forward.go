package receiver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/weburl"
)

// DefaultForwardTimeout bounds one forwarded request.
const DefaultForwardTimeout = 30 * time.Second

// ForwardOptions configure a Forwarder.
type ForwardOptions struct {
	// URL of the user's app (http or https).
	URL string
	// Header is added to every forwarded request (--forward-header).
	Header http.Header
	// Timeout bounds one request; 0 means DefaultForwardTimeout.
	Timeout time.Duration
	// Handshakes also forwards GET verification requests.
	Handshakes bool
	// Insecure skips TLS verification of the app (local self-signed certs).
	Insecure bool
	// Concurrency bounds requests in flight to the app.
	Concurrency int
}

// Forwarder passes requests on to the user's app with the same bytes and
// signature headers, after serve has answered them. A slow or down app
// never delays serve's answers: requests wait for a free slot on their own
// goroutine, and failures are only reported.
type Forwarder struct {
	opts   ForwardOptions
	client *http.Client
	slots  chan struct{}
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
	report func(job)
}

// hopHeaders are per-connection headers a proxy must not pass on (RFC 9110
// section 7.6.1), plus Content-Length, which the client sets from the body.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Host", "Accept-Encoding",
}

// ParseHeader reads a --forward-header value "Name: value".
func ParseHeader(s string) (string, string, error) {
	k, v, ok := strings.Cut(s, ":")
	k = strings.TrimSpace(k)
	if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") {
		return "", "", fmt.Errorf("invalid header %q: use \"Name: value\"", s)
	}
	return http.CanonicalHeaderKey(k), strings.TrimSpace(v), nil
}

// NewForwarder checks the URL and prepares the HTTP client.
func NewForwarder(opts ForwardOptions) (*Forwarder, error) {
	_, err := weburl.Parse("--forward-to", opts.URL)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultForwardTimeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	client, err := sender.NewClient(sender.ClientOptions{Timeout: opts.Timeout, Insecure: opts.Insecure, Conns: opts.Concurrency})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Forwarder{opts: opts, client: client, slots: make(chan struct{}, opts.Concurrency), ctx: ctx, cancel: cancel,
		report: func(job) {}}, nil
}

// URL is where requests go.
func (f *Forwarder) URL() string { return f.opts.URL }

// Handshakes reports whether GETs are forwarded.
func (f *Forwarder) Handshakes() bool { return f.opts.Handshakes }

// Timeout is the per-request timeout.
func (f *Forwarder) Timeout() time.Duration { return f.opts.Timeout }

func (f *Forwarder) target(rawQuery string) string {
	if rawQuery == "" {
		return f.opts.URL
	}
	if strings.Contains(f.opts.URL, "?") {
		return f.opts.URL + "&" + rawQuery
	}
	return f.opts.URL + "?" + rawQuery
}

func (f *Forwarder) headers(in http.Header) http.Header {
	h := in.Clone()
	if h == nil {
		h = http.Header{}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
	for k, vs := range f.opts.Header {
		h[k] = append([]string(nil), vs...)
	}
	return h
}

// Post forwards a POST's exact body and headers, asynchronously.
func (f *Forwarder) Post(seq uint64, rawQuery string, header http.Header, body []byte) {
	h := f.headers(header)
	target := f.target(rawQuery)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.slots <- struct{}{}
		defer func() { <-f.slots }()
		res := sender.Deliver(f.ctx, f.client, target, sender.Delivery{Name: fmt.Sprint(seq), Body: body, Header: h})
		fw := render.Forward{Request: seq, Method: http.MethodPost, URL: f.opts.URL, Status: res.Status,
			Latency: res.Latency, Body: res.Response}
		if res.Err != nil {
			fw.Err = res.Explanation
		}
		f.report(job{forward: &fw})
	}()
}

// Handshake forwards a GET verification request with its query and reports
// whether the app echoed the challenge as Meta requires.
func (f *Forwarder) Handshake(seq uint64, rawQuery, challenge string) {
	target := f.target(rawQuery)
	h := f.headers(nil)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.slots <- struct{}{}
		defer func() { <-f.slots }()
		fw := render.Forward{Request: seq, Method: http.MethodGet, URL: f.opts.URL, Handshake: true}
		req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, target, nil)
		if err != nil {
			fw.Err = err.Error()
			f.report(job{forward: &fw})
			return
		}
		req.Header = h
		start := time.Now()
		resp, err := f.client.Do(req)
		if err != nil {
			fw.Latency = time.Since(start)
			_, fw.Err = sender.Explain(err, f.opts.URL, f.opts.Timeout)
			f.report(job{forward: &fw})
			return
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, sender.MaxResponseBody))
		resp.Body.Close()
		fw.Latency = time.Since(start)
		fw.Status = resp.StatusCode
		fw.Body = body
		fw.ChallengeOK = challenge != "" && string(body) == challenge
		f.report(job{forward: &fw})
	}()
}

// Wait waits for forwards in flight; each is bounded by the timeout.
func (f *Forwarder) Wait() {
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(f.opts.Timeout + time.Second):
		f.cancel()
		<-done
	}
}
