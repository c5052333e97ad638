package inspector

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wa-hooks/wa-hooks/internal/receiver"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

//go:embed page
var pageFS embed.FS

// indexTmpl is parsed on the first page load, not at start-up: every command
// of the binary would otherwise pay for it, `--version` included.
var indexTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(pageFS, "page/index.html"))
})

// TokenHeader carries the per-run token on every action. A page from
// another site cannot set it: a cross-origin request with a custom header
// needs a CORS preflight, which the inspector never approves.
const TokenHeader = "X-Inspector-Token"

const tokenCookie = "wa_hooks_inspector"

// maxActionBody bounds what an action request may carry (an edited body).
const maxActionBody = 8 << 20

// Handler is the inspector's HTTP handler, with its safety checks.
func (in *Inspector) Handler() http.Handler {
	mux := http.NewServeMux()
	assets, _ := fs.Sub(pageFS, "page")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServer(http.FS(assets))))
	mux.HandleFunc("GET /{$}", in.index)
	mux.HandleFunc("GET /api/rows", in.rows)
	mux.HandleFunc("GET /api/stream", in.stream)
	mux.HandleFunc("GET /api/requests/{id}", in.detail)
	mux.HandleFunc("POST /api/requests/{id}/replay", in.action(in.replay))
	mux.HandleFunc("POST /api/requests/{id}/curl", in.action(in.curl))
	mux.HandleFunc("POST /api/requests/{id}/send-command", in.action(in.sendCommand))
	mux.HandleFunc("POST /api/requests/{id}/fixture", in.action(in.fixture))
	mux.HandleFunc("POST /api/recording", in.action(in.recording))
	if in.routes != nil {
		in.routes(mux)
	}
	return in.guard(mux)
}

// guard applies the checks every request passes: the Host must name this
// server (no DNS rebinding) and, beyond loopback, the token must be given.
func (in *Inspector) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		if in.loopback && !in.hosts[strings.ToLower(r.Host)] {
			apiError(w, http.StatusMisdirectedRequest, "this inspector answers only as "+in.url+" (the Host header named "+strconv.Quote(r.Host)+")")
			return
		}
		if !in.loopback && !in.tokenOK(r, true) {
			apiError(w, http.StatusUnauthorized, "the inspector is reachable beyond this machine and needs its token: open the URL serve printed, with ?token=")
			return
		}
		if !in.loopback && r.URL.Query().Get("token") != "" {
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: in.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
		if in.wake != nil {
			in.wake(r.Context())
		}
		next.ServeHTTP(w, r)
	})
}

// tokenOK reports whether r carries the token: in the header, or for reads
// (EventSource cannot set headers) in the query or the SameSite cookie.
func (in *Inspector) tokenOK(r *http.Request, read bool) bool {
	if eq(r.Header.Get(TokenHeader), in.token) {
		return true
	}
	if !read {
		return false
	}
	if eq(r.URL.Query().Get("token"), in.token) {
		return true
	}
	c, err := r.Cookie(tokenCookie)
	return err == nil && eq(c.Value, in.token)
}

func eq(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// action wraps a handler that sends traffic or hands out signed bytes: it
// needs the token header, a JSON body and, when the browser says where the
// request comes from, this very page.
func (in *Inspector) action(fn func(w http.ResponseWriter, r *http.Request, e entry)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !in.tokenOK(r, false) {
			apiError(w, http.StatusForbidden, "missing or wrong "+TokenHeader+": actions are only taken from the inspector's own page")
			return
		}
		if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
			apiError(w, http.StatusForbidden, "cross-origin request refused (Origin "+strconv.Quote(o)+")")
			return
		}
		if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
			apiError(w, http.StatusForbidden, "cross-site request refused")
			return
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			apiError(w, http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json)")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxActionBody)
		var e entry
		if r.PathValue("id") != "" {
			var ok bool
			if e, ok = in.lookup(w, r); !ok {
				return
			}
		}
		select {
		case in.actions <- struct{}{}:
			defer func() { <-in.actions }()
		case <-r.Context().Done():
			return
		}
		fn(w, r, e)
	}
}

func (in *Inspector) lookup(w http.ResponseWriter, r *http.Request) (entry, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		apiError(w, http.StatusBadRequest, "request id must be a number")
		return entry{}, false
	}
	e, ok, err := in.store.snapshot(id)
	switch {
	case !ok:
		apiError(w, http.StatusNotFound, fmt.Sprintf("request %d is not in the history (it keeps the last %d requests)", id, in.store.maxReqs))
		return entry{}, false
	case err != nil:
		apiError(w, http.StatusGone, fmt.Sprintf("request %d: %v; the recording (--record) keeps every body", id, err))
		return entry{}, false
	}
	return e, true
}

func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// pageData is what the page template gets.
type pageData struct {
	Token     string
	Version   string
	CanSign   bool
	ForwardTo string
	Local     string
	Redact    bool
	Mock      bool // beside `wa-hooks mock`: the conversations view
	Initial   Page
}

// firstPage is how many rows the page gets with its HTML, and asks for
// each time it needs more.
const firstPage = 300

func (in *Inspector) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The first page of the list comes with the page, one round trip
	// sooner than the page could fetch it.
	first := in.store.page(FilterFrom(r.URL.Query()), 0, firstPage)
	_ = indexTmpl().Execute(w, pageData{Token: in.token, CanSign: in.env.AppSecret != "",
		ForwardTo: in.env.ForwardTo, Local: in.env.Local, Redact: in.env.Redact, Mock: in.routes != nil, Initial: first})
}

func (in *Inspector) rows(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	before, _ := strconv.ParseUint(q.Get("before"), 10, 64)
	limit, _ := strconv.Atoi(q.Get("limit"))
	p := in.store.page(FilterFrom(q), before, limit)
	if in.obs != nil {
		p.Dropped = in.obs.Dropped()
	}
	writeJSON(w, http.StatusOK, p)
}

// floodRows is the most rows one burst of a live stream carries. In a
// flood the page shows the newest and counts the rest, which stay in the
// history and come with the pages the list fetches when scrolled to: a page
// following thousands of events a second would otherwise spend a core
// taking in rows nobody can read at that speed.
const floodRows = 100

type sseEvent struct {
	name string
	data any
}

// Gap is the "gap" event of a live stream: the newest rows of a burst too
// large to send whole, and how many older ones it left out.
type Gap struct {
	Rows    []Row `json:"rows"`
	Skipped int   `json:"skipped"`
	// Matched is how many rows of the history match the stream's filter:
	// the page cannot count rows it was not sent.
	Matched int `json:"matched"`
}

// burst is what one write of a live stream sends for the rows and updates
// taken from its subscriber (skipped: older new rows left out).
func burst(rows, updates []Row, skipped int, matched func() int) []sseEvent {
	var out []sseEvent
	switch {
	case skipped > 0:
		out = append(out, sseEvent{"gap", Gap{Rows: rows, Skipped: skipped, Matched: matched()}})
	case len(rows) > 0:
		out = append(out, sseEvent{"rows", rows})
	}
	if len(updates) > 0 {
		out = append(out, sseEvent{"update", updates})
	}
	return out
}

// A live stream writes an isolated event at once: when its last write
// carried at most one row and was at least quickEvery ago (a new event
// shows in the page well within 100 ms, and one-row writes are at most
// 1/quickEvery a second). Otherwise it writes at most every streamEvery,
// and every floodEvery while bursts are full: a page following thousands
// of requests a second gets two messages a second, each at most floodRows
// rows, and the browser's work stays bounded whatever the rate (the page
// redraws once a second in a flood).
const (
	quickEvery  = 20 * time.Millisecond
	streamEvery = 100 * time.Millisecond
	floodEvery  = 500 * time.Millisecond
)

// streamWait is how long a stream waits before its next write, since is
// the time since its last write and lastBurst how many rows that carried.
func streamWait(since time.Duration, lastBurst int) time.Duration {
	switch {
	case lastBurst <= 1 && since >= quickEvery:
		return 0
	case lastBurst >= floodRows:
		return floodEvery - since
	}
	return streamEvery - since
}

// maxStreams bounds open live streams; each is one goroutine and a queue.
const maxStreams = 32

// stream is the live list: server-sent events of rows matching the filter.
// A stream that falls behind gets "reset" (the page reloads its list) and
// ends, so it never holds the store.
func (in *Inspector) stream(w http.ResponseWriter, r *http.Request) {
	in.store.mu.RLock()
	n := len(in.store.subs)
	in.store.mu.RUnlock()
	if n >= maxStreams {
		apiError(w, http.StatusServiceUnavailable, "too many open inspector pages: close some tabs")
		return
	}
	f := FilterFrom(r.URL.Query())
	sub := in.store.subscribe(f)
	defer in.store.unsubscribe(sub)
	send := openEventStream(w)
	if !send("hello", in.stats()) {
		return
	}
	// Rows that arrived since the page the client has (?after=ROW); they
	// may also come live, and the page ignores rows it has.
	if after, err := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64); err == nil && after > 0 {
		backlog, ok := in.store.since(f, after, 5000)
		if !ok {
			send("reset", in.stats())
			return
		}
		if len(backlog) > 0 && !send("rows", backlog) {
			return
		}
	}
	lastBurst := 0
	follow(r.Context(), nil, sub.notify,
		// Rows gather in the subscriber while the stream waits (see streamWait).
		func(since time.Duration) time.Duration { return streamWait(since, lastBurst) },
		func() bool {
			rows, updates, skipped := in.store.take(sub)
			for _, ev := range burst(rows, updates, skipped, func() int { return in.store.count(f) }) {
				if !send(ev.name, ev.data) {
					return false
				}
			}
			lastBurst = len(rows) + skipped
			return true
		},
		func() bool { return send("stats", in.stats()) })
}

// pingEvery keeps an idle stream's connection open through proxies and
// gives the page fresh counts.
const pingEvery = 15 * time.Second

// follow is the loop of a live stream. On each notify it waits what pace
// says for the time since its last write, then writes; every pingEvery it
// pings. It returns when the page goes, done closes or a write fails.
func follow(ctx context.Context, done, notify <-chan struct{}, pace func(since time.Duration) time.Duration, write, ping func() bool) {
	tick := time.NewTicker(pingEvery)
	defer tick.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-notify:
			if wait := pace(time.Since(last)); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return
				}
			}
			if !write() {
				return
			}
			last = time.Now()
		case <-tick.C:
			if !ping() {
				return
			}
		}
	}
}

func (in *Inspector) stats() Stats {
	in.store.mu.RLock()
	s := in.store.statsLocked()
	in.store.mu.RUnlock()
	if in.obs != nil {
		s.Dropped = in.obs.Dropped()
	}
	return s
}

// Detail is everything the page shows about one request.
type Detail struct {
	ID          uint64         `json:"id"`
	Seq         uint64         `json:"seq"`
	Restored    bool           `json:"restored"`
	Time        time.Time      `json:"time"`
	HandledMS   *float64       `json:"handled_ms,omitempty"` // arrival to done (after the answer)
	Method      string         `json:"method"`
	Path        string         `json:"path"`
	Query       string         `json:"query,omitempty"`
	Remote      string         `json:"remote,omitempty"`
	Status      int            `json:"status"`
	RequestLine string         `json:"request_line"`
	Headers     [][2]string    `json:"headers"`
	Body        *string        `json:"body"`
	BodyBase64  string         `json:"body_base64,omitempty"`
	Pretty      string         `json:"pretty,omitempty"` // the body indented, values untouched (for editing)
	Size        int            `json:"size"`
	Redacted    bool           `json:"redacted"`
	Signature   SigDetail      `json:"signature"`
	Problem     *ProblemDetail `json:"problem,omitempty"`
	Events      []EventDetail  `json:"events"`
	Forward     *ForwardDetail `json:"forward,omitempty"`
	CanSign     bool           `json:"can_sign"`
	ForwardTo   string         `json:"forward_to,omitempty"`
	Local       string         `json:"local"`
}

// SigDetail is the signature verdict with the `sign --check` diagnosis.
// It never carries the expected signature: with it anyone reading the page
// could sign a forged body.
type SigDetail struct {
	Verdict   string   `json:"verdict"`
	Header    string   `json:"header,omitempty"`
	Summary   string   `json:"summary,omitempty"`
	Algorithm string   `json:"algorithm,omitempty"`
	Match     *Match   `json:"match,omitempty"`
	Tried     int      `json:"tried,omitempty"`
	Notes     []string `json:"notes,omitempty"`
	Advice    []string `json:"advice,omitempty"`
}

// Match is the re-encoding of the body that the signature was made over.
type Match struct {
	Transform   string `json:"transform"`
	Description string `json:"description"`
	Hint        string `json:"hint"`
}

// ProblemDetail is a request-level problem.
type ProblemDetail struct {
	Kind     string `json:"kind"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
	Accepted bool   `json:"accepted,omitempty"`
}

// EventDetail is one event: every field of the model, and the markers.
type EventDetail struct {
	webhook.Event
	Marks        []string   `json:"marks"`
	FirstSeen    *time.Time `json:"first_seen,omitempty"`
	FirstRequest uint64     `json:"first_request,omitempty"`
	Key          string     `json:"key"`
}

// ForwardDetail is what the app behind --forward-to answered.
type ForwardDetail struct {
	Answer
	Method string `json:"method"`
}

func (in *Inspector) detail(w http.ResponseWriter, r *http.Request) {
	e, ok := in.lookup(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, in.describe(e))
}

func (in *Inspector) describe(e entry) Detail {
	s := in.store
	req := e.req
	d := Detail{ID: e.id, Seq: req.Seq, Restored: e.restored, Time: req.Time, Method: req.Method, Path: req.Path,
		Query: s.mask(req.Query), Remote: req.Remote, Status: req.Status, CanSign: in.env.AppSecret != "",
		ForwardTo: in.env.ForwardTo, Local: in.env.Local, Events: []EventDetail{}}
	if !e.handled.IsZero() && !e.restored {
		ms := float64(e.handled.Sub(req.Time).Microseconds()) / 1000
		d.HandledMS = &ms
	}
	target := req.Path
	if req.Query != "" {
		target += "?" + req.Query
	}
	d.RequestLine = s.mask(req.Method + " " + target + " HTTP/1.1")
	d.Headers = s.maskHeaders(req.Header)
	body := in.shownBody(req.Body)
	d.Redacted = in.env.Redact && !bytes.Equal(body, req.Body)
	d.Size = len(req.Body)
	if req.Body != nil {
		if utf8.Valid(body) {
			t := s.mask(string(body))
			d.Body = &t
			if p, err := wire.Format(body, wire.Style{Escaping: wire.Unicode, Indent: "  "}); err == nil {
				d.Pretty = s.mask(string(p))
			}
		} else {
			d.BodyBase64 = base64.StdEncoding.EncodeToString(body)
		}
	}
	d.Signature = in.signatureDetail(req)
	if p := e.problem; p != nil {
		d.Problem = &ProblemDetail{Kind: p.Kind, Message: s.mask(p.Message), Hint: s.mask(p.Hint), Accepted: p.Accepted}
	}
	d.Events = in.eventDetails(e)
	if f := e.forward; f != nil {
		d.Forward = &ForwardDetail{Method: f.Method, Answer: Answer{URL: f.URL, Status: f.Status, OK: f.OK(),
			LatencyMS: millis(f.Latency), Error: s.mask(f.Err), Body: s.mask(string(f.Body)), Headers: s.maskHeaders(f.Header)}}
	}
	return d
}

// eventDetails are e's events with every field of the model: the body is
// parsed again as serve parsed it (the history keeps only what the list
// needs), with the markers serve gave them.
func (in *Inspector) eventDetails(e entry) []EventDetail {
	out := []EventDetail{}
	if len(e.evs) == 0 {
		return out
	}
	full, err := receiver.EventsOf(e.req.Body, in.env.Redact)
	if err != nil || len(full) != len(e.evs) {
		full = nil // cannot happen for a body serve parsed; the kept fields then
	}
	for i := range e.evs {
		m := &e.evs[i]
		var ev webhook.Event
		if full != nil {
			ev = full[i]
		} else {
			ev = e.event(i)
			ev.Raw = e.raw(i)
		}
		ed := EventDetail{Event: ev, Marks: m.marks(), FirstRequest: m.firstRequest, Key: ev.Key()}
		if m.dup || m.retry {
			fs := m.firstSeenAt(e.req.Time)
			ed.FirstSeen = &fs
		}
		out = append(out, ed)
	}
	return out
}

// shownBody is the body as the page may see it: redacted with --redact.
func (in *Inspector) shownBody(body []byte) []byte {
	if in.env.Redact && len(body) > 0 {
		return receiver.RedactBody(body)
	}
	return body
}

func (in *Inspector) signatureDetail(req render.Request) SigDetail {
	sd := SigDetail{Verdict: string(req.Signature), Header: req.Header.Get(signature.Header)}
	if req.Method != http.MethodPost {
		sd.Verdict = ""
		return sd
	}
	switch req.Signature {
	case render.SigUnchecked, "":
		sd.Summary = "not checked: serve has no App Secret"
		return sd
	}
	secret := in.env.AppSecret
	if secret == "" {
		return sd
	}
	d := signature.Diagnose(secret, req.Body, sd.Header)
	sd.Summary, sd.Algorithm, sd.Tried = d.Summary(), d.Algorithm, d.Tried
	sd.Notes, sd.Advice = d.Notes, d.Advice
	if d.Match != nil {
		sd.Match = &Match{Transform: d.Match.Transform, Description: d.Match.Description, Hint: d.Match.Hint}
	}
	for i := range sd.Notes {
		sd.Notes[i] = in.store.mask(sd.Notes[i])
	}
	return sd
}

// openEventStream answers with a server-sent event stream and returns the
// function that writes one event (JSON data) to it; false once the page is
// gone or has not read for 10 s, so a stalled tab never holds the writer.
func openEventStream(w http.ResponseWriter) func(event string, v any) bool {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return func(event string, v any) bool {
		var buf bytes.Buffer
		buf.WriteString("event: " + event + "\ndata: ")
		_ = json.NewEncoder(&buf).Encode(v) // ends with the newline of the data line
		buf.WriteString("\n")
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
}
