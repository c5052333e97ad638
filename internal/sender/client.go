// Package sender is the HTTP engine that delivers webhook bodies to an
// endpoint the way Meta does: one POST per delivery, exact bytes, with
// concurrency, a request rate, a count or a duration, Meta's retry schedule
// (time-compressed), and results with latency statistics. It never builds or
// changes a body: callers hand it the exact bytes to send.
package sender

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// DefaultTimeout is the per-request timeout when none is given. Meta does not
// document its own; 20 s is the most generous figure reported.
const DefaultTimeout = 20 * time.Second

// ClientOptions configure the HTTP client used for deliveries.
type ClientOptions struct {
	// Timeout bounds one request, from dialling to reading the response body.
	Timeout time.Duration
	// Insecure skips TLS certificate verification (local self-signed certs).
	Insecure bool
	// CAFile is a PEM file of extra certificate authorities to trust.
	CAFile string
	// Conns is the expected number of concurrent requests; the idle
	// connection pool is sized to it so connections are reused under load.
	Conns int
}

// NewClient returns an HTTP client for deliveries: connections are kept and
// reused, redirects are not followed (Meta does not follow them, so a 3xx is
// a failed delivery) and no Accept-Encoding is added.
func NewClient(o ClientOptions) (*http.Client, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	conns := max(o.Conns, 2)
	tlsConf := &tls.Config{InsecureSkipVerify: o.Insecure} //nolint:gosec // only with --insecure, for local self-signed certificates
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-cert: %w", unwrapPathError(err))
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-cert %s: no PEM certificate found in the file", o.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: min(o.Timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   min(o.Timeout, 10*time.Second),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          conns * 2,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
