package behaviour

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// The suite drives the mock only through its documented control API under
// /_mock/, so it behaves the same against the mock it starts in-process and
// against a `wa-hooks mock` someone already runs.

// The control API's values are the mock's own types.
type (
	// Info is the mock's GET /_mock/info.
	Info = mock.Info
	// User is a simulated WhatsApp user of the mock.
	User = mock.UserView
	// Delivery is the app's answer to one webhook the mock posted.
	Delivery = mock.Delivery
	// Entry is one line of the mock's log: a Graph call the app made or a
	// webhook the mock posted.
	Entry = mock.Entry
)

// Identities a simulated user can have, as the mock's control API names them.
var Identities = []string{"phone", "phone+bsuid", "bsuid-only", "username-only"}

// latency is a delivery's latency as a duration.
func latency(d Delivery) time.Duration {
	return time.Duration(d.LatencyMS * float64(time.Millisecond))
}

// Signature modes of an injected webhook.
const (
	SigValid   = "valid"
	SigForged  = "forged"
	SigMissing = "missing"
)

// mockClient speaks the control API of one mock.
type mockClient struct {
	base string
	http *http.Client
}

// maxAnswer bounds what the suite reads of one control API answer; a log
// page of a busy mock is the largest.
const maxAnswer = 16 << 20

func newMockClient(base string, timeout time.Duration) *mockClient {
	return &mockClient{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: timeout}}
}

// apiError is the control API's error object.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the mock answered %d", e.Status)
	}
	return e.Message
}

func (c *mockClient) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return err
	}
	if len(data) > maxAnswer {
		return fmt.Errorf("%s %s: answer over %d MB", method, path, maxAnswer>>20)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct {
				Message string `json:"message"`
				Code    string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: termsafe.Line(e.Error.Message)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the mock's answer is not what its control API documents: %v", method, path, err)
	}
	return nil
}

func (c *mockClient) info(ctx context.Context) (Info, error) {
	var in Info
	err := c.call(ctx, http.MethodGet, "/_mock/info", nil, &in)
	return in, err
}

func (c *mockClient) createUser(ctx context.Context, name, identity, profile string) (User, error) {
	var u User
	err := c.call(ctx, http.MethodPost, "/_mock/users", map[string]string{"name": name, "identity": identity, "profile_name": profile}, &u)
	return u, err
}

func userPath(name, verb string) string {
	return "/_mock/users/" + url.PathEscape(name) + "/" + verb
}

func (c *mockClient) say(ctx context.Context, user, text string) (Delivery, error) {
	var d Delivery
	err := c.call(ctx, http.MethodPost, userPath(user, "say"), map[string]string{"text": text}, &d)
	return d, err
}

func (c *mockClient) send(ctx context.Context, user, fixture string, set []string) (Delivery, error) {
	var d Delivery
	if set == nil {
		set = []string{}
	}
	err := c.call(ctx, http.MethodPost, userPath(user, "send"), map[string]any{"fixture": fixture, "set": set}, &d)
	return d, err
}

func (c *mockClient) tap(ctx context.Context, user string, n int) (Delivery, error) {
	var d Delivery
	err := c.call(ctx, http.MethodPost, userPath(user, "tap"), map[string]int{"n": n}, &d)
	return d, err
}

func (c *mockClient) read(ctx context.Context, user string) (Delivery, error) {
	var d Delivery
	err := c.call(ctx, http.MethodPost, userPath(user, "read"), struct{}{}, &d)
	return d, err
}

// closeWindow puts a user's last inbound message 25 hours back, outside the
// 24-hour customer-service window.
func (c *mockClient) closeWindow(ctx context.Context, user string, lastInbound time.Time) error {
	return c.call(ctx, http.MethodPost, userPath(user, "window"), map[string]string{"last_inbound": lastInbound.UTC().Format(time.RFC3339)}, nil)
}

// webhook has the mock sign and post raw bytes to the app once, without
// Meta's retries, so the suite judges the app's first answer.
func (c *mockClient) webhook(ctx context.Context, raw []byte, sig string) (Delivery, error) {
	return c.post(ctx, raw, sig, false)
}

// concurrent is webhook for a burst: the mock posts it at once, beside
// the others, instead of in its ordered queue.
func (c *mockClient) concurrent(ctx context.Context, raw []byte) (Delivery, error) {
	return c.post(ctx, raw, SigValid, true)
}

func (c *mockClient) post(ctx context.Context, raw []byte, sig string, concurrent bool) (Delivery, error) {
	var ds []Delivery
	in := map[string]any{
		"body":       json.RawMessage(raw),
		"raw":        base64.StdEncoding.EncodeToString(raw),
		"signature":  sig,
		"repeat":     1,
		"same_bytes": true,
		"retry":      false,
	}
	if concurrent {
		in["concurrent"] = true
	}
	if err := c.call(ctx, http.MethodPost, "/_mock/webhooks", in, &ds); err != nil {
		return Delivery{}, err
	}
	if len(ds) == 0 {
		return Delivery{}, errors.New("the mock reported no delivery for a webhook")
	}
	return ds[len(ds)-1], nil
}

// logPage is one answer of GET /_mock/log.
type logPage struct {
	Entries []Entry `json:"entries"`
	Next    uint64  `json:"next"`
}

// log returns the entries after since, waiting up to wait for one to exist.
func (c *mockClient) log(ctx context.Context, since uint64, wait time.Duration) (logPage, error) {
	q := "/_mock/log?since=" + strconv.FormatUint(since, 10)
	if wait > 0 {
		q += "&wait=" + wait.String()
	}
	var p logPage
	err := c.call(ctx, http.MethodGet, q, nil, &p)
	return p, err
}
