package conformance

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/handshake"
	"github.com/wa-hooks/wa-hooks/internal/identity"
)

// Defaults for Options.
const (
	DefaultTimeout = 10 * time.Second
	// DefaultSlow is the handshake latency above which verify warns. Meta
	// documents no limit; third parties report 3 to 20 s.
	DefaultSlow = 5 * time.Second
)

// Options configure one verify run.
type Options struct {
	URL         string
	VerifyToken string
	AppSecret   string

	// Challenge is sent as hub.challenge; empty means a fresh random one,
	// numeric unless AlphaChallenge.
	Challenge      string
	AlphaChallenge bool

	// Only restricts the run to GroupHandshake or GroupDeliveries.
	Only string
	// Deliveries asks for the delivery checks; without it they run only
	// when an app secret is known.
	Deliveries bool
	Strict     bool
	// Fields limits the field deliveries to the webhook fields the app
	// subscribes to (none: every field, and a field Meta may add later).
	Fields []string
	// Identity rewrites every delivery's users (identity.Parse names).
	Identity string
	identity identity.Identity
	// noLarge leaves out the body near 3 MB: for tests, where it is the
	// slowest delivery to build and one test of it is enough.
	noLarge bool

	Timeout time.Duration
	Slow    time.Duration
	// CACert is a PEM file of extra roots to trust (a test or private CA).
	CACert string

	Reporter Reporter

	// For tests: the clock, the roots in place of the system's, and the
	// HTTP client of the GET probes.
	Now         func() time.Time
	Roots       *x509.CertPool
	ProbeClient *http.Client
}

// runner holds one run's state.
type runner struct {
	opts   Options
	url    *url.URL
	report *Report
	extra  *x509.CertPool
	// reached is set once any request got to the endpoint.
	reached bool
	// unreachable is the first connection failure, in words.
	unreachable string
	// interrupted is the run's context: once it is done, what is left is
	// reported as skipped rather than as failures of the endpoint.
	interrupted func() bool
}

// Verify runs the checks Options select, reports each as it is known and
// returns an error carrying the exit code: Usage for bad options,
// Unreachable when the endpoint could not be reached, VerifyFail when a check
// failed (Silent: the report already says which).
func Verify(ctx context.Context, opts Options) error {
	r, err := prepare(opts)
	if err != nil {
		return err
	}
	rep := r.run(ctx)
	if err := r.opts.Reporter.Finish(rep); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return exit.New(exit.Interrupted, ctx.Err())
	}
	switch code := rep.ExitCode(); code {
	case exit.Unreachable:
		return exit.Errorf(code, "could not reach %s: %s", rep.URL, rep.UnreachableReason)
	case exit.OK:
		return nil
	default:
		return exit.Silent(code)
	}
}

// Run is Verify without the exit-code mapping, for callers that want the
// report itself.
func Run(ctx context.Context, opts Options) (*Report, error) {
	r, err := prepare(opts)
	if err != nil {
		return nil, err
	}
	rep := r.run(ctx)
	return rep, r.opts.Reporter.Finish(rep)
}

func prepare(opts Options) (*runner, error) {
	u, err := parseEndpoint(opts.URL)
	if err != nil {
		return nil, exit.New(exit.Usage, err)
	}
	switch opts.Only {
	case "", GroupHandshake, GroupDeliveries:
	default:
		return nil, exit.Errorf(exit.Usage, "invalid --only %q: use handshake or deliveries", opts.Only)
	}
	if opts.Challenge != "" && opts.AlphaChallenge {
		return nil, exit.Errorf(exit.Usage, "--challenge and --alpha-challenge cannot be used together: pick one")
	}
	if opts.runs(GroupHandshake) && opts.VerifyToken == "" {
		return nil, exit.Errorf(exit.Usage, "the handshake needs your verify token: pass --verify-token or set WA_HOOKS_VERIFY_TOKEN (or use --only deliveries)")
	}
	if (opts.Deliveries || opts.Only == GroupDeliveries) && opts.AppSecret == "" {
		return nil, exit.Errorf(exit.Usage, "delivery checks sign with your App Secret: pass --app-secret or set WA_HOOKS_APP_SECRET")
	}
	if err := prepareDeliveries(&opts); err != nil {
		return nil, exit.New(exit.Usage, err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Slow <= 0 {
		opts.Slow = DefaultSlow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ProbeClient == nil {
		opts.ProbeClient = handshake.NewClient()
	}
	if opts.Reporter == nil {
		opts.Reporter = nopReporter{}
	}
	r := &runner{opts: opts, url: u}
	if opts.CACert != "" {
		if r.extra, err = loadCA(opts.CACert); err != nil {
			return nil, exit.New(exit.Usage, err)
		}
	}
	return r, nil
}

// runs reports whether a group is selected.
func (o Options) runs(group string) bool { return o.Only == "" || o.Only == group }

func (r *runner) run(ctx context.Context) *Report {
	r.interrupted = func() bool { return ctx.Err() != nil }
	challenge := r.opts.Challenge
	switch {
	case challenge != "":
	case r.opts.AlphaChallenge:
		challenge = handshake.AlphaChallenge()
	default:
		challenge = handshake.NumericChallenge()
	}
	r.report = &Report{URL: displayURL(r.url), Strict: r.opts.Strict}
	if r.opts.runs(GroupHandshake) {
		r.report.Challenge = challenge
	}
	r.opts.Reporter.Start(r.report)
	if r.opts.runs(GroupHandshake) {
		r.handshakeChecks(ctx, challenge)
	}
	if r.opts.runs(GroupDeliveries) {
		r.deliveryChecks(ctx)
	}
	if !r.reached && r.unreachable != "" && ctx.Err() == nil {
		r.report.Unreachable = true
		r.report.UnreachableReason = r.unreachable
	}
	return r.report
}

// add scrubs secrets from a check, records it and reports it.
func (r *runner) add(c Check) {
	if r.interrupted != nil && r.interrupted() && c.Status != Pass && c.Status != Skip {
		c = Check{ID: c.ID, Group: c.Group, Title: c.Title, Status: Skip, Reason: "interrupted"}
	}
	c.Reason = r.scrub(c.Reason)
	c.Fix = r.scrub(c.Fix)
	for i := range c.Detail {
		c.Detail[i] = r.scrub(c.Detail[i])
	}
	c = r.report.add(c)
	r.opts.Reporter.Check(c)
}

// scrub masks the verify token and the app secret wherever an endpoint
// echoed them into text we are about to print.
func (r *runner) scrub(s string) string {
	for _, secret := range []string{r.opts.VerifyToken, r.opts.AppSecret} {
		if len(secret) >= 4 && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, config.Mask(secret))
		}
	}
	return s
}

// skip reports checks as skipped, with one reason.
func (r *runner) skip(reason string, checks ...Check) {
	for _, c := range checks {
		c.Status, c.Reason = Skip, reason
		r.add(c)
	}
}

func (r *runner) handshakeChecks(ctx context.Context, challenge string) {
	o := r.opts
	probe := func(q handshake.Query) handshake.Response {
		return handshake.Probe(ctx, o.ProbeClient, handshake.RequestURL(r.url, q), o.Timeout)
	}
	main := probe(handshake.Query{Challenge: challenge, Token: o.VerifyToken})
	hs := Check{ID: "handshake", Group: GroupHandshake, Title: "Handshake as Meta sends it", HTTPStatus: main.Status, Latency: main.Latency,
		Detail: probeDetail(main)}
	rest := []Check{
		{ID: "wrong-token", Group: GroupHandshake, Title: "Wrong verify token refused"},
		{ID: "missing-mode", Group: GroupHandshake, Title: "Request without hub.mode refused"},
		{ID: "https", Group: GroupHandshake, Title: "HTTPS"},
		{ID: "certificate", Group: GroupHandshake, Title: "Certificate chain and name"},
		{ID: "certificate-expiry", Group: GroupHandshake, Title: "Certificate expiry"},
		{ID: "tls-version", Group: GroupHandshake, Title: "TLS version ≥ 1.2"},
		{ID: "latency", Group: GroupHandshake, Title: "Handshake latency"},
		{ID: "content-type", Group: GroupHandshake, Title: "Content-Type text/plain"},
	}
	if main.Status == 0 && !main.Reached {
		r.noteUnreachable(handshake.Explain(main.Err, o.Timeout))
		r.add(withFinding(hs, handshake.JudgeHandshake(challenge, main, o.Timeout)))
		r.skip("the endpoint could not be reached", rest...)
		return
	}
	r.reached = true
	r.add(withFinding(hs, handshake.JudgeHandshake(challenge, main, o.Timeout)))

	wrong := probe(handshake.Query{Challenge: challenge, Token: handshake.RandomWrongToken(o.VerifyToken)})
	r.add(withProbe(rest[0], wrong, handshake.JudgeRefusal(challenge, wrong, o.Timeout,
		"your endpoint echoes the challenge for any verify token, so anyone could subscribe their own app to it",
		"compare hub.verify_token with your verify token (in constant time) and answer 403 when it differs")))

	noMode := probe(handshake.Query{Challenge: challenge, Token: o.VerifyToken, OmitMode: true})
	r.add(withProbe(rest[1], noMode, handshake.JudgeRefusal(challenge, noMode, o.Timeout,
		"your endpoint answers the handshake without hub.mode=subscribe",
		`also check hub.mode == "subscribe", and answer 403 otherwise`)))

	// The handshake's own connection shows the certificate (through any
	// proxy, like the probes); a separate handshake is only needed when it
	// gave no answer.
	in := transportInput{URL: r.url, Roots: o.Roots, Extra: r.extra, Now: o.Now(), State: main.TLS}
	if r.url.Scheme == "https" && in.State == nil && ctx.Err() == nil {
		in.State, in.DialErr = dialTLS(ctx, r.url, o.Timeout)
	}
	for _, c := range judgeTransport(in) {
		if c.ID == "certificate" {
			c.Detail = tlsDetail(in.State)
		}
		r.add(c)
	}
	r.add(judgeLatency(rest[6], main, o.Slow))
	r.add(judgeContentType(rest[7], main))
}

func withFinding(c Check, f handshake.Finding) Check {
	c.Status = map[handshake.Level]Status{handshake.Pass: Pass, handshake.Warn: Warn, handshake.Fail: Fail}[f.Level]
	c.Reason, c.Fix = f.Reason, f.Fix
	return c
}

func withProbe(c Check, p handshake.Response, f handshake.Finding) Check {
	c.HTTPStatus, c.Latency, c.Detail = p.Status, p.Latency, probeDetail(p)
	return withFinding(c, f)
}

func judgeLatency(c Check, main handshake.Response, slow time.Duration) Check {
	c.Latency = main.Latency
	switch {
	case main.Status == 0:
		c.Status, c.Reason = Skip, "no answer to measure"
	case main.Latency > slow:
		c.Status = Warn
		c.Reason = fmt.Sprintf("answered in %s, over %s: Meta may give up before your endpoint answers", handshake.Round(main.Latency), slow)
		c.Fix = "answer the handshake at once; move slow work (cold starts, database calls) out of the request"
	default:
		c.Status, c.Reason = Pass, "answered in "+handshake.Round(main.Latency)
	}
	return c
}

func judgeContentType(c Check, main handshake.Response) Check {
	ct := main.ContentType()
	switch {
	case main.Status != http.StatusOK:
		c.Status, c.Reason = Skip, "the handshake was not answered with 200"
	case ct == "text/plain":
		c.Status, c.Reason = Pass, "text/plain"
	case ct == "":
		c.Status = Warn
		c.Reason = "no Content-Type: Meta documents none, but text/plain is the safe choice"
		c.Fix = "answer the handshake with Content-Type: text/plain"
	default:
		c.Status = Warn
		c.Reason = ct + ", not text/plain: Meta documents none, but text/plain is the safe choice"
		c.Fix = "answer the handshake with Content-Type: text/plain"
	}
	return c
}

func (r *runner) noteUnreachable(why string) {
	if r.unreachable == "" {
		r.unreachable = why
	}
}

// parseEndpoint accepts an absolute http(s) URL with a host.
func parseEndpoint(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("missing URL: wa-hooks verify https://your.server/webhook")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %v", raw, unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q: give an absolute http:// or https:// URL, like https://example.com/webhook", raw)
	}
	if u.Query().Has("hub.verify_token") || u.Query().Has("hub.challenge") {
		return nil, fmt.Errorf("invalid URL %q: give the callback URL without hub.* parameters; verify adds them", displayURL(u))
	}
	return u, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// displayURL hides a password in the URL's user info.
func displayURL(u *url.URL) string {
	return u.Redacted()
}

func loadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("--ca-cert %s: %v", path, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-cert %s: no PEM certificate in the file", path)
	}
	return pool, nil
}

type nopReporter struct{}

func (nopReporter) Start(*Report)        {}
func (nopReporter) Check(Check)          {}
func (nopReporter) Finish(*Report) error { return nil }
