// Package signature signs and verifies webhook bodies the way Meta does:
// X-Hub-Signature-256 is "sha256=" followed by the lowercase hex
// HMAC-SHA256 of the exact request bytes, keyed with the App Secret. The
// legacy X-Hub-Signature header carries "sha1=" and HMAC-SHA1.
//
// Everything here works on raw bytes. Decoding and re-encoding a body before
// checking it is the most common reason a valid signature is rejected, so
// callers must hand over the bytes exactly as they came off the wire.
package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// Header names Meta uses.
const (
	Header       = "X-Hub-Signature-256"
	LegacyHeader = "X-Hub-Signature"
)

// Prefixes of the two header values.
const (
	PrefixSHA256 = "sha256="
	PrefixSHA1   = "sha1="
)

// Sign returns the X-Hub-Signature-256 value for body: "sha256=<lowercase hex>".
func Sign(secret string, body []byte) string {
	return PrefixSHA256 + hex.EncodeToString(mac(sha256.New, secret, body))
}

// SignSHA1 returns the legacy X-Hub-Signature value for body: "sha1=<lowercase hex>".
// Meta documents only X-Hub-Signature-256 for WhatsApp today; this exists for
// receivers that still check the old header.
func SignSHA1(secret string, body []byte) string {
	return PrefixSHA1 + hex.EncodeToString(mac(sha1.New, secret, body))
}

// Hasher works out a signature over a body written to it in pieces, so a
// large file can be signed as it is read instead of held in memory whole.
type Hasher struct {
	h      hash.Hash
	prefix string
}

// NewHasher returns a Hasher for the X-Hub-Signature-256 value.
func NewHasher(secret string) *Hasher {
	return &Hasher{h: hmac.New(sha256.New, []byte(secret)), prefix: PrefixSHA256}
}

// NewHasherSHA1 returns a Hasher for the legacy X-Hub-Signature value.
func NewHasherSHA1(secret string) *Hasher {
	return &Hasher{h: hmac.New(sha1.New, []byte(secret)), prefix: PrefixSHA1}
}

// Write adds body bytes; it never fails.
func (h *Hasher) Write(p []byte) (int, error) { return h.h.Write(p) }

// Reset forgets the bytes written so far, keeping the key: one Hasher can
// sign many bodies in turn without setting the key up again.
func (h *Hasher) Reset() { h.h.Reset() }

// Value is the header value for the bytes written so far, as Sign gives it.
func (h *Hasher) Value() string { return h.prefix + hex.EncodeToString(h.h.Sum(nil)) }

func mac(h func() hash.Hash, secret string, body []byte) []byte {
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// Reason says why a signature header was accepted or refused.
type Reason int

const (
	// Valid: the header is a well-formed sha256= value that matches the body.
	Valid Reason = iota
	// Missing: no header value at all (or only whitespace).
	Missing
	// NoPrefix: the value does not start with "sha256=" (for example a bare
	// hex digest, or another algorithm name).
	NoPrefix
	// Malformed: "sha256=" is there but what follows is not 64 hex digits.
	Malformed
	// LegacySHA1: a "sha1=" value, as sent in the old X-Hub-Signature header.
	LegacySHA1
	// Mismatch: a well-formed value that is not the HMAC of these bytes with
	// this secret.
	Mismatch
)

var reasonNames = [...]string{
	Valid:      "valid",
	Missing:    "missing",
	NoPrefix:   "no-prefix",
	Malformed:  "malformed",
	LegacySHA1: "legacy-sha1",
	Mismatch:   "mismatch",
}

// String is a stable machine name ("valid", "no-prefix", ...), used in JSON.
func (r Reason) String() string {
	if r >= 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// MarshalText makes Reason appear by name in JSON.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText parses a name produced by String.
func (r *Reason) UnmarshalText(b []byte) error {
	for i, n := range reasonNames {
		if n == string(b) {
			*r = Reason(i)
			return nil
		}
	}
	return fmt.Errorf("unknown signature reason %q", b)
}

// Result is the outcome of Verify.
type Result struct {
	Reason Reason
	// Detail adds specifics for Malformed and NoPrefix ("63 hex digits,
	// want 64"); it never contains the secret.
	Detail string
	// Digest is the hex digest found in the header, lowercased, when one
	// could be read (also for NoPrefix values that are bare hex, and for
	// LegacySHA1). Signature values are public: they do not reveal the secret.
	Digest string
	// LegacyMatch is set for LegacySHA1: whether the sha1= value is the right
	// HMAC-SHA1 of the body.
	LegacyMatch bool
}

// OK reports whether the signature is valid.
func (r Result) OK() bool { return r.Reason == Valid }

// String explains the result in one line.
func (r Result) String() string {
	var s string
	switch r.Reason {
	case Valid:
		return "signature valid"
	case Missing:
		s = "no signature: the " + Header + " header is missing or empty"
	case NoPrefix:
		s = "the value does not start with \"sha256=\""
	case Malformed:
		s = "the value after \"sha256=\" is not a 64-digit hex HMAC-SHA256"
	case LegacySHA1:
		if r.Detail != "" {
			return "a legacy sha1= value (X-Hub-Signature), and malformed (" + r.Detail + "); X-Hub-Signature-256 needs sha256="
		}
		if r.LegacyMatch {
			return "a legacy sha1= value (X-Hub-Signature); it matches as HMAC-SHA1, but X-Hub-Signature-256 needs sha256="
		}
		return "a legacy sha1= value (X-Hub-Signature) that does not match either; X-Hub-Signature-256 needs sha256="
	case Mismatch:
		return "signature mismatch: not the HMAC-SHA256 of these bytes with this App Secret"
	default:
		s = r.Reason.String()
	}
	if r.Detail != "" {
		s += " (" + r.Detail + ")"
	}
	return s
}

// Verify checks header (the X-Hub-Signature-256 value) against the
// HMAC-SHA256 of body in constant time. Surrounding whitespace is ignored and
// the prefix and hex digits are accepted in either case: Meta sends lowercase,
// and being lenient here costs no security because the digest is compared in
// full.
func Verify(secret string, body []byte, header string) Result {
	return verifyParsed(Parse(header), secret, body, func() []byte { return mac(sha256.New, secret, body) })
}

// verifyParsed finishes Verify for a parsed header; sum256 computes the
// HMAC-SHA256 of the body only when the header is worth comparing.
func verifyParsed(p Parsed, secret string, body []byte, sum256 func() []byte) Result {
	switch p.Reason {
	case LegacySHA1:
		p.LegacyMatch = hmac.Equal(p.sum, mac(sha1.New, secret, body))
		return p.Result
	case Valid:
		if !hmac.Equal(p.sum, sum256()) {
			p.Reason = Mismatch
		}
		return p.Result
	default:
		return p.Result
	}
}

// Verifier is Verify for one App Secret and many bodies. It keeps keyed
// HMAC-SHA256 states for reuse, so a receiver under load does not redo the
// key schedule on every request. It is safe for concurrent use.
type Verifier struct {
	secret string
	macs   sync.Pool
}

// NewVerifier returns a Verifier for secret.
func NewVerifier(secret string) *Verifier {
	v := &Verifier{secret: secret}
	v.macs.New = func() any { return hmac.New(sha256.New, []byte(secret)) }
	return v
}

// Verify is Verify(secret, body, header) for the Verifier's secret.
func (v *Verifier) Verify(body []byte, header string) Result {
	return verifyParsed(Parse(header), v.secret, body, func() []byte {
		m := v.macs.Get().(hash.Hash)
		m.Reset()
		m.Write(body)
		sum := m.Sum(make([]byte, 0, sha256.Size))
		v.macs.Put(m)
		return sum
	})
}

// VerifySHA1 checks a legacy X-Hub-Signature value ("sha1=<hex>") in
// constant time. It returns Valid or Mismatch for well-formed values and
// Missing, NoPrefix or Malformed otherwise.
func VerifySHA1(secret string, body []byte, header string) Result {
	p := Parse(header)
	switch p.Reason {
	case LegacySHA1:
		if p.sum == nil {
			return Result{Reason: Malformed, Detail: p.Detail, Digest: p.Digest}
		}
		r := Result{Reason: Valid, Digest: p.Digest, LegacyMatch: true}
		if !hmac.Equal(p.sum, mac(sha1.New, secret, body)) {
			r.Reason, r.LegacyMatch = Mismatch, false
		}
		return r
	case Valid:
		return Result{Reason: NoPrefix, Detail: "a sha256= value; X-Hub-Signature needs sha1=", Digest: p.Digest}
	default:
		return p.Result
	}
}

// Parsed is a header value taken apart without any secret: Reason is Valid
// when it is well-formed (the digest still has to be compared).
type Parsed struct {
	Result
	sum []byte
}

// Sum is the decoded digest, or nil when there is none.
func (p Parsed) Sum() []byte { return p.sum }

// Parse takes a signature header value apart. Reason is Valid for a
// well-formed "sha256=<64 hex>" value (the digest is not checked),
// LegacySHA1 for "sha1=..." (sum set when it is 40 hex digits), and
// Missing, NoPrefix or Malformed otherwise.
func Parse(header string) Parsed {
	v := strings.TrimSpace(header)
	if v == "" {
		return Parsed{Result: Result{Reason: Missing}}
	}
	algo, digest, hasEq := strings.Cut(v, "=")
	if !hasEq {
		if sum, err := hex.DecodeString(v); err == nil {
			r := Parsed{Result: Result{Reason: NoPrefix, Digest: strings.ToLower(v)}, sum: sum}
			switch len(sum) {
			case sha256.Size:
				r.Detail = "a bare 64-digit hex digest: put \"sha256=\" in front"
			case sha1.Size:
				r.Detail = "a bare 40-digit hex digest, the length of SHA1: Meta's header is \"sha256=\" and HMAC-SHA256"
			default:
				r.Detail = fmt.Sprintf("a bare hex string of %d digits", len(v))
			}
			return r
		}
		return Parsed{Result: Result{Reason: NoPrefix, Detail: "no \"sha256=\" and not a hex digest"}}
	}
	switch strings.ToLower(algo) {
	case "sha256":
		sum, detail := decodeDigest(digest, sha256.Size)
		if sum == nil {
			return Parsed{Result: Result{Reason: Malformed, Detail: detail}}
		}
		return Parsed{Result: Result{Reason: Valid, Digest: strings.ToLower(digest)}, sum: sum}
	case "sha1":
		sum, detail := decodeDigest(digest, sha1.Size)
		r := Parsed{Result: Result{Reason: LegacySHA1, Detail: detail}, sum: sum}
		if sum != nil {
			r.Digest = strings.ToLower(digest)
		}
		return r
	default:
		return Parsed{Result: Result{Reason: NoPrefix, Detail: fmt.Sprintf("algorithm %q, want sha256", truncate(algo, 20))}}
	}
}

// decodeDigest decodes a hex digest of size bytes, or explains why not.
func decodeDigest(s string, size int) ([]byte, string) {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return nil, fmt.Sprintf("character %q at position %d is not a hex digit", rune(s[i]), i+1)
		}
	}
	if len(s) != 2*size {
		return nil, fmt.Sprintf("%d hex digits, want %d", len(s), 2*size)
	}
	sum, err := hex.DecodeString(s)
	if err != nil {
		return nil, err.Error()
	}
	return sum, ""
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
