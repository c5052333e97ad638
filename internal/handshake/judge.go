package handshake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Level grades a finding.
type Level int

const (
	Pass Level = iota
	Warn
	Fail
)

// Finding is the verdict on one probe: a one-line reason (what came back and
// what it means) and, unless it passed, a one-line fix.
type Finding struct {
	Level  Level
	Reason string
	Fix    string
}

// JudgeHandshake grades the answer to the handshake Meta sends: it passes
// only on 200 with a body equal to challenge byte for byte, and otherwise
// says what came back and why Meta would refuse it.
func JudgeHandshake(challenge string, r Response, timeout time.Duration) Finding {
	if r.Err != nil && r.Status == 0 {
		return transportFailure(r, timeout)
	}
	body := r.Body
	switch {
	case r.Status >= 300 && r.Status < 400:
		return redirectFinding(r)
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		return Finding{Fail,
			fmt.Sprintf("refused with %s although the verify token was right%s: the token your server compares with differs, or signature middleware runs on GET too", statusText(r.Status), bodyHint(body)),
			"compare hub.verify_token with the same token you pass to wa-hooks, and check X-Hub-Signature-256 on POST only (the handshake has no body and no signature)"}
	case r.Status == http.StatusNotFound:
		return Finding{Fail,
			"404 Not Found: nothing handles this path",
			"register the exact path your server routes webhooks to (for example …/webhook), and handle GET on it"}
	case r.Status == http.StatusMethodNotAllowed:
		return Finding{Fail,
			"405 Method Not Allowed: the path takes POST but not GET",
			"handle GET on the same path as POST: Meta verifies the callback URL with a GET"}
	case r.Status >= 500:
		return Finding{Fail,
			fmt.Sprintf("server error %s%s: the handler crashed or a proxy could not reach it", statusText(r.Status), bodyHint(body)) + numericHint(challenge),
			"check your server's logs for the GET request; it must answer 200 with hub.challenge"}
	case r.Status >= 400:
		return Finding{Fail,
			fmt.Sprintf("refused with %s%s", statusText(r.Status), bodyHint(body)) + numericHint(challenge) + paramHint(r.Status),
			"read hub.mode, hub.challenge and hub.verify_token from the query string (the names contain dots) and answer 200 with the challenge"}
	case r.Status != http.StatusOK:
		return Finding{Fail,
			fmt.Sprintf("answered %s: Meta accepts only 200", statusText(r.Status)),
			"answer the handshake with status 200 and the hub.challenge value as the body"}
	}
	if r.Err != nil {
		return Finding{Fail,
			fmt.Sprintf("200, but the body broke off: %s", Explain(r.Err, timeout)),
			"write the challenge and finish the response promptly"}
	}
	if bytes.Equal(body, []byte(challenge)) {
		return Finding{Pass, fmt.Sprintf("200 %q in %s", challenge, Round(r.Latency)), ""}
	}
	return wrongBody(challenge, r)
}

// wrongBody explains a 200 whose body is not the challenge.
func wrongBody(challenge string, r Response) Finding {
	body := r.Body
	trimmed := bytes.TrimSpace(body)
	fixRaw := "write hub.challenge as the whole body, unchanged: no quotes, no JSON, no newline"
	switch {
	case len(body) == 0:
		return Finding{Fail, "200 with an empty body: Meta expects the hub.challenge value", fixRaw}
	case bytes.Equal(trimmed, []byte(challenge)):
		what := "surrounding whitespace"
		switch {
		case bytes.Equal(body, []byte(challenge+"\n")):
			what = "a trailing newline"
		case bytes.Equal(body, []byte(challenge+"\r\n")):
			what = "a trailing CRLF"
		}
		return Finding{Fail,
			fmt.Sprintf("200 with the challenge plus %s (%s): Meta compares byte for byte", what, Snippet(body)),
			"write the challenge without a newline (for example use Write/send, not println/echo)"}
	case isJSONString(trimmed, challenge):
		return Finding{Fail,
			fmt.Sprintf("200 with the challenge JSON-quoted (%s): Meta compares the raw body", Snippet(body)),
			"return the challenge as plain text (text/plain), not as a JSON string"}
	case looksHTML(body, r.ContentType()):
		return Finding{Fail,
			fmt.Sprintf("200 with an HTML page (%s) instead of the challenge: a landing page, login wall or framework page answered", Snippet(body)),
			"route GET on the callback URL to your webhook handler, and answer with the challenge only"}
	case json.Valid(trimmed) && bytes.Contains(trimmed, []byte(challenge)):
		return Finding{Fail,
			fmt.Sprintf("200 with the challenge wrapped in JSON (%s): Meta expects the bare value", Snippet(body)),
			fixRaw}
	case bytes.Contains(body, []byte(challenge)):
		return Finding{Fail,
			fmt.Sprintf("200 with extra text around the challenge (%s)", Snippet(body)),
			fixRaw}
	case isNumber(trimmed) && isNumber([]byte(challenge)):
		return Finding{Fail,
			fmt.Sprintf("200 with a different number (%s, expected %s): a fixed or cached value, or the challenge lost precision as a float", Snippet(body), challenge),
			"echo this request's hub.challenge, as a string"}
	}
	return Finding{Fail,
		fmt.Sprintf("200 with %s instead of the challenge %q", Snippet(body), challenge) + numericHint(challenge),
		fixRaw}
}

// JudgeRefusal grades a probe that a correct endpoint must refuse (a wrong
// token, a missing hub.mode): anything but 200 passes; echoing the challenge
// fails with risk as the reason.
func JudgeRefusal(challenge string, r Response, timeout time.Duration, risk, fix string) Finding {
	switch {
	case r.Err != nil && r.Status == 0:
		if r.TimedOut {
			return Finding{Warn,
				fmt.Sprintf("no answer within %s: refused in effect, but the client is left hanging", Round(timeout)),
				"answer 403 at once when the request is not a valid handshake"}
		}
		return Finding{Fail, "could not be checked: " + Explain(r.Err, timeout), "make the endpoint reachable and run verify again"}
	case r.Status != http.StatusOK:
		return Finding{Pass, fmt.Sprintf("refused with %s", statusText(r.Status)), ""}
	case bytes.Equal(bytes.TrimSpace(r.Body), []byte(challenge)) || bytes.Contains(r.Body, []byte(challenge)):
		return Finding{Fail, "200 with the challenge: " + risk, fix}
	}
	return Finding{Warn,
		fmt.Sprintf("200 without the challenge (%s): Meta would not accept it, but the refusal is not explicit", Snippet(r.Body)),
		"answer 403 when the request is not a valid handshake"}
}

func transportFailure(r Response, timeout time.Duration) Finding {
	if r.TimedOut && r.Reached {
		return Finding{Fail,
			fmt.Sprintf("no answer within %s: Meta gives up on slow endpoints", Round(timeout)),
			"answer the GET at once with the challenge; do no slow work (database, LLM calls) in the handshake"}
	}
	return Finding{Fail, Explain(r.Err, timeout), "check the URL, and that the server is running and reachable from the internet"}
}

func redirectFinding(r Response) Finding {
	loc := r.Header.Get("Location")
	if i := strings.IndexByte(loc, '?'); i >= 0 {
		loc = loc[:i] + "?…" // the query repeats the verify token
	}
	reason := fmt.Sprintf("redirected (%s) to %s: Meta does not follow redirects", statusText(r.Status), loc)
	fix := "register the final URL as the callback URL, or stop redirecting this path"
	if strings.HasPrefix(strings.ToLower(loc), "https://") {
		fix = "register the https:// URL as the callback URL: Meta does not follow the redirect"
	}
	if loc == "" {
		reason = fmt.Sprintf("redirected (%s) without a Location: Meta does not follow redirects", statusText(r.Status))
	}
	return Finding{Fail, reason, fix}
}

// numericHint explains a refusal of a non-numeric challenge: the handler
// probably parses hub.challenge as an integer.
func numericHint(challenge string) string {
	if isNumber([]byte(challenge)) {
		return ""
	}
	return " (the challenge was not numeric: does the handler parse hub.challenge as an integer? Meta calls it a string)"
}

func paramHint(status int) string {
	if status == http.StatusBadRequest {
		return "; a framework may have renamed the dotted parameters (PHP turns hub.mode into hub_mode)"
	}
	return ""
}

func bodyHint(body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	return " (" + Snippet(body) + ")"
}

func isJSONString(b []byte, want string) bool {
	var s string
	return len(b) > 0 && b[0] == '"' && json.Unmarshal(b, &s) == nil && s == want
}

func isNumber(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func looksHTML(body []byte, contentType string) bool {
	head := bytes.ToLower(bytes.TrimSpace(body[:min(len(body), 512)]))
	return contentType == "text/html" && bytes.HasPrefix(head, []byte("<")) ||
		bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) ||
		bytes.Contains(head, []byte("<body")) || bytes.Contains(head, []byte("<head"))
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return strconv.Itoa(code)
}

// Snippet quotes the start of a body for a one-line reason: at most 40
// runes, control characters escaped, "…" when cut.
func Snippet(b []byte) string {
	const max = 40
	if !utf8.Valid(b) {
		return fmt.Sprintf("%d bytes of binary data", len(b))
	}
	s := string(b)
	cut := false
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
		cut = true
	}
	q := strconv.Quote(s)
	if cut {
		q = q[:len(q)-1] + `…"`
	}
	return q
}

// Round shortens a duration for display: 1.234s, 35ms, 120µs.
func Round(d time.Duration) string {
	if d >= time.Millisecond {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// Explain turns a request error into one line a developer can act on.
func Explain(err error, timeout time.Duration) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case err == nil:
		return ""
	case isTimeout(err):
		return fmt.Sprintf("no answer within %s (timeout)", Round(timeout))
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot resolve host %q: check the URL's host name", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		addr := ""
		if errors.As(err, &opErr) && opErr.Addr != nil {
			addr = " at " + opErr.Addr.String()
		}
		return "connection refused" + addr + ": nothing is listening there"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case strings.Contains(err.Error(), "tls: "), strings.Contains(err.Error(), "remote error"):
		return "TLS handshake failed: " + lastPart(err)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the server speaks plain HTTP on this port: use http:// or enable TLS"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection without answering"
	}
	return lastPart(err)
}

// lastPart drops Go's "Get \"url\": " prefix, which would repeat the URL
// (and with it the verify token) in the message.
func lastPart(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\": "); i >= 0 && strings.HasPrefix(msg, "Get \"") {
		msg = msg[i+3:]
	}
	return msg
}
