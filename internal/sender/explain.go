package sender

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrorKind classifies why a request got no HTTP response.
type ErrorKind string

const (
	KindRefused     ErrorKind = "refused"     // nothing listening on the port
	KindDNS         ErrorKind = "dns"         // the host name does not resolve
	KindTLS         ErrorKind = "tls"         // handshake or certificate problem
	KindTimeout     ErrorKind = "timeout"     // no answer within --timeout
	KindReset       ErrorKind = "reset"       // the connection was closed before an answer
	KindUnreachable ErrorKind = "unreachable" // no route to the host or network
	KindIncomplete  ErrorKind = "incomplete"  // a status came, but the rest of the answer did not arrive whole
	KindCanceled    ErrorKind = "canceled"    // interrupted by the user
	KindOther       ErrorKind = "other"
)

// Explain turns a transport error for target into a kind and one sentence a
// developer can act on.
func Explain(err error, target string, timeout time.Duration) (ErrorKind, string) {
	host := target
	if u, perr := url.Parse(target); perr == nil && u.Host != "" {
		host = u.Host
		if u.Port() == "" {
			if u.Scheme == "https" {
				host += ":443"
			} else {
				host += ":80"
			}
		}
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	var alertErr tls.AlertError
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled):
		return KindCanceled, "interrupted before " + host + " answered"
	case errors.As(err, &dnsErr):
		name := dnsErr.Name
		if name == "" {
			name = hostOnly(host)
		}
		if dnsErr.IsNotFound {
			return KindDNS, fmt.Sprintf("the host name %q does not resolve (no such host) — check the URL for typos", name)
		}
		return KindDNS, fmt.Sprintf("could not look up %q: %v — check the URL and your DNS", name, dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused, fmt.Sprintf("nothing is listening on %s — is your app running?", host)
	case errors.As(err, &unknownCA), isUnknownAuthority(certErr, err):
		return KindTLS, fmt.Sprintf("TLS: the certificate of %s is not signed by a trusted authority (self-signed?) — for a local self-signed certificate use --insecure, or trust its CA with --ca-cert FILE", host)
	case errors.As(err, &hostErr):
		return KindTLS, fmt.Sprintf("TLS: the certificate of %s is not valid for %q (%v) — fix the URL's host name, or use --insecure for a local test", host, hostOnly(host), hostErr.Certificate.DNSNames)
	case errors.As(err, &invalidErr):
		reason := "is not valid"
		if invalidErr.Reason == x509.Expired {
			reason = "has expired or is not yet valid"
		}
		return KindTLS, fmt.Sprintf("TLS: the certificate of %s %s — renew it, or use --insecure for a local test", host, reason)
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"), errors.As(err, &recErr):
		return KindTLS, fmt.Sprintf("TLS: %s does not speak TLS — use an http:// URL instead of https://", host)
	case errors.As(err, &certErr), errors.As(err, &alertErr), strings.Contains(msg, "tls: "):
		return KindTLS, fmt.Sprintf("TLS handshake with %s failed: %s — check the server's certificate, or use --insecure for a local self-signed one", host, lastPart(msg))
	case isTimeout(err):
		return KindTimeout, fmt.Sprintf("no answer from %s within %s — the endpoint is too slow (Meta expects a quick 200; raise --timeout to wait longer)", host, timeout)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return KindReset, fmt.Sprintf("%s closed the connection without answering — did the server crash or reject the request?", host)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return KindUnreachable, fmt.Sprintf("no route to %s — check the address and your network", host)
	}
	return KindOther, fmt.Sprintf("request to %s failed: %s", host, lastPart(msg))
}

// explainIncomplete describes an answer whose status line arrived but whose
// body did not: trickled past the timeout, or the connection closed midway.
func explainIncomplete(err error, target string, timeout time.Duration, got int64) (ErrorKind, string) {
	host := target
	if u, perr := url.Parse(target); perr == nil && u.Host != "" {
		host = u.Host
	}
	switch {
	case errors.Is(err, context.Canceled):
		return KindCanceled, "interrupted before " + host + " finished answering"
	case isTimeout(err):
		return KindIncomplete, fmt.Sprintf("the answer from %s did not arrive whole within %s (%d bytes of its body by then) — send the whole answer at once, before slow work", host, timeout, got)
	}
	return KindIncomplete, fmt.Sprintf("%s closed the connection in the middle of its answer (after %d bytes of its body) — did the server crash while answering?", host, got)
}

func isUnknownAuthority(certErr *tls.CertificateVerificationError, err error) bool {
	if !errors.As(err, &certErr) {
		return false
	}
	var ua x509.UnknownAuthorityError
	return errors.As(certErr.Err, &ua)
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// lastPart drops Go's "Post \"url\": " prefixes, keeping the cause.
func lastPart(msg string) string {
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		msg = msg[i+3:]
	}
	return msg
}
