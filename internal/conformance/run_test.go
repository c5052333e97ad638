package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

const (
	testToken  = "verify-token-for-tests"
	testSecret = "app-secret-for-tests"
)

// endpoint is a webhook receiver that does everything right unless told to
// break in one way.
type endpoint struct {
	echo         func(challenge string) string // what the handshake answers
	contentType  string
	getStatus    int // status for a correct handshake
	anyToken     bool
	ignoreMode   bool
	redirect     bool
	hangGET      bool
	unknown500   bool
	acceptForged bool
	maxBody      int
	postStatus   int
	// reserialise verifies the signature over JSON.stringify(JSON.parse(body)).
	reserialise      bool
	rejectDuplicates *seen
}

// seen remembers message ids, for an endpoint that refuses duplicates.
type seen struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (s *seen) first(body []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	key := string(body)
	if s.ids[key] {
		return false
	}
	s.ids[key] = true
	return true
}

// hasUnknownType reports a message type a naive handler would not know.
func hasUnknownType(body []byte) bool {
	var doc struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct{ Type string } `json:"messages"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return true
	}
	for _, e := range doc.Entry {
		for _, c := range e.Changes {
			for _, m := range c.Value.Messages {
				switch m.Type {
				case "text", "image", "audio", "video", "document", "sticker", "location", "contacts", "interactive", "button", "reaction":
				default:
					return true
				}
			}
		}
	}
	return false
}

var uEscape = regexp.MustCompile(`(\\u[dD][89abAB][0-9a-fA-F]{2}\\u[0-9a-fA-F]{4}|\\u[0-9a-fA-F]{4})`)

// reserialise does what JSON.stringify(JSON.parse(raw)) does to Meta's
// bytes: raw UTF-8 instead of \uXXXX, and / instead of \/.
func reserialise(body []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, body) != nil {
		return body
	}
	out := bytes.ReplaceAll(buf.Bytes(), []byte(`\/`), []byte(`/`))
	return uEscape.ReplaceAllFunc(out, func(m []byte) []byte {
		s, err := strconv.Unquote(`"` + string(m) + `"`)
		if err != nil || s == `"` || s == `\` || s[0] < 0x20 {
			return m
		}
		return []byte(s)
	})
}

func (e endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		e.get(w, r)
		return
	}
	limit := int64(4 << 20)
	if e.maxBody > 0 {
		limit = int64(e.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	if int64(len(body)) > limit {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	if e.reserialise {
		body = reserialise(body)
	}
	if !e.acceptForged && !signature.Verify(testSecret, body, r.Header.Get(signature.Header)).OK() {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	if e.unknown500 && hasUnknownType(body) {
		http.Error(w, "unhandled message type", http.StatusInternalServerError)
		return
	}
	if e.rejectDuplicates != nil && !e.rejectDuplicates.first(body) {
		http.Error(w, "duplicate", http.StatusConflict)
		return
	}
	if e.postStatus != 0 {
		w.WriteHeader(e.postStatus)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (e endpoint) get(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case e.redirect && r.URL.Path != "/final":
		http.Redirect(w, r, "/final?"+r.URL.RawQuery, http.StatusFound)
		return
	case e.hangGET:
		<-r.Context().Done()
		return
	case !e.ignoreMode && q.Get("hub.mode") != "subscribe",
		!e.anyToken && q.Get("hub.verify_token") != testToken:
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	ct := e.contentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	if e.getStatus != 0 {
		w.WriteHeader(e.getStatus)
	}
	body := q.Get("hub.challenge")
	if e.echo != nil {
		body = e.echo(body)
	}
	io.WriteString(w, body)
}

// serveTLS starts e over TLS with cert.
func serveTLS(t *testing.T, h http.Handler, cert tls.Certificate, maxVersion uint16) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10, MaxVersion: maxVersion}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// collect is a Reporter that keeps what it was told.
type collect struct {
	started  bool
	checks   []Check
	finished *Report
}

func (c *collect) Start(*Report)          { c.started = true }
func (c *collect) Check(ch Check)         { c.checks = append(c.checks, ch) }
func (c *collect) Finish(r *Report) error { c.finished = r; return nil }

func baseOpts(url string) Options {
	return Options{URL: url, VerifyToken: testToken, AppSecret: testSecret, Timeout: 5 * time.Second, Roots: x509.NewCertPool()}
}

func run(t *testing.T, o Options) *Report {
	t.Helper()
	col := &collect{}
	o.Reporter = col
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !col.started || col.finished != rep || len(col.checks) != len(rep.Checks) {
		t.Fatalf("reporter saw start=%v, %d checks of %d, finish=%v", col.started, len(col.checks), len(rep.Checks), col.finished != nil)
	}
	return rep
}

func ids(rep *Report, s Status) []string {
	var out []string
	for _, c := range rep.Checks {
		if c.Status == s {
			out = append(out, c.ID)
		}
	}
	return out
}

func check(t *testing.T, rep *Report, id string) Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %q in %v", id, rep.Checks)
	return Check{}
}

// explain prints the report when a test fails.
func explain(rep *Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		b.WriteString("\n  " + string(c.Status) + " " + c.ID + ": " + c.Reason)
	}
	return b.String()
}

// TestBrokenEndpoints runs verify against endpoints broken in one way each:
// exactly the check that should fail fails, with the right reason.
func TestBrokenEndpoints(t *testing.T) {
	tests := []struct {
		name   string
		ep     endpoint
		opts   func(*Options)
		failed []string
		reason string // substring of the first failed check's reason
	}{
		{name: "correct endpoint", ep: endpoint{}},
		{name: "echoes the challenge JSON-quoted", ep: endpoint{echo: func(c string) string { return `"` + c + `"` }, contentType: "application/json"},
			failed: []string{"handshake"}, reason: "JSON-quoted"},
		{name: "adds a newline", ep: endpoint{echo: func(c string) string { return c + "\n" }},
			failed: []string{"handshake"}, reason: "trailing newline"},
		{name: "accepts any token", ep: endpoint{anyToken: true},
			failed: []string{"wrong-token"}, reason: "anyone could subscribe their own app"},
		{name: "ignores hub.mode", ep: endpoint{ignoreMode: true},
			failed: []string{"missing-mode"}, reason: "without hub.mode=subscribe"},
		{name: "401 on GET", ep: endpoint{getStatus: http.StatusUnauthorized},
			failed: []string{"handshake"}, reason: "signature middleware runs on GET"},
		{name: "redirects", ep: endpoint{redirect: true},
			failed: []string{"handshake"}, reason: "redirected (302 Found) to /final"},
		{name: "slow response", ep: endpoint{hangGET: true}, opts: func(o *Options) { o.Timeout = 150 * time.Millisecond },
			failed: []string{"handshake"}, reason: "no answer within 150ms"},
		{name: "answers HTML", ep: endpoint{echo: func(string) string { return "<html><body>Welcome</body></html>" }, contentType: "text/html"},
			failed: []string{"handshake"}, reason: "HTML page"},
		{name: "parses the challenge as an integer", ep: endpoint{echo: func(c string) string { return "0" }},
			opts:   func(o *Options) { o.AlphaChallenge = true },
			failed: []string{"handshake"}, reason: `200 with "0" instead of the challenge`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.ep)
			o := baseOpts(srv.URL + "/webhook")
			o.Only = GroupHandshake
			if tt.opts != nil {
				tt.opts(&o)
			}
			rep := run(t, o)
			if got := ids(rep, Fail); !slices.Equal(got, tt.failed) {
				t.Fatalf("failed checks = %v, want %v%s", got, tt.failed, explain(rep))
			}
			if len(tt.failed) > 0 {
				if c := check(t, rep, tt.failed[0]); !strings.Contains(c.Reason, tt.reason) || c.Fix == "" {
					t.Errorf("reason = %q (fix %q), want it to contain %q", c.Reason, c.Fix, tt.reason)
				}
				if rep.ExitCode() != exit.VerifyFail {
					t.Errorf("exit code = %d, want %d", rep.ExitCode(), exit.VerifyFail)
				}
			} else if rep.ExitCode() != exit.OK {
				t.Errorf("exit code = %d, want 0%s", rep.ExitCode(), explain(rep))
			}
		})
	}
}

func TestPlainHTTPLoopbackIsAWarning(t *testing.T) {
	srv := serve(t, endpoint{})
	o := baseOpts(srv.URL)
	o.Only = GroupHandshake
	rep := run(t, o)
	if got := ids(rep, Warn); !slices.Equal(got, []string{"https"}) {
		t.Errorf("warnings = %v, want [https]%s", got, explain(rep))
	}
	if got := ids(rep, Skip); !slices.Equal(got, []string{"certificate", "certificate-expiry", "tls-version"}) {
		t.Errorf("skipped = %v", got)
	}
	if rep.Summary != (Summary{Passed: 5, Warnings: 1, Skipped: 3}) {
		t.Errorf("summary = %s", rep.Summary)
	}
	if rep.Summary.String() != "5 passed, 0 failed, 1 warnings, 3 skipped" {
		t.Errorf("summary line = %q", rep.Summary.String())
	}

	o.Strict = true
	rep = run(t, o)
	if c := check(t, rep, "https"); c.Status != Fail || !c.Strict || rep.ExitCode() != exit.VerifyFail {
		t.Errorf("--strict: https = %+v, exit %d", c, rep.ExitCode())
	}
}

func TestPlainHTTPElsewhereFails(t *testing.T) {
	in := transportInput{URL: mustURL("http://example.com/webhook"), Now: time.Now()}
	got := judgeTransport(in)
	if got[0].Status != Fail || !strings.Contains(got[0].Reason, "only calls https://") {
		t.Errorf("https = %+v", got[0])
	}
}

func TestContentTypeWarning(t *testing.T) {
	srv := serve(t, endpoint{contentType: "application/json"})
	o := baseOpts(srv.URL)
	o.Only = GroupHandshake
	rep := run(t, o)
	c := check(t, rep, "content-type")
	if c.Status != Warn || !strings.Contains(c.Reason, "application/json, not text/plain") {
		t.Errorf("content-type = %+v", c)
	}
	if rep.ExitCode() != exit.OK {
		t.Errorf("a warning alone must not fail: exit %d", rep.ExitCode())
	}
}

func TestSlowHandshakeWarns(t *testing.T) {
	// Over --slow but within --timeout: a warning, not a failure.
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hub.verify_token") == testToken && r.URL.Query().Get("hub.mode") == "subscribe" {
			time.Sleep(30 * time.Millisecond)
		}
		endpoint{}.ServeHTTP(w, r)
	}))
	o := baseOpts(srv.URL)
	o.Only = GroupHandshake
	o.Slow = time.Millisecond
	rep := run(t, o)
	if c := check(t, rep, "latency"); c.Status != Warn || !strings.Contains(c.Reason, "over 1ms") {
		t.Errorf("latency = %+v", c)
	}
}

func TestTLS(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	tests := []struct {
		name       string
		cert       tls.Certificate
		maxVersion uint16
		roots      *x509.CertPool
		caFile     bool
		host       string
		failed     []string
		warned     []string
		id, reason string
	}{
		{name: "valid chain", cert: ca.leaf(t, leafOpts{}), roots: ca.pool(),
			id: "certificate", reason: "issued by wa-hooks test CA"},
		{name: "valid chain through --ca-cert", cert: ca.leaf(t, leafOpts{}), caFile: true,
			id: "certificate", reason: "trusted through --ca-cert"},
		{name: "self-signed", cert: ca.leaf(t, leafOpts{selfSigned: true}), roots: ca.pool(),
			failed: []string{"certificate"}, id: "certificate", reason: "Meta refuses self-signed certificates"},
		{name: "unknown authority", cert: ca.leaf(t, leafOpts{}),
			failed: []string{"certificate"}, id: "certificate", reason: "the chain does not verify: issued by wa-hooks test CA"},
		{name: "name mismatch", cert: ca.leaf(t, leafOpts{names: []string{"example.com"}}), roots: ca.pool(),
			failed: []string{"certificate"}, id: "certificate", reason: "is for example.com, not 127.0.0.1"},
		{name: "expired", cert: ca.leaf(t, leafOpts{notBefore: now.Add(-90 * 24 * time.Hour), notAfter: now.Add(-48 * time.Hour)}), roots: ca.pool(),
			failed: []string{"certificate-expiry"}, id: "certificate-expiry", reason: "expired on"},
		{name: "expires soon", cert: ca.leaf(t, leafOpts{notAfter: now.Add(5*24*time.Hour + time.Hour)}), roots: ca.pool(),
			warned: []string{"certificate-expiry"}, id: "certificate-expiry", reason: "in 5 days"},
		{name: "TLS 1.1", cert: ca.leaf(t, leafOpts{}), roots: ca.pool(), maxVersion: tls.VersionTLS11,
			failed: []string{"tls-version"}, id: "tls-version", reason: "negotiated TLS 1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serveTLS(t, endpoint{}, tt.cert, tt.maxVersion)
			o := baseOpts(srv.URL + "/webhook")
			o.Only = GroupHandshake
			o.Roots = tt.roots
			if o.Roots == nil {
				o.Roots = x509.NewCertPool()
			}
			if tt.caFile {
				o.CACert = ca.pemFile(t)
			}
			rep := run(t, o)
			if got := ids(rep, Fail); !slices.Equal(got, tt.failed) {
				t.Fatalf("failed = %v, want %v%s", got, tt.failed, explain(rep))
			}
			if got := ids(rep, Warn); !slices.Equal(got, tt.warned) {
				t.Fatalf("warnings = %v, want %v%s", got, tt.warned, explain(rep))
			}
			if c := check(t, rep, tt.id); !strings.Contains(c.Reason, tt.reason) {
				t.Errorf("%s: reason %q, want %q", tt.id, c.Reason, tt.reason)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	o := baseOpts("http://" + addr + "/webhook")
	rep := run(t, o)
	if !rep.Unreachable || rep.ExitCode() != exit.Unreachable {
		t.Fatalf("unreachable = %v, exit %d%s", rep.Unreachable, rep.ExitCode(), explain(rep))
	}
	if !strings.Contains(rep.UnreachableReason, "connection refused") {
		t.Errorf("reason = %q", rep.UnreachableReason)
	}
	if got := ids(rep, Fail); !slices.Equal(got, []string{"handshake"}) {
		t.Errorf("failed = %v: after an unreachable handshake the rest is skipped%s", got, explain(rep))
	}
	err := Verify(context.Background(), o)
	if exit.CodeOf(err) != exit.Unreachable || !strings.Contains(err.Error(), "could not reach") {
		t.Errorf("Verify = %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		msg  string
	}{
		{"no URL", Options{VerifyToken: "t"}, "missing URL"},
		{"relative URL", Options{URL: "example.com/webhook", VerifyToken: "t"}, "absolute http:// or https:// URL"},
		{"ftp", Options{URL: "ftp://example.com/", VerifyToken: "t"}, "absolute http://"},
		{"hub params in URL", Options{URL: "https://example.com/?hub.verify_token=secret", VerifyToken: "t"}, "without hub.* parameters"},
		{"no token", Options{URL: "https://example.com/"}, "--verify-token"},
		{"bad only", Options{URL: "https://example.com/", VerifyToken: "t", Only: "tls"}, "invalid --only"},
		{"both challenges", Options{URL: "https://example.com/", VerifyToken: "t", Challenge: "1", AlphaChallenge: true}, "cannot be used together"},
		{"deliveries without secret", Options{URL: "https://example.com/", VerifyToken: "t", Deliveries: true}, "--app-secret"},
		{"missing CA file", Options{URL: "https://example.com/", VerifyToken: "t", CACert: "/nonexistent/ca.pem"}, "--ca-cert /nonexistent/ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(context.Background(), tt.opts)
			if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Verify = %v (code %d), want a usage error with %q", err, exit.CodeOf(err), tt.msg)
			}
		})
	}
}

func TestSecretsAreScrubbed(t *testing.T) {
	// An endpoint that prints the token it got back into its error page.
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad token "+r.URL.Query().Get("hub.verify_token"), http.StatusInternalServerError)
	}))
	o := baseOpts(srv.URL)
	o.Only = GroupHandshake
	rep := run(t, o)
	for _, c := range rep.Checks {
		if strings.Contains(c.Reason, testToken) || strings.Contains(c.Fix, testToken) {
			t.Errorf("%s prints the verify token: %q", c.ID, c.Reason)
		}
	}
	if c := check(t, rep, "handshake"); !strings.Contains(c.Reason, "****ests") {
		t.Errorf("handshake reason = %q, want the masked token", c.Reason)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestDeliveries runs the delivery checks against endpoints broken in one
// way each.
func TestDeliveries(t *testing.T) {
	tests := []struct {
		name   string
		ep     endpoint
		failed []string
		reason string
	}{
		{name: "correct endpoint", ep: endpoint{}},
		{name: "answers 500 to unknown types", ep: endpoint{unknown500: true},
			// the field deliveries' system message is a type it does not know either
			failed: []string{"delivery-unknown-type", "delivery-fields"}, reason: "500 Internal Server Error"},
		{name: "accepts forged signatures", ep: endpoint{acceptForged: true},
			failed: []string{"forged-signature", "missing-signature"}, reason: "your endpoint accepts forged webhooks"},
		{name: "verifies a re-serialised body", ep: endpoint{reserialise: true},
			// Meta escapes every "/", so field bodies with a URL fail too
			failed: []string{"delivery-fields", "delivery-escaping"}, reason: "re-serialised body"},
		{name: "refuses duplicates", ep: endpoint{rejectDuplicates: &seen{}},
			failed: []string{"delivery-duplicate"}, reason: "Meta delivers duplicates"},
		{name: "limits bodies to 1 MB", ep: endpoint{maxBody: 1 << 20},
			failed: []string{"delivery-large"}, reason: "413 Request Entity Too Large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.ep)
			o := baseOpts(srv.URL + "/webhook")
			o.Only = GroupDeliveries
			rep := run(t, o)
			if got := ids(rep, Fail); !slices.Equal(got, tt.failed) {
				t.Fatalf("failed = %v, want %v%s", got, tt.failed, explain(rep))
			}
			if len(rep.Checks) != len(deliveryChecks) {
				t.Errorf("%d checks, want %d", len(rep.Checks), len(deliveryChecks))
			}
			for _, c := range rep.Checks {
				if c.HTTPStatus == 0 || c.Latency <= 0 {
					t.Errorf("%s: status %d, latency %v: each delivery reports both", c.ID, c.HTTPStatus, c.Latency)
				}
			}
			if len(tt.failed) > 0 {
				if c := check(t, rep, tt.failed[0]); !strings.Contains(c.Reason, tt.reason) || c.Fix == "" {
					t.Errorf("reason = %q (fix %q), want %q", c.Reason, c.Fix, tt.reason)
				}
			}
		})
	}
}

func TestDeliveriesNeedTheSecret(t *testing.T) {
	srv := serve(t, endpoint{})
	o := baseOpts(srv.URL)
	o.AppSecret = ""
	rep := run(t, o)
	if got := ids(rep, Skip); len(got) != len(deliveryChecks)+3 { // + the three certificate checks
		t.Errorf("skipped = %v", got)
	}
	if c := check(t, rep, "delivery-text"); !strings.Contains(c.Reason, "WA_HOOKS_APP_SECRET") {
		t.Errorf("skip reason = %q", c.Reason)
	}
}

func TestBodies(t *testing.T) {
	set, err := buildBodies(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(set.Large.Body); n > LargeBody || n < LargeBody-10_000 {
		t.Errorf("large body is %d bytes, want just under %d", n, LargeBody)
	}
	for name, d := range map[string]delivery{"text": set.Text, "batch": set.Batch, "status": set.Status, "unknown": set.Unknown, "escaped": set.Escaped, "large": set.Large} {
		if !signature.Verify(testSecret, d.Body, d.Header.Get(signature.Header)).OK() {
			t.Errorf("%s: not correctly signed", name)
		}
		if !json.Valid(d.Body) {
			t.Errorf("%s: not JSON", name)
		}
	}
	if signature.Verify(testSecret, set.Forged.Body, set.Forged.Header.Get(signature.Header)).OK() || set.Forged.Header.Get(signature.Header) == "" {
		t.Errorf("forged body carries a valid or no signature")
	}
	if set.Unsigned.Header.Get(signature.Header) != "" {
		t.Errorf("unsigned body is signed")
	}
	if bytes.Equal(set.Forged.Body, set.Text.Body) || bytes.Equal(set.Unsigned.Body, set.Text.Body) {
		t.Errorf("forged and unsigned bodies must be fresh deliveries, not copies a dedup cache would answer")
	}
}

func TestDetailsMaskTheToken(t *testing.T) {
	const token = "a b&c=d/é-token"
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hub.verify_token") != token || r.URL.Query().Get("hub.mode") != "subscribe" {
			http.Error(w, "Forbidden", http.StatusForbidden)
			return
		}
		io.WriteString(w, r.URL.Query().Get("hub.challenge"))
	}))
	o := baseOpts(srv.URL + "/webhook")
	o.VerifyToken = token
	o.Only = GroupHandshake
	rep := run(t, o)
	if rep.Summary.Failed != 0 {
		t.Fatalf("a token that needs escaping broke the handshake:%s", explain(rep))
	}
	hs := check(t, rep, "handshake")
	if len(hs.Detail) != 2 || !strings.HasPrefix(hs.Detail[0], "→ GET /webhook?hub.mode=subscribe&hub.challenge=") || !strings.Contains(hs.Detail[1], "← 200 OK") {
		t.Errorf("detail = %q", hs.Detail)
	}
	esc := url.QueryEscape(token)
	for _, c := range rep.Checks {
		for _, d := range c.Detail {
			if strings.Contains(d, token) || strings.Contains(d, esc) || strings.Contains(d, "token=a") {
				t.Errorf("%s detail shows the token: %q", c.ID, d)
			}
		}
	}
}

func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel() // Ctrl-C while the first request is in flight
		<-r.Context().Done()
	}))
	o := baseOpts(srv.URL)
	col := &collect{}
	o.Reporter = col
	err := Verify(ctx, o)
	if exit.CodeOf(err) != exit.Interrupted {
		t.Fatalf("Verify = %v, want exit %d", err, exit.Interrupted)
	}
	rep := col.finished
	if rep.Summary.Failed != 0 || rep.Unreachable {
		t.Errorf("an interrupted run blames the endpoint:%s", explain(rep))
	}
	if c := check(t, rep, "handshake"); c.Status != Skip || c.Reason != "interrupted" {
		t.Errorf("handshake = %+v", c)
	}
}
