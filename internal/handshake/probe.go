package handshake

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// MaxProbeBody bounds how much of a handshake answer is kept: a correct
// answer is a few bytes; anything longer is only shown as a snippet.
const MaxProbeBody = 64 << 10

// Query is the set of hub.* parameters of one verification GET.
type Query struct {
	Challenge string
	Token     string
	// OmitMode leaves hub.mode out, to check the endpoint refuses it.
	OmitMode bool
}

// RequestURL appends the hub.* parameters to endpoint in the order Meta
// sends them (mode, challenge, verify_token), keeping any query the
// endpoint URL already has.
func RequestURL(endpoint *url.URL, q Query) string {
	u := *endpoint
	var parts []string
	if u.RawQuery != "" {
		parts = append(parts, u.RawQuery)
	}
	if !q.OmitMode {
		parts = append(parts, "hub.mode=subscribe")
	}
	parts = append(parts,
		"hub.challenge="+url.QueryEscape(q.Challenge),
		"hub.verify_token="+url.QueryEscape(q.Token))
	u.RawQuery = strings.Join(parts, "&")
	u.Fragment = ""
	return u.String()
}

// Response is what one verification GET got back, kept as plain values so
// judging it needs no network.
type Response struct {
	// URL is the request URL, verify token included.
	URL       string
	Status    int
	Header    http.Header
	Body      []byte
	Truncated bool
	Latency   time.Duration
	TLS       *tls.ConnectionState

	// Err is set when no complete answer arrived.
	Err error
	// Reached is true once the request was written to the server, so a
	// failure after it (a timeout) is the endpoint's, not the network's.
	Reached  bool
	TimedOut bool
}

// ContentType is the answer's media type without parameters, lower case.
func (r Response) ContentType() string {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// NewClient returns the HTTP client verify's GET probes use. It never
// follows redirects (Meta does not) and accepts any certificate, because
// the certificate is judged separately from the captured TLS state: a bad
// certificate is then reported once, by the transport checks, instead of
// hiding every other finding behind a TLS error. It also offers TLS 1.0 so a
// server stuck on an old version is reported as such rather than unreachable.
func NewClient() *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   30 * time.Second,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   4,
		TLSClientConfig: &tls.Config{
			InsecureSkipVerify: true, //nolint:gosec // judged by the transport checks, see above
			MinVersion:         tls.VersionTLS10,
		},
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Probe sends one GET to rawURL within timeout and records what came back.
func Probe(ctx context.Context, client *http.Client, rawURL string, timeout time.Duration) (res Response) {
	res.URL = rawURL
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// The transport may write the request on its own goroutine (HTTP/2).
	var wrote atomic.Bool
	defer func() { res.Reached = res.Reached || wrote.Load() }()
	trace := &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, rawURL, nil)
	if err != nil {
		res.Err = err
		return res
	}
	req.Header.Set("User-Agent", "facebookplatform/1.0 (+http://developers.facebook.com) wa-hooks")
	req.Header.Set("Accept", "*/*")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		res.Latency = time.Since(start)
		res.Err = err
		res.TimedOut = isTimeout(err)
		return res
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxProbeBody+1))
	res.Latency = time.Since(start)
	res.Reached = true
	res.Status = resp.StatusCode
	res.Header = resp.Header
	res.TLS = resp.TLS
	if len(body) > MaxProbeBody {
		body, res.Truncated = body[:MaxProbeBody], true
	}
	res.Body = body
	if err != nil {
		res.Err = err
		res.TimedOut = isTimeout(err)
	}
	return res
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
