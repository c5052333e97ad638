package inspector

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// Replay modes.
const (
	// ModeExact sends the recorded bytes, signed with serve's App Secret.
	ModeExact = "exact"
	// ModeAsIs sends the recorded bytes with the recorded signature headers.
	ModeAsIs = "as-is"
	// ModeEdited sends the given body in Meta's wire form, signed.
	ModeEdited = "edited"
)

// ActionRequest is what the page posts for replay, curl and send-command.
type ActionRequest struct {
	// Target is "forward" (--forward-to), "serve" (serve's own callback) or
	// "url" (URL below).
	Target string `json:"target"`
	URL    string `json:"url,omitempty"`
	Mode   string `json:"mode"`
	// Body is the edited body (ModeEdited).
	Body string `json:"body,omitempty"`
}

// Answer is what an endpoint answered: to a forward or to a replay.
type Answer struct {
	URL       string      `json:"url"`
	Status    int         `json:"status,omitempty"`
	OK        bool        `json:"ok"`
	LatencyMS float64     `json:"latency_ms"`
	Error     string      `json:"error,omitempty"`
	Headers   [][2]string `json:"headers,omitempty"`
	Body      string      `json:"body"`
}

// ReplayResult is what a replay got back.
type ReplayResult struct {
	Answer
	// Sent is the exact body that went out and its signature header.
	Sent      string `json:"sent"`
	Signature string `json:"signature,omitempty"`
}

// readAction reads the action the page posted and works out its target.
func (in *Inspector) readAction(w http.ResponseWriter, r *http.Request) (ActionRequest, string, bool) {
	var a ActionRequest
	if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
		apiError(w, http.StatusBadRequest, "could not read the action: "+err.Error())
		return a, "", false
	}
	if a.Mode == "" {
		a.Mode = ModeExact
	}
	target, err := in.target(a)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return a, "", false
	}
	return a, target, true
}

// target works out where an action sends to.
func (in *Inspector) target(a ActionRequest) (string, error) {
	switch a.Target {
	case "forward", "":
		if in.env.ForwardTo == "" {
			if a.Target == "" {
				return in.env.Local, nil
			}
			return "", errors.New("serve has no --forward-to target: give a URL")
		}
		return in.env.ForwardTo, nil
	case "serve":
		return in.env.Local, nil
	case "url":
		u, err := url.Parse(strings.TrimSpace(a.URL))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("%q is not an http:// or https:// URL", a.URL)
		}
		return u.String(), nil
	}
	return "", fmt.Errorf("unknown target %q: use forward, serve or url", a.Target)
}

// delivery builds what an action sends, through the same code as `send`:
// payload builds and signs, nothing here encodes or signs by hand.
func (in *Inspector) delivery(e entry, a ActionRequest, target string) (sender.Delivery, error) {
	var extra http.Header
	if target == in.env.ForwardTo && len(in.env.ForwardHeader) > 0 {
		extra = in.env.ForwardHeader.Clone()
	}
	opts := payload.Options{KeepIDs: true, Secret: in.env.AppSecret, Headers: extra}
	var src payload.Source
	switch a.Mode {
	case ModeExact, ModeAsIs:
		if e.req.Method != http.MethodPost || e.req.Body == nil {
			return sender.Delivery{}, errors.New("only a POST with a body can be replayed")
		}
		src = payload.Source{Name: fmt.Sprint(e.req.Seq), Body: e.req.Body, Raw: true, Header: e.req.Header}
		if a.Mode == ModeAsIs {
			opts.Secret = ""
			opts.NoSignature = e.req.Header.Get("X-Hub-Signature-256") == ""
		} else if opts.Secret == "" {
			return sender.Delivery{}, errors.New("serve has no App Secret to sign with: replay with the recorded header as is, or set WA_HOOKS_APP_SECRET")
		}
	case ModeEdited:
		if opts.Secret == "" {
			return sender.Delivery{}, errors.New("serve has no App Secret to sign the edited body with: set WA_HOOKS_APP_SECRET (or app_secret in the config) and restart serve")
		}
		if strings.TrimSpace(a.Body) == "" {
			return sender.Delivery{}, errors.New("the edited body is empty")
		}
		if _, err := wire.Encode([]byte(a.Body)); err != nil {
			return sender.Delivery{}, fmt.Errorf("the edited body is not valid JSON: %v", err)
		}
		src = payload.Source{Name: "edited", Body: []byte(a.Body)}
	default:
		return sender.Delivery{}, fmt.Errorf("unknown mode %q: use exact, as-is or edited", a.Mode)
	}
	feed, err := payload.Build([]payload.Source{src}, opts)
	if err != nil {
		return sender.Delivery{}, err
	}
	return feed.Preview(0)
}

func (in *Inspector) replay(w http.ResponseWriter, r *http.Request, e entry) {
	a, target, ok := in.readAction(w, r)
	if !ok {
		return
	}
	d, err := in.delivery(e, a, target)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	client := in.client
	if target == in.env.ForwardTo && in.env.ForwardInsecure {
		client = in.insecure
	}
	res := sender.Deliver(r.Context(), client, target, d)
	out := ReplayResult{Answer: Answer{URL: target, Status: res.Status, OK: res.Err == nil && res.Status >= 200 && res.Status < 300,
		LatencyMS: millis(res.Latency), Body: in.store.mask(string(res.Response)), Headers: in.store.maskHeaders(res.RespHead)},
		Signature: d.Header.Get("X-Hub-Signature-256")}
	if a.Mode == ModeEdited || !in.env.Redact {
		out.Sent = in.store.mask(string(d.Body))
	}
	if res.Err != nil {
		out.Error = in.store.mask(res.Explanation)
	}
	writeJSON(w, http.StatusOK, out)
}

// exportable is the delivery a copy or download hands to the page. With
// --redact the page never sees the real body, so exports carry the redacted
// one (re-signed: the recorded signature is of the real bytes).
func (in *Inspector) exportable(e entry, a ActionRequest, target string) (sender.Delivery, error) {
	if in.env.Redact && a.Mode != ModeEdited && e.req.Body != nil {
		a = ActionRequest{Mode: ModeEdited, Body: string(in.shownBody(e.req.Body))}
		e.req.Body = nil
	}
	return in.delivery(e, a, target)
}

// Command is a shell command the page copies.
type Command struct {
	Command string `json:"command"`
	Note    string `json:"note,omitempty"`
}

func (in *Inspector) curl(w http.ResponseWriter, r *http.Request, e entry) {
	a, target, ok := in.readAction(w, r)
	if !ok {
		return
	}
	d, err := in.exportable(e, a, target)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, Command{Command: curlCommand(target, d)})
}

// curlCommand is a curl invocation that sends exactly d: its headers and,
// with --data-binary, its bytes. Bytes a shell argument cannot hold (NUL,
// invalid UTF-8) go through base64.
func curlCommand(target string, d sender.Delivery) string {
	var b strings.Builder
	keys := make([]string, 0, len(d.Header))
	for k := range d.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	binary := !utf8.Valid(d.Body) || bytes.IndexByte(d.Body, 0) >= 0
	if binary {
		fmt.Fprintf(&b, "printf %%s %s | base64 -d | ", shellQuote(base64Std(d.Body)))
	}
	b.WriteString("curl -sS -X POST " + shellQuote(target))
	for _, k := range keys {
		for _, v := range d.Header[k] {
			b.WriteString(" \\\n  -H " + shellQuote(k+": "+v))
		}
	}
	if binary {
		b.WriteString(" \\\n  --data-binary @-")
	} else {
		b.WriteString(" \\\n  --data-binary " + shellQuote(string(d.Body)))
	}
	return b.String()
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// shellQuote quotes s for a POSIX shell: inside single quotes every byte is
// literal, and a single quote is written as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (in *Inspector) sendCommand(w http.ResponseWriter, r *http.Request, e entry) {
	a, target, ok := in.readAction(w, r)
	if !ok {
		return
	}
	body := in.shownBody(e.req.Body)
	flags := "--keep-ids"
	switch {
	case a.Mode == ModeEdited:
		body = []byte(a.Body)
	case !in.env.Redact:
		// The recorded bytes untouched; send signs them with the App Secret.
		flags = "--raw"
	}
	if len(body) == 0 {
		apiError(w, http.StatusBadRequest, "this request has no body to send")
		return
	}
	if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
		apiError(w, http.StatusBadRequest, "the body is not text: use copy as curl, or download it as a recording and replay it with wa-hooks send --from-recording")
		return
	}
	delim := "WA_HOOKS_BODY"
	for strings.Contains(string(body), delim) {
		delim += "_"
	}
	cmd := fmt.Sprintf("wa-hooks send %s --to %s - <<'%s'\n%s\n%s", flags, shellQuote(target), delim, body, delim)
	note := "signs with the App Secret from WA_HOOKS_APP_SECRET or the config file (never part of the command)"
	if flags == "--raw" {
		cmd = fmt.Sprintf("printf %%s %s | wa-hooks send --raw --to %s -", shellQuote(string(body)), shellQuote(target))
	}
	writeJSON(w, http.StatusOK, Command{Command: cmd, Note: note})
}

// fixture downloads the body as a catalog-style fixture: pretty JSON, the
// shape `wa-hooks send FILE` reads (and wire-encodes) again.
func (in *Inspector) fixture(w http.ResponseWriter, r *http.Request, e entry) {
	a, _, ok := in.readAction(w, r)
	if !ok {
		return
	}
	body := in.shownBody(e.req.Body)
	if a.Mode == ModeEdited {
		body = []byte(a.Body)
	}
	pretty, err := wire.Format(body, wire.Style{Escaping: wire.Unicode, Indent: "  "})
	if err != nil {
		apiError(w, http.StatusBadRequest, "the body is not JSON, so it cannot be a fixture: "+termsafe.Line(err.Error()))
		return
	}
	name := fixtureName(e)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(pretty, '\n'))
}

func fixtureName(e entry) string {
	name := "request-" + fmt.Sprint(e.req.Seq)
	if len(e.evs) > 0 {
		name = e.field(0, fField) + "." + e.field(0, fType)
	}
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
	return clean + ".json"
}

// recording downloads the selected requests as a recording that
// `send --from-recording` replays: serve's own line format.
func (in *Inspector) recording(w http.ResponseWriter, r *http.Request, _ entry) {
	var sel struct {
		IDs []uint64 `json:"ids"`
	}
	if err := json.NewDecoder(r.Body).Decode(&sel); err != nil || len(sel.IDs) == 0 {
		apiError(w, http.StatusBadRequest, `select requests first: post {"ids":[…]}`)
		return
	}
	if len(sel.IDs) > in.store.maxReqs {
		sel.IDs = sel.IDs[:in.store.maxReqs]
	}
	var buf bytes.Buffer
	for _, e := range in.store.entriesByID(sel.IDs) {
		rec := recording.Record{Time: e.req.Time, Seq: e.req.Seq, Remote: e.req.Remote, Method: e.req.Method,
			Path: e.req.Path, Query: e.req.Query, Header: e.req.Header, Signature: string(e.req.Signature),
			Status: e.req.Status, Body: e.req.Body}
		if e.problem != nil && !e.problem.Accepted {
			rec.Error = in.store.mask(e.problem.Message)
		}
		if in.env.Redact && rec.Body != nil {
			// The real bytes never reach the page; the redacted ones carry
			// no valid signature, so send must sign them itself.
			rec.Body = in.shownBody(rec.Body)
			rec.Header = rec.Header.Clone()
			rec.Header.Del("X-Hub-Signature-256")
			rec.Header.Del("X-Hub-Signature")
		}
		line, err := json.Marshal(rec)
		if err != nil {
			continue
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	w.Header().Set("Content-Disposition", `attachment; filename="wa-hooks-recording.jsonl"`)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
