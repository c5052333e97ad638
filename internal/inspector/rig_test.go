package inspector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/receiver"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

const (
	testSecret = "inspector-test-app-secret-42"
	testToken  = "inspector-test-verify-token"
)

// rig is serve's receiver and the inspector, wired as serve wires them,
// with a capture server standing in for the user's app.
type rig struct {
	t       testing.TB
	rc      *receiver.Receiver
	hooks   *httptest.Server // the receiver
	in      *Inspector
	base    string // the inspector, http://127.0.0.1:port
	capture *capture
}

type rigOptions struct {
	redact   bool
	record   string
	maxReqs  int
	noSecret bool
	forward  bool // --forward-to the capture server
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	r := &rig{t: t, capture: newCapture(t)}
	secret := testSecret
	if o.noSecret {
		secret = ""
	}
	var fw *receiver.Forwarder
	if o.forward {
		var err error
		fw, err = receiver.NewForwarder(receiver.ForwardOptions{URL: r.capture.url})
		if err != nil {
			t.Fatal(err)
		}
	}
	rc, err := receiver.New(receiver.Options{Path: "/webhook", AppSecret: secret, VerifyToken: testToken,
		StaleAfter: 10 * time.Minute, Redact: o.redact, Forwarder: fw, AcceptInvalid: false,
		Sink: render.NewJSONLines(io.Discard, render.JSONOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	r.rc = rc
	r.hooks = httptest.NewServer(rc)
	ios, _, _, _ := iostreams.Test()
	r.in = New(Options{Addr: "127.0.0.1:0", AddrGiven: true, MaxRequests: o.maxReqs, Token: "test-token-0123"})
	env := receiver.CompanionEnv{IO: ios, Receiver: rc, Local: r.hooks.URL + "/webhook", Path: "/webhook",
		AppSecret: secret, VerifyToken: testToken, Redact: o.redact, Record: o.record}
	if o.forward {
		env.ForwardTo = r.capture.url
	}
	if _, err := r.in.Start(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	r.base = strings.TrimSuffix(r.in.URL(), "/")
	t.Cleanup(func() {
		r.hooks.Close()
		rc.Close()
		r.in.Stop()
	})
	return r
}

// post sends body to the receiver with the given signature header.
func (r *rig) post(body []byte, sig string) int {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.hooks.URL+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(signature.Header, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (r *rig) postSigned(body []byte) { r.post(body, signature.Sign(testSecret, body)) }

// waitRows polls the list until it holds n rows (observations are handed
// over after the answer, on the observer's goroutine).
func (r *rig) waitRows(query string, n int) Page {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var p Page
		r.getJSON("/api/rows?"+query, &p)
		if len(p.Rows) >= n || time.Now().After(deadline) {
			if len(p.Rows) != n {
				r.t.Fatalf("rows?%s: got %d rows, want %d: %+v", query, len(p.Rows), n, p.Rows)
			}
			return p
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *rig) getJSON(path string, v any) {
	r.t.Helper()
	resp, err := http.Get(r.base + path)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		r.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		r.t.Fatal(err)
	}
}

// action posts an action as the page does; it returns the status and body.
func (r *rig) action(path string, body any, mod func(*http.Request)) (int, []byte) {
	r.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, r.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(TokenHeader, r.in.Token())
	if mod != nil {
		mod(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func wireFixture(t testing.TB, name string) []byte {
	t.Helper()
	f, ok := fixtures.Get(name)
	if !ok {
		t.Fatalf("no fixture %s", name)
	}
	b, err := wire.Encode(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// capture is a stand-in for the user's app: it keeps what it was sent.
type capture struct {
	mu   sync.Mutex
	got  []captured
	url  string
	srv  *httptest.Server
	echo string // appended to every answer
}

type captured struct {
	Body   []byte
	Header http.Header
}

func newCapture(t testing.TB) *capture {
	c := &capture{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		c.mu.Lock()
		c.got = append(c.got, captured{Body: b, Header: r.Header.Clone()})
		echo := c.echo
		c.mu.Unlock()
		w.Header().Set("X-App", "capture")
		fmt.Fprintf(w, "ok %s", echo)
	}))
	c.url = c.srv.URL + "/hook"
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capture) last(t testing.TB) captured {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.got) == 0 {
		t.Fatal("the capture server got nothing")
	}
	return c.got[len(c.got)-1]
}

func (c *capture) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got)
}
