package webhook

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// knownMessageType reports whether this model decodes a message type.
func knownMessageType(t string) bool {
	switch t {
	case "text", "image", "audio", "video", "document", "sticker", "location",
		"contacts", "interactive", "button", "reaction", "order", "system",
		"unsupported", "request_welcome", "revoke", "edit",
		// history backfill marks media it does not carry with this type
		"media_placeholder":
		return true
	}
	return false
}

func knownInteractive(t string) bool {
	switch t {
	case "button_reply", "list_reply", "nfm_reply", "call_permission_reply":
		return true
	}
	return false
}

func messageEvent(base Event, m *Message, idx contactIndex) Event {
	e := base
	e.Kind = KindMessage
	e.ID = m.ID
	e.From = m.Sender()
	e.UserID = m.FromUserID
	e.ParentUserID = m.FromParentUserID
	e.GroupID = m.GroupID
	e.Raw = m.Raw
	e.addProblem(m.DecodeErr)
	e.setTime(m.Timestamp)
	if m.Timestamp.IsComposite() && m.DecodeErr == "" {
		e.addProblem("timestamp: expected a string or a number, got " + jsonKind([]byte(m.Timestamp)))
	}
	if m.Type == "location" {
		e.addProblem(coordinateProblems(m.Raw))
	}
	if m.Context != nil {
		e.ReplyTo = m.Context.ID
	}
	e.applyContact(idx.lookup(string(m.From), m.FromUserID))
	e.Errors = errorInfos(m.Errors)
	e.Type, e.Unknown = messageType(m)
	e.RawType = m.Type
	e.Summary = summary(m)
	return e
}

// summary is messageSummary and contextNotes in one string: for a text,
// the usual message, built in one allocation.
func summary(m *Message) string {
	var b []byte
	if m.Type == "text" && m.Text != nil && len(m.Text.Body) <= MaxQuotedText {
		b = make([]byte, 0, len(m.Text.Body)+2+notesSize(m))
		b = appendQuote(b, m.Text.Body)
	} else {
		s := messageSummary(m)
		if !hasNotes(m) {
			return s
		}
		b = append(make([]byte, 0, len(s)+notesSize(m)), s...)
	}
	b = appendContextNotes(b, m)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// messageType returns the event type of a message and whether it is one
// this model does not know.
func messageType(m *Message) (string, bool) {
	switch m.Type {
	case "interactive":
		if m.Interactive == nil || m.Interactive.Type == "" {
			return "interactive", false
		}
		return "interactive." + m.Interactive.Type, !knownInteractive(m.Interactive.Type)
	case "system":
		if m.System == nil || m.System.Type == "" {
			return "system", false
		}
		return "system." + m.System.Type, false
	case "unsupported":
		if m.Unsupported != nil && m.Unsupported.Type != "" {
			return "unsupported." + m.Unsupported.Type, false
		}
		return "unsupported", false
	case "unknown":
		// Meta's own legacy name for what is now "unsupported".
		return "unknown", true
	}
	if knownMessageType(m.Type) {
		return m.Type, false
	}
	return "unknown", true
}

func messageSummary(m *Message) string {
	switch m.Type {
	case "text":
		if m.Text == nil {
			return "text without a body"
		}
		return quote(m.Text.Body)
	case "image", "video", "document", "sticker", "audio":
		return mediaSummary(m.Type, m.media())
	case "location":
		return locationSummary(m.Location)
	case "contacts":
		return contactsSummary(m.Contacts)
	case "interactive":
		return interactiveSummary(m)
	case "button":
		if m.Button == nil {
			return "quick reply without a button"
		}
		s := "quick reply " + quote(m.Button.Text)
		if m.Button.Payload != "" && m.Button.Payload != m.Button.Text {
			s += " payload " + quote(m.Button.Payload)
		}
		return s
	case "reaction":
		if m.Reaction == nil {
			return "reaction without content"
		}
		if m.Reaction.Emoji == "" {
			return "removed reaction from " + m.Reaction.MessageID
		}
		return "reacted " + m.Reaction.Emoji + " to " + m.Reaction.MessageID
	case "order":
		return orderSummary(m.Order)
	case "system":
		if m.System == nil {
			return "system message"
		}
		if m.System.Body != "" {
			return m.System.Body
		}
		return "system: " + m.System.Type
	case "request_welcome":
		return "user opened the chat for the first time (welcome message requested)"
	case "unsupported", "unknown":
		s := "unsupported message"
		if m.Type == "unknown" {
			s = "unknown message (legacy)"
		}
		if m.Unsupported != nil && m.Unsupported.Type != "" {
			s += " (" + m.Unsupported.Type + ")"
		}
		if len(m.Errors) > 0 {
			s += ": " + errorSummary(errorInfos(m.Errors)[0])
		}
		return s
	case "revoke":
		if m.Revoke == nil {
			return "deleted a message"
		}
		return "deleted message " + m.Revoke.OriginalMessageID
	case "edit":
		if m.Edit == nil {
			return "edited a message"
		}
		s := "edited " + m.Edit.OriginalMessageID
		if m.Edit.Message != nil {
			s += ": " + messageSummary(m.Edit.Message)
		}
		return s
	case "media_placeholder":
		return "media not included in the history"
	case "":
		return "message without a type: " + describeKeys(m.Raw)
	}
	return fmt.Sprintf("unknown message type %q: %s", m.Type, describeKeys(m.Raw))
}

func (m *Message) media() *Media {
	switch m.Type {
	case "image":
		return m.Image
	case "audio":
		return m.Audio
	case "video":
		return m.Video
	case "document":
		return m.Document
	case "sticker":
		return m.Sticker
	}
	return nil
}

func mediaSummary(kind string, md *Media) string {
	if md == nil {
		return kind + " without media"
	}
	label := kind
	switch {
	case kind == "audio" && md.Voice:
		label = "voice note"
	case kind == "audio":
		label = "audio file"
	case kind == "sticker" && md.Animated:
		label = "animated sticker"
	case kind == "document" && md.Filename != "":
		label = "document " + md.Filename
	}
	if md.MimeType != "" {
		label += " (" + md.MimeType + ")"
	}
	if md.Caption != "" {
		label += " " + quote(md.Caption)
	}
	return label
}

// coordinateProblems says which of a location's coordinates were not the
// JSON numbers Meta documents (a string latitude decodes quietly, or
// not at all); "" when both are numbers.
func coordinateProblems(raw json.RawMessage) string {
	var m struct {
		Location *struct {
			Latitude  json.RawMessage `json:"latitude"`
			Longitude json.RawMessage `json:"longitude"`
		} `json:"location"`
	}
	if json.Unmarshal(raw, &m) != nil || m.Location == nil {
		return ""
	}
	var bad []string
	for _, c := range []struct {
		name string
		v    json.RawMessage
	}{{"latitude", m.Location.Latitude}, {"longitude", m.Location.Longitude}} {
		switch k := jsonKind(c.v); {
		case len(c.v) == 0:
			bad = append(bad, "location."+c.name+": missing")
		case k != "a number":
			bad = append(bad, fmt.Sprintf("location.%s: expected a number, got %s %s", c.name, k, truncate(string(c.v), 40)))
		}
	}
	return strings.Join(bad, "; ")
}

func locationSummary(l *Location) string {
	if l == nil {
		return "location without coordinates"
	}
	coords := fmt.Sprintf("(%s, %s)", orDash(Flex(l.Latitude)), orDash(Flex(l.Longitude)))
	var place []string
	for _, s := range []string{l.Name, l.Address} {
		if s != "" {
			place = append(place, s)
		}
	}
	if len(place) == 0 {
		return "current location " + coords
	}
	return "location " + strings.Join(place, ", ") + " " + coords
}

func contactsSummary(cards []ContactCard) string {
	if len(cards) == 0 {
		return "shared no contact cards"
	}
	names := make([]string, 0, len(cards))
	for _, c := range cards {
		n := c.Name.FormattedName
		if n == "" {
			n = strings.TrimSpace(c.Name.FirstName + " " + c.Name.LastName)
		}
		if len(c.Phones) > 0 {
			n = strings.TrimSpace(n + " " + c.Phones[0].Phone)
		}
		if n == "" {
			n = "(unnamed)"
		}
		names = append(names, n)
	}
	if len(cards) == 1 {
		return "contact card: " + names[0]
	}
	return fmt.Sprintf("%d contact cards: %s", len(cards), strings.Join(names, "; "))
}

func interactiveSummary(m *Message) string {
	in := m.Interactive
	if in == nil {
		return "interactive reply without content (Meta could not process it; see value.errors)"
	}
	switch in.Type {
	case "button_reply":
		if in.ButtonReply != nil {
			return fmt.Sprintf("button %s (id %s)", quote(in.ButtonReply.Title), in.ButtonReply.ID)
		}
	case "list_reply":
		if r := in.ListReply; r != nil {
			s := fmt.Sprintf("list row %s (id %s)", quote(r.Title), r.ID)
			if r.Description != "" {
				s += ": " + r.Description
			}
			return s
		}
	case "nfm_reply":
		if r := in.NfmReply; r != nil {
			label := "flow"
			if r.Name != "flow" && r.Name != "" {
				label = r.Name
			}
			return fmt.Sprintf("%s reply %s: %s", label, quote(r.Body), compactJSONString(r.ResponseJSON))
		}
	case "call_permission_reply":
		if r := in.CallPermissionReply; r != nil {
			s := "call permission " + r.Response
			if r.ResponseSource != "" {
				s += " (" + r.ResponseSource + ")"
			}
			if t := r.ExpirationTimestamp.Time(); !t.IsZero() {
				s += " until " + t.Format("2006-01-02 15:04Z")
			}
			return s
		}
	}
	return fmt.Sprintf("interactive %s: %s", in.Type, describeKeys(m.Raw))
}

// compactJSONString shortens a JSON document carried in a string.
func compactJSONString(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) == nil {
		if b, err := json.Marshal(v); err == nil {
			s = string(b)
		}
	}
	return s
}

func orderSummary(o *Order) string {
	if o == nil {
		return "order without items"
	}
	units := new(big.Rat)
	total := new(big.Rat)
	currency := ""
	priced := true
	for _, it := range o.ProductItems {
		q, okq := new(big.Rat).SetString(string(it.Quantity))
		p, okp := new(big.Rat).SetString(string(it.ItemPrice))
		if okq {
			units.Add(units, q)
		}
		if !okq || !okp || (currency != "" && it.Currency != currency) {
			priced = false
			continue
		}
		currency = it.Currency
		total.Add(total, new(big.Rat).Mul(q, p))
	}
	s := fmt.Sprintf("order of %d item%s (%s unit%s)", len(o.ProductItems), plural(len(o.ProductItems)), ratString(units), plural(int(units.Num().Int64())))
	if priced && currency != "" {
		s += fmt.Sprintf(", %s %s", ratString(total), currency)
	}
	if o.Text != "" {
		s += ": " + quote(o.Text)
	}
	return s
}

func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return strings.TrimRight(strings.TrimRight(r.FloatString(2), "0"), ".")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// appendContextNotes adds what the message relates to: a reply, a
// forward, a product, an ad; each note after " · ".
func appendContextNotes(b []byte, m *Message) []byte {
	note := func(parts ...string) {
		b = append(b, " · "...)
		for _, p := range parts {
			b = append(b, p...)
		}
	}
	if c := m.Context; c != nil {
		switch {
		case c.ReferredProduct != nil:
			note("about product ", c.ReferredProduct.ProductRetailerID)
		case c.FrequentlyForwarded:
			note("frequently forwarded")
		case c.Forwarded:
			note("forwarded")
		case c.ID != "" && m.Type != "button" && m.Type != "interactive":
			note("reply to ", c.ID)
		}
	}
	if r := m.Referral; r != nil {
		source := "ad"
		if r.SourceType != "" && r.SourceType != "ad" {
			source = r.SourceType
		}
		note("from ", source)
		if r.Headline != "" {
			b = appendQuote(append(b, ' '), r.Headline)
		}
		if r.CtwaClid == "" {
			b = append(b, " (no ctwa_clid)"...)
		}
	}
	if m.GroupID != "" {
		note("in group")
	}
	return b
}

// hasNotes reports whether appendContextNotes adds anything.
func hasNotes(m *Message) bool {
	if c := m.Context; c != nil && (c.ReferredProduct != nil || c.FrequentlyForwarded || c.Forwarded ||
		(c.ID != "" && m.Type != "button" && m.Type != "interactive")) {
		return true
	}
	return m.Referral != nil || m.GroupID != ""
}

// notesSize is about what appendContextNotes adds, for sizing.
func notesSize(m *Message) int {
	n := 0
	if c := m.Context; c != nil {
		n += 32 + len(c.ID)
		if c.ReferredProduct != nil {
			n += len(c.ReferredProduct.ProductRetailerID)
		}
	}
	if r := m.Referral; r != nil {
		n += 32 + len(r.SourceType) + len(r.Headline)
	}
	if m.GroupID != "" {
		n += 16
	}
	return n
}

// MaxQuotedText bounds the user text a summary quotes. Every text a user
// can send (4,096 characters) is far below it; a longer one (a 3 MB history
// item) is quoted up to it and ends in "…". Without the bound every
// summary of such an item was a 3 MB copy of the text: quoted once more in
// every line on stdout and kept by the web inspector beside the body. The
// recording and an event's raw JSON keep every byte. It is above
// render.MaxSummaryBytes, so a cut here is marked in --json lines too
// (unless runs of white space made the quoted part shorter than that).
const MaxQuotedText = 64 << 10

// quote renders user text on one line in double quotes: runs of white
// space become one space, as strings.Fields and Join would make them, in
// one pass without the list of words (a 3 MB text has a hundred thousand).
// Up to MaxQuotedText nothing is cut: only a terminal's renderer shortens
// the summary, to the width it has.
func quote(s string) string {
	if plainLine(s) && len(s) <= MaxQuotedText {
		return `"` + s + `"`
	}
	b := appendQuote(make([]byte, 0, min(len(s), MaxQuotedText+len("…"))+2), s)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendQuote appends quote(s).
func appendQuote(b []byte, s string) []byte {
	if len(s) > MaxQuotedText {
		cut := MaxQuotedText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b = appendQuote(b, s[:cut])
		return append(b[:len(b)-1], `…"`...)
	}
	b = append(b, '"')
	if plainLine(s) {
		return append(append(b, s...), '"')
	}
	i := skipSpace(s, 0)
	start := i // text from start to i is copied as it is
	for i < len(s) {
		c := s[i]
		switch {
		case c > ' ' && c < utf8.RuneSelf:
			i++ // most bytes
			continue
		case c == ' ' && i+1 < len(s) && s[i+1] > ' ' && s[i+1] < utf8.RuneSelf:
			i += 2 // one space between words stays
			continue
		}
		if spaceAt(s, i) == 0 {
			i++ // part of a word: a control character, a non-space rune
			continue
		}
		b = append(b, s[start:i]...)
		if i = skipSpace(s, i); i < len(s) {
			b = append(b, ' ')
		}
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		n := spaceAt(s, i)
		if n == 0 {
			break
		}
		i += n
	}
	return i
}

// spaceAt is the length of the white space rune at s[i], or 0. Only the
// lead bytes of Unicode's white space above ASCII (U+0085, U+00A0, U+1680,
// U+2000…U+3000) are decoded; every other byte, continuation bytes and
// invalid UTF-8 included, is part of a word, as strings.Fields has it.
func spaceAt(s string, i int) int {
	switch c := s[i]; {
	case c < utf8.RuneSelf:
		if asciiSpace(c) {
			return 1
		}
		return 0
	case c != 0xc2 && c != 0xe1 && c != 0xe2 && c != 0xe3:
		return 0
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if unicode.IsSpace(r) {
		return size
	}
	return 0
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// plainLine reports whether ASCII text is already what quote makes of it:
// no white space but single spaces between words.
func plainLine(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || (asciiSpace(c) && (c != ' ' || s[i+1] == ' ')) {
			return false
		}
	}
	return true
}

// truncate shortens s to max runes, the last being "…". Only the runes
// kept are looked at.
func truncate(s string, max int) string {
	cut, n := 0, 0
	for i := range s {
		if n == max-1 {
			cut = i
		}
		if n == max {
			if utf8.ValidString(s[:cut]) {
				return s[:cut] + "…"
			}
			return string([]rune(s[:cut])) + "…" // invalid bytes become U+FFFD, as before
		}
		n++
	}
	return s
}

func errorSummary(e ErrorInfo) string {
	s := fmt.Sprintf("%d %s", e.Code, e.Title)
	if e.Details != "" && e.Details != e.Title {
		s += ": " + e.Details
	}
	return s
}
