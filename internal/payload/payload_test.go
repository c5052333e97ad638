package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

const secret = "test_app_secret"

var fixedNow = time.Unix(1764000000, 0)

func src(t *testing.T, name string) Source {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return Source{Name: name, Body: b}
}

func opts() Options {
	return Options{Secret: secret, Now: func() time.Time { return fixedNow }, Seed: 42}
}

func build(t *testing.T, o Options, srcs ...Source) *Feed {
	t.Helper()
	f, err := Build(srcs, o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, b)
	}
	return v
}

// at walks a decoded document: at(v, "entry", 0, "changes", 0, "value").
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func msg0(v any) map[string]any {
	return at(v, "entry", 0, "changes", 0, "value", "messages", 0).(map[string]any)
}

func TestBodyIsWireFormAndSignatureVerifies(t *testing.T) {
	f := build(t, opts(), src(t, "text"))
	d, err := f.Preview(0)
	if err != nil {
		t.Fatal(err)
	}
	if !wire.IsWire(d.Body) {
		t.Errorf("body is not in Meta's wire form:\n%s", d.Body)
	}
	if !strings.Contains(string(d.Body), `"body":"Caf\u00e9? \ud83d\udc4d https:\/\/example.com\/a"`) {
		t.Errorf("text not escaped as Meta does:\n%s", d.Body)
	}
	if r := signature.Verify(secret, d.Body, d.Header.Get("X-Hub-Signature-256")); !r.OK() {
		t.Errorf("signature does not verify: %v", r)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "facebookexternalua"} {
		if got := d.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if d.Header.Get("X-Hub-Signature") != "" {
		t.Error("legacy sha1 header sent without --legacy-sha1")
	}
}

func TestFreshIDsAndTimestamps(t *testing.T) {
	f := build(t, opts(), src(t, "text"))
	s := f.NewStream()
	seen := map[string]bool{}
	for job := range 3 {
		d, _ := s.Delivery(job)
		m := msg0(decode(t, d.Body))
		id := m["id"].(string)
		if seen[id] {
			t.Fatalf("job %d reused id %s", job, id)
		}
		seen[id] = true
		if m["timestamp"] != "1764000000" {
			t.Errorf("timestamp %v, want now", m["timestamp"])
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(id, "wamid."))
		if err != nil || !strings.HasPrefix(id, "wamid.") || !strings.Contains(string(raw), "16505551234") {
			t.Errorf("id %q is not a wamid embedding the sender's number (%v)", id, err)
		}
		if r := signature.Verify(secret, d.Body, d.Header.Get("X-Hub-Signature-256")); !r.OK() {
			t.Errorf("job %d: signature does not verify: %v", job, r)
		}
	}
}

func TestTimesKeepTheirDistance(t *testing.T) {
	f := build(t, opts(), src(t, "status-sent"))
	d, _ := f.Preview(0)
	st := at(decode(t, d.Body), "entry", 0, "changes", 0, "value", "statuses", 0)
	if at(st, "timestamp") != "1764000000" || at(st, "conversation", "expiration_timestamp") != "1764086400" {
		t.Errorf("times: %v / %v", at(st, "timestamp"), at(st, "conversation", "expiration_timestamp"))
	}
	f = build(t, opts(), src(t, "template-status"))
	d, _ = f.Preview(0)
	if !strings.Contains(string(d.Body), `"time":1764000000,`) || !strings.Contains(string(d.Body), `"message_template_id":1689556908129835`) {
		t.Errorf("numbers: %s", d.Body)
	}
}

func TestKeepIDsSendsFixtureInWireForm(t *testing.T) {
	s := src(t, "text")
	o := opts()
	o.KeepIDs = true
	d, _ := build(t, o, s).Preview(0)
	want, _ := wire.Encode(s.Body)
	if string(d.Body) != string(want) {
		t.Errorf("got  %s\nwant %s", d.Body, want)
	}
}

func TestRawSendsBytesUntouched(t *testing.T) {
	s := src(t, "text")
	o := opts()
	o.Raw = true
	d, _ := build(t, o, s).Preview(0)
	if string(d.Body) != string(s.Body) {
		t.Error("raw body changed")
	}
	if !signature.Verify(secret, d.Body, d.Header.Get("X-Hub-Signature-256")).OK() {
		t.Error("raw body signature")
	}
	o.Overrides = []Override{mustSet(t, "object=x")}
	if _, err := Build([]Source{s}, o); err == nil || !strings.Contains(err.Error(), "--verbatim") {
		t.Errorf("--verbatim with --set: %v", err)
	}
}

func mustSet(t *testing.T, s string) Override {
	t.Helper()
	ov, err := ParseSet(s)
	if err != nil {
		t.Fatal(err)
	}
	return ov
}

// changedExactly builds with and without the overrides (keeping ids) and
// checks that the documents differ exactly at want (path → new value).
func changedExactly(t *testing.T, o Options, source Source, want map[string]any) {
	t.Helper()
	o.KeepIDs = true
	base := build(t, Options{Secret: secret, KeepIDs: true}, source)
	bd, _ := base.Preview(0)
	after, _ := build(t, o, source).Preview(0)
	a, b := decode(t, bd.Body), decode(t, after.Body)
	for path, v := range want {
		segs, err := parsePath(path)
		if err != nil {
			t.Fatal(err)
		}
		setDecoded(a, segs, v)
	}
	if !reflect.DeepEqual(a, b) {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		t.Errorf("documents differ beyond the override\nwant %s\ngot  %s", ja, jb)
	}
}

func setDecoded(v any, segs []segment, val any) {
	for i, sg := range segs {
		last := i == len(segs)-1
		if sg.isIndex {
			if last {
				v.([]any)[sg.index] = val
				return
			}
			v = v.([]any)[sg.index]
			continue
		}
		if last {
			v.(map[string]any)[sg.key] = val
			return
		}
		v = v.(map[string]any)[sg.key]
	}
}

func TestSetChangesExactlyThePath(t *testing.T) {
	tests := []struct {
		set  string
		path string
		want any
	}{
		{"entry[0].changes[0].value.messages[0].text.body=hello", "entry[0].changes[0].value.messages[0].text.body", "hello"},
		{"$.entry[0].changes[0].value.messages[0].text={\"body\":\"x\",\"preview_url\":true}", "entry[0].changes[0].value.messages[0].text", map[string]any{"body": "x", "preview_url": true}},
		{"messages[0].type=image", "entry[0].changes[0].value.messages[0].type", "image"},
		{"entry[0].changes[0].value.messages[0].from=447700900000", "entry[0].changes[0].value.messages[0].from", "447700900000"},
		{`entry[0].changes[0].value.messages[0].text.body="42"`, "entry[0].changes[0].value.messages[0].text.body", "42"},
		{"entry[0].id=null", "entry[0].id", nil},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			o := opts()
			o.Overrides = []Override{mustSet(t, tt.set)}
			changedExactly(t, o, src(t, "text"), map[string]any{tt.path: tt.want})
		})
	}
}

func TestSetKeepsNumberLiteralsAndOrder(t *testing.T) {
	o := opts()
	o.KeepIDs = true
	o.Overrides = []Override{mustSet(t, "entry[0].changes[0].value.message_template_id=12345678901234567890")}
	d, _ := build(t, o, src(t, "template-status")).Preview(0)
	want := `{"entry":[{"id":"102290129340398","time":1751247548,"changes":[{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":12345678901234567890,"message_template_name":"abandoned_cart","message_template_language":"en","reason":"NONE"}}]}],"object":"whatsapp_business_account"}`
	if string(d.Body) != want {
		t.Errorf("got  %s\nwant %s", d.Body, want)
	}
}

func TestShortcutsChangeExactlyWhatTheySay(t *testing.T) {
	v := "entry[0].changes[0].value."
	tests := []struct {
		name string
		sc   Shortcuts
		want map[string]any
	}{
		{"from", Shortcuts{From: "447700900123"}, map[string]any{v + "messages[0].from": "447700900123", v + "contacts[0].wa_id": "447700900123"}},
		{"name", Shortcuts{Name: "Ada"}, map[string]any{v + "contacts[0].profile.name": "Ada"}},
		{"text", Shortcuts{Text: "hi/there"}, map[string]any{v + "messages[0].text.body": "hi/there"}},
		{"phone-number-id", Shortcuts{PhoneNumberID: "111"}, map[string]any{v + "metadata.phone_number_id": "111"}},
		{"display-phone-number", Shortcuts{DisplayPhoneNumber: "15550000000"}, map[string]any{v + "metadata.display_phone_number": "15550000000"}},
		{"waba-id", Shortcuts{WABAID: "999"}, map[string]any{"entry[0].id": "999"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts()
			o.Shortcuts = tt.sc
			changedExactly(t, o, src(t, "text"), tt.want)
		})
	}
	o := opts()
	o.Shortcuts = Shortcuts{From: "447700900123"}
	changedExactly(t, o, src(t, "status-sent"), map[string]any{v + "statuses[0].recipient_id": "447700900123"})
}

func TestBadPathsNameTheNearestPath(t *testing.T) {
	tests := []struct{ set, want string }{
		{"entry[0].changes[0].value.mesages[0].text.body=x", "nearest existing path: entry[0].changes[0].value.messages"},
		{"entry[0].changes[0].value.messages[3].text.body=x", "has 1 item, so [3] does not exist; nearest existing path: entry[0].changes[0].value.messages[0]"},
		{"entry[0].changes[0].value.messages[0].text.body.x=1", "entry[0].changes[0].value.messages[0].text.body is a string, not an object"},
		{"entry.id=1", "entry is an array: index it first, e.g. entry[0].id"},
		{"messages[0].txt=1", "nearest existing path: entry[0].changes[0].value.messages[0].text"},
	}
	for _, tt := range tests {
		o := opts()
		o.Overrides = []Override{mustSet(t, tt.set)}
		_, err := Build([]Source{src(t, "text")}, o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("--set %s: got %v\nwant it to contain %q", tt.set, err, tt.want)
		}
	}
	if _, err := ParseSet("no-equals-sign"); err == nil {
		t.Error("ParseSet accepted a value without =")
	}
	o := opts()
	o.Shortcuts = Shortcuts{Text: "x"}
	if _, err := Build([]Source{src(t, "status-sent")}, o); err == nil || !strings.Contains(err.Error(), "--text") {
		t.Errorf("--text on a status: %v", err)
	}
}

func TestSetWarnsWhenOnlySomeSourcesHaveThePath(t *testing.T) {
	o := opts()
	o.Shortcuts = Shortcuts{Text: "x"}
	f := build(t, o, src(t, "text"), src(t, "status-sent"))
	if len(f.Warnings()) != 1 || !strings.Contains(f.Warnings()[0], "status-sent") {
		t.Errorf("warnings %v", f.Warnings())
	}
}

func TestBatchLayouts(t *testing.T) {
	srcs := []Source{src(t, "text"), src(t, "status-sent"), src(t, "text")}
	tests := []struct {
		layout                   Layout
		entries, changes, msgs   int
		statusesInFirstValueWant int
	}{
		{LayoutMerge, 1, 1, 2, 1},
		{LayoutChanges, 1, 3, 1, 0},
		{LayoutEntries, 3, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.layout), func(t *testing.T) {
			o := opts()
			o.Batch, o.Layout = 3, tt.layout
			f := build(t, o, srcs...)
			if f.Len() != 1 || f.Events() != 3 {
				t.Fatalf("len %d events %d", f.Len(), f.Events())
			}
			d, _ := f.Preview(0)
			v := decode(t, d.Body)
			entries := at(v, "entry").([]any)
			changes := at(v, "entry", 0, "changes").([]any)
			msgs := at(v, "entry", 0, "changes", 0, "value", "messages").([]any)
			if len(entries) != tt.entries || len(changes) != tt.changes || len(msgs) != tt.msgs {
				t.Errorf("entries %d changes %d messages %d", len(entries), len(changes), len(msgs))
			}
			if tt.layout == LayoutMerge {
				value := at(v, "entry", 0, "changes", 0, "value").(map[string]any)
				if n := len(value["statuses"].([]any)); n != 1 {
					t.Errorf("statuses %d", n)
				}
				if n := len(value["contacts"].([]any)); n != 1 {
					t.Errorf("contacts %d (the same sender twice)", n)
				}
				if msgs[0].(map[string]any)["id"] == msgs[1].(map[string]any)["id"] {
					t.Error("two batched messages share an id")
				}
			}
			if !signature.Verify(secret, d.Body, d.Header.Get("X-Hub-Signature-256")).OK() {
				t.Error("batch signature")
			}
		})
	}
}

func TestBatchOfOneSourceRepeatsIt(t *testing.T) {
	o := opts()
	o.Batch = 5
	d, _ := build(t, o, src(t, "text")).Preview(0)
	msgs := at(decode(t, d.Body), "entry", 0, "changes", 0, "value", "messages").([]any)
	ids := map[any]bool{}
	for _, m := range msgs {
		ids[m.(map[string]any)["id"]] = true
	}
	if len(msgs) != 5 || len(ids) != 5 {
		t.Errorf("%d messages, %d distinct ids", len(msgs), len(ids))
	}
}

func TestShuffleSendsLaterStatusesFirst(t *testing.T) {
	srcs := []Source{src(t, "status-sent"), src(t, "status-delivered"), src(t, "status-read")}
	o := opts()
	o.Shuffle = true
	f := build(t, o, srcs...)
	if got := f.Names(); !reflect.DeepEqual(got, []string{"status-read", "status-delivered", "status-sent"}) {
		t.Errorf("order %v", got)
	}
	s := f.NewStream()
	ids := map[any]bool{}
	for job := range 3 {
		d, _ := s.Delivery(job)
		ids[at(decode(t, d.Body), "entry", 0, "changes", 0, "value", "statuses", 0, "id")] = true
	}
	if len(ids) != 1 {
		t.Errorf("the three statuses point at %d messages, want one", len(ids))
	}
	o.Batch = 3
	d, _ := build(t, o, srcs...).Preview(0)
	var order []any
	for _, st := range at(decode(t, d.Body), "entry", 0, "changes", 0, "value", "statuses").([]any) {
		order = append(order, st.(map[string]any)["status"])
	}
	if !reflect.DeepEqual(order, []any{"read", "delivered", "sent"}) {
		t.Errorf("batched order %v", order)
	}
}

func TestOversizeAndPretty(t *testing.T) {
	o := opts()
	o.Oversize = true
	d, _ := build(t, o, src(t, "text")).Preview(0)
	if len(d.Body) <= MetaMaxBody || !json.Valid(d.Body) || !wire.IsWire(d.Body) {
		t.Errorf("oversize body: %d bytes, valid %v", len(d.Body), json.Valid(d.Body))
	}
	if !signature.Verify(secret, d.Body, d.Header.Get("X-Hub-Signature-256")).OK() {
		t.Error("oversize signature")
	}
	o = opts()
	o.Pretty = true
	d, _ = build(t, o, src(t, "text")).Preview(0)
	if !strings.Contains(string(d.Body), "\n  \"entry\": [") || !json.Valid(d.Body) {
		t.Errorf("not pretty:\n%s", d.Body)
	}
	if !signature.Verify(secret, d.Body, d.Header.Get("X-Hub-Signature-256")).OK() {
		t.Error("pretty signature")
	}
}

func TestSignatureModes(t *testing.T) {
	o := opts()
	o.BadSignature, o.LegacySHA1 = true, true
	d, _ := build(t, o, src(t, "text")).Preview(0)
	r := signature.Verify(secret, d.Body, d.Header.Get("X-Hub-Signature-256"))
	if r.OK() || r.Reason != signature.Mismatch {
		t.Errorf("bad signature verified as %v", r)
	}
	o = opts()
	o.LegacySHA1 = true
	d, _ = build(t, o, src(t, "text")).Preview(0)
	if got, want := d.Header.Get("X-Hub-Signature"), signature.SignSHA1(secret, d.Body); got != want {
		t.Errorf("sha1 header %q, want %q", got, want)
	}
	o = opts()
	o.NoSignature, o.Secret = true, ""
	d, _ = build(t, o, src(t, "text")).Preview(0)
	if _, ok := d.Header["X-Hub-Signature-256"]; ok {
		t.Error("--no-signature sent a signature")
	}
	o = opts()
	o.Secret = ""
	if _, err := Build([]Source{src(t, "text")}, o); err == nil || !strings.Contains(err.Error(), "WA_HOOKS_APP_SECRET") {
		t.Errorf("no secret: %v", err)
	}
}

func TestRecordingReplaysBytesAndRecordedSignature(t *testing.T) {
	body := []byte("{\"object\":\"whatsapp_business_account\",\"entry\":[]}\n")
	rec := Source{Name: "rec:1", Body: body, Raw: true, Header: map[string][]string{"X-Hub-Signature-256": {"sha256=abc"}}}
	o := opts()
	o.Secret = ""
	d, _ := build(t, o, rec).Preview(0)
	if string(d.Body) != string(body) || d.Header.Get("X-Hub-Signature-256") != "sha256=abc" {
		t.Errorf("replay %q %v", d.Body, d.Header)
	}
	o.Secret = secret
	d, _ = build(t, o, rec).Preview(0)
	if d.Header.Get("X-Hub-Signature-256") != signature.Sign(secret, body) {
		t.Error("replay with a secret is not re-signed")
	}
}

func TestExtraHeadersReplaceDefaults(t *testing.T) {
	o := opts()
	o.Headers = map[string][]string{"User-Agent": {"custom"}, "X-Extra": {"1"}}
	d, _ := build(t, o, src(t, "text")).Preview(0)
	if d.Header.Get("User-Agent") != "custom" || d.Header.Get("X-Extra") != "1" {
		t.Errorf("%v", d.Header)
	}
}

func TestBatchKeepsManagementUpdatesApart(t *testing.T) {
	o := opts()
	o.Batch = 2
	tpl := src(t, "template-status")
	d, err := build(t, o, tpl, tpl).Preview(0)
	if err != nil {
		t.Fatal(err)
	}
	v := decode(t, d.Body)
	changes := at(v, "entry", 0, "changes").([]any)
	if len(changes) != 2 {
		t.Fatalf("%d changes, want 2 (one per update):\n%s", len(changes), d.Body)
	}
	if at(v, "entry", 0, "time") != json.Number("1764000000") && at(v, "entry", 0, "time") != float64(1764000000) {
		t.Errorf("entry time %v", at(v, "entry", 0, "time"))
	}
}

func TestShuffleNeverMakesDuplicates(t *testing.T) {
	o := opts()
	o.Shuffle = true
	srcs := []Source{src(t, "status-sent"), src(t, "status-read"), src(t, "status-sent"), src(t, "status-read")}
	f := build(t, o, srcs...)
	s := f.NewStream()
	seen := map[string]int{}
	ids := map[string]bool{}
	for job := range 4 {
		d, _ := s.Delivery(job)
		st := at(decode(t, d.Body), "entry", 0, "changes", 0, "value", "statuses", 0).(map[string]any)
		seen[st["id"].(string)+"/"+st["status"].(string)]++
		ids[st["id"].(string)] = true
	}
	if len(seen) != 4 || len(ids) != 2 {
		t.Errorf("want two messages, each sent and read: %v", seen)
	}
}

func TestFreshIDsStayInWireForm(t *testing.T) {
	s := build(t, opts(), src(t, "text"), src(t, "status-sent")).NewStream()
	for job := range 400 {
		d, _ := s.Delivery(job)
		if !wire.IsWire(d.Body) {
			t.Fatalf("job %d: not wire form: %s", job, d.Body)
		}
	}
	// Ids rarely contain '/', so escape one that surely does: the bytes
	// 0xff encode as "//" in base64.
	st := &stream{f: &Feed{seed: 1}}
	for _, escape := range []bool{true, false} {
		id := st.appendID(nil, &template{escapeSlash: escape}, slot{kind: slotID, prefix: "wamid.", head: []byte{0xff, 0xff, 0xff}, hexLen: 20}, 0)
		raw := strings.ReplaceAll(string(id), `\/`, "/")
		if !strings.HasPrefix(raw, "wamid.////") {
			t.Fatalf("id %s", id)
		}
		want, _ := wire.Encode([]byte(`"` + raw + `"`))
		if escape && `"`+string(id)+`"` != string(want) {
			t.Errorf("escaped id %s, wire form %s", id, want)
		}
		if !escape && string(id) != raw {
			t.Errorf("unescaped id %s", id)
		}
	}
}

// A duplicate (--duplicates) carries the same events, same ids, in new
// bytes: its timestamps move by a second per copy, and it is signed afresh.
func TestDuplicateKeepsIDsInNewBytes(t *testing.T) {
	f := build(t, opts(), src(t, "text"))
	s := f.NewStream()
	orig, _ := s.Delivery(4)
	dup, err := s.(sender.DuplicateStream).Duplicate(4, 2)
	if err != nil {
		t.Fatal(err)
	}
	mo, md := msg0(decode(t, orig.Body)), msg0(decode(t, dup.Body))
	if mo["id"] != md["id"] || bytes.Equal(orig.Body, dup.Body) {
		t.Fatalf("ids %v / %v, same bytes %v", mo["id"], md["id"], bytes.Equal(orig.Body, dup.Body))
	}
	if mo["timestamp"] != "1764000000" || md["timestamp"] != "1764000002" {
		t.Errorf("timestamps %v / %v", mo["timestamp"], md["timestamp"])
	}
	if r := signature.Verify(secret, dup.Body, dup.Header.Get("X-Hub-Signature-256")); !r.OK() {
		t.Errorf("duplicate's signature: %v", r)
	}
}
