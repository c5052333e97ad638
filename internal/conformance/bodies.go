package conformance

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/sender"
)

// Catalog events behind the delivery checks.
const (
	fixtureText = "messages.text"
	// A batch free of escapes, so that only the escaping check catches a
	// re-serialising endpoint.
	fixtureBatch   = "messages.batch.interleaved"
	fixtureStatus  = "statuses.delivered"
	fixtureUnknown = "messages.future_type"
	fixtureEscaped = "messages.text.non_ascii"
)

// LargeBody is the size the "body near 3 MB" check aims just under: Meta
// sends up to 3 MB, and 3,000,000 bytes is below every reading of "3 MB".
const LargeBody = 2_990_000

// largeText is the text of each message in the large body: WhatsApp caps a
// text at 4096 characters, so the body is a batch of long texts, the way a
// real near-3 MB delivery looks.
// Built on first use: only verify needs it, and every command would
// otherwise pay for it at start-up.
var largeText = sync.OnceValue(func() string {
	return strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 80)[:4000]
})

// delivery is one body and the exact headers to send it with.
type delivery struct {
	Body   []byte
	Header http.Header
}

// bodySet is every delivery the checks send, built by the send engine's
// payload builder: fresh ids and timestamps, Meta's wire encoding, signed.
type bodySet struct {
	Text, Batch, Status, Unknown, Escaped, Large, Forged, Unsigned delivery
}

func buildBodies(secret string) (*bodySet, error) {
	var set bodySet
	var err error
	signed := payload.Options{Secret: secret}
	steps := []struct {
		dst     *delivery
		fixture string
		opts    payload.Options
	}{
		{&set.Text, fixtureText, signed},
		{&set.Batch, fixtureBatch, signed},
		{&set.Status, fixtureStatus, signed},
		{&set.Unknown, fixtureUnknown, signed},
		{&set.Escaped, fixtureEscaped, signed},
		{&set.Forged, fixtureText, payload.Options{Secret: secret, BadSignature: true}},
		{&set.Unsigned, fixtureText, payload.Options{NoSignature: true}},
	}
	for _, s := range steps {
		if *s.dst, err = build(s.fixture, s.opts); err != nil {
			return nil, err
		}
	}
	if !bytes.Contains(set.Escaped.Body, []byte(`\/`)) || !bytes.Contains(set.Escaped.Body, []byte(`\u00e9`)) {
		return nil, fmt.Errorf("%s was not wire-encoded (no \\/ or \\u00e9 in the body)", fixtureEscaped)
	}
	if set.Large, err = buildLarge(secret); err != nil {
		return nil, err
	}
	return &set, nil
}

// build renders one catalog event as the send engine would send it.
func build(name string, o payload.Options) (delivery, error) {
	f, ok := fixtures.Get(name)
	if !ok {
		return delivery{}, fmt.Errorf("catalog event %s is missing", name)
	}
	return buildSource(payload.Source{Name: f.Name, Body: f.Body}, o)
}

func buildSource(src payload.Source, o payload.Options) (delivery, error) {
	feed, err := payload.Build([]payload.Source{src}, o)
	if err != nil {
		return delivery{}, fmt.Errorf("%s: %v", src.Name, err)
	}
	d, err := feed.Preview(0)
	if err != nil {
		return delivery{}, fmt.Errorf("%s: %v", src.Name, err)
	}
	return own(d), nil
}

// own copies a delivery out of the builder's reusable buffers.
func own(d sender.Delivery) delivery {
	return delivery{Body: bytes.Clone(d.Body), Header: d.Header.Clone()}
}

// buildLarge batches long text messages until the body is just under
// LargeBody: one message's size is measured, the count follows from it.
func buildLarge(secret string) (delivery, error) {
	f, ok := fixtures.Get(fixtureText)
	if !ok {
		return delivery{}, fmt.Errorf("catalog event %s is missing", fixtureText)
	}
	src := payload.Source{Name: f.Name, Body: f.Body}
	at := func(n int) (delivery, error) {
		return buildSource(src, payload.Options{Secret: secret, Batch: n, Shortcuts: payload.Shortcuts{Text: largeText()}})
	}
	one, err := at(2)
	if err != nil {
		return delivery{}, err
	}
	two, err := at(3)
	if err != nil {
		return delivery{}, err
	}
	per := len(two.Body) - len(one.Body)
	if per <= 0 {
		return delivery{}, fmt.Errorf("cannot size the large body: a message adds %d bytes", per)
	}
	n := 3 + (LargeBody-len(two.Body))/per
	for ; n > 1; n-- {
		d, err := at(n)
		if err != nil {
			return delivery{}, err
		}
		if len(d.Body) <= LargeBody {
			return d, nil
		}
	}
	return delivery{}, fmt.Errorf("cannot build a body under %d bytes", LargeBody)
}
