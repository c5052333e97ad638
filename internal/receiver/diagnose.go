package receiver

import (
	"strings"

	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// diagnose explains a bad signature: the verdict as the message, and as the
// hint the transformation of the body that would have matched (the
// `sign --check` diagnosis) or what else to check. It never reveals the
// expected signature: that would let anyone who can read the log forge one.
func diagnose(secret string, body []byte, header string) (msg, hint string) {
	d := signature.Diagnose(secret, body, header)
	msg = d.Result.String()
	switch {
	case d.Match != nil && d.Match.Transform == "exact-bytes":
		hint = "the digest matches these bytes, only the header's form is wrong: send \"sha256=<lowercase hex>\""
	case d.Match != nil:
		hint = "it matches " + d.Match.Description + ": " + d.Match.Hint
	case len(d.Advice) > 0:
		// The first piece of advice is the likeliest cause; `sign --check`
		// on a recorded body gives the rest.
		hint = strings.TrimSuffix(d.Advice[0], ".") + " (more: wa-hooks sign --check on the body, e.g. from --record)"
	case d.Algorithm != "":
		hint = "no common re-encoding of the body matches, so the App Secret or the content differs: use the App Secret from Meta App Dashboard → App settings → Basic (not the verify token or an access token)"
	default:
		hint = "the header must be \"sha256=\" and 64 lowercase hex digits of HMAC-SHA256(App Secret, body)"
	}
	return msg, hint
}
