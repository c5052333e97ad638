package conformance

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/handshake"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// probeDetail describes a handshake probe: the request line and what came
// back. The runner masks the verify token before anything is printed.
func probeDetail(p handshake.Response) []string {
	target := p.URL
	if u, err := url.Parse(p.URL); err == nil {
		u.RawQuery = maskToken(u.RawQuery)
		target = u.RequestURI()
	}
	out := []string{"→ GET " + target}
	if p.Status == 0 {
		return append(out, "← no answer")
	}
	return append(out, answerLine(p.Status, p.Header, p.Body, p.Truncated))
}

// maskToken masks hub.verify_token in a raw query, keeping the order of
// the parameters as sent.
func maskToken(rawQuery string) string {
	parts := strings.Split(rawQuery, "&")
	for i, p := range parts {
		if v, ok := strings.CutPrefix(p, "hub.verify_token="); ok {
			if t, err := url.QueryUnescape(v); err == nil {
				v = t
			}
			parts[i] = "hub.verify_token=" + config.Mask(v)
		}
	}
	return strings.Join(parts, "&")
}

// deliveryDetail describes a delivery POST and its answer.
func deliveryDetail(d delivery, res sender.Result) []string {
	sig := d.Header.Get(signature.Header)
	switch {
	case sig == "":
		sig = "no " + signature.Header
	case len(sig) > 19:
		sig = signature.Header + ": " + sig[:19] + "…"
	}
	out := []string{fmt.Sprintf("→ POST %d bytes, %s", len(d.Body), sig)}
	if !res.Reached() {
		return append(out, "← no answer")
	}
	return append(out, answerLine(res.Status, res.RespHead, res.Response, res.Truncated))
}

func answerLine(status int, h http.Header, body []byte, truncated bool) string {
	line := "← " + statusCode(status)
	if ct := h.Get("Content-Type"); ct != "" {
		line += ", Content-Type: " + ct
	}
	if loc := h.Get("Location"); loc != "" {
		line += ", Location: " + loc
	}
	size := fmt.Sprintf("%d bytes", len(body))
	if truncated {
		size = fmt.Sprintf("over %d bytes", len(body))
	}
	line += ", " + size
	if len(body) > 0 {
		line += ": " + handshake.Snippet(body)
	}
	return line
}

// tlsDetail describes the certificate and connection the server presented.
func tlsDetail(st *tls.ConnectionState) []string {
	if st == nil || len(st.PeerCertificates) == 0 {
		return nil
	}
	leaf := st.PeerCertificates[0]
	names := certNames(leaf)
	out := []string{
		fmt.Sprintf("certificate: %s, names %s, issued by %s", certName(leaf), names, issuerName(leaf)),
		fmt.Sprintf("valid %s to %s; %d certificate(s) sent", leaf.NotBefore.UTC().Format("2006-01-02"), leaf.NotAfter.UTC().Format("2006-01-02"), len(st.PeerCertificates)),
	}
	suite := tls.CipherSuiteName(st.CipherSuite)
	proto := st.NegotiatedProtocol
	if proto == "" {
		proto = "http/1.1"
	}
	return append(out, fmt.Sprintf("%s, %s, ALPN %s", tls.VersionName(st.Version), suite, proto))
}
