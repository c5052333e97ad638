package render

import (
	"net/http"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// Signature is the verdict on a POST's X-Hub-Signature-256, as shown to users.
type Signature string

const (
	SigValid     Signature = "valid"
	SigInvalid   Signature = "invalid"
	SigMissing   Signature = "missing"
	SigUnchecked Signature = "unchecked" // no App Secret configured
)

// Request is one HTTP request as the receiver answered it.
type Request struct {
	Seq       uint64
	Time      time.Time
	Method    string
	Path      string
	Query     string // with hub.verify_token masked
	Remote    string
	Header    http.Header // with credentials masked
	Body      []byte      // exact bytes (possibly redacted for display)
	Status    int
	Signature Signature
}

// Event is one webhook event with what the receiver learnt about it.
type Event struct {
	webhook.Event
	Request   uint64
	Received  time.Time
	Signature Signature
	// Duplicate: an event with the same Key() was seen before, at FirstSeen
	// in request FirstRequest.
	Duplicate    bool
	FirstSeen    time.Time
	FirstRequest uint64
	// Retry: the whole body was byte-identical to an earlier request's, as
	// when Meta redelivers a POST it thinks failed. Copy counts the copies.
	Retry bool
	Copy  int
	// Stale: the event's timestamp is older than the receiver's threshold
	// (a backlog delivered after downtime). Age is how old it was.
	Stale bool
	Age   time.Duration
	// DedupKey, when set, is Event.Key() already worked out by the caller;
	// it saves working it out again for the JSON line.
	DedupKey string
	// RawPlain says Raw is known to be on one line and valid UTF-8 (see
	// webhook.Notification.Plain: the parse looked at each of its bytes),
	// so the JSON line takes it as it is instead of looking at a 3 MB
	// item three more times. When false, the line checks for itself.
	RawPlain bool
}

// Problem kinds: what went wrong with a request as a whole.
const (
	ProblemSignature = "signature" // invalid or missing signature (401, or 200 with --accept-invalid)
	ProblemJSON      = "json"      // not JSON or not a webhook envelope (400)
	ProblemTooLarge  = "too_large" // body over --max-body (413)
	ProblemMethod    = "method"    // not GET/POST on the webhook path (405)
	ProblemNotFound  = "not_found" // another path (404)
	ProblemHandshake = "handshake" // GET refused (403)
	ProblemBody      = "read_body" // the body could not be read (client went away, timeout)
	ProblemRecord    = "record"    // the recording could not be written
	ProblemForward   = "forward"   // the app behind --forward-to failed
)

// Problem is a request-level failure.
type Problem struct {
	Request Request
	Kind    string
	Message string // one line: what was wrong
	Hint    string // one line: what to do, may be empty
	// Accepted is set when the request was still answered 200
	// (--accept-invalid).
	Accepted bool
}

// Handshake is an accepted GET verification request.
type Handshake struct {
	Request   Request
	Challenge string
}

// Forward is what the user's app answered to a forwarded request.
type Forward struct {
	Request   uint64
	Method    string
	URL       string
	Status    int
	Latency   time.Duration
	Err       string      // connection-level failure, explained
	Body      []byte      // the app's response body (bounded)
	Header    http.Header // the app's response headers (for the inspector)
	Handshake bool        // a forwarded GET handshake
	// ChallengeOK: for a handshake, whether the app echoed the challenge.
	ChallengeOK bool
	// Dropped is how many requests this report says were not forwarded
	// at all (queue full, serve stopping, a loop); Err says why. 0 for a
	// request that was forwarded.
	Dropped int
}

// OK reports whether the app accepted the request (200, and the challenge
// echoed for handshakes).
func (f Forward) OK() bool {
	if f.Err != "" || f.Status != http.StatusOK {
		return false
	}
	return !f.Handshake || f.ChallengeOK
}

// Sink receives what the receiver observed, in order, from one goroutine.
type Sink interface {
	Received(req Request, events []Event)
	Problem(p Problem)
	Handshake(h Handshake)
	Forwarded(f Forward)
	Summary(s Summary)
}
