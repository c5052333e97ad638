package receiver

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/sender"
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
	// QueueSize and QueueBytes bound the requests (and their body bytes)
	// waiting for the app or in flight to it; what would go over is not
	// forwarded, and reported as dropped. 0 means the defaults.
	QueueSize  int
	QueueBytes int64
}

// Forward queue defaults: an app that stops answering costs at most this
// much memory.
const (
	DefaultForwardQueue      = 1024
	DefaultForwardQueueBytes = 64 << 20
)

// loopHeader marks requests serve forwards with the forwarder's random id:
// one that comes back to the same serve (its app forwards to serve again) is
// not forwarded a second time.
const loopHeader = "X-Wa-Hooks-Forwarded"

// Forwarder passes requests on to the user's app with the same bytes and
// signature headers, after serve has answered them. A slow or down app
// never delays serve's answers: requests wait in a bounded queue for one of
// Concurrency workers, and failures are only reported. Over the queue's
// bounds a request is dropped (reported, and counted in the summary).
type Forwarder struct {
	opts   ForwardOptions
	client *http.Client
	id     string
	work   chan forwardJob
	wg     sync.WaitGroup // workers
	ctx    context.Context
	cancel context.CancelFunc
	report func(job)

	// Drops are reported by one goroutine of their own, never by the
	// handler that drops (its answer must not wait on the printing). When
	// that falls behind, the next report counts for the ones not sent.
	drops    chan job
	reporter sync.WaitGroup
	started  sync.Once

	mu         sync.Mutex
	closed     bool
	pending    int   // queued or in flight
	bytes      int64 // their body bytes
	unreported int   // drops not yet in a report
}

// forwardJob is one request waiting for a worker.
type forwardJob struct {
	seq       uint64
	handshake bool
	target    string
	header    http.Header
	body      []byte
	challenge string
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
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid --forward-to %q: use an http:// or https:// URL, e.g. http://localhost:3000/webhook", opts.URL)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultForwardTimeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultForwardQueue
	}
	if opts.QueueBytes <= 0 {
		opts.QueueBytes = DefaultForwardQueueBytes
	}
	client, err := sender.NewClient(sender.ClientOptions{Timeout: opts.Timeout, Insecure: opts.Insecure, Conns: opts.Concurrency})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Forwarder{opts: opts, client: client, id: randomHex(8), work: make(chan forwardJob, opts.QueueSize),
		drops: make(chan job, 256), ctx: ctx, cancel: cancel, report: func(job) {}}, nil
}

// start starts the workers and the drop reporter, on first use: by then
// the receiver has set report.
func (f *Forwarder) start() {
	f.started.Do(func() {
		for i := 0; i < f.opts.Concurrency; i++ {
			f.wg.Add(1)
			go f.worker()
		}
		f.mu.Lock()
		drops := f.drops
		f.mu.Unlock()
		if drops == nil {
			return // drained before first use
		}
		f.reporter.Add(1)
		go func() {
			defer f.reporter.Done()
			for j := range drops {
				f.report(j)
			}
		}()
	})
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
	h.Set(loopHeader, f.id)
	return h
}

// Post forwards a POST's exact body and headers, asynchronously.
func (f *Forwarder) Post(seq uint64, rawQuery string, header http.Header, body []byte) {
	if header.Get(loopHeader) == f.id {
		f.drop(seq, http.MethodPost, "not forwarded: serve forwarded this request itself and got it back (--forward-to leads to this serve again)")
		return
	}
	f.enqueue(forwardJob{seq: seq, target: f.target(rawQuery), header: f.headers(header), body: body})
}

// Handshake forwards a GET verification request with its query and reports
// whether the app echoed the challenge as Meta requires.
func (f *Forwarder) Handshake(seq uint64, rawQuery, challenge string) {
	f.enqueue(forwardJob{seq: seq, handshake: true, target: f.target(rawQuery), header: f.headers(nil), challenge: challenge})
}

// enqueue hands j to the workers, or drops it when the queue is full.
func (f *Forwarder) enqueue(j forwardJob) {
	f.start()
	size := int64(len(j.body))
	f.mu.Lock()
	switch {
	case f.closed:
		f.mu.Unlock()
		f.dropJob(j, "not forwarded: serve is stopping")
		return
	case f.pending >= f.opts.QueueSize || f.pending > 0 && f.bytes+size > f.opts.QueueBytes:
		n, b := f.pending, f.bytes
		f.mu.Unlock()
		f.dropJob(j, fmt.Sprintf("not forwarded: %d requests (%s) already wait for the app, the most serve keeps (%d, %s); is it answering?",
			n, FormatSize(b), f.opts.QueueSize, FormatSize(f.opts.QueueBytes)))
		return
	}
	f.pending++
	f.bytes += size
	f.work <- j // never blocks: pending < QueueSize, the channel's capacity
	f.mu.Unlock()
}

func (f *Forwarder) done(j forwardJob) {
	f.mu.Lock()
	f.pending--
	f.bytes -= int64(len(j.body))
	f.mu.Unlock()
}

func (f *Forwarder) dropJob(j forwardJob, why string) {
	method := http.MethodPost
	if j.handshake {
		method = http.MethodGet
	}
	f.drop(j.seq, method, why)
}

func (f *Forwarder) drop(seq uint64, method, why string) {
	f.start()
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 1 + f.unreported
	if n > 1 {
		why += fmt.Sprintf(" (and %d more requests not forwarded either)", n-1)
	}
	if f.drops == nil { // drained: the summary has been taken
		return
	}
	select {
	case f.drops <- job{forward: &render.Forward{Request: seq, Method: method, URL: f.opts.URL, Err: why, Dropped: n}}:
		f.unreported = 0
	default:
		f.unreported = n
	}
}

func (f *Forwarder) worker() {
	defer f.wg.Done()
	for j := range f.work {
		if f.ctx.Err() != nil { // shutdown's deadline passed
			f.dropJob(j, "not forwarded: serve stopped before the app answered the requests ahead of it")
		} else if j.handshake {
			f.report(job{forward: f.sendHandshake(j)})
		} else {
			f.report(job{forward: f.sendPost(j)})
		}
		f.done(j)
	}
}

func (f *Forwarder) sendPost(j forwardJob) *render.Forward {
	res := sender.Deliver(f.ctx, f.client, j.target, sender.Delivery{Name: fmt.Sprint(j.seq), Body: j.body, Header: j.header})
	fw := render.Forward{Request: j.seq, Method: http.MethodPost, URL: f.opts.URL, Status: res.Status,
		Latency: res.Latency, Body: res.Response, Header: res.RespHead}
	if res.Err != nil {
		fw.Err = res.Explanation
	}
	return &fw
}

func (f *Forwarder) sendHandshake(j forwardJob) *render.Forward {
	fw := render.Forward{Request: j.seq, Method: http.MethodGet, URL: f.opts.URL, Handshake: true}
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, j.target, nil)
	if err != nil {
		fw.Err = err.Error()
		return &fw
	}
	req.Header = j.header
	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		fw.Latency = time.Since(start)
		_, fw.Err = sender.Explain(err, f.opts.URL, f.opts.Timeout)
		return &fw
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, sender.MaxResponseBody))
	resp.Body.Close()
	fw.Latency = time.Since(start)
	fw.Status = resp.StatusCode
	fw.Body = body
	fw.Header = resp.Header
	fw.ChallengeOK = j.challenge != "" && string(body) == j.challenge
	return &fw
}

// Wait stops taking requests and waits for those queued and in flight,
// each bounded by the timeout; then it gives up on the rest.
func (f *Forwarder) Wait() {
	ctx, cancel := context.WithTimeout(context.Background(), f.opts.Timeout+time.Second)
	defer cancel()
	f.Drain(ctx)
}

// Drain stops taking requests and lets the workers finish the queue until
// ctx ends; then requests in flight are cut off and those still queued are
// reported as not forwarded. It returns once every worker has stopped.
func (f *Forwarder) Drain(ctx context.Context) {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.work)
	}
	f.mu.Unlock()
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		f.cancel()
		<-done
	}
	f.mu.Lock()
	drops, n := f.drops, f.unreported
	f.drops, f.unreported = nil, 0
	f.mu.Unlock()
	if drops != nil {
		close(drops)
		f.reporter.Wait()
		if n > 0 {
			f.report(job{forward: &render.Forward{URL: f.opts.URL, Dropped: n,
				Err: fmt.Sprintf("not forwarded: %d requests whose drop was not shown", n)}})
		}
	}
}

// PointsAt reports whether a --forward-to URL would reach the listener at
// addr: the same port on a name or address of this machine (localhost,
// 127.0.0.1, [::1], 0.0.0.0, the host name, or any local address when the
// listener takes them all). Forwarding there would receive every forwarded
// request again and forward it again, without end.
func PointsAt(rawURL string, addr net.Addr) bool {
	u, err := url.Parse(rawURL)
	ln, ok := addr.(*net.TCPAddr)
	if err != nil || !ok {
		return false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port != strconv.Itoa(ln.Port) {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	var targets []net.IP
	switch hn, _ := os.Hostname(); {
	case host == "localhost" || strings.HasSuffix(host, ".localhost"):
		targets = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	case hn != "" && host == strings.ToLower(hn):
		if ln.IP == nil || ln.IP.IsUnspecified() {
			return true
		}
		targets = localIPs()
	default:
		ip := net.ParseIP(host)
		if ip == nil {
			return false // another name: not resolved here
		}
		targets = []net.IP{ip}
	}
	for _, ip := range targets {
		if ip.IsUnspecified() { // connecting to 0.0.0.0 or :: reaches this machine's loopback
			if ip.To4() != nil {
				ip = net.IPv4(127, 0, 0, 1)
			} else {
				ip = net.IPv6loopback
			}
		}
		switch {
		case ln.IP == nil || ln.IP.IsUnspecified():
			if ip.IsLoopback() || slices.ContainsFunc(localIPs(), ip.Equal) {
				return true
			}
		case ip.Equal(ln.IP):
			return true
		}
	}
	return false
}

func localIPs() []net.IP {
	addrs, _ := net.InterfaceAddrs()
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips
}
