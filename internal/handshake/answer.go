// Package handshake implements Meta's webhook verification handshake: the
// server side (Answer, used by serve) and the client side checks used by verify.
package handshake

import (
	"crypto/subtle"
	"net/url"
)

// Verdict is why a handshake was accepted or refused.
type Verdict int

const (
	Accepted Verdict = iota
	WrongMode
	MissingToken
	WrongToken
	MissingChallenge
)

func (v Verdict) String() string {
	switch v {
	case Accepted:
		return "accepted"
	case WrongMode:
		return "hub.mode is not \"subscribe\""
	case MissingToken:
		return "hub.verify_token is missing"
	case WrongToken:
		return "hub.verify_token does not match the configured verify token"
	case MissingChallenge:
		return "hub.challenge is missing"
	}
	return "unknown"
}

// Result is the outcome of Answer: on Accepted, Challenge is the exact body to
// send back with 200 text/plain; otherwise the request gets 403.
type Result struct {
	Verdict   Verdict
	Challenge string
	Mode      string
}

// OK reports whether the handshake should be answered with 200.
func (r Result) OK() bool { return r.Verdict == Accepted }

// Answer decides a GET verification request. The token is compared in
// constant time so a remote caller cannot learn it by timing.
func Answer(query url.Values, verifyToken string) Result {
	mode := query.Get("hub.mode")
	res := Result{Mode: mode, Challenge: query.Get("hub.challenge")}
	token, hasToken := query["hub.verify_token"]
	switch {
	case mode != "subscribe":
		res.Verdict = WrongMode
	case !hasToken || len(token) == 0 || token[0] == "":
		res.Verdict = MissingToken
	case subtle.ConstantTimeCompare([]byte(token[0]), []byte(verifyToken)) != 1 || verifyToken == "":
		res.Verdict = WrongToken
	case res.Challenge == "":
		res.Verdict = MissingChallenge
	default:
		res.Verdict = Accepted
	}
	if res.Verdict != Accepted {
		res.Challenge = ""
	}
	return res
}
