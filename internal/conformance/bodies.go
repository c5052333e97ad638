package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/wire"
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

// futureField is the catalog's field Meta has not added (yet): a receiver
// must answer it 200 like any other.
const futureField = "conversation_insights"

// fieldProbes are the bodies sent for the messages field beside the
// delivery checks' own: the shapes handlers most often crash on.
var fieldProbes = []string{
	"messages.system.user_changed_number", // a message with no value.contacts
	"statuses.failed.131047",              // a status with no contacts
	"messages.errors.130429",              // value.errors and nothing else
}

// fieldDelivery is one webhook of one field, as the field check sends it.
type fieldDelivery struct {
	Field, Fixture string
	// Metadata says whether the value carries value.metadata, as Meta
	// sends messaging-like fields, or not, as it sends management fields.
	Metadata bool
	d        delivery
}

func (fd fieldDelivery) name() string {
	if fd.Field == futureField {
		return fd.Field + " (a field Meta may add)"
	}
	if fd.Field == "messages" && fd.Fixture != "" {
		return fd.Fixture
	}
	return fd.Field
}

// subscribableFields are the fields --fields accepts: every field of the
// catalog but the invented future one.
func subscribableFields() []string {
	var out []string
	for _, f := range fixtures.Fields() {
		if f != futureField {
			out = append(out, f)
		}
	}
	return out
}

// fieldFixtures picks one catalog event per field (for messages, the
// probes): the first whose wire form has no escapes, so that only the
// escaping check catches an endpoint that verifies a re-serialised body.
func fieldFixtures(only []string) []fixtures.Fixture {
	var out []fixtures.Fixture
	all := fixtures.All()
	for _, field := range fixtures.Fields() {
		switch {
		case len(only) > 0 && !slices.Contains(only, field):
			continue
		case field == "messages":
			for _, name := range fieldProbes {
				if f, ok := fixtures.Get(name); ok {
					out = append(out, f)
				}
			}
			continue
		}
		var pick *fixtures.Fixture
		for _, f := range all {
			if f.Field != field || strings.HasPrefix(f.Name, "statuses.") {
				continue
			}
			if pick == nil {
				pick = &f
			}
			if w, err := wire.Encode(f.Body); err == nil && !bytes.Contains(w, []byte(`\`)) {
				pick = &f
				break
			}
		}
		if pick != nil {
			out = append(out, *pick)
		}
	}
	return out
}

// hasMetadata reports whether a body's first value carries value.metadata.
func hasMetadata(body []byte) bool {
	var doc struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Metadata json.RawMessage `json:"metadata"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if json.Unmarshal(body, &doc) != nil || len(doc.Entry) == 0 || len(doc.Entry[0].Changes) == 0 {
		return false
	}
	return len(doc.Entry[0].Changes[0].Value.Metadata) > 0
}

// delivery is one body and the exact headers to send it with.
type delivery struct {
	Body   []byte
	Header http.Header
}

// bodySet is every delivery the checks send, built by the send engine's
// payload builder: fresh ids and timestamps, Meta's wire encoding, signed.
type bodySet struct {
	Text, BSUIDOnly, UsernameOnly, Batch, Status, Unknown, Escaped, Large, Forged, Unsigned delivery
	// Fields is one delivery per webhook field.
	Fields []fieldDelivery
}

func buildBodies(secret string) (*bodySet, error) { return buildBodiesFor(bodyOptions{secret: secret}) }

// bodyOptions say which deliveries to build and how.
type bodyOptions struct {
	secret string
	// id rewrites every body's users, when set.
	id identity.Identity
	// only limits the field deliveries to these fields, when any are named.
	only []string
	// noLarge leaves out the body near 3 MB (tests: it is the slowest to
	// build, and one test of it is enough).
	noLarge bool
}

// buildBodiesFor builds every delivery bo asks for.
func buildBodiesFor(bo bodyOptions) (*bodySet, error) {
	secret := bo.secret
	b := builder{id: bo.id}
	set := bodySet{}
	var err error
	signed := payload.Options{Secret: secret}
	steps := []struct {
		dst     *delivery
		fixture string
		opts    payload.Options
		as      identity.Identity
	}{
		{dst: &set.Text, fixture: fixtureText, opts: signed},
		{dst: &set.BSUIDOnly, fixture: fixtureText, opts: signed, as: identity.BSUIDOnly},
		{dst: &set.UsernameOnly, fixture: fixtureText, opts: signed, as: identity.UsernameOnly},
		{dst: &set.Batch, fixture: fixtureBatch, opts: signed},
		{dst: &set.Status, fixture: fixtureStatus, opts: signed},
		{dst: &set.Unknown, fixture: fixtureUnknown, opts: signed},
		{dst: &set.Escaped, fixture: fixtureEscaped, opts: signed},
		{dst: &set.Forged, fixture: fixtureText, opts: payload.Options{Secret: secret, BadSignature: true}},
		{dst: &set.Unsigned, fixture: fixtureText, opts: payload.Options{NoSignature: true}},
	}
	for _, s := range steps {
		bb := b
		if s.as != "" {
			bb.id = s.as
		}
		if *s.dst, err = bb.build(s.fixture, s.opts); err != nil {
			return nil, err
		}
	}
	for _, f := range fieldFixtures(bo.only) {
		d, err := b.build(f.Name, signed)
		if err != nil {
			return nil, err
		}
		set.Fields = append(set.Fields, fieldDelivery{Field: f.Field, Fixture: f.Name, Metadata: hasMetadata(d.Body), d: d})
	}
	if !bytes.Contains(set.Escaped.Body, []byte(`\/`)) || !bytes.Contains(set.Escaped.Body, []byte(`\u00e9`)) {
		return nil, fmt.Errorf("%s was not wire-encoded (no \\/ or \\u00e9 in the body)", fixtureEscaped)
	}
	if bo.noLarge {
		return &set, nil
	}
	if set.Large, err = b.buildLarge(secret); err != nil {
		return nil, err
	}
	return &set, nil
}

// builder renders catalog events, their users rewritten for id if set.
type builder struct{ id identity.Identity }

func (b builder) source(name string) (payload.Source, error) {
	f, ok := fixtures.Get(name)
	if !ok {
		return payload.Source{}, fmt.Errorf("catalog event %s is missing", name)
	}
	src := payload.Source{Name: f.Name, Body: f.Body}
	if b.id != "" {
		body, err := identity.Rewrite(f.Body, b.id)
		if err != nil {
			return payload.Source{}, fmt.Errorf("%s as %s: %v", f.Name, b.id, err)
		}
		src.Body = body
	}
	return src, nil
}

// build renders one catalog event as the send engine would send it.
func (b builder) build(name string, o payload.Options) (delivery, error) {
	src, err := b.source(name)
	if err != nil {
		return delivery{}, err
	}
	return buildSource(src, o)
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
func (b builder) buildLarge(secret string) (delivery, error) {
	src, err := b.source(fixtureText)
	if err != nil {
		return delivery{}, err
	}
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
