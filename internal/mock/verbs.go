package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/termsafe"
)

// VerbOptions are the CLI verbs' (mock say, tap, read, users, log, reset).
type VerbOptions struct {
	Addr string
	Verb string
	User string
	Text string
	// Fixture and Sets are mock send's.
	Fixture string
	Sets    []string
	N       int
	JSON    bool
	// Follow keeps mock log running, printing entries as they come.
	Follow bool
}

// Client talks to a running mock's control API.
type Client struct {
	Base string
	HTTP *http.Client
}

// NewClient returns a client for the mock at addr (host:port or a URL).
func NewClient(addr string) *Client {
	if addr == "" {
		addr = DefaultAddr
	}
	base := addr
	if !strings.Contains(addr, "://") {
		base = "http://" + addr
	}
	return &Client{Base: strings.TrimRight(base, "/"), HTTP: &http.Client{Timeout: 2 * time.Minute}}
}

// maxControlAnswer bounds what the client reads of an answer.
const maxControlAnswer = 64 << 20

// Do calls the control API and decodes the answer into out.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+"/_mock/"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return exit.Errorf(exit.SendFailed, "the mock at %s did not answer within %s: the app is slow or failing its webhooks ('wa-hooks mock log' shows them)", c.Base, c.HTTP.Timeout)
		}
		return exit.Errorf(exit.Unreachable, "no mock answers at %s: start one with 'wa-hooks mock --webhook URL' (or give --addr)", c.Base)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxControlAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Message, Code string } `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return exit.New(exit.Usage, errors.New(termsafe.Line(e.Error.Message)))
		}
		return exit.Errorf(exit.Failure, "%s answered %d: is it a wa-hooks mock?", c.Base, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s: the answer is not the control API's JSON: %v", c.Base, err)
	}
	return nil
}

// RunVerb runs one CLI verb against the mock at o.Addr.
func RunVerb(ctx context.Context, ios *iostreams.IO, o VerbOptions) error {
	c := NewClient(o.Addr)
	user := url.PathEscape(o.User)
	var d Delivery
	switch o.Verb {
	case "say":
		if err := c.Do(ctx, "POST", "users/"+user+"/say", map[string]any{"text": o.Text}, &d); err != nil {
			return err
		}
		return reportDelivery(ios, o, d, o.User+" said "+fmt.Sprintf("%q", o.Text))
	case "send":
		if err := c.Do(ctx, "POST", "users/"+user+"/send", map[string]any{"fixture": o.Fixture, "set": o.Sets}, &d); err != nil {
			return err
		}
		return reportDelivery(ios, o, d, o.User+" sent "+o.Fixture)
	case "tap":
		if err := c.Do(ctx, "POST", "users/"+user+"/tap", map[string]any{"n": o.N}, &d); err != nil {
			return err
		}
		return reportDelivery(ios, o, d, fmt.Sprintf("%s tapped option %d", o.User, o.N))
	case "read":
		if err := c.Do(ctx, "POST", "users/"+user+"/read", nil, &d); err != nil {
			return err
		}
		return reportDelivery(ios, o, d, o.User+" read the app's messages")
	case "reset":
		if err := c.Do(ctx, "POST", "reset", map[string]any{}, nil); err != nil {
			return err
		}
		if !ios.Quiet {
			fmt.Fprintln(ios.Out, "mock reset: users, history, windows, media and log are fresh")
		}
		return nil
	case "users":
		var users []UserView
		if err := c.Do(ctx, "GET", "users", nil, &users); err != nil {
			return err
		}
		if o.JSON {
			return writeJSONLine(ios.Out, users)
		}
		st := render.NewStyles(ios.Renderer())
		fmt.Fprintf(ios.Out, "%s\n", st.Bold.Render(fmt.Sprintf("%-10s %-15s %-26s %-14s %-20s %s", "NAME", "PHONE", "BSUID", "USERNAME", "PROFILE", "WINDOW")))
		for _, u := range users {
			win := st.Dim.Render("closed")
			if u.WindowOpen {
				win = st.OK.Render("open until " + u.WindowExpires)
			}
			if u.Blocked {
				win += " " + st.Fail.Render("blocked")
			}
			fmt.Fprintf(ios.Out, "%-10s %-15s %-26s %-14s %-20s %s\n", termsafe.Line(u.Name), dash(u.WaID), dash(u.UserID),
				dash(termsafe.Line(u.Username)), termsafe.Line(u.ProfileName), win)
		}
		return nil
	case "log":
		return runLog(ctx, ios, c, o)
	}
	return exit.Errorf(exit.Usage, "unknown verb %q", o.Verb)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func reportDelivery(ios *iostreams.IO, o VerbOptions, d Delivery, what string) error {
	if o.JSON {
		if err := writeJSONLine(ios.Out, d); err != nil {
			return err
		}
	} else if !ios.Quiet {
		st := render.NewStyles(ios.Renderer())
		switch {
		case d.Error != "":
			fmt.Fprintf(ios.Out, "%s %s: %s\n", st.Fail.Render("✗"), termsafe.Line(what), termsafe.Line(d.Error))
		case d.Status != http.StatusOK:
			fmt.Fprintf(ios.Out, "%s %s: the app answered %d after %d attempt(s)\n", st.Fail.Render("✗"), termsafe.Line(what), d.Status, d.Attempts)
		default:
			fmt.Fprintf(ios.Out, "%s %s: the app answered 200 in %.1fms\n", st.OK.Render("✓"), termsafe.Line(what), d.LatencyMS)
		}
	}
	if d.Status != http.StatusOK {
		if d.Error != "" && d.Status == 0 && strings.HasPrefix(d.Error, "nothing to read") {
			return exit.Silent(exit.Failure)
		}
		if d.Status == 0 {
			return exit.Silent(exit.Unreachable)
		}
		return exit.Silent(exit.SendFailed)
	}
	return nil
}

func runLog(ctx context.Context, ios *iostreams.IO, c *Client, o VerbOptions) error {
	p := newPrinter(ios, o.JSON)
	var since uint64
	for {
		var page struct {
			Entries []Entry `json:"entries"`
			Next    uint64  `json:"next"`
		}
		q := fmt.Sprintf("log?since=%d", since)
		if o.Follow {
			q += "&wait=30s"
		}
		if err := c.Do(ctx, "GET", q, nil, &page); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, e := range page.Entries {
			p.entry(e, e.Request)
		}
		since = page.Next
		if !o.Follow {
			return nil
		}
	}
}
