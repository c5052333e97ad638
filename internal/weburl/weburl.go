// Package weburl is the one check of an http(s) URL a user gives wa-hooks
// (send --to, verify URL, serve --forward-to and --public-url), so each
// command explains a missing scheme, a stray space or a bad port in the same
// words instead of printing Go's url error.
package weburl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// Parse checks that raw is an absolute http:// or https:// URL with a host.
// what names the value in errors ("--to", "the URL", "--forward-to"); the
// example is the path to show in a suggestion ("/webhook").
func Parse(what, raw string) (*url.URL, error) {
	shown := `"` + termsafe.Line(raw) + `"`
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("%s is empty: give a URL such as https://example.com/webhook", what)
	}
	if strings.TrimSpace(raw) != raw || strings.ContainsAny(raw, " \t\r\n") {
		return nil, fmt.Errorf("%s %s contains a space: a URL has none (quote the whole value, and write a space in a path as %%20)", what, shown)
	}
	if !strings.Contains(raw, "://") {
		return nil, fmt.Errorf("%s %s has no scheme: write it in full, e.g. %s", what, shown, withScheme(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %s is not a valid URL: %s", what, shown, reason(err))
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return nil, fmt.Errorf("%s %s: only http:// and https:// URLs are supported, not %s://", what, shown, termsafe.Line(u.Scheme))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%s %s has no host: write it as %s://HOST[:PORT]/PATH, e.g. %s://127.0.0.1:3000/webhook", what, shown, u.Scheme, u.Scheme)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%s %s: port %s is not a port number (1-65535)", what, shown, p)
		}
	}
	return u, nil
}

// withScheme suggests raw with the scheme it most likely lacks: http for a
// local address, https for anything else (Meta calls only https).
func withScheme(raw string) string {
	host := raw
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	scheme := "https://"
	if ip := net.ParseIP(strings.Trim(host, "[]")); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		scheme = "http://"
	}
	if !strings.ContainsAny(raw, "/") {
		raw += "/webhook"
	}
	return termsafe.Line(scheme + strings.TrimPrefix(raw, "//"))
}

// reason is url.Parse's complaint without its "parse \"…\": " wrapping.
func reason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid port"):
		return "the port is not a number"
	case strings.Contains(msg, "invalid control character"):
		return "it contains a control character"
	case strings.Contains(msg, "invalid URL escape"):
		return "a % is not followed by two hex digits (write % itself as %25)"
	}
	return termsafe.Line(msg)
}
