package mock

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sort"
	"strconv"
	"strings"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/suggest"
)

// controlError is a control-API refusal: a code and a one-line message.
type controlError struct {
	Code    string
	Message string
	Status  int
}

func (e *controlError) Error() string { return e.Message }

func badRequest(format string, args ...any) *controlError {
	return &controlError{Code: "bad_request", Message: fmt.Sprintf(format, args...), Status: 400}
}

// maxForeign bounds the wamids remembered from bodies posted through
// /_mock/webhooks (so the app can mark them read or reply to them).
const maxForeign = 10_000

func (s *Server) knownForeign(id string) bool {
	s.foreignMu.Lock()
	defer s.foreignMu.Unlock()
	_, ok := s.foreign[id]
	return ok
}

func (s *Server) rememberForeign(id string) {
	s.foreignMu.Lock()
	defer s.foreignMu.Unlock()
	if s.foreign == nil || len(s.foreign) >= maxForeign {
		s.foreign = map[string]struct{}{}
	}
	s.foreign[id] = struct{}{}
}

// inbound is a message a simulated user writes, before it is queued.
type inbound struct {
	typ     string
	object  any    // the type's object
	context any    // optional context
	summary string // for the log
	system  bool
	extra   map[string]any // more top-level fields (identity on system messages)
}

// write records a user's message in the history, opens their window (not
// for system messages) and queues its webhook; it returns a channel with
// the app's answer. Callers hold s.mu.
func (s *Server) writeLocked(u *simnet.User, in inbound) (chan Delivery, error) {
	now := s.now()
	seq := s.nextSeq()
	id := s.wamid(seq, u.Address(), false)
	msg := map[string]any{}
	if u.WaID != "" {
		msg["from"] = u.WaID
	}
	if u.UserID != "" {
		msg["from_user_id"] = u.UserID
	}
	if u.ParentUserID != "" {
		msg["from_parent_user_id"] = u.ParentUserID
	}
	msg["id"] = id
	msg["timestamp"] = strconv.FormatInt(now.Unix(), 10)
	if in.context != nil {
		msg["context"] = in.context
	}
	msg["type"] = in.typ
	if in.object != nil {
		msg[in.typ] = in.object
	}
	for k, v := range in.extra {
		msg[k] = v
	}
	item, err := marshalOrdered(msg, []string{"from", "from_user_id", "from_parent_user_id", "id", "timestamp", "context", "type"})
	if err != nil {
		return nil, err
	}
	s.hist.add(message{seq: seq, user: u, at: now.UnixNano(), state: stReceived, typ: typeCode(in.typ), text: truncate(in.summary, 80)})
	if !in.system {
		u.LastInbound = now
	}
	s.dirty = true
	done := make(chan Delivery, 1)
	if !s.out.push(u.Name, 0, &job{kind: jobInbound, item: item, userID: u.Name, system: in.system,
		summary: in.summary + " ← " + u.Name, done: done}) {
		return nil, &controlError{Code: "queue_full", Message: fmt.Sprintf("more than %d webhooks are waiting: the app is not keeping up", maxQueue), Status: 503}
	}
	return done, nil
}

// marshalOrdered writes m with the keys in order first, then the rest sorted.
func marshalOrdered(m map[string]any, order []string) (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	write := func(k string) error {
		v, ok := m[k]
		if !ok {
			return nil
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(vb)
		delete(m, k)
		return nil
	}
	for _, k := range order {
		if err := write(k); err != nil {
			return nil, err
		}
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		if err := write(k); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (s *Server) replyContext(u *simnet.User, to string) any {
	if to == "" {
		return nil
	}
	return map[string]string{"from": s.biz.digits(), "id": to}
}

// tapLocked answers option n (1-based) of the app's last interactive
// message to u, with the ids and titles the app sent.
func (s *Server) tapLocked(u *simnet.User, n int) (inbound, error) {
	li := u.LastInteractive
	if li == nil {
		return inbound{}, &controlError{Code: "nothing_to_tap", Status: 409,
			Message: fmt.Sprintf("%s has no interactive message from the app to tap: the app sends one first (type interactive)", u.Name)}
	}
	ctx := s.replyContext(u, li.MessageID)
	pick := func() (int, error) {
		if n < 1 || n > len(li.Options) {
			return 0, &controlError{Code: "nothing_to_tap", Status: 409,
				Message: fmt.Sprintf("%s's last interactive message (%s) has %d options: tap 1 to %d", u.Name, li.Type, len(li.Options), len(li.Options))}
		}
		return n - 1, nil
	}
	switch li.Type {
	case "button":
		i, err := pick()
		if err != nil {
			return inbound{}, err
		}
		o := li.Options[i]
		return inbound{typ: "interactive", context: ctx, summary: "tap " + o.Title,
			object: obj{{"type", "button_reply"}, {"button_reply", obj{{"id", o.ID}, {"title", o.Title}}}}}, nil
	case "list":
		i, err := pick()
		if err != nil {
			return inbound{}, err
		}
		o := li.Options[i]
		row := obj{{"id", o.ID}, {"title", o.Title}}
		if o.Description != "" {
			row = append(row, kv{"description", o.Description})
		}
		return inbound{typ: "interactive", context: ctx, summary: "pick " + o.Title,
			object: obj{{"type", "list_reply"}, {"list_reply", row}}}, nil
	case "template":
		i, err := pick()
		if err != nil {
			return inbound{}, err
		}
		o := li.Options[i]
		return inbound{typ: "button", context: ctx, summary: "tap " + o.Title,
			object: obj{{"payload", o.ID}, {"text", o.Title}}}, nil
	case "flow":
		resp, _ := json.Marshal(map[string]string{"flow_token": li.FlowToken})
		return inbound{typ: "interactive", context: ctx, summary: "complete flow",
			object: obj{{"type", "nfm_reply"}, {"nfm_reply", obj{{"response_json", string(resp)}, {"body", "Sent"}, {"name", "flow"}}}}}, nil
	case "call_permission_request":
		return inbound{typ: "interactive", context: ctx, summary: "allow calls",
			object: obj{{"type", "call_permission_reply"}, {"call_permission_reply", obj{{"response", "accept"}, {"is_permanent", false}, {"response_source", "user_action"}}}}}, nil
	case "location_request_message":
		return inbound{typ: "location", context: ctx, summary: "share location",
			object: obj{{"latitude", 19.4326}, {"longitude", -99.1332}}}, nil
	}
	return inbound{}, &controlError{Code: "nothing_to_tap", Status: 409,
		Message: fmt.Sprintf("%s's last interactive message is a %s: there is nothing to tap in it", u.Name, li.Type)}
}

// flowLocked completes the app's last flow for u with the response fields.
func (s *Server) flowLocked(u *simnet.User, response map[string]any) (inbound, error) {
	li := u.LastInteractive
	if li == nil || li.Type != "flow" {
		return inbound{}, &controlError{Code: "nothing_to_tap", Status: 409, Message: fmt.Sprintf("%s has no flow from the app to complete", u.Name)}
	}
	if response == nil {
		response = map[string]any{}
	}
	response["flow_token"] = li.FlowToken
	resp, _ := json.Marshal(response)
	return inbound{typ: "interactive", context: s.replyContext(u, li.MessageID), summary: "complete flow",
		object: obj{{"type", "nfm_reply"}, {"nfm_reply", obj{{"response_json", string(resp)}, {"body", "Sent"}, {"name", "flow"}}}}}, nil
}

// fixtureLocked builds the body of catalog fixture name as if u sent it:
// the user's identity, the business's ids, fresh wamids, media the app can
// download, then the --set overrides.
func (s *Server) fixtureLocked(u *simnet.User, name string, sets []string) ([]byte, string, error) {
	f, ok := fixtures.Get(name)
	if !ok || !strings.HasPrefix(f.Name, "messages.") {
		var names []string
		for _, n := range fixtures.Names() {
			if strings.HasPrefix(n, "messages.") {
				names = append(names, n)
			}
		}
		msg := fmt.Sprintf("no messages fixture %q", name)
		if c := suggest.Closest(name, names); c != "" {
			msg += fmt.Sprintf(": did you mean %q?", c)
		} else {
			msg += " ('wa-hooks fixtures messages' lists them)"
		}
		return nil, "", &controlError{Code: "unknown_fixture", Message: msg, Status: 404}
	}
	dec := json.NewDecoder(bytes.NewReader(f.Body))
	dec.UseNumber()
	parsed, err := decodeOrdered(dec)
	if err != nil {
		return nil, "", err
	}
	doc, _ := parsed.(*obj)
	if doc == nil {
		return nil, "", fmt.Errorf("fixture %s is not a JSON object", name)
	}
	now := s.now()
	var kinds []string
	for _, e := range asList(doc.get("entry")) {
		em, _ := e.(*obj)
		if em == nil {
			continue
		}
		em.set("id", s.biz.WABAID)
		for _, c := range asList(em.get("changes")) {
			cm, _ := c.(*obj)
			if cm == nil {
				continue
			}
			v, _ := cm.get("value").(*obj)
			if v == nil {
				continue
			}
			if v.get("metadata") != nil {
				v.set("metadata", s.metadata())
			}
			if v.get("contacts") != nil {
				v.set("contacts", []contact{contactOf(u, true)})
			}
			msgs := asList(v.get("messages"))
			for i, m := range msgs {
				mm, _ := m.(*obj)
				if mm == nil {
					continue
				}
				// The sender's ids lead, as in Meta's bodies.
				lead := obj{}
				if u.WaID != "" {
					lead = append(lead, kv{"from", u.WaID})
				}
				if u.UserID != "" {
					lead = append(lead, kv{"from_user_id", u.UserID})
				}
				rest := mm.without("from", "from_user_id", "from_parent_user_id")
				nm := append(lead, rest...)
				seq := s.nextSeq()
				nm.set("id", s.wamid(seq, u.Address(), false))
				nm.set("timestamp", strconv.FormatInt(now.Unix(), 10))
				typ, _ := nm.get("type").(string)
				if ctx, ok := nm.get("context").(*obj); ok && ctx.get("id") != nil && u.LastBusiness != "" {
					ctx.set("from", s.biz.digits())
					ctx.set("id", u.LastBusiness)
				}
				if o, ok := nm.get(typ).(*obj); ok {
					s.inboundMediaLocked(o, typ)
				}
				msgs[i] = &nm
				s.hist.add(message{seq: seq, user: u, at: now.UnixNano(), state: stReceived, typ: typeCode(typ), text: "fixture " + name})
				kinds = append(kinds, typ)
				if typ != "system" {
					u.LastInbound = now
				}
			}
		}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, "", err
	}
	var ovs []payload.Override
	for _, set := range sets {
		ov, err := payload.ParseSet(set)
		if err != nil {
			return nil, "", badRequest("%v", err)
		}
		ovs = append(ovs, ov)
	}
	feed, err := payload.Build([]payload.Source{{Name: name, Body: body}}, payload.Options{KeepIDs: true, NoSignature: true, Overrides: ovs})
	if err != nil {
		return nil, "", badRequest("%v", err)
	}
	d, err := feed.Preview(0)
	if err != nil {
		return nil, "", err
	}
	s.dirty = true
	return d.Body, strings.Join(kinds, ","), nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// inboundMediaLocked gives a media object of a user's message a real
// media id, sha256 and url the app can download with its token.
func (s *Server) inboundMediaLocked(o *obj, typ string) {
	switch typ {
	case "image", "audio", "video", "document", "sticker":
	default:
		return
	}
	mt, _ := o.get("mime_type").(string)
	if mt == "" {
		mt = "image/jpeg"
	}
	if strings.HasPrefix(mt, "image/") && mt != "image/webp" {
		mt = "image/png" // the placeholder is a real PNG
	}
	data := placeholderMedia(mt)
	id := s.newNumericID()
	sum := sha256.Sum256(data)
	it := &mediaItem{ID: id, Mime: mt, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Created: s.now(), Data: data, Inbound: true}
	if s.media.put(it) != nil {
		return
	}
	o.set("mime_type", mt)
	o.set("sha256", base64.StdEncoding.EncodeToString(sum[:]))
	o.set("id", id)
	o.set("url", s.mediaURL(it))
}

// placeholderMedia is a small file of type mt: a real PNG for images, a
// few marked bytes for the rest.
func placeholderMedia(mt string) []byte {
	if strings.HasPrefix(mt, "image/") {
		img := image.NewRGBA(image.Rect(0, 0, 8, 8))
		for x := range 8 {
			for y := range 8 {
				img.Set(x, y, color.RGBA{R: uint8(x * 32), G: uint8(y * 32), B: 160, A: 255})
			}
		}
		var b bytes.Buffer
		_ = png.Encode(&b, img)
		return b.Bytes()
	}
	return []byte("wa-hooks mock media (" + mt + ")\n")
}

// kv and obj are a JSON object with its keys in Meta's order.
type kv struct {
	k string
	v any
}

type obj []kv

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o obj) get(k string) any {
	for _, f := range o {
		if f.k == k {
			return f.v
		}
	}
	return nil
}

// set replaces k's value where it is, or adds k at the end.
func (o *obj) set(k string, v any) {
	for i := range *o {
		if (*o)[i].k == k {
			(*o)[i].v = v
			return
		}
	}
	*o = append(*o, kv{k, v})
}

func (o obj) without(keys ...string) obj {
	out := make(obj, 0, len(o))
next:
	for _, f := range o {
		for _, k := range keys {
			if f.k == k {
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}

// decodeOrdered reads one JSON value keeping the order of object keys
// (objects as *obj, numbers as json.Number), so a fixture changed by the
// mock keeps Meta's key order.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		o := obj{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, kv{k, v})
		}
		_, err := dec.Token()
		return &o, err
	case '[':
		a := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}
