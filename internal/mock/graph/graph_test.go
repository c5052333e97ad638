package graph

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	cases := []struct {
		path    string
		version int
		nodes   string
		code    int
	}{
		{"/v21.0/123/messages", 21, "123/messages", 0},
		{"/123/messages", Latest, "123/messages", 0},
		{"/v17.0/123", Oldest, "123", 0}, // expired versions are served as the oldest
		{"/v99.0/123/messages", 0, "", 2500},
		{"/v21.5/123", 0, "", 2500},
		{"/vfoo/123", 21, "vfoo/123", 0}, // not a version: a node called vfoo
	}
	for _, c := range cases {
		p, e := ParsePath(c.path)
		switch {
		case c.code != 0:
			if e == nil || e.Code != c.code {
				t.Errorf("%s: %v, want code %d", c.path, e, c.code)
			}
		case e != nil:
			t.Errorf("%s: %v", c.path, e)
		case c.path != "/vfoo/123" && p.Version != c.version, strings.Join(p.Nodes, "/") != c.nodes:
			t.Errorf("%s: version %d nodes %v", c.path, p.Version, p.Nodes)
		}
	}
}

func TestParseSendNamesTheParameter(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"messaging_product":"whatsapp","to":"1555","type":"text","text":{"body":"x"}}`, "to must be a phone number"},
		{`{"messaging_product":"whatsapp","to":"15550100001","recipient":"US.1","type":"text","text":{"body":"x"}}`, "not both"},
		{`{"messaging_product":"whatsapp","recipient":"nope","type":"text","text":{"body":"x"}}`, "business-scoped user ID"},
		{`{"messaging_product":"whatsapp","to":"15550100001","type":"image","image":{}}`, "image needs either id"},
		{`{"messaging_product":"whatsapp","to":"15550100001","type":"audio","audio":{"id":"1","caption":"x"}}`, "audio['caption']"},
		{`{"messaging_product":"whatsapp","to":"15550100001","type":"location","location":{"latitude":91,"longitude":0}}`, "location['latitude']"},
		{`{"messaging_product":"whatsapp","to":"15550100001","type":"contacts","contacts":[{"name":{}}]}`, "contacts[0]['name']['formatted_name']"},
		{`{"messaging_product":"whatsapp","to":"15550100001","type":"interactive","interactive":{"type":"list","body":{"text":"x"},"action":{"button":"b","sections":[{"rows":[{"id":"a","title":"` + strings.Repeat("t", 25) + `"}]}]}}}`, "interactive['action']['sections'][0]['rows'][0]['title']"},
		{`{"messaging_product":"whatsapp","to":"15550100001","type":"interactive","interactive":{"type":"flow","body":{"text":"x"},"action":{"name":"flow","parameters":{"flow_message_version":"3","flow_cta":"Go 🚀","flow_id":"1"}}}}`, "emoji"},
		{`{"messaging_product":"whatsapp","to":"15550100001","type":"template","template":{"name":"x"}}`, "template['language']"},
		{`{"messaging_product":"whatsapp","status":"read"}`, "message_id"},
		{`{"messaging_product":"whatsapp","status":"read","message_id":"w","typing_indicator":{"type":"audio"}}`, "typing_indicator['type']"},
		{`{"messaging_product":"whatsapp","to":"15550100001","biz_opaque_callback_data":"` + strings.Repeat("x", 513) + `","text":{"body":"x"}}`, "biz_opaque_callback_data"},
	}
	for _, c := range cases {
		_, e := ParseSend([]byte(c.body))
		if e == nil || e.Code != 100 || !strings.Contains(e.Message+" "+e.Data.Details, c.want) {
			t.Errorf("%s\n got %v, want code 100 naming %q", c.body, e, c.want)
		}
		if e != nil && e.HTTPStatus != 400 {
			t.Errorf("status %d", e.HTTPStatus)
		}
	}
	s, e := ParseSend([]byte(`{"messaging_product":"whatsapp","to":"+1 (555) 010-0001","text":{"body":"hi"}}`))
	if e != nil || s.Type != "text" || NormalizePhone(s.To) != "15550100001" {
		t.Errorf("default type and normalization: %+v %v", s, e)
	}
	s, e = ParseSend([]byte(`{"messaging_product":"whatsapp","to":"15550100001","type":"interactive","interactive":{"type":"button","body":{"text":"x"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}},{"type":"reply","reply":{"id":"b","title":"B"}}]}}}`))
	if e != nil || len(s.Interactive.Options) != 2 || s.Interactive.Options[1].ID != "b" {
		t.Errorf("buttons: %+v %v", s, e)
	}
}

func TestCheckSend(t *testing.T) {
	tmpl, e := ParseCreate([]byte(`{"name":"order_update","language":"en_US","category":"UTILITY","components":[
		{"type":"HEADER","format":"IMAGE"},
		{"type":"BODY","text":"Hi {{1}}, your order {{2}} ships {{2}}."},
		{"type":"BUTTONS","buttons":[{"type":"URL","text":"Track","url":"https://x.test/{{1}}"},{"type":"QUICK_REPLY","text":"Stop"}]}]}`))
	if e != nil {
		t.Fatal(e)
	}
	tmpl.Status = "APPROVED"
	send := func(comps string) *Error {
		s, e := ParseSend([]byte(`{"messaging_product":"whatsapp","to":"15550100001","type":"template","template":{"name":"order_update","language":{"code":"en_US"},"components":[` + comps + `]}}`))
		if e != nil {
			return e
		}
		return CheckSend(tmpl, s.Template)
	}
	header := `{"type":"header","parameters":[{"type":"image","image":{"link":"https://x.test/a.jpg"}}]}`
	body := `{"type":"body","parameters":[{"type":"text","text":"Ana"},{"type":"text","text":"42"}]}`
	button := `{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"42"}]}`
	if e := send(header + "," + body + "," + button); e != nil {
		t.Errorf("a correct send: %v", e)
	}
	for name, c := range map[string]struct {
		comps string
		code  int
	}{
		"body count":    {header + `,{"type":"body","parameters":[{"type":"text","text":"Ana"}]},` + button, 132000},
		"no header":     {body + "," + button, 132000},
		"header format": {`{"type":"header","parameters":[{"type":"video","video":{"link":"https://x.test/a.mp4"}}]},` + body + "," + button, 132012},
		"no url param":  {header + "," + body, 132000},
	} {
		if e := send(c.comps); e == nil || e.Code != c.code {
			t.Errorf("%s: %v, want %d", name, e, c.code)
		}
	}
	tmpl.Status = "PENDING"
	if e := send(header + "," + body + "," + button); e == nil || e.Code != 132001 {
		t.Errorf("a PENDING template: %v, want 132001", e)
	}
	if _, e := ParseCreate([]byte(`{"name":"Bad Name","language":"en","category":"UTILITY","components":[{"type":"BODY","text":"x"}]}`)); e == nil || !strings.Contains(e.Message, "name") {
		t.Errorf("bad name: %v", e)
	}
}

func TestErrorShape(t *testing.T) {
	e := New(131030, "details")
	if e.Message != "(#131030) Recipient phone number not in allowed list" || e.Type != "OAuthException" || e.HTTPStatus != 400 {
		t.Errorf("%+v", e)
	}
	if Token("x").HTTPStatus != 401 || New(130429, "").HTTPStatus != 429 || New(132001, "").HTTPStatus != 404 {
		t.Errorf("statuses from Meta's table")
	}
	if len(TraceID()) != 23 {
		t.Errorf("fbtrace_id length")
	}
}

func FuzzParseSend(f *testing.F) {
	f.Add([]byte(`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"x"}}`))
	f.Add([]byte(`{"messaging_product":"whatsapp","to":"15550100001","type":"interactive","interactive":{"type":"list","action":{"sections":[{"rows":[{}]}]}}}`))
	f.Add([]byte(`{"messaging_product":"whatsapp","to":"1","type":"template","template":{"name":"a","language":{"code":"b"},"components":[{"type":"button","index":"x"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, e := ParseSend(b)
		if (s == nil) == (e == nil) {
			t.Fatalf("exactly one of a send and an error: %v %v", s, e)
		}
		if e != nil && (e.Code == 0 || e.Message == "") {
			t.Fatalf("an error without code or message: %+v", e)
		}
	})
}

func TestFastPathAgreesWithTheSlowOne(t *testing.T) {
	for _, b := range []string{
		`{"messaging_product":"whatsapp","to":"+1 555 010 0001","type":"text","text":{"body":"hi","preview_url":true},"context":{"message_id":"wamid.X"},"biz_opaque_callback_data":"o"}`,
		`{"messaging_product":"whatsapp","recipient":"US.1349","type":"text","text":{"body":"hi"}}`,
		`{"messaging_product":"whatsapp","status":"read","message_id":"wamid.Y","typing_indicator":{"type":"text"}}`,
	} {
		fast, ok := parseFast([]byte(b))
		slow, e := parseSlow([]byte(b))
		if !ok || e != nil {
			t.Fatalf("%s: fast %v, slow %v", b, ok, e)
		}
		fast.Object, slow.Object = nil, nil
		if fmt.Sprintf("%+v", *fast) != fmt.Sprintf("%+v", *slow) {
			t.Errorf("%s:\nfast %+v\nslow %+v", b, *fast, *slow)
		}
	}
	for _, b := range []string{
		`{"messaging_product":"whatsapp","to":1555,"type":"text","text":{"body":"hi"}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":""}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"image","image":{"id":"1"}}`,
	} {
		if _, ok := parseFast([]byte(b)); ok {
			t.Errorf("the fast path took %s", b)
		}
	}
}

// scanAgrees fails when scanFast takes b and decodes it otherwise than
// json.Unmarshal, or gives parseFast another Send.
func scanAgrees(t *testing.T, b []byte) bool {
	t.Helper()
	var scanned, decoded fastSend
	if !scanFast(b, &scanned) {
		return false
	}
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatalf("scanFast took what json.Unmarshal refuses (%v): %s", err, b)
	}
	if !reflect.DeepEqual(scanned, decoded) {
		t.Fatalf("%s:\nscanFast       %+v\njson.Unmarshal %+v", b, scanned, decoded)
	}
	return true
}

func TestScanFastIsJSONUnmarshal(t *testing.T) {
	for _, b := range []string{
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"bench"}}`,
		` { "messaging_product" : "whatsapp" ,` + "\n\t" + `"recipient_type":"individual","to":"+1 555 010 0001","type":"text","text":{"preview_url":true,"body":"héllo 🙂 <b>&"},"context":{"message_id":"wamid.X/="},"biz_opaque_callback_data":"o"} `,
		`{"messaging_product":"whatsapp","recipient":"US.1349","type":"text","text":{"body":"hi","preview_url":false}}`,
		`{"messaging_product":"whatsapp","status":"read","message_id":"wamid.Y","typing_indicator":{"type":"text"}}`,
	} {
		if !scanAgrees(t, []byte(b)) {
			t.Errorf("scanFast did not take %s", b)
		}
		fast, ok := parseFast([]byte(b))
		slow, e := parseSlow([]byte(b))
		if !ok || e != nil {
			t.Fatalf("%s: fast %v, slow %v", b, ok, e)
		}
		var plain fastSend
		_ = json.Unmarshal([]byte(b), &plain)
		if want, _ := plain.send(); !reflect.DeepEqual(fast, want) {
			t.Errorf("%s:\nscanned  %+v\ndecoded  %+v", b, fast, want)
		}
		fast.Object, slow.Object = nil, nil
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s:\nfast %+v\nslow %+v", b, *fast, *slow)
		}
	}
	// What json.Unmarshal reads otherwise than as written is left to it.
	for _, b := range []string{
		`{"messaging_product":"whatsapp","TO":"15550100001","type":"text","text":{"body":"x"}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","to":"15550100002","type":"text","text":{"body":"x"}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"a\nb"}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"bad \xff"}}`,
		`{"messaging_product":"whatsapp","to":15550100001,"type":"text","text":{"body":"x"}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"x"},"extra":1}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":null}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"x"}} x`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"x","preview_url":1}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"x"}`,
	} {
		if scanAgrees(t, []byte(b)) {
			t.Errorf("scanFast took %s", b)
		}
	}
}

func FuzzScanFast(f *testing.F) {
	f.Add([]byte(`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"x","preview_url":true}}`))
	f.Add([]byte(`{"messaging_product":"whatsapp","status":"read","message_id":"wamid.Y","typing_indicator":{"type":"text"}}`))
	f.Add([]byte(`{"messaging_product":"whatsapp","recipient":"US.1","type":"text","text":{"body":"é"},"context":{"message_id":"m"},"biz_opaque_callback_data":"o"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if scanAgrees(t, b) {
			var plain fastSend
			_ = json.Unmarshal(b, &plain)
			fast, ok := parseFast(b)
			want, wantOK := plain.send()
			if ok != wantOK || !reflect.DeepEqual(fast, want) {
				t.Fatalf("%s:\nscanned %v %+v\ndecoded %v %+v", b, ok, fast, wantOK, want)
			}
		}
	})
}

// TestJSONPlain asks json.Marshal which bytes it copies as they are.
func TestJSONPlain(t *testing.T) {
	for c := range 256 {
		s := string([]byte{byte(c)})
		q, _ := json.Marshal(s)
		if same := string(q) == `"`+s+`"`; JSONPlain(s) != same {
			t.Errorf("byte %#x: JSONPlain says %v, json.Marshal %v (%s)", c, JSONPlain(s), same, q)
		}
	}
	for _, body := range []string{"bench", "héllo", "<b>", `a"b`, "a/b"} {
		for _, preview := range []bool{false, true} {
			want, _ := json.Marshal(struct {
				Body       string `json:"body"`
				PreviewURL bool   `json:"preview_url"`
			}{body, preview})
			if got := textObject(body, preview); string(got) != string(want) {
				t.Errorf("textObject(%q, %v) = %s, json.Marshal %s", body, preview, got, want)
			}
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{"": "", "15550100001": "15550100001", "+1 555-010 (0001)": "15550100001",
		"1555x": "1555", "x1555": "1555", "+": ""} {
		if got := NormalizePhone(in); got != want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
}
