package behaviour

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/mock"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// MockOptions say where the mock is, and how to start one there.
type MockOptions struct {
	Addr        string
	App         string
	AppSecret   string
	AccessToken string
	// Budget is the time the app has to answer one webhook.
	Budget time.Duration
}

// Mock is the mock a run uses: one already running on the address, or one
// started in this process.
type Mock struct {
	URL     string
	Info    Info
	Started bool
	// GeneratedToken is the access token made up when none was configured.
	GeneratedToken string
	stop           func() error
}

// Close stops a mock this process started.
func (m *Mock) Close() error {
	if m.stop == nil {
		return nil
	}
	return m.stop()
}

// OpenMock uses the mock that answers GET /_mock/info on o.Addr, or starts
// one there, in deterministic mode, posting to o.App.
func OpenMock(ctx context.Context, o MockOptions) (*Mock, error) {
	base := "http://" + o.Addr
	probe := newMockClient(base, 2*time.Second)
	if info, err := probe.info(ctx); err == nil {
		if !sameURL(info.Webhook, o.App) {
			return nil, exit.Errorf(exit.Usage, "a mock already runs on %s and posts webhooks to %s, not to --app %s: stop it, or give another --addr", o.Addr, termsafe.Line(info.Webhook), o.App)
		}
		if info.GraphBase == "" {
			info.GraphBase = base
		}
		return &Mock{URL: base, Info: info}, nil
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, exit.Errorf(exit.Usage, "cannot start the mock on %s: %v (something that is not a wa-hooks mock listens there?): give another --addr", o.Addr, unwrapOp(err))
	}
	base = "http://" + ln.Addr().String()
	m := &Mock{URL: base, Started: true}
	token := o.AccessToken
	if token == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		token = "mock-" + hex.EncodeToString(b)
		m.GeneratedToken = token
	}
	// Deterministic for the habits (no random duplicates or batches to
	// confuse the checks) but with fresh ids: an app that outlives one run
	// remembers the message ids it handled, and a second run with the same
	// ids would look like duplicates to it.
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	srv, err := mock.New(mock.Options{Webhook: o.App, AppSecret: o.AppSecret, AccessToken: token, Deterministic: true,
		Seed: binary.LittleEndian.Uint64(seed[:]) | 1, NoRetry: true, WebhookTimeout: o.Budget, BaseURL: base})
	if err != nil {
		ln.Close()
		return nil, exit.Errorf(exit.Usage, "starting the mock: %v", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(ln)
	}()
	m.stop = func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := hs.Shutdown(sctx)
		<-done
		return errors.Join(err, srv.Close())
	}
	if m.Info, err = newMockClient(base, 5*time.Second).info(ctx); err != nil {
		m.Close()
		return nil, exit.Errorf(exit.Failure, "the mock started on %s does not answer: %v", base, err)
	}
	if m.Info.GraphBase == "" {
		m.Info.GraphBase = base
	}
	return m, nil
}

// sameURL compares webhook URLs loosely: a trailing slash is no difference.
func sameURL(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}

func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}
