package conformance

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/handshake"
	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/suggest"
)

// deliveryCase is one POST of the delivery checks and what a correct
// endpoint does with it.
type deliveryCase struct {
	check Check
	d     delivery
	// refuse: a correct endpoint answers non-2xx (forged or unsigned).
	refuse bool
	// onRefused explains a 401/403 to a correctly signed body.
	onRefused string
	// onBroken explains any other non-200 to a correctly signed body.
	onBroken string
}

// Delivery check IDs, in report order.
var deliveryChecks = []Check{
	{ID: "delivery-text", Group: GroupDeliveries, Title: "Signed text message"},
	{ID: "delivery-bsuid-only", Group: GroupDeliveries, Title: "BSUID-only sender (no wa_id, no from)"},
	{ID: "delivery-username-only", Group: GroupDeliveries, Title: "Username-only sender"},
	{ID: "delivery-batch", Group: GroupDeliveries, Title: "Batch of several messages"},
	{ID: "delivery-status", Group: GroupDeliveries, Title: "Status update"},
	{ID: "delivery-unknown-type", Group: GroupDeliveries, Title: "Unknown future message type"},
	{ID: "delivery-fields", Group: GroupDeliveries, Title: "Every subscribed field"},
	{ID: "delivery-escaping", Group: GroupDeliveries, Title: `Non-ASCII and \/ in Meta's escaping`},
	{ID: "delivery-duplicate", Group: GroupDeliveries, Title: "Duplicate delivery"},
	{ID: "delivery-large", Group: GroupDeliveries, Title: "Body near 3 MB"},
	{ID: "forged-signature", Group: GroupDeliveries, Title: "Forged signature refused"},
	{ID: "missing-signature", Group: GroupDeliveries, Title: "Missing signature refused"},
}

// deliveryCheck returns the delivery check with that ID.
func deliveryCheck(id string) Check {
	for _, c := range deliveryChecks {
		if c.ID == id {
			return c
		}
	}
	panic("no delivery check " + id)
}

const (
	refusedSigned = "refused a correctly signed delivery: the App Secret differs from the endpoint's, or it verifies a re-serialised body instead of the raw bytes"
	fixSigned     = "compute HMAC-SHA256 with the App Secret over the raw request bytes, before any JSON parsing"
	fixForged     = "verify X-Hub-Signature-256 on every POST (HMAC-SHA256 of the raw body with the App Secret, compared in constant time) and answer 401 when it is missing or wrong"
)

func (r *runner) deliveryChecks(ctx context.Context) {
	o := r.opts
	if r.unreachable != "" && !r.reached {
		r.skip("the endpoint could not be reached", deliveryChecks...)
		return
	}
	if o.AppSecret == "" {
		r.skip("no App Secret: set WA_HOOKS_APP_SECRET (or pass --app-secret) to run the delivery checks", deliveryChecks...)
		return
	}
	set, err := buildBodiesFor(bodyOptions{secret: o.AppSecret, id: o.identity, only: o.Fields, noLarge: o.noLarge})
	if err != nil {
		r.skip("could not build the delivery bodies: "+err.Error(), deliveryChecks...)
		return
	}
	client, err := sender.NewClient(sender.ClientOptions{Timeout: o.Timeout, Insecure: true})
	if err != nil {
		r.skip("could not set up the HTTP client: "+err.Error(), deliveryChecks...)
		return
	}
	const noFrom = "key users on from_user_id when from is missing: since 2026 a user may come with a BSUID and no phone number"
	cases := []deliveryCase{
		{check: deliveryCheck("delivery-text"), d: set.Text, onRefused: refusedSigned},
		{check: deliveryCheck("delivery-bsuid-only"), d: set.BSUIDOnly, onRefused: refusedSigned,
			onBroken: "a message with no wa_id and no from (a BSUID-only user) broke the handler: " + noFrom},
		{check: deliveryCheck("delivery-username-only"), d: set.UsernameOnly, onRefused: refusedSigned,
			onBroken: "a message from a username user (BSUID and username, no phone number) broke the handler: " + noFrom},
		{check: deliveryCheck("delivery-batch"), d: set.Batch, onRefused: refusedSigned,
			onBroken: "a body with several messages broke the handler: Meta batches up to 1000 updates in one POST"},
		{check: deliveryCheck("delivery-status"), d: set.Status, onRefused: refusedSigned,
			onBroken: "a status update broke the handler: statuses arrive on the same URL as messages"},
		{check: deliveryCheck("delivery-unknown-type"), d: set.Unknown, onRefused: refusedSigned,
			onBroken: "a message type the endpoint does not know broke it: Meta adds types, and retries a failed delivery for 7 days"},
		{check: deliveryCheck("delivery-fields")},
		{check: deliveryCheck("delivery-escaping"), d: set.Escaped,
			onRefused: `refused a correctly signed body with \u00e9 and \/ escapes: the endpoint verifies a re-serialised body (JSON.stringify, json.dumps), not the raw bytes`},
		// The very same bytes and signature again, as a retry or a second
		// subscribed app makes Meta send them.
		{check: deliveryCheck("delivery-duplicate"), d: set.Text, onRefused: refusedSigned,
			onBroken: "the second copy of a delivery was refused: Meta delivers duplicates; acknowledge them with 200 and skip them by message id"},
		{check: deliveryCheck("delivery-large"), d: set.Large, onRefused: refusedSigned,
			onBroken: fmt.Sprintf("a %s body was refused: Meta sends payloads of up to 3 MB", sizeText(len(set.Large.Body)))},
		{check: deliveryCheck("forged-signature"), d: set.Forged, refuse: true},
		{check: deliveryCheck("missing-signature"), d: set.Unsigned, refuse: true},
	}
	for _, dc := range cases {
		switch {
		case ctx.Err() != nil:
			r.skip("interrupted", dc.check)
			continue
		case r.unreachable != "" && !r.reached:
			r.skip("the endpoint could not be reached", dc.check)
			continue
		}
		if dc.check.ID == "delivery-large" && o.noLarge {
			r.skip("left out by the test", dc.check)
			continue
		}
		if dc.check.ID == "delivery-fields" {
			r.add(r.fieldsCheck(ctx, client, dc.check, set.Fields))
			continue
		}
		res := r.deliver(ctx, client, dc.check.ID, dc.d)
		c := judgeDelivery(dc, res)
		c.Detail = deliveryDetail(dc.d, res)
		r.add(c)
	}
}

// deliver sends one delivery and notes whether the endpoint was reached.
func (r *runner) deliver(ctx context.Context, client *http.Client, name string, d delivery) sender.Result {
	res := sender.Deliver(ctx, client, r.url.String(), sender.Delivery{Name: name, Body: d.Body, Header: d.Header})
	if res.Reached() {
		r.reached = true
	} else if res.Kind != sender.KindTimeout {
		r.noteUnreachable(res.Explanation)
	}
	return res
}

func judgeDelivery(dc deliveryCase, res sender.Result) Check {
	c := dc.check
	c.HTTPStatus, c.Latency = res.Status, res.Latency
	took := " in " + handshake.Round(res.Latency)
	if !res.Reached() {
		c.Status = Fail
		c.Reason = res.Explanation
		c.Fix = "make the endpoint answer every POST quickly; process the event after answering"
		if res.Kind != sender.KindTimeout {
			c.Fix = "check the URL, and that the server is running and reachable"
		}
		return c
	}
	code := statusCode(res.Status)
	if dc.refuse {
		switch {
		case res.Status >= 200 && res.Status < 300:
			c.Status = Fail
			c.Reason = fmt.Sprintf("accepted with %s%s: your endpoint accepts forged webhooks", code, took)
			c.Fix = fixForged
		case res.Status >= 500:
			c.Status = Warn
			c.Reason = fmt.Sprintf("answered %s%s: it crashed instead of refusing", code, took) + bodyNote(res.Response)
			c.Fix = "check X-Hub-Signature-256 before anything else and answer 401 (or 403) when it is missing or wrong; a 5xx hides whether the request was refused at all"
		default:
			c.Status, c.Reason = Pass, "refused with "+code+took
		}
		return c
	}
	switch {
	case res.Status == http.StatusOK:
		c.Status, c.Reason = Pass, code+took
	case res.Status >= 200 && res.Status < 300:
		c.Status = Warn
		c.Reason = code + took + ": Meta documents 200 as success; whether it accepts other 2xx codes is unconfirmed"
		c.Fix = "answer deliveries with 200"
	case res.Status >= 300 && res.Status < 400:
		c.Status = Fail
		c.Reason = fmt.Sprintf("redirected (%s) to %s: Meta does not follow redirects, so the delivery fails and is retried", code, res.RespHead.Get("Location"))
		c.Fix = "register the final URL as the callback URL"
	case res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden:
		c.Status = Fail
		c.Reason = code + took + ": " + dc.onRefused
		c.Fix = fixSigned
	case res.Status == http.StatusRequestEntityTooLarge:
		c.Status = Fail
		c.Reason = fmt.Sprintf("%s: the endpoint (or a proxy in front of it) limits bodies below %s; Meta sends up to 3 MB", code, sizeText(len(dc.d.Body)))
		c.Fix = "allow request bodies of at least 3 MB (for example client_max_body_size 4m in nginx)"
	default:
		c.Status = Fail
		c.Reason = code + took + bodyNote(res.Response)
		if dc.onBroken != "" {
			c.Reason += ": " + dc.onBroken
		}
		c.Fix = "answer 200 to every correctly signed delivery, even one you do not handle; log and process it after answering"
	}
	return c
}

func bodyNote(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return " (" + handshake.Snippet(b) + ")"
}

func statusCode(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

func sizeText(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d KB", n/1000)
}

// prepareDeliveries checks --fields and --identity.
func prepareDeliveries(o *Options) error {
	if o.Identity != "" {
		id, err := identity.Parse(o.Identity)
		if err != nil {
			return fmt.Errorf("--identity: %v", err)
		}
		o.identity = id
	}
	known := subscribableFields()
	var fields []string
	for _, f := range o.Fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(known, f) {
			msg := fmt.Sprintf("--fields: %q is not a webhook field wa-hooks knows", f)
			if near := suggest.Closest(f, known); near != "" {
				msg += fmt.Sprintf(": did you mean %q?", near)
			}
			return fmt.Errorf("%s ('wa-hooks fixtures' lists every field)", msg)
		}
		fields = append(fields, f)
	}
	o.Fields = fields
	return nil
}

// fieldsCheck sends one webhook of every field family and passes only
// when every one is answered 200: Meta retries anything else for days and
// may disable the subscription.
func (r *runner) fieldsCheck(ctx context.Context, client *http.Client, c Check, fields []fieldDelivery) Check {
	if len(fields) == 0 {
		c.Status, c.Reason = Skip, "no field selected"
		return c
	}
	var failed, refused []string
	var slowest sender.Result
	withMeta, untried := 0, 0
	for i, fd := range fields {
		if ctx.Err() != nil {
			c.Status, c.Reason, c.Detail = Skip, "interrupted", nil
			return c
		}
		res := r.deliver(ctx, client, "field-"+fd.Field, fd.d)
		if fd.Metadata {
			withMeta++
		}
		if res.Latency > slowest.Latency {
			slowest = res
		}
		label := fd.Field
		if fd.Fixture != fd.Field {
			label += " (" + fd.Fixture + ")"
		}
		meta := "no value.metadata"
		if fd.Metadata {
			meta = "value.metadata"
		}
		answer := "no answer: " + res.Explanation
		if res.Reached() {
			answer = statusCode(res.Status)
		}
		c.Detail = append(c.Detail, fmt.Sprintf("→ POST %s, %s ← %s", label, meta, answer))
		switch {
		case res.Status == http.StatusOK:
		case res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden:
			refused = append(refused, fd.name()+" ("+shortAnswer(res)+")")
		default:
			failed = append(failed, fd.name()+" ("+shortAnswer(res)+")")
		}
		if !res.Reached() {
			// An endpoint that hangs would cost the timeout once per field.
			untried = len(fields) - i - 1
			break
		}
	}
	c.HTTPStatus, c.Latency = slowest.Status, slowest.Latency
	shapes := fmt.Sprintf("%d with value.metadata, %d without", withMeta, len(fields)-withMeta-untried)
	stopped := ""
	if untried > 0 {
		stopped = fmt.Sprintf(" (stopped after no answer: %d more not sent)", untried)
	}
	switch {
	case len(failed) == 0 && len(refused) == 0:
		c.Status = Pass
		c.Reason = fmt.Sprintf("200 to all %d field deliveries (%s)", len(fields), shapes)
	case len(failed) > 0:
		c.Status = Fail
		c.Reason = fmt.Sprintf("%d of %d fields not answered 200: %s%s. Meta retries a non-200 for days and may disable the subscription",
			len(failed)+len(refused), len(fields), strings.Join(append(failed, refused...), ", "), stopped)
		c.Fix = "answer 200 to every signed delivery of every subscribed field, also fields and shapes you do not handle (no value.metadata on management fields, no contacts on system messages and failed statuses); process after answering"
		if len(r.opts.Fields) == 0 {
			c.Fix += "; --fields limits the check to the fields your app subscribes to"
		}
	case len(refused) == len(fields):
		c.Status = Fail
		c.Reason = fmt.Sprintf("refused all %d correctly signed field deliveries (%s): %s", len(fields), statusCode(slowest.Status), refusedSigned)
		c.Fix = fixSigned
	default:
		c.Status = Fail
		c.Reason = fmt.Sprintf("refused %d of %d correctly signed field deliveries: %s: %s", len(refused), len(fields), strings.Join(refused, ", "), refusedSigned)
		c.Fix = fixSigned
	}
	return c
}

func shortAnswer(res sender.Result) string {
	if !res.Reached() {
		return "no answer"
	}
	return strconv.Itoa(res.Status)
}
