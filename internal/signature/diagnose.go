package signature

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"hash"
	"strings"
	"unicode/utf8"

	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// Diagnosis explains a signature check: the verdict on the bytes as given
// and, when they do not match, which common change to the body (or secret)
// would make them match, what is unusual about the body, and what to check.
type Diagnosis struct {
	// Result is Verify on the bytes exactly as given (for a legacy sha1=
	// value, LegacyMatch says whether it matches as HMAC-SHA1).
	Result Result `json:"-"`
	// Header is the value that was checked, trimmed.
	Header string `json:"signature"`
	// Algorithm is the HMAC the value was checked as: "sha256" or "sha1";
	// empty when no digest could be read from the value.
	Algorithm string `json:"algorithm,omitempty"`
	// Expected is the correct X-Hub-Signature-256 value for the bytes as given.
	Expected string `json:"expected"`
	// ExpectedSHA1 is the correct legacy value, set when the header is sha1=.
	ExpectedSHA1 string `json:"expected_sha1,omitempty"`
	// Bytes is the length of the body as given.
	Bytes int `json:"bytes"`
	// Match is the change that makes the digest match, or nil. "exact-bytes"
	// means the digest matches the body as given but the value is malformed
	// (for example a missing prefix).
	Match *Match `json:"match,omitempty"`
	// Tried counts the distinct variants of the body (and secret) compared.
	Tried int `json:"tried"`
	// Notes are facts about the body, secret and value worth knowing.
	Notes []string `json:"notes,omitempty"`
	// Reencoded says, when nothing matched, what in the body itself shows
	// it was re-encoded after delivery (keys reordered): the signed bytes
	// cannot be rebuilt from these. Empty when the bytes show no such thing.
	Reencoded string `json:"reencoded,omitempty"`
	// Advice is what to check when nothing matched.
	Advice []string `json:"advice,omitempty"`
}

// Match names the transformation under which the signature verifies.
type Match struct {
	Transform   string `json:"transform"`   // stable machine name, e.g. "meta-wire"
	Description string `json:"description"` // what the signed bytes look like
	Hint        string `json:"hint"`        // the likely cause and the fix, one or two sentences
	Bytes       int    `json:"bytes"`       // length of the variant that matches
}

// OK reports whether the signature is correct for the bytes as given.
func (d Diagnosis) OK() bool {
	return d.Result.OK() || d.Result.Reason == LegacySHA1 && d.Result.LegacyMatch
}

// Summary is a one-line explanation, for a log line.
func (d Diagnosis) Summary() string {
	switch {
	case d.Result.OK():
		return "signature valid"
	case d.Result.Reason == LegacySHA1 && d.Result.LegacyMatch:
		return "a valid legacy X-Hub-Signature (sha1=) value; X-Hub-Signature-256 needs sha256="
	case d.Match != nil && d.Match.Transform == "exact-bytes":
		return d.Result.String() + "; the digest itself matches the body"
	case d.Match != nil:
		return fmt.Sprintf("%s; it matches %s: %s", d.Result.String(), d.Match.Description, d.Match.Hint)
	case d.Algorithm != "" && d.Reencoded != "":
		return d.Result.String() + "; the body was re-encoded after delivery (" + d.Reencoded + "), so these are not the bytes Meta signed"
	case d.Algorithm != "":
		return d.Result.String() + "; no common re-encoding of the body matches, so the App Secret or the body's content differs"
	default:
		return d.Result.String()
	}
}

// variant is a candidate for what was really signed.
type variant struct {
	name, desc, hint string
	body             []byte
	suffix           []byte // appended to body without copying it
	secret           string // "" means the secret as given
}

const (
	hintReserialised = "these bytes were re-serialised after Meta signed them (JSON.stringify(req.body), json.dumps, json.Marshal, a framework's JSON body parser, a logger). Verify the raw request body exactly as received, before any JSON parsing."
	hintSignerCopy   = "the signature was computed over a re-serialised copy of the payload, not over these bytes. Whoever signed (a test sender, your own code) must HMAC the exact bytes that go on the wire."
)

// Diagnose checks header against body and, on a mismatch, tries the
// transformations that commonly break webhook verification, naming the one
// that makes the signature match. It costs one HMAC per distinct variant
// (a few dozen over the body), so call it on failures only.
func Diagnose(secret string, body []byte, header string) Diagnosis {
	d := Diagnosis{
		Header:   strings.TrimSpace(header),
		Expected: Sign(secret, body),
		Bytes:    len(body),
		Result:   Verify(secret, body, header),
	}
	p := Parse(header)
	var newHash func() hash.Hash
	switch {
	case p.Reason == Valid || p.Reason == NoPrefix && len(p.sum) == sha256.Size:
		newHash, d.Algorithm = sha256.New, "sha256"
	case p.Reason == LegacySHA1 && p.sum != nil || p.Reason == NoPrefix && len(p.sum) == sha1.Size:
		newHash, d.Algorithm = sha1.New, "sha1"
		d.ExpectedSHA1 = SignSHA1(secret, body)
	}
	if p.Reason == LegacySHA1 && p.sum == nil {
		d.ExpectedSHA1 = SignSHA1(secret, body)
	}
	d.Notes = append(d.Notes, headerNotes(d.Header, p)...)
	if d.OK() {
		return d
	}
	if newHash == nil {
		return d // nothing to compare: missing or malformed value
	}
	sum := func(key string, parts ...[]byte) []byte {
		m := hmac.New(newHash, []byte(key))
		for _, b := range parts {
			m.Write(b)
		}
		return m.Sum(nil)
	}
	if hmac.Equal(sum(secret, body), p.sum) {
		d.Tried = 1
		d.Match = &Match{Transform: "exact-bytes", Description: "the bytes exactly as given", Bytes: len(body),
			Hint: "only the value's format is wrong: " + d.Result.String() + "."}
		if p.Reason == NoPrefix && len(p.sum) == sha256.Size {
			d.Match.Hint = "the value lacks the \"sha256=\" prefix Meta sends: compare against \"sha256=\" + hex, or strip the prefix from the header before comparing."
		}
		return d
	}

	// Variants are built one at a time and dropped after one HMAC, so a
	// 3 MB body costs a few dozen passes but never a few dozen copies at
	// once. The HMAC itself identifies the bytes, so it doubles as the key
	// that skips variants identical to one already tried.
	seen := map[string]bool{string(sum(secret, body)): true}
	d.Tried = 1
	variants(secret, body, func(v variant) bool {
		key := v.secret
		if key == "" {
			key = secret
		}
		got := sum(key, v.body, v.suffix)
		id := key + "\x00" + string(got)
		if key == secret {
			id = string(got)
		}
		if seen[id] {
			return true
		}
		seen[id] = true
		d.Tried++
		if hmac.Equal(got, p.sum) {
			d.Match = &Match{Transform: v.name, Description: v.desc, Hint: v.hint, Bytes: len(v.body) + len(v.suffix)}
			return false
		}
		return true
	})
	d.Notes = append(d.Notes, bodyNotes(body)...)
	d.Notes = append(d.Notes, secretNotes(secret)...)
	if d.Match == nil {
		if why := reorderedKeys(body); why != "" {
			d.Reencoded = "JSON re-encoded with its keys reordered: " + why
		}
		d.Advice = advice(len(body))
	}
	return d
}

// variants yields candidate signed bodies, most telling first (when two
// transformations give the same bytes, the first name is reported), until
// yield returns false.
func variants(secret string, body []byte, yield func(variant) bool) {
	stopped := false
	emit := func(v variant) {
		if !stopped && !yield(v) {
			stopped = true
		}
	}
	add := func(name, desc, hint string, b []byte) {
		emit(variant{name: name, desc: desc, hint: hint, body: b})
	}
	addNL := func(name, desc, hint string, b []byte) {
		emit(variant{name: name, desc: desc, hint: hint, body: b, suffix: []byte("\n")})
	}
	// Byte-level changes first: they explain the smallest differences.
	if b, ok := bytes.CutSuffix(body, []byte("\r\n")); ok {
		add("newline-removed", "the body without its trailing CRLF", "the signed bytes had no trailing newline; an editor, `echo` or a logger added one to these bytes. Save bodies with the exact bytes received (curl --data-binary @file sends the file as is).", b)
	}
	if b, ok := bytes.CutSuffix(body, []byte("\n")); ok {
		add("newline-removed", "the body without its trailing newline", "the signed bytes had no trailing newline; an editor, `echo` or a logger added one to these bytes. Save bodies with the exact bytes received (curl --data-binary @file sends the file as is).", b)
	}
	addNL("newline-added", "the body with a trailing newline", "the signed bytes ended with a newline that these bytes lack: something trimmed the body (a string trim, a line reader), or the signer signed a file whose final newline was not sent.", body)
	bom := []byte("\xef\xbb\xbf")
	if b, ok := bytes.CutPrefix(body, bom); ok {
		add("bom-removed", "the body without its UTF-8 byte order mark", "these bytes start with a UTF-8 BOM that was not signed: an editor (often on Windows) added it when the payload was saved. Save without BOM.", b)
	} else {
		add("bom-added", "the body with a UTF-8 byte order mark in front", "the signed bytes started with a UTF-8 BOM: the signer read a file saved with a BOM. Save the payload without BOM, or have the signer strip it.", append(bytes.Clone(bom), body...))
	}
	if bytes.Contains(body, []byte("\r\n")) {
		add("crlf-to-lf", "the body with CRLF line endings turned into LF", "these bytes have Windows line endings that were not signed (git autocrlf or an editor converted them).", bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")))
	} else if bytes.Contains(body, []byte("\n")) {
		add("lf-to-crlf", "the body with LF line endings turned into CRLF", "the signed bytes had Windows (CRLF) line endings: git autocrlf or an editor converted them in the copy you have.", bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n")))
	}
	if b := unescapeSlashes(body); b != nil {
		add("slash-unescaped", `the body with "\/" written as "/"`, `the signed bytes had "/" where these have "\/": the signer (or your code) unescaped or re-serialised the payload before hashing. Meta sends "\/"; hash the raw request bytes.`, b)
	}

	// Re-serialisations of the JSON value.
	if wireBody, err := wire.Encode(body); err == nil {
		add("meta-wire", `Meta's wire encoding of this JSON (compact, non-ASCII as \uXXXX, "/" as "\/")`, hintReserialised, wireBody)
		if bytes.IndexByte(body, '@') >= 0 {
			// Reported for Messenger, unconfirmed for WhatsApp: "@" sent as \u0040.
			if b, err := wire.Format(body, wire.Style{Escaping: wire.Meta, EscapeASCII: "@"}); err == nil {
				add("meta-wire-at", `Meta's wire encoding of this JSON with "@" also escaped as \u0040`, hintReserialised+` Note that the signed body had "@" escaped as \u0040.`, b)
			}
		}
		styles := []struct {
			name, desc string
			style      wire.Style
		}{
			{"compact-utf8", `compact JSON with raw UTF-8 and unescaped "/" (what JSON.stringify and most JSON libraries write)`, wire.Style{Escaping: wire.Unicode}},
			{"go-json", `Go's json.Marshal output (raw UTF-8, "<", ">", "&" as \u003c, \u003e, \u0026)`, wire.Style{Escaping: wire.GoHTML}},
			{"python-json", `Python's json.dumps default (", " and ": " separators, non-ASCII as \uXXXX, "/" unescaped)`, wire.Style{Escaping: wire.ASCII, Spaced: true}},
			{"python-json-compact", `Python's json.dumps with separators=(",", ":") (non-ASCII as \uXXXX, "/" unescaped)`, wire.Style{Escaping: wire.ASCII}},
			{"whitespace-removed", "this JSON with the whitespace between tokens removed (strings untouched)", wire.Style{Escaping: wire.Keep}},
			{"pretty-2", "this JSON pretty-printed with 2-space indent (JSON.stringify(v, null, 2), jq)", wire.Style{Escaping: wire.Unicode, Indent: "  "}},
			{"pretty-4", "this JSON pretty-printed with 4-space indent", wire.Style{Escaping: wire.Unicode, Indent: "    "}},
			{"pretty-tab", "this JSON pretty-printed with tab indent", wire.Style{Escaping: wire.Unicode, Indent: "\t"}},
			{"pretty-2-escaped", `this JSON pretty-printed with 2-space indent, \u escapes as in Python's json.dumps(indent=2)`, wire.Style{Escaping: wire.ASCII, Indent: "  "}},
			{"pretty-4-escaped", `this JSON pretty-printed with 4-space indent, \u escapes as in Python's json.dumps(indent=4)`, wire.Style{Escaping: wire.ASCII, Indent: "    "}},
			{"pretty-2-kept", "this JSON pretty-printed with 2-space indent, strings untouched", wire.Style{Escaping: wire.Keep, Indent: "  "}},
			{"pretty-4-kept", "this JSON pretty-printed with 4-space indent, strings untouched", wire.Style{Escaping: wire.Keep, Indent: "    "}},
			{"pretty-tab-kept", "this JSON pretty-printed with tab indent, strings untouched", wire.Style{Escaping: wire.Keep, Indent: "\t"}},
		}
		for _, s := range styles {
			if stopped {
				return
			}
			b, err := wire.Format(body, s.style)
			if err != nil {
				continue
			}
			hint := hintSignerCopy
			if strings.HasPrefix(s.name, "pretty") {
				hint = "the signature covers a pretty-printed copy of the payload: the signer hashed a formatted file but sent (or you saved) other bytes. Sign exactly the bytes that are sent: `wa-hooks sign --wire` and `--out`."
			}
			add(s.name, s.desc, hint, b)
			addNL(s.name+"+newline", s.desc+", plus a trailing newline", hint+" The signed copy also ended with a newline (as files written by editors and jq do).", b)
		}
	}

	// A secret with stray whitespace or quotes (read from a file or .env).
	if t := strings.Trim(strings.TrimSpace(secret), `"'`); t != secret && t != "" {
		hint := "your App Secret has surrounding whitespace or quotes (a trailing newline from a file, quotes from a .env line); the signer used the clean secret. Trim the configured value."
		emit(variant{name: "secret-trimmed", desc: "the bytes as given, with the App Secret trimmed of whitespace and quotes", hint: hint, body: body, secret: t})
		if wb, err := wire.Encode(body); err == nil {
			emit(variant{name: "secret-trimmed+meta-wire", desc: "Meta's wire encoding of this JSON, with the App Secret trimmed of whitespace and quotes", hint: hint + " The body was also re-serialised: " + hintReserialised, body: wb, secret: t})
		}
	}
}

// unescapeSlashes replaces "\/" with "/" inside JSON strings, leaving every
// other byte alone; nil when there is none.
func unescapeSlashes(body []byte) []byte {
	if !bytes.Contains(body, []byte(`\/`)) {
		return nil
	}
	out := make([]byte, 0, len(body))
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inString && c == '\\' && i+1 < len(body):
			if body[i+1] == '/' {
				out = append(out, '/')
			} else {
				out = append(out, c, body[i+1])
			}
			i++
		case c == '"':
			inString = !inString
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}

func headerNotes(h string, p Parsed) []string {
	var notes []string
	if _, v, ok := strings.Cut(h, "="); ok && p.sum != nil && v != strings.ToLower(v) {
		notes = append(notes, "the hex digits are uppercase: Meta sends lowercase, and a receiver that compares strings will reject them")
	}
	if p.Reason == LegacySHA1 {
		notes = append(notes, "sha1= is the legacy X-Hub-Signature header (HMAC-SHA1); Meta signs WhatsApp webhooks with X-Hub-Signature-256: sha256=")
	}
	return notes
}

// bodyNotes states what sets these bytes apart from a body as Meta sends it.
func bodyNotes(body []byte) []string {
	var notes []string
	if len(body) == 0 {
		return []string{"the body is empty: a JSON body parser probably consumed the request stream before the signature check read it"}
	}
	if bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		notes = append(notes, "the body starts with a UTF-8 byte order mark; Meta never sends one")
	}
	if _, err := wire.Encode(body); err != nil {
		notes = append(notes, "the body is not valid JSON ("+err.Error()+"): is it the complete request body?")
		return notes
	}
	if wire.IsWire(body) {
		// Compact and escaped like Meta's, but a re-encoder that writes
		// the same form (or reorders keys) would too: say no more.
		notes = append(notes, "the body is in Meta's wire form (compact, non-ASCII and \"/\" escaped): its bytes show no pretty-printing or re-escaping")
		return notes
	}
	if !utf8.Valid(body) {
		notes = append(notes, "the body is not valid UTF-8")
	}
	nonASCII, rawSlash, spacing := scanBody(body)
	if nonASCII {
		notes = append(notes, `the body contains raw non-ASCII (UTF-8) characters; Meta sends them as \uXXXX escapes, so these bytes were re-encoded after delivery`)
	}
	if rawSlash {
		notes = append(notes, `the body contains "/" without a backslash; Meta sends "\/", so these bytes were re-encoded after delivery`)
	}
	if spacing {
		notes = append(notes, "the body has whitespace between JSON tokens (pretty-printed or spaced); Meta sends compact JSON")
	}
	if bytes.HasSuffix(body, []byte("\n")) {
		notes = append(notes, "the body ends with a newline; Meta's bodies do not")
	}
	return notes
}

// scanBody reports raw non-ASCII bytes and unescaped "/" inside strings, and
// whitespace outside them.
func scanBody(body []byte) (nonASCII, rawSlash, spacing bool) {
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if inString {
			switch {
			case c == '\\':
				i++
			case c == '"':
				inString = false
			case c == '/':
				rawSlash = true
			case c >= 0x80:
				nonASCII = true
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case ' ', '\t', '\r', '\n':
			if i < len(body)-1 || c != '\n' { // a final newline is reported on its own
				spacing = true
			}
		}
	}
	return
}

// secretNotes flags secrets that do not look like a Meta App Secret, without
// ever revealing them.
func secretNotes(secret string) []string {
	t := strings.TrimSpace(secret)
	switch {
	case t != secret:
		return []string{"the App Secret has leading or trailing whitespace"}
	case strings.HasPrefix(secret, "EAA"):
		return []string{"the App Secret looks like an access token (starts with EAA): use the App Secret from App Dashboard > Settings > Basic"}
	case !isLowerHex(secret) || len(secret) != 32:
		return []string{fmt.Sprintf("the App Secret is %d characters and not 32 lowercase hex digits like a Meta App Secret: make sure it is not the verify token or an access token", utf8.RuneCountInString(secret))}
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func advice(n int) []string {
	return []string{
		"Use the App Secret of the app that receives this webhook: App Dashboard > Settings > Basic > App secret. Not the verify token, not an access token, and not another app's secret (a test app and a live app have different ones).",
		"Hash the raw request body exactly as received, before any JSON middleware: express.raw({type: \"application/json\"}) or express.json's verify callback, await request.text() in fetch-style handlers, io.ReadAll(r.Body) in Go, request.get_data() in Flask, await request.body() in FastAPI.",
		fmt.Sprintf("Make sure the signature and the body come from the same request (each delivery and retry is signed on its own), and that no proxy, gateway or logger changed the body: compare the request's Content-Length with these %d bytes.", n),
	}
}
