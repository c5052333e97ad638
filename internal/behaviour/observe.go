package behaviour

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// tracker follows the mock's log: every Graph call the app made and every
// webhook the mock posted, in order. Checks ask it what happened after a
// mark (a count of entries seen, taken before they acted), which does not
// depend on how the mock numbers its entries.
type tracker struct {
	c    *mockClient
	next uint64 // the mock's cursor: what to pass as since
	// entries are the last ones seen; dropped counts those dropped before.
	entries []Entry
	dropped int64
}

// maxTracked bounds the entries one run keeps; a run of the built-in suite
// makes a few hundred.
const maxTracked = 200_000

// poll is the longest one long-poll of the log waits, so that a check whose
// condition is met by an entry already seen is not held longer.
const poll = 250 * time.Millisecond

// sync reads what the log holds after the last entry seen, waiting up to
// wait for something new.
func (t *tracker) sync(ctx context.Context, wait time.Duration) error {
	for {
		p, err := t.c.log(ctx, t.next, wait)
		if err != nil {
			return err
		}
		if p.Next > t.next {
			t.next = p.Next
		}
		t.entries = append(t.entries, p.Entries...)
		if over := len(t.entries) - maxTracked; over > 0 {
			t.entries = append(t.entries[:0:0], t.entries[over:]...)
			t.dropped += int64(over)
		}
		if len(p.Entries) == 0 {
			return nil
		}
		wait = 0 // more pages: read them at once
	}
}

// seen is how many entries the tracker has seen in all.
func (t *tracker) seen() int64 { return t.dropped + int64(len(t.entries)) }

// mark syncs and returns the point after everything that happened so far.
func (t *tracker) mark(ctx context.Context) (int64, error) {
	if err := t.sync(ctx, 0); err != nil {
		return 0, err
	}
	return t.seen(), nil
}

// after returns the entries seen after mark.
func (t *tracker) after(mark int64) []Entry {
	i := max(0, mark-t.dropped)
	return t.entries[min(i, int64(len(t.entries))):]
}

// until waits up to limit for done to hold over the entries after mark,
// and returns them either way.
func (t *tracker) until(ctx context.Context, mark int64, limit time.Duration, done func([]Entry) bool) ([]Entry, error) {
	end := time.Now().Add(limit)
	for {
		got := t.after(mark)
		if done(got) {
			return got, nil
		}
		left := time.Until(end)
		if left <= 0 || ctx.Err() != nil {
			return got, ctx.Err()
		}
		if err := t.sync(ctx, min(left, poll)); err != nil {
			return got, err
		}
	}
}

// quiet waits for d (the settle time) and returns the entries after mark: a
// check that something did NOT happen has to give it time to happen.
func (t *tracker) quiet(ctx context.Context, mark int64, d time.Duration) ([]Entry, error) {
	return t.until(ctx, mark, d, func([]Entry) bool { return false })
}

// graphRequest is the part of an app's POST /messages body the suite reads.
type graphRequest struct {
	To        string `json:"to"`
	Recipient string `json:"recipient"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	MessageID string `json:"message_id"`
	Text      struct {
		Body string `json:"body"`
	} `json:"text"`
	Template struct {
		Name string `json:"name"`
	} `json:"template"`
	Interactive struct {
		Type string `json:"type"`
		Body struct {
			Text string `json:"text"`
		} `json:"body"`
		Action struct {
			Buttons []struct {
				Reply struct {
					ID    string `json:"id"`
					Title string `json:"title"`
				} `json:"reply"`
			} `json:"buttons"`
			Sections []struct {
				Rows []struct {
					ID    string `json:"id"`
					Title string `json:"title"`
				} `json:"rows"`
			} `json:"sections"`
		} `json:"action"`
	} `json:"interactive"`
	Caption string `json:"-"`
}

// call is a Graph call of the app, read.
type call struct {
	Entry
	req graphRequest
}

// isMessages reports whether the entry is the app calling POST …/messages.
func isMessages(e Entry) bool {
	return e.Kind == "graph" && e.Method == "POST" && strings.HasSuffix(strings.TrimRight(e.Path, "/"), "/messages")
}

func accepted(e Entry) bool { return e.Status >= 200 && e.Status < 300 }

func readCall(e Entry) call {
	c := call{Entry: e}
	_ = json.Unmarshal(e.Request, &c.req)
	if c.req.Type == "" && c.req.Status == "" {
		c.req.Type = "text" // Meta's default type
	}
	if c.req.Type != "" && c.req.Type != "text" && c.req.Type != "interactive" {
		var media map[string]json.RawMessage
		if json.Unmarshal(e.Request, &media) == nil {
			var obj struct {
				Caption string `json:"caption"`
			}
			_ = json.Unmarshal(media[c.req.Type], &obj)
			c.req.Caption = obj.Caption
		}
	}
	return c
}

// isRead reports whether the call marks a message read.
func (c call) isRead() bool { return c.req.Status == "read" }

// text is what a person would read of the message.
func (c call) text() string {
	switch c.req.Type {
	case "text":
		return c.req.Text.Body
	case "interactive":
		return c.req.Interactive.Body.Text
	case "template":
		return c.req.Template.Name
	}
	return c.req.Caption
}

// options are the titles of an interactive message's buttons or rows.
func (c call) options() []string {
	var out []string
	for _, b := range c.req.Interactive.Action.Buttons {
		out = append(out, b.Reply.Title)
	}
	for _, s := range c.req.Interactive.Action.Sections {
		for _, r := range s.Rows {
			out = append(out, r.Title)
		}
	}
	return out
}

// content identifies what was sent regardless of to whom, for comparing
// the replies to different choices.
func (c call) content() string {
	var m map[string]json.RawMessage
	if json.Unmarshal(c.Request, &m) != nil {
		return string(c.Request)
	}
	for _, k := range []string{"to", "recipient", "messaging_product", "recipient_type", "context", "biz_opaque_callback_data"} {
		delete(m, k)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// calls returns the app's POST /messages calls about user among entries.
func calls(entries []Entry, user string) []call {
	var out []call
	for _, e := range entries {
		if isMessages(e) && e.User == user {
			out = append(out, readCall(e))
		}
	}
	return out
}

// sends returns the accepted messages the app sent user (not read marks).
func sends(entries []Entry, user string) []call {
	var out []call
	for _, c := range calls(entries, user) {
		if !c.isRead() && accepted(c.Entry) {
			out = append(out, c)
		}
	}
	return out
}

// handled reports whether the app did anything about user's message: sent
// them something or marked a message read.
func handled(entries []Entry, user string) bool {
	for _, c := range calls(entries, user) {
		if accepted(c.Entry) {
			return true
		}
	}
	return false
}

// refused returns the app's Graph calls the mock refused, any user.
func refused(entries []Entry) []Entry {
	var out []Entry
	for _, e := range entries {
		if e.Kind == "graph" && !accepted(e) {
			out = append(out, e)
		}
	}
	return out
}
