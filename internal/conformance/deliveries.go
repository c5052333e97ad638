package conformance

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/wa-hooks/wa-hooks/internal/handshake"
	"github.com/wa-hooks/wa-hooks/internal/sender"
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
	{ID: "delivery-batch", Group: GroupDeliveries, Title: "Batch of several messages"},
	{ID: "delivery-status", Group: GroupDeliveries, Title: "Status update"},
	{ID: "delivery-unknown-type", Group: GroupDeliveries, Title: "Unknown future message type"},
	{ID: "delivery-escaping", Group: GroupDeliveries, Title: `Non-ASCII and \/ in Meta's escaping`},
	// serve's words: the same bytes again is a RETRY (the id is kept stable).
	{ID: "delivery-duplicate", Group: GroupDeliveries, Title: "Retry (same bytes again)"},
	{ID: "delivery-large", Group: GroupDeliveries, Title: "Body near 3 MB"},
	{ID: "forged-signature", Group: GroupDeliveries, Title: "Forged signature refused"},
	{ID: "missing-signature", Group: GroupDeliveries, Title: "Missing signature refused"},
}

const (
	refusedSigned = "refused a correctly signed delivery: the App Secret differs from the endpoint's, or it verifies a re-serialised body instead of the raw bytes"
	fixSigned     = "compute HMAC-SHA256 with the App Secret over the raw request bytes, before any JSON parsing"
	fixForged     = "verify X-Hub-Signature-256 on every POST (HMAC-SHA256 of the raw body with the App Secret, compared in constant time) and answer 401 when it is missing or wrong"
)

func (r *runner) deliveryChecks(ctx context.Context) {
	o := r.opts
	if r.unreachable != "" && !r.reached {
		r.skip(noAnswer, deliveryChecks...)
		return
	}
	if o.AppSecret == "" {
		r.skip("no App Secret: set WA_HOOKS_APP_SECRET (or pass --app-secret) to run the delivery checks", deliveryChecks...)
		return
	}
	set, err := buildBodies(o.AppSecret)
	if err != nil {
		r.skip("could not build the delivery bodies: "+err.Error(), deliveryChecks...)
		return
	}
	client, err := sender.NewClient(sender.ClientOptions{Timeout: o.Timeout, Insecure: true})
	if err != nil {
		r.skip("could not set up the HTTP client: "+err.Error(), deliveryChecks...)
		return
	}
	cases := []deliveryCase{
		{check: deliveryChecks[0], d: set.Text, onRefused: refusedSigned},
		{check: deliveryChecks[1], d: set.Batch, onRefused: refusedSigned,
			onBroken: "a body with several messages broke the handler: Meta batches up to 1000 updates in one POST"},
		{check: deliveryChecks[2], d: set.Status, onRefused: refusedSigned,
			onBroken: "a status update broke the handler: statuses arrive on the same URL as messages"},
		{check: deliveryChecks[3], d: set.Unknown, onRefused: refusedSigned,
			onBroken: "a message type the endpoint does not know broke it: Meta adds types, and retries a failed delivery for 7 days"},
		{check: deliveryChecks[4], d: set.Escaped,
			onRefused: `refused a correctly signed body with \u00e9 and \/ escapes: the endpoint verifies a re-serialised body (JSON.stringify, json.dumps), not the raw bytes`},
		// The very same bytes and signature again, as a retry or a second
		// subscribed app makes Meta send them.
		{check: deliveryChecks[5], d: set.Text, onRefused: refusedSigned,
			onBroken: "the second copy of a delivery was refused: Meta retries a delivery in the same bytes; acknowledge it with 200 and skip it by message id"},
		{check: deliveryChecks[6], d: set.Large, onRefused: refusedSigned,
			onBroken: fmt.Sprintf("a %s body was refused: Meta sends payloads of up to 3 MB", sizeText(len(set.Large.Body)))},
		{check: deliveryChecks[7], d: set.Forged, refuse: true},
		{check: deliveryChecks[8], d: set.Unsigned, refuse: true},
	}
	for _, dc := range cases {
		switch {
		case ctx.Err() != nil:
			r.skip("interrupted", dc.check)
			continue
		case r.unreachable != "" && !r.reached:
			r.skip(noAnswer, dc.check)
			continue
		}
		res := sender.Deliver(ctx, client, r.url.String(), sender.Delivery{Name: dc.check.ID, Body: dc.d.Body, Header: dc.d.Header})
		if res.Answered() {
			r.reached = true
		} else {
			r.noteUnreachable(res.Explanation)
		}
		c := judgeDelivery(dc, res)
		c.Detail = deliveryDetail(dc.d, res)
		r.add(c)
	}
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
		if res.Status >= 200 && res.Status < 300 {
			c.Status = Fail
			c.Reason = fmt.Sprintf("accepted with %s%s: your endpoint accepts forged webhooks", code, took)
			c.Fix = fixForged
			return c
		}
		c.Status, c.Reason = Pass, "refused with "+code+took
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
