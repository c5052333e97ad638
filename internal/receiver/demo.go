package receiver

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// demoPause spaces the demo's posts a little so a person can watch the
// events arrive; the whole catalog still takes only a few seconds.
const demoPause = 40 * time.Millisecond

// runDemo posts the whole fixture catalog to the server at url, each body in
// Meta's wire form and signed with secret, then shows a retry and a body
// that a framework re-encoded (which fails the signature, with the
// diagnosis). It goes through the real HTTP stack, exactly like Meta.
func runDemo(ctx context.Context, ios *iostreams.IO, url, secret string, tlsOn bool) error {
	// Only ever talks to this process's own listener, so its certificate
	// (possibly self-signed) need not be verified.
	client, err := sender.NewClient(sender.ClientOptions{Timeout: 10 * time.Second, Insecure: tlsOn, Conns: 1})
	if err != nil {
		return err
	}
	all := fixtures.All()
	note := ios.ErrColor()
	ios.Infof("%s", note.Sprintf("demo: posting the %d-event catalog to %s, each body in Meta's wire form and signed…", len(all), url))
	var first []byte
	post := func(name string, body []byte, sig string) (sender.Result, error) {
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("User-Agent", "facebookexternalua")
		h.Set(signature.Header, sig)
		res := sender.Deliver(ctx, client, url, sender.Delivery{Name: name, Body: body, Header: h})
		if res.Err != nil {
			return res, fmt.Errorf("%s: %s", name, res.Explanation)
		}
		return res, nil
	}
	for _, f := range all {
		body, err := demoBody(f.Body)
		if err != nil {
			return fmt.Errorf("fixture %s: %v", f.Name, err)
		}
		if first == nil {
			first = body
		}
		if _, err := post(f.Name, body, signature.Sign(secret, body)); err != nil {
			return err
		}
		if !sleep(ctx, demoPause) {
			return ctx.Err()
		}
	}
	if first != nil {
		ios.Infof("%s", note.Sprint("demo: Meta retries a delivery it thinks failed (the same bytes again)…"))
		if _, err := post("retry", first, signature.Sign(secret, first)); err != nil {
			return err
		}
		sleep(ctx, demoPause)
	}
	if f, ok := fixtures.Get("messages.text.non_ascii"); ok {
		ios.Infof("%s", note.Sprint("demo: a framework re-encoded the body before checking it (signature over Meta's bytes, body pretty-printed)…"))
		wireBody, err := demoBody(f.Body)
		if err == nil {
			if _, err := post("re-encoded", f.Body, signature.Sign(secret, wireBody)); err != nil {
				return err
			}
		}
	}
	return nil
}

// demoBody turns a catalog file into the bytes Meta would send.
func demoBody(doc []byte) ([]byte, error) {
	return wire.Encode(doc)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
