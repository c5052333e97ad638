package receiver

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// demoPause spaces the demo's posts a little so a person can watch the
// events arrive; the whole catalog still takes only a few seconds.
const demoPause = 40 * time.Millisecond

// runDemo posts the whole fixture catalog to the server at url, each body in
// Meta's wire form with fresh ids and timestamps and signed with secret,
// then shows a retry and a body re-serialised after signing (which fails
// the signature, with the diagnosis). It goes through the real HTTP stack,
// exactly like Meta.
func runDemo(ctx context.Context, ios *iostreams.IO, url, secret string, tlsOn bool, id identity.Identity) error {
	// Only ever talks to this process's own listener, so its certificate
	// (possibly self-signed) need not be verified.
	client, err := sender.NewClient(sender.ClientOptions{Timeout: 10 * time.Second, Insecure: tlsOn, Conns: 1})
	if err != nil {
		return err
	}
	feed, err := demoFeed(secret, id)
	if err != nil {
		return err
	}
	note := ios.ErrColor()
	ios.Infof("%s", note.Sprintf("demo: posting the %d-fixture catalog to %s, each body in Meta's wire form and signed…", feed.Len(), url))
	post := func(d sender.Delivery) error {
		res := sender.Deliver(ctx, client, url, d)
		if res.Err != nil {
			return fmt.Errorf("%s: %s", d.Name, res.Explanation)
		}
		return nil
	}
	stream := feed.NewStream()
	var first, nonASCII sender.Delivery
	for job := 0; job < feed.Len(); job++ {
		d, err := stream.Delivery(job)
		if err != nil {
			return fmt.Errorf("fixture %s: %v", d.Name, err)
		}
		d = sender.Delivery{Name: d.Name, Body: bytes.Clone(d.Body), Header: d.Header.Clone()}
		if job == 0 {
			first = d
		}
		if d.Name == "messages.text.non_ascii" {
			nonASCII = d
		}
		if err := post(d); err != nil {
			return err
		}
		if !sleep(ctx, demoPause) {
			return ctx.Err()
		}
	}
	if first.Body != nil {
		ios.Infof("%s", note.Sprint("demo: Meta retries a delivery it thinks failed (the same bytes again)…"))
		if err := post(first); err != nil {
			return err
		}
		sleep(ctx, demoPause)
	}
	if nonASCII.Body != nil {
		// What a framework's JSON body parser does before the check: same
		// data, other bytes, so Meta's signature no longer matches.
		reencoded, err := wire.Format(nonASCII.Body, wire.Style{Escaping: wire.Unicode})
		if err == nil {
			ios.Infof("%s", note.Sprint("demo: a body re-serialised after Meta signed it (as JSON.stringify(req.body) does)…"))
			nonASCII.Body = reencoded
			if err := post(nonASCII); err != nil {
				return err
			}
		}
	}
	return nil
}

// demoFeed is the whole catalog with fresh ids and timestamps, as if each
// event had just happened, so the demo shows no false STALE or DUPLICATE
// markers.
func demoFeed(secret string, id identity.Identity) (*payload.Feed, error) {
	all := fixtures.All()
	sources := make([]payload.Source, len(all))
	for i, f := range all {
		sources[i] = payload.Source{Name: f.Name, Body: f.Body}
		if id == "" {
			continue
		}
		// --identity: the catalog as a user of that kind would send it.
		var err error
		if sources[i].Body, err = identity.Rewrite(f.Body, id); err != nil {
			return nil, fmt.Errorf("fixture %s: --identity %s: %v", f.Name, id, err)
		}
	}
	return payload.Build(sources, payload.Options{Secret: secret})
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
