package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/handshake"
)

// ExpiryWarning is how close to its expiry a certificate gets a warning.
const ExpiryWarning = 14 * 24 * time.Hour

// transportInput is what the transport checks judge.
type transportInput struct {
	URL *url.URL
	// State is the TLS connection state of an https endpoint; nil with DialErr.
	State   *tls.ConnectionState
	DialErr error
	// Roots are the trusted roots (nil: the system's); Extra are the roots
	// added with --ca-cert, reported as such.
	Roots *x509.CertPool
	Extra *x509.CertPool
	Now   time.Time
}

// dialTLS opens a TLS connection the way the probes do (any certificate,
// TLS 1.0 and up offered) only to capture what the server presents.
func dialTLS(ctx context.Context, u *url.URL, timeout time.Duration) (*tls.ConnectionState, error) {
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = "443"
	}
	cfg := &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // the chain is verified by judgeTransport
		MinVersion:         tls.VersionTLS10,
		NextProtos:         []string{"h2", "http/1.1"},
	}
	if net.ParseIP(host) == nil {
		cfg.ServerName = host
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: cfg}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	st := conn.(*tls.Conn).ConnectionState()
	return &st, nil
}

// judgeTransport returns the https, certificate, certificate-expiry and
// tls-version checks.
func judgeTransport(in transportInput) []Check {
	httpsCheck := Check{ID: "https", Group: GroupHandshake, Title: "HTTPS"}
	cert := Check{ID: "certificate", Group: GroupHandshake, Title: "Certificate chain and name"}
	expiry := Check{ID: "certificate-expiry", Group: GroupHandshake, Title: "Certificate expiry"}
	version := Check{ID: "tls-version", Group: GroupHandshake, Title: "TLS version ≥ 1.2"}

	if in.URL.Scheme != "https" {
		httpsCheck.Fix = "serve the endpoint over HTTPS with a certificate from a public CA, or expose it through a tunnel (cloudflared, ngrok)"
		if isLoopback(in.URL.Hostname()) {
			httpsCheck.Status = Warn
			httpsCheck.Reason = "plain HTTP on loopback: fine for local testing, but Meta only calls https:// URLs"
		} else {
			httpsCheck.Status = Fail
			httpsCheck.Reason = "plain HTTP: Meta only calls https:// callback URLs"
		}
		for _, c := range []*Check{&cert, &expiry, &version} {
			c.Status, c.Reason = Skip, "plain HTTP: no certificate to check"
		}
		return []Check{httpsCheck, cert, expiry, version}
	}
	httpsCheck.Status, httpsCheck.Reason = Pass, "the callback URL uses HTTPS"
	if in.State == nil || len(in.State.PeerCertificates) == 0 {
		reason := "the server presented no certificate"
		if in.DialErr != nil {
			reason = "TLS connection failed: " + handshake.Explain(in.DialErr, 0)
		}
		cert.Status, cert.Reason = Fail, reason
		cert.Fix = "configure TLS on the server with a certificate for " + in.URL.Hostname()
		expiry.Status, expiry.Reason = Skip, "no certificate to check"
		version.Status, version.Reason = Skip, "no TLS connection"
		return []Check{httpsCheck, cert, expiry, version}
	}
	cert = judgeChain(cert, in)
	expiry = judgeExpiry(expiry, in.State.PeerCertificates[0], in.Now)
	version = judgeVersion(version, in.State.Version)
	return []Check{httpsCheck, cert, expiry, version}
}

func judgeChain(c Check, in transportInput) Check {
	host := in.URL.Hostname()
	certs := in.State.PeerCertificates
	leaf := certs[0]
	if isSelfSigned(leaf) {
		c.Status = Fail
		c.Reason = fmt.Sprintf("self-signed certificate (%s): Meta refuses self-signed certificates", certName(leaf))
		c.Fix = "use a certificate from a public CA (Let's Encrypt is free), or a tunnel such as cloudflared or ngrok that provides one"
		return c
	}
	if err := leaf.VerifyHostname(host); err != nil {
		c.Status = Fail
		c.Reason = fmt.Sprintf("the certificate is for %s, not %s: Meta refuses a name mismatch", certNames(leaf), host)
		c.Fix = "install a certificate that names " + host + ", or register the URL with a name the certificate covers"
		return c
	}
	inter := x509.NewCertPool()
	for _, ic := range certs[1:] {
		inter.AddCert(ic)
	}
	verify := func(roots *x509.CertPool) error {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter, CurrentTime: in.Now})
		var invalid x509.CertificateInvalidError
		if errors.As(err, &invalid) && invalid.Reason == x509.Expired && invalid.Cert.Equal(leaf) {
			// The leaf's dates are the expiry check's finding; judge the
			// chain at a moment the leaf is valid so it is not reported twice.
			at := leaf.NotAfter.Add(-time.Second)
			if in.Now.Before(leaf.NotBefore) {
				at = leaf.NotBefore.Add(time.Second)
			}
			_, err = leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter, CurrentTime: at})
		}
		return err
	}
	err := verify(in.Roots)
	if err == nil {
		c.Status = Pass
		c.Reason = fmt.Sprintf("valid for %s, issued by %s", host, issuerName(leaf))
		return c
	}
	if in.Extra != nil && verify(in.Extra) == nil {
		c.Status = Pass
		c.Reason = fmt.Sprintf("valid for %s, issued by %s, trusted through --ca-cert (Meta trusts only public CAs)", host, issuerName(leaf))
		return c
	}
	c.Status = Fail
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		c.Reason = fmt.Sprintf("the chain does not verify: issued by %s, which no trusted root vouches for", issuerName(leaf))
		c.Fix = "serve the full chain (certificate plus intermediates); a private CA will not do, Meta trusts only public CAs"
		if len(certs) > 1 {
			c.Fix = "use a certificate from a public CA; a private CA will not do, Meta trusts only public CAs (a test CA can be passed with --ca-cert)"
		}
	case errors.As(err, &invalid):
		c.Reason = "the chain does not verify: " + invalid.Error()
		c.Fix = "serve a chain whose intermediates are valid and allowed to issue for " + host
	default:
		c.Reason = "the chain does not verify: " + err.Error()
		c.Fix = "serve a certificate chain from a public CA"
	}
	return c
}

func judgeExpiry(c Check, leaf *x509.Certificate, now time.Time) Check {
	left := leaf.NotAfter.Sub(now)
	date := leaf.NotAfter.UTC().Format("2006-01-02")
	switch {
	case now.Before(leaf.NotBefore):
		c.Status = Fail
		c.Reason = fmt.Sprintf("not valid before %s: the certificate is too new or a clock is wrong", leaf.NotBefore.UTC().Format(time.RFC3339))
		c.Fix = "check the server's clock and the certificate's validity dates"
	case left <= 0:
		c.Status = Fail
		c.Reason = fmt.Sprintf("expired on %s (%s ago): Meta refuses expired certificates", date, days(-left))
		c.Fix = "renew the certificate (and automate renewal, for example with certbot or your platform's managed certificates)"
	case left < ExpiryWarning:
		c.Status = Warn
		c.Reason = fmt.Sprintf("expires on %s, in %s", date, days(left))
		c.Fix = "renew the certificate now, and check that renewal is automated"
	default:
		c.Status = Pass
		c.Reason = fmt.Sprintf("valid until %s (%s)", date, days(left))
	}
	return c
}

func judgeVersion(c Check, v uint16) Check {
	name := tls.VersionName(v)
	if v >= tls.VersionTLS12 {
		c.Status, c.Reason = Pass, "negotiated "+name
		return c
	}
	c.Status = Fail
	c.Reason = "negotiated " + name + ": versions before TLS 1.2 are obsolete and refused by modern clients"
	c.Fix = "enable TLS 1.2 and 1.3 on the server and disable older versions"
	return c
}

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	switch n {
	case 0:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func isSelfSigned(c *x509.Certificate) bool {
	// CheckSignatureFrom would insist the issuer is a CA; a self-signed
	// server certificate usually is not, so check the signature directly.
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	return certNames(c)
}

func certNames(c *x509.Certificate) string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	if len(names) == 0 {
		return "no host name"
	}
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("and %d more", len(names)-4))
	}
	return strings.Join(names, ", ")
}

func issuerName(c *x509.Certificate) string {
	switch {
	case c.Issuer.CommonName != "":
		return c.Issuer.CommonName
	case len(c.Issuer.Organization) > 0:
		return c.Issuer.Organization[0]
	}
	return c.Issuer.String()
}

// isLoopback reports whether host is this machine: localhost names and
// loopback addresses.
func isLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
