package receiver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/memtune"
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/weburl"
)

// Server timeouts: generous enough for a 3 MB body through a slow tunnel,
// short enough that an idle or stuck client cannot hold a connection.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// after SIGINT/SIGTERM.
	ShutdownTimeout = 15 * time.Second
	// outputDrainTimeout bounds how long stopping waits for stdout to take
	// the last lines: a pager that stopped reading must not hold serve.
	outputDrainTimeout = 2 * time.Second
)

// Config is everything `wa-hooks serve` is asked to do.
type Config struct {
	Addr        string
	Path        string
	PublicURL   string
	AppSecret   string
	VerifyToken string
	MaxBody     string

	AcceptInvalid bool
	StaleAfter    time.Duration

	JSON   bool
	Raw    bool
	Redact bool
	Fields []string
	Types  []string

	Record      string
	RecordFsync bool

	ForwardTo        string
	ForwardHeaders   []string
	ForwardHandshake bool
	ForwardTimeout   time.Duration
	ForwardInsecure  bool

	TLSCert string
	TLSKey  string

	Demo     bool
	DemoExit bool
	// DemoIdentity rewrites the demo's users (identity.Parse names).
	DemoIdentity string

	// Companions run beside the receiver (the web inspector); see observe.go.
	Companions []Companion

	// Origin names where a flag's value came from ("--max-body",
	// "WA_HOOKS_SERVE_MAX_BODY", a config file) for error messages.
	Origin func(flag string) string
}

func (c Config) origin(flag string) string {
	if c.Origin != nil {
		if o := c.Origin(flag); o != "" {
			return o
		}
	}
	return "--" + flag
}

// Serve runs the receiver until ctx is cancelled (SIGINT/SIGTERM), then
// finishes in-flight requests, flushes the recording and prints a summary.
func Serve(ctx context.Context, ios *iostreams.IO, cfg Config) error {
	if cfg.Path == "" {
		cfg.Path = "/webhook"
	}
	if !strings.HasPrefix(cfg.Path, "/") {
		return exit.Errorf(exit.Usage, "invalid path %q from %s: it must start with /, e.g. /webhook", cfg.Path, cfg.origin("path"))
	}
	if cfg.PublicURL != "" {
		if _, err := weburl.Parse(cfg.origin("public-url"), cfg.PublicURL); err != nil {
			return exit.New(exit.Usage, err)
		}
	}
	maxBody := int64(DefaultMaxBody)
	if cfg.MaxBody != "" {
		n, err := ParseSize(cfg.MaxBody)
		if err != nil {
			return exit.Errorf(exit.Usage, "%s: %v", cfg.origin("max-body"), err)
		}
		maxBody = n
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return exit.Errorf(exit.Usage, "--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
	}
	var tlsConf *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return exit.Errorf(exit.Usage, "cannot load --tls-cert/--tls-key: %v", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	filter := Filter{Fields: splitList(cfg.Fields), Types: splitList(cfg.Types)}
	if err := checkConfig(cfg, filter); err != nil {
		return err
	}
	var demoID identity.Identity
	if cfg.DemoIdentity != "" {
		if !cfg.Demo {
			return exit.Errorf(exit.Usage, "--identity rewrites the demo's bodies: use it with --demo")
		}
		id, err := identity.Parse(cfg.DemoIdentity)
		if err != nil {
			return exit.Errorf(exit.Usage, "--identity: %v", err)
		}
		demoID = id
	}

	memtune.Serve.Apply(ios.Getenv)

	generated := false
	if cfg.VerifyToken == "" {
		cfg.VerifyToken = NewVerifyToken()
		generated = true
	}
	demoSecret := false
	if cfg.Demo && cfg.AppSecret == "" {
		cfg.AppSecret = "demo-" + randomHex(16)
		demoSecret = true
	}

	var fw *Forwarder
	if cfg.ForwardTo != "" {
		extra := http.Header{}
		for _, h := range cfg.ForwardHeaders {
			k, v, err := ParseHeader(h)
			if err != nil {
				return exit.Errorf(exit.Usage, "--forward-header: %v", err)
			}
			extra.Add(k, v)
		}
		var err error
		fw, err = NewForwarder(ForwardOptions{URL: cfg.ForwardTo, Header: extra, Timeout: cfg.ForwardTimeout,
			Handshakes: cfg.ForwardHandshake, Insecure: cfg.ForwardInsecure})
		if err != nil {
			return exit.New(exit.Usage, err)
		}
	} else if cfg.ForwardHandshake || len(cfg.ForwardHeaders) > 0 {
		return exit.Errorf(exit.Usage, "--forward-handshake and --forward-header need --forward-to URL")
	}

	var rec *recording.Recorder
	if cfg.Record != "" {
		var err error
		rec, err = recording.Open(cfg.Record, cfg.RecordFsync)
		if err != nil {
			return exit.Errorf(exit.Usage, "cannot open the recording (%s): %v", cfg.origin("record"), err)
		}
		defer rec.Close()
	}

	ln, moved, err := listen(cfg)
	if err != nil {
		return listenError(cfg.Addr, cfg.origin("addr"), err)
	}
	defer ln.Close()
	if moved != "" {
		ios.Infof("%s", ios.ErrColor().Sprint("demo: "+moved))
	}
	if fw != nil && PointsAt(fw.URL(), ln.Addr()) {
		return exit.Errorf(exit.Usage, "--forward-to %s points at serve itself (listening on %s): every forwarded request would come back and be forwarded again; give your app's address, e.g. http://localhost:3000/webhook",
			fw.URL(), ln.Addr())
	}

	// Output is buffered and handed to a writer of its own whenever the
	// output queue runs empty (at most every few milliseconds under load):
	// one write per burst under load, immediate when idle, and never a
	// wait for stdout (see Output).
	out := NewOutput(ios.Out, 0)
	secrets := []string{cfg.AppSecret, cfg.VerifyToken}
	var sink render.Sink
	var pretty *render.Pretty
	if cfg.JSON {
		sink = render.NewJSONLines(out, render.JSONOptions{Headers: ios.Verbose, Body: cfg.Raw, Secrets: secrets})
	} else {
		width := 0
		if ios.StdoutTTY {
			width = ios.TerminalWidth()
		}
		pretty = render.NewPretty(out, ios.Renderer(), render.PrettyOptions{Raw: cfg.Raw, Headers: ios.Verbose, Width: width, Secrets: secrets})
		sink = pretty
	}

	rc, err := New(Options{
		Path: cfg.Path, AppSecret: cfg.AppSecret, VerifyToken: cfg.VerifyToken, MaxBody: maxBody,
		AcceptInvalid: cfg.AcceptInvalid, StaleAfter: cfg.StaleAfter, Redact: cfg.Redact,
		Filter:   filter,
		Recorder: rec, Forwarder: fw, Sink: sink,
		Flush:      func() { _ = out.Flush() },
		Backlogged: out.Full,
	})
	if err != nil {
		return exit.New(exit.Usage, err)
	}

	srv := &http.Server{
		Handler:           rc,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tlsConf,
		ErrorLog:          log.New(debugWriter{ios}, "", 0),
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
	}
	local := fmt.Sprintf("%s://%s%s", scheme, displayAddr(ln.Addr()), cfg.Path)

	stopCompanions, extra, err := startCompanions(ctx, ios, cfg, rc, local)
	if err != nil {
		return err
	}
	defer stopCompanions()
	banner(ios, bannerInfo{cfg: cfg, local: local, generated: generated, demoSecret: demoSecret,
		maxBody: maxBody, forward: fw, record: rec, pretty: pretty, extra: extra, filter: filter, network: reachableFromNetwork(ln.Addr())})

	serveErr := make(chan error, 1)
	go func() {
		var err error
		if tlsConf != nil {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		serveErr <- err
	}()

	// Every SIGINT/SIGTERM also comes here: the first one cancels ctx (cmd
	// does that), a second one during the shutdown ends the wait for it.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	if cfg.Demo {
		go func() {
			if err := runDemo(runCtx, ios, local, cfg.AppSecret, tlsConf != nil, demoID); err != nil && runCtx.Err() == nil {
				ios.Warnf("demo: %v", err)
			}
			if cfg.DemoExit {
				stop()
				return
			}
			ios.Infof("%s", ios.ErrColor().Sprint("demo: done. Still listening; press Ctrl-C to stop."))
		}()
	}

	var failure error
	select {
	case <-runCtx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			failure = exit.Errorf(exit.Failure, "server stopped: %v", err)
		}
	}
	interrupted := ctx.Err() != nil // SIGINT/SIGTERM (cmd cancels ctx on them)

	// Shutdown has a deadline, and another signal meanwhile exits at once:
	// a stuck app, client or terminal can delay the exit, never prevent it.
	done := make(chan struct{})
	go func() {
		defer close(done)
		shutdown(ios, srv, fw, rc, rec, sink, out, cfg.JSON)
	}()
	need := 1 // signals that end the wait: the next one...
	if interrupted {
		need = 2 // ...after the one that started it
	}
	deadline := time.NewTimer(ShutdownTimeout + shutdownGrace)
	defer deadline.Stop()
	for got := 0; ; {
		select {
		case <-done:
		case <-sigs:
			if got++; got < need {
				continue
			}
			ios.Warnf("stopping now, without waiting for the shutdown to finish (second signal)")
			return exit.Silent(exit.Interrupted)
		case <-deadline.C:
			ios.Warnf("the shutdown took longer than %s (output not being read?): stopping without it", ShutdownTimeout+shutdownGrace)
		}
		if interrupted && failure == nil {
			return exit.Silent(exit.Interrupted)
		}
		return failure
	}
}

// shutdownGrace is the time allowed after ShutdownTimeout for printing what
// is queued and the summary.
const shutdownGrace = 5 * time.Second

// shutdown lets requests in flight finish and forwards drain within
// ShutdownTimeout, cuts off the rest, then prints what is queued and the
// summary and closes the recording.
func shutdown(ios *iostreams.IO, srv *http.Server, fw *Forwarder, rc *Receiver, rec *recording.Recorder,
	sink render.Sink, out *Output, jsonLines bool) {
	shutCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		ios.Warnf("some requests were still running after %s and were cut off", ShutdownTimeout)
		_ = srv.Close()
	}
	if fw != nil {
		fw.Drain(shutCtx) // what is left when the deadline passes is reported as not forwarded
	}
	summary := rc.Close()
	if rec != nil {
		if err := rec.Close(); err != nil {
			ios.Warnf("closing the recording %s: %v", rec.Path(), err)
		}
	}
	if jsonLines {
		sink.Summary(summary)
	}
	if !out.Close(outputDrainTimeout) {
		ios.Warnf("stdout is not being read: gave up on the last lines of output after %s", outputDrainTimeout)
	}
	if !ios.Quiet {
		width := 0
		if ios.StderrTTY {
			width = ios.TerminalWidth()
		}
		render.WriteSummaryWidth(ios.ErrOut, render.NewStyles(ios.ErrRenderer()), summary, width)
	}
}

// NewVerifyToken returns a random verify token for the handshake.
func NewVerifyToken() string { return "wa-hooks-" + randomHex(12) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// displayAddr shows a wildcard listener as localhost, which a browser or
// tunnel on this machine can use.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return tcp.String()
}

func listenError(addr, origin string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return exit.Errorf(exit.Failure, "cannot listen on %s: the address is already in use; stop the other server or pick another --addr (127.0.0.1:0 picks a free port)", addr)
	case errors.Is(err, syscall.EACCES):
		return exit.Errorf(exit.Failure, "cannot listen on %s: permission denied; ports below 1024 need privileges, use a port such as 8080", addr)
	}
	var ae *net.AddrError
	var oe *net.OpError
	if errors.As(err, &ae) || (errors.As(err, &oe) && oe.Op == "listen") {
		return exit.Errorf(exit.Usage, "invalid address %q from %s: %v; use host:port, e.g. 127.0.0.1:8080 or :8080", addr, origin, innermost(err))
	}
	return exit.Errorf(exit.Failure, "cannot listen on %s: %v", addr, err)
}

func innermost(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// debugWriter sends net/http's own log lines (TLS handshake errors from
// scanners and the like) to -v output only.
type debugWriter struct{ ios *iostreams.IO }

func (d debugWriter) Write(p []byte) (int, error) {
	d.ios.Debugf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

type bannerInfo struct {
	cfg        Config
	local      string
	generated  bool
	demoSecret bool
	maxBody    int64
	forward    *Forwarder
	record     *recording.Recorder
	pretty     *render.Pretty
	extra      []BannerLine // from companions
	filter     Filter
	network    bool // listening on more than loopback
}

// banner tells the user where serve listens and what it will do. The
// "Listening on" line is printed even with --quiet: it is the one thing a
// caller needs (and what tests wait for with --addr 127.0.0.1:0).
func banner(ios *iostreams.IO, b bannerInfo) {
	st := render.NewStyles(ios.ErrRenderer())
	w := ios.ErrOut
	fmt.Fprintf(w, "%s %s\n", st.Title.Render("Listening on"), st.Bold.Render(b.local))
	if ios.Quiet {
		return
	}
	width := 0
	if ios.StderrTTY {
		width = ios.TerminalWidth()
	}
	const valueAt = 2 + 13 + 1
	row := func(label, value string) {
		fmt.Fprintf(w, "  %s %s\n", st.Key.Render(fmt.Sprintf("%-13s", label)), render.WrapIndent(value, width, valueAt, valueAt))
	}
	cfg := b.cfg
	callback := "https://<your-tunnel-host>" + cfg.Path
	if cfg.PublicURL != "" {
		callback = strings.TrimRight(cfg.PublicURL, "/")
		if !strings.HasSuffix(callback, cfg.Path) {
			callback += cfg.Path
		}
	}
	row("Callback URL", st.Bold.Render(callback)+st.Dim.Render("  (Meta App Dashboard → WhatsApp → Configuration → Callback URL)"))
	if b.generated {
		row("Verify token", st.Bold.Render(cfg.VerifyToken)+st.Dim.Render("  (generated for this run: paste it in Meta App Dashboard → WhatsApp → Configuration → Verify token, or set verify_token / WA_HOOKS_VERIFY_TOKEN to keep one)"))
	} else {
		row("Verify token", config.Mask(cfg.VerifyToken)+st.Dim.Render("  (from your configuration)"))
	}
	switch {
	case b.demoSecret:
		row("Signatures", st.OK.Render("checked")+st.Dim.Render(" with a throwaway App Secret for the demo"))
	case cfg.AppSecret != "":
		mode := st.OK.Render("checked") + " with App Secret " + config.Mask(cfg.AppSecret)
		if cfg.AcceptInvalid {
			mode += st.Warn.Render("; bad signatures are answered 200 (--accept-invalid) but flagged")
		} else {
			mode += st.Dim.Render("; bad or missing signatures get 401")
		}
		row("Signatures", mode)
	default:
		row("Signatures", st.Fail.Render("NOT CHECKED: no App Secret")+" — set WA_HOOKS_APP_SECRET, app_secret in the config file, or --app-secret; events are marked \"unchecked\"")
	}
	row("Max body", FormatSize(b.maxBody)+st.Dim.Render(" (413 above)"))
	if b.record != nil {
		row("Recording", "every request to "+st.Bold.Render(b.record.Path())+st.Dim.Render(" (JSON lines, written before each answer)"))
	} else {
		row("Recording", st.Dim.Render("off (--record FILE keeps every request, exact bytes)"))
	}
	if b.forward != nil {
		f := "POSTs to " + st.Bold.Render(b.forward.URL()) + fmt.Sprintf(" (same bytes and signature, timeout %s", b.forward.Timeout())
		if b.forward.Handshakes() {
			f += ", handshakes too"
		}
		row("Forwarding", f+")")
	} else {
		row("Forwarding", st.Dim.Render("off (--forward-to URL passes every request on to your app)"))
	}
	if d := b.filter.Describe(); d != "" {
		row("Showing", "only "+d+st.Dim.Render(" (everything is still answered, counted, recorded and forwarded)"))
	}
	if b.network {
		row("Reachable", st.Warn.Render("from the network, not only this machine")+st.Dim.Render(" (listening on "+cfg.Addr+"; 127.0.0.1:PORT keeps it local)"))
	}
	for _, l := range b.extra {
		row(l.Label, l.Value)
	}
	if b.pretty != nil {
		row("Legend", b.pretty.SignatureLegend())
	}
	if cfg.PublicURL == "" && !cfg.Demo {
		port := b.local[strings.LastIndex(b.local, ":")+1:]
		port = strings.TrimSuffix(port, cfg.Path)
		fmt.Fprintf(w, "\n  %s\n", render.WrapIndent(st.Warn.Render("Expose it:")+" Meta only posts to a public HTTPS URL with a valid certificate (no plain HTTP, no self-signed).", width, 2, 2))
		fmt.Fprintf(w, "  %s\n", render.WrapIndent(st.Dim.Render(fmt.Sprintf("any HTTPS tunnel works, e.g. `cloudflared tunnel --url http://localhost:%s` or `ngrok http %s`; then use https://<tunnel-host>%s", port, port, cfg.Path)), width, 2, 2))
	}
	fmt.Fprintln(w)
}
