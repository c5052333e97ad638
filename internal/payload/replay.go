package payload

import (
	"net/http"

	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// ReplayHeader returns the headers to send with a recorded body replayed as
// it was received: Meta's defaults and -H (o.Headers), then the signatures.
// By default these are the recorded ones, exactly as received, so a forged
// request that was recorded replays as forged; with resign the body is
// signed afresh with o.Secret. --no-signature, --bad-signature,
// --legacy-sha1 and a signature given with -H apply as for any body.
func ReplayHeader(body []byte, recorded http.Header, o Options, resign bool) http.Header {
	h := MetaHeader(o.Headers)
	if o.Headers.Get(signature.Header) != "" {
		return h // the user fixed it with -H
	}
	if o.NoSignature {
		delete(h, signature.Header)
		delete(h, signature.LegacyHeader)
		return h
	}
	sig256, sig1 := recorded.Get(signature.Header), recorded.Get(signature.LegacyHeader)
	if resign {
		sig256, sig1 = signature.Sign(o.Secret, body), ""
		if o.LegacySHA1 {
			sig1 = signature.SignSHA1(o.Secret, body)
		}
	}
	if o.BadSignature {
		sig256, sig1 = Spoil(sig256), Spoil(sig1)
	}
	setOne(h, signature.Header, sig256)
	setOne(h, signature.LegacyHeader, sig1)
	return h
}

// CountEvents is the number of webhook events in a body (1 when it does
// not parse as a webhook: it is still one delivery).
func CountEvents(body []byte) int { return countEventsRaw(body) }
