package inspector

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/mock"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/receiver"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// MockOptions configure the inspector beside `wa-hooks mock`.
type MockOptions struct {
	Options
	// MaxBubbles bounds the conversations (DefaultMaxBubbles).
	MaxBubbles int
	// AppSecret and AccessToken are the mock's: the App Secret signs the
	// replays; both are masked in everything the page shows.
	AppSecret, AccessToken string
}

// Mock is the inspector beside the Cloud API mock: the conversation of
// every simulated user (what they wrote, what the app sent and its
// statuses), a box to write as a user, and the webhooks the mock posted
// in the request list (with their bytes, headers and the app's answer, and
// replays to the app). It implements mock.Companion.
type Mock struct {
	*Inspector
	conv    *conversations
	opts    MockOptions
	srv     *mock.Server
	control http.Handler
	queue   chan mockEntry
	missed  atomic.Uint64
	done    chan struct{}
	stop    sync.Once

	// Until a page first looks, entries wait in the backlog instead of
	// being filed (see backlog); awake is the lock-free fast path once one has.
	gate    sync.Mutex
	backlog backlog
	woke    chan struct{} // closed once the backlog is filed; nil while asleep
	awake   atomic.Bool
	unkept  atomic.Uint64 // entries that fell off the backlog

	idMu  sync.Mutex
	ids   map[string]string // wa_id, BSUID, username → name
	idsAt time.Time
}

type mockEntry struct {
	e     mock.Entry
	body  []byte
	reset bool
	// woken carries the backlog as one queue item; done is closed once it
	// is filed.
	woken []mockEntry
	done  chan struct{}
}

// mockQueue bounds the log entries waiting for the inspector; past it they
// are dropped and counted, never waited for: the mock's deliveries do not
// slow down for the page.
const mockQueue = 4096

// NewMock returns the inspector for the mock; `wa-hooks mock` starts it
// (mock.Companion).
func NewMock(opts MockOptions) *Mock {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	m := &Mock{Inspector: New(opts.Options), opts: opts,
		queue: make(chan mockEntry, mockQueue), done: make(chan struct{})}
	// As much as the conversations and the request list keep, so that a
	// page opened late shows what one open from the start would (the
	// bodies' share of the store's bytes is a guess: half).
	bubbles, reqs, bytes := opts.MaxBubbles, opts.MaxRequests, opts.MaxBytes
	if bubbles <= 0 {
		bubbles = DefaultMaxBubbles
	}
	if reqs <= 0 {
		reqs = DefaultMaxRequests
	}
	if bytes <= 0 {
		bytes = DefaultMaxBytes
	}
	m.backlog = backlog{maxItems: bubbles + reqs, maxBytes: bytes / 2}
	m.wake = m.wakeUp
	return m
}

// Start implements mock.Companion.
func (m *Mock) Start(ctx context.Context, ios *iostreams.IO, s *mock.Server) (string, string, error) {
	m.srv, m.control = s, s.Handler()
	info := s.Info()
	secret, token := m.opts.AppSecret, m.opts.AccessToken
	m.conv = newConversations(m.opts.MaxBubbles, secret, token)
	m.conv.resolver = m.resolve
	env := receiver.CompanionEnv{IO: ios, AppSecret: secret, ForwardTo: info.Webhook, Local: info.Webhook}
	if err := m.prepare(env, secret, token); err != nil {
		return "", "", err
	}
	m.routes = m.mockRoutes
	go m.run()
	lines := m.serve("(conversations with the simulated users, the webhooks posted: open it in your browser)")
	return lines[0].Label, lines[0].Value, nil
}

// Entry implements mock.Companion: it never blocks the mock.
func (m *Mock) Entry(e mock.Entry, body []byte) {
	me := mockEntry{e: e, body: body}
	if !m.awake.Load() && m.keep(me) {
		return
	}
	select {
	case m.queue <- me:
	default:
		m.missed.Add(1)
	}
}

// keep puts me in the backlog while no page has looked; false once one
// has (me then goes through the queue). The gate orders it against
// wakeUp: nothing kept can land after what the queue took later.
func (m *Mock) keep(me mockEntry) bool {
	m.gate.Lock()
	defer m.gate.Unlock()
	if m.woke != nil {
		return false
	}
	// What the mock handed along (its parse of a send, the body it wrote)
	// is dropped: filing parses again, once, when a page first looks.
	me.e = me.e.Detached()
	m.unkept.Add(m.backlog.push(me))
	return true
}

// Reset forgets the conversations: the mock was reset (POST /_mock/reset).
// It goes through the backlog or the entry queue, so entries logged before
// the reset cannot land after it.
func (m *Mock) Reset() {
	me := mockEntry{reset: true}
	if !m.awake.Load() && m.keep(me) {
		return
	}
	select {
	case m.queue <- me:
	case <-m.done:
	}
}

// wakeUp runs before every request a page makes: the first one files the
// backlog and lets entries through from then on. Each returns once the
// backlog is filed, so the first answer already shows it.
func (m *Mock) wakeUp(ctx context.Context) {
	if !m.awake.Load() {
		m.gate.Lock()
		if m.woke == nil {
			m.woke = make(chan struct{})
			// Nothing is queued while asleep, so this cannot block; sent
			// under the gate, it is ahead of every entry after it.
			m.queue <- mockEntry{woken: m.backlog.take(), done: m.woke}
			m.awake.Store(true)
		}
		m.gate.Unlock()
	}
	select {
	case <-m.woke:
	case <-ctx.Done():
	case <-m.done:
	}
}

// Stop implements mock.Companion.
func (m *Mock) Stop() {
	m.stop.Do(func() {
		close(m.done)
		m.Inspector.Stop()
	})
}

func (m *Mock) run() {
	for {
		select {
		case me := <-m.queue:
			m.take(me)
		case <-m.done:
			for {
				select {
				case me := <-m.queue:
					m.take(me)
				default:
					return
				}
			}
		}
	}
}

// take files one log entry: in the conversations and, for a webhook, in
// the request list as the request the app received.
func (m *Mock) take(me mockEntry) {
	if me.done != nil {
		for _, b := range me.woken {
			m.take(b)
		}
		close(me.done)
		return
	}
	if me.reset {
		m.conv.reset()
		return
	}
	e, body := me.e, me.body
	var id uint64
	var events []webhook.Event
	if e.Kind == "webhook" && len(body) > 0 {
		// Parsed once for the terminal and the page alike.
		events, _ = e.WebhookEvents(body)
		id = m.observeWebhook(e, body, events)
	}
	m.conv.entry(e, events, id)
}

// observeWebhook turns a webhook the mock posted into the observations
// serve's receiver would have made of it, with the app's answer as the
// forward result: the request list, detail and replays then work on it
// as on a request serve received. It returns the request's id.
func (m *Mock) observeWebhook(e mock.Entry, body []byte, parsed []webhook.Event) uint64 {
	secret := m.env.AppSecret
	h := payload.MetaHeader(nil)
	sig := render.SigValid
	// The signature the mock posted, else worked out as the mock does it.
	signed := e.PostedSignature()
	switch e.Signature {
	case "forged":
		if signed == "" {
			signed = payload.Spoil(signature.Sign(secret, body))
		}
		h[signature.Header] = []string{signed}
		sig = render.SigInvalid
	case "missing":
		sig = render.SigMissing
	default:
		if signed == "" {
			signed = signature.Sign(secret, body)
		}
		h[signature.Header] = []string{signed}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	posted := e.Time
	if e.Delivery != nil {
		posted = posted.Add(-time.Duration(e.Delivery.LatencyMS * float64(time.Millisecond)))
	}
	path := e.Path
	if path == "" {
		path = "/"
	}
	req := render.Request{Seq: e.Seq, Time: posted, Method: http.MethodPost, Path: path, Remote: "wa-hooks mock",
		Header: h, Body: body, Status: http.StatusOK, Signature: sig}
	if e.Delivery != nil {
		req.Status = e.Delivery.Status
	}
	events := make([]render.Event, 0, len(parsed))
	for _, ev := range parsed {
		events = append(events, render.Event{Event: ev, Request: e.Seq, Received: posted, Signature: sig,
			Retry: e.Attempt > 1 || e.Duplicate, Copy: e.Attempt})
	}
	m.store.add(receiver.Observation{Request: req, Events: events, Handled: e.Time}, false)
	// Only this goroutine adds requests: the newest is this one. (A page of
	// one row cost a third of the mock's CPU at 1,000 sends/s.)
	var id uint64
	if newest, ok := m.store.newest(e.Seq); ok {
		id = newest
	}
	if d := e.Delivery; d != nil {
		f := &render.Forward{Request: e.Seq, Method: http.MethodPost, URL: m.env.ForwardTo, Status: d.Status,
			Latency: time.Duration(d.LatencyMS * float64(time.Millisecond)), Err: d.Error}
		m.store.add(receiver.Observation{Request: render.Request{Seq: e.Seq}, Forward: f, Handled: e.Time}, false)
	}
	return id
}

// control calls the mock's own control API in-process (the path the CLI
// verbs and tests use), so the page writes as a user exactly as
// `wa-hooks mock say` does.
func (m *Mock) call(ctx context.Context, method, path string, in any) (int, []byte) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	r := httptest.NewRequestWithContext(ctx, method, path, body)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	m.control.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

// users are the mock's users (copies, taken under its lock) as the page
// shows them; the id index for resolve is rebuilt on the way.
func (m *Mock) users() []ChatUser {
	now := time.Now()
	us := m.srv.Users()
	out := make([]ChatUser, 0, len(us))
	ids := make(map[string]string, 3*len(us))
	for i := range us {
		u := &us[i]
		cu := ChatUser{Name: u.Name, WaID: u.WaID, UserID: u.UserID, Username: u.Username, ProfileName: u.ProfileName,
			WindowOpen: u.WindowOpen(now), Blocked: u.Blocked, Simulated: true}
		if cu.WindowOpen {
			cu.WindowExpires = u.WindowExpires(now).UTC().Format(time.RFC3339)
		}
		for _, id := range []string{u.WaID, u.UserID, u.Username, u.Name} {
			if id != "" {
				ids[id] = u.Name
			}
		}
		out = append(out, cu)
	}
	m.idMu.Lock()
	m.ids, m.idsAt = ids, now
	m.idMu.Unlock()
	return out
}

// resolve finds a user's name from a wa_id, BSUID or username; an unknown
// id reloads the users at most once a second.
func (m *Mock) resolve(id string) string {
	id = strings.TrimPrefix(id, "+")
	m.idMu.Lock()
	name, stale := m.ids[id], time.Since(m.idsAt) > time.Second
	m.idMu.Unlock()
	if name != "" || !stale {
		return name
	}
	m.users()
	m.idMu.Lock()
	defer m.idMu.Unlock()
	return m.ids[id]
}

func userPath(name, action string) string {
	return "/_mock/users/" + url.PathEscape(name) + "/" + action
}
