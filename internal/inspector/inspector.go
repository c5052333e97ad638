// Package inspector is the web page beside `wa-hooks serve`: a live list of
// every request, its exact bytes and headers, the signature diagnosis, what
// the app answered, and actions to replay it (as is, re-signed, or edited)
// or take it away as curl, a send command, a fixture or a recording.
//
// It consumes the receiver's observations (the values the renderers get) and
// never parses a body again; replays go through the send engine (payload,
// signature, sender). The page is embedded: hand-written HTML, CSS and
// JavaScript, nothing fetched from the internet.
//
// Safety: it listens on loopback unless told otherwise (then a token is
// required in the URL); it answers only requests whose Host names it, so a
// web page cannot reach it through DNS rebinding; every action that sends
// traffic needs the per-run token in a header that only the page itself
// can set, and a matching Origin. The App Secret and verify token never
// reach the page.
package inspector

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/receiver"
	"github.com/wa-hooks/wa-hooks/internal/sender"
)

// DefaultAddr is where the inspector listens unless told otherwise; when
// the port is taken the next free one is used.
const DefaultAddr = "127.0.0.1:4040"

// Options configure an Inspector.
type Options struct {
	// Addr is host:port; empty means DefaultAddr.
	Addr string
	// AddrGiven is set when the user chose Addr: a taken port is then an
	// error instead of a reason to try the next one.
	AddrGiven bool
	// MaxRequests and MaxBytes bound the history (defaults above).
	MaxRequests int
	MaxBytes    int64
	// Token, when set, is the per-run token (tests); else a random one.
	Token string
}

// Inspector is the web inspector. It implements receiver.Companion.
type Inspector struct {
	opts     Options
	env      receiver.CompanionEnv
	store    *store
	token    string
	loopback bool
	hosts    map[string]bool // Host header values that name this server
	url      string          // what the banner prints
	ln       net.Listener
	srv      *http.Server
	obs      *receiver.Observing
	client   *http.Client
	insecure *http.Client
	actions  chan struct{} // bounds actions in flight
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
	// routes adds the mock's pages to the handler (nil beside serve).
	routes func(*http.ServeMux)
	// wake runs before each request that passed the checks (the mock's
	// inspector files its backlog on the first; nil beside serve).
	wake func(context.Context)
}

// New returns an inspector; serve starts it (receiver.Companion).
func New(opts Options) *Inspector {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	return &Inspector{opts: opts}
}

// URL is the address of the page (with the token when one is required).
func (in *Inspector) URL() string { return in.url }

// Token is the per-run token actions need.
func (in *Inspector) Token() string { return in.token }

// Start implements receiver.Companion: it loads the history, attaches to
// the receiver and starts listening.
func (in *Inspector) Start(ctx context.Context, env receiver.CompanionEnv) ([]receiver.BannerLine, error) {
	if err := in.prepare(env, env.AppSecret, env.VerifyToken); err != nil {
		return nil, err
	}
	// Without --forward-to no request of serve's gets a later part (the
	// mock's webhooks do: the app's answer), so none is remembered for one.
	in.store.forwarding = env.ForwardTo != ""
	if env.Record != "" {
		// A history that cannot be read is no reason not to serve.
		switch skipped, err := in.loadHistory(env.Record, env.Receiver); {
		case err != nil:
			env.IO.Warnf("inspector: could not read the history from %s: %v", env.Record, err)
		case skipped > 0:
			env.IO.Warnf("inspector: %s: skipped %d unreadable line(s)", env.Record, skipped)
		}
	}
	in.obs = env.Receiver.Observe(in, 0)
	return in.serve("(live requests, detail, replay: open it in your browser)"), nil
}

// prepare makes the token, the history and the clients, and opens the
// listener: everything but what the page is about. secrets are masked in
// everything from outside before it reaches the page.
func (in *Inspector) prepare(env receiver.CompanionEnv, secrets ...string) error {
	in.env = env
	in.token = in.opts.Token
	if in.token == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		in.token = hex.EncodeToString(b)
	}
	in.store = newStore(in.opts.MaxRequests, in.opts.MaxBytes, env.Redact, secrets...)
	in.actions = make(chan struct{}, 4)
	in.ctx, in.cancel = context.WithCancel(context.Background())
	var err error
	if in.client, err = sender.NewClient(sender.ClientOptions{Timeout: actionTimeout, Conns: 4}); err != nil {
		return err
	}
	if in.insecure, err = sender.NewClient(sender.ClientOptions{Timeout: actionTimeout, Conns: 4, Insecure: true}); err != nil {
		return err
	}

	ln, err := in.listen()
	if err != nil {
		return err
	}
	in.ln = ln
	tcp, _ := ln.Addr().(*net.TCPAddr)
	in.loopback = tcp != nil && tcp.IP.IsLoopback()
	in.hosts = hostNames(tcp)
	host := displayHost(tcp)
	in.url = "http://" + host + "/"
	if !in.loopback {
		in.url += "?token=" + in.token
	}
	return nil
}

// serve starts answering on the listener prepare opened and returns the
// banner's row (what says what the page is for).
func (in *Inspector) serve(what string) []receiver.BannerLine {
	in.srv = &http.Server{
		Handler:           in.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(discard{}, "", 0),
		BaseContext:       func(net.Listener) context.Context { return in.ctx },
	}
	ln := in.ln
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		_ = in.srv.Serve(ln)
	}()

	value := in.url + "  " + what
	if !in.loopback {
		in.env.IO.Warnf("the inspector listens on %s, beyond this machine: anyone who can reach it and has the token in its URL can read every request and replay them", ln.Addr())
		value = in.url + "  (NOT loopback: keep the token secret)"
	}
	return []receiver.BannerLine{{Label: "Inspector", Value: value}}
}

// listen opens the inspector's address; the default address moves on to
// the next free port when its port is taken.
func (in *Inspector) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", in.opts.Addr)
	if err == nil {
		return ln, nil
	}
	if inUse := errors.Is(err, syscall.EADDRINUSE); !inUse || in.opts.AddrGiven {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err // "listen tcp …:" says nothing the message does not
		}
		code := exit.Usage
		if inUse {
			code = exit.Failure
		}
		return nil, exit.Errorf(code, "inspector: cannot listen on %s: %v; pick another --inspect ADDR (127.0.0.1:0 picks a free port) or turn it off with --no-inspect", in.opts.Addr, err)
	}
	host, port, _ := net.SplitHostPort(in.opts.Addr)
	p, _ := strconv.Atoi(port)
	for i := 1; i <= 20 && p > 0; i++ {
		if ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p+i))); err == nil {
			return ln, nil
		}
	}
	return net.Listen("tcp", net.JoinHostPort(host, "0"))
}

// Observe implements receiver.Observer.
func (in *Inspector) Observe(o receiver.Observation) { in.store.add(o, false) }

// ObserveBatch implements receiver.BatchObserver: a burst under one lock.
func (in *Inspector) ObserveBatch(os []receiver.Observation) { in.store.addAll(os) }

// Stop implements receiver.Companion: called after the receiver closed.
func (in *Inspector) Stop() {
	if in.obs != nil {
		in.obs.Stop()
	}
	if in.srv != nil {
		in.cancel() // ends the live streams
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := in.srv.Shutdown(ctx); err != nil {
			_ = in.srv.Close()
		}
		in.wg.Wait()
	}
	if in.store != nil {
		_ = in.store.close()
	}
}

// loadHistory reads the tail of the recording (at most the history's
// bounds) and passes it through the receiver's rules.
func (in *Inspector) loadHistory(path string, rc *receiver.Receiver) (skipped int, err error) {
	recs, skipped, err := readTail(path, in.store.maxReqs, in.store.maxBytes)
	if err != nil {
		return skipped, err
	}
	rc.Restore(recs, func(o receiver.Observation) { in.store.add(o, true) })
	return skipped, nil
}

func hostNames(tcp *net.TCPAddr) map[string]bool {
	m := map[string]bool{}
	if tcp == nil {
		return m
	}
	port := strconv.Itoa(tcp.Port)
	add := func(h string) { m[net.JoinHostPort(h, port)] = true }
	if tcp.IP.IsLoopback() || tcp.IP.IsUnspecified() {
		add("localhost")
		add("127.0.0.1")
		add("::1")
	}
	if !tcp.IP.IsUnspecified() {
		add(tcp.IP.String())
	}
	return m
}

func displayHost(tcp *net.TCPAddr) string {
	if tcp == nil {
		return "localhost"
	}
	if tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return tcp.String()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// actionTimeout bounds one replay.
const actionTimeout = 30 * time.Second
