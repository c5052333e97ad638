package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

func graphCall(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %s", method, url, b)
	}
	return resp.StatusCode, out
}

func errCode(m map[string]any) (int, string) {
	e, _ := m["error"].(map[string]any)
	if e == nil {
		return 0, ""
	}
	code, _ := e["code"].(float64)
	details := ""
	if d, ok := e["error_data"].(map[string]any); ok {
		details, _ = d["details"].(string)
	}
	msg, _ := e["message"].(string)
	if _, ok := e["fbtrace_id"].(string); !ok {
		return -1, "no fbtrace_id"
	}
	return int(code), msg + " | " + details
}

func TestSynchronousErrors(t *testing.T) {
	limits := simnet.Limits{MPS: 0, PairBurst: 2, PairEvery: 1e12}
	_, hs := startMock(t, nil, Options{Deterministic: true, AllowList: nil, Limits: &limits})
	pn := hs.URL + "/v21.0/109283746501928/messages"
	text := func(to string) string {
		return `{"messaging_product":"whatsapp","to":"` + to + `","type":"text","text":{"body":"hi"}}`
	}
	cases := []struct {
		name, method, url, token, body string
		status, code                   int
		mention                        string
	}{
		{"no token", "POST", pn, "", text("15550100001"), 401, 190, ""},
		{"wrong token", "POST", pn, "nope", text("15550100001"), 401, 190, ""},
		{"bad JSON", "POST", pn, testToken, `{"messaging_product":`, 400, 100, ""},
		{"missing product", "POST", pn, testToken, `{"to":"15550100001","type":"text","text":{"body":"x"}}`, 400, 100, "messaging_product"},
		{"missing body", "POST", pn, testToken, `{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{}}`, 400, 100, "text['body']"},
		{"long body", "POST", pn, testToken, `{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"` + strings.Repeat("a", 4097) + `"}}`, 400, 100, "4096"},
		{"bad type", "POST", pn, testToken, `{"messaging_product":"whatsapp","to":"15550100001","type":"fax","fax":{}}`, 400, 100, "type"},
		{"four buttons", "POST", pn, testToken, `{"messaging_product":"whatsapp","to":"15550100001","type":"interactive","interactive":{"type":"button","body":{"text":"x"},"action":{"buttons":[` +
			strings.TrimSuffix(strings.Repeat(`{"type":"reply","reply":{"id":"a","title":"A"}},`, 4), ",") + `]}}}`, 400, 100, "buttons"},
		{"unknown phone number id", "POST", hs.URL + "/v21.0/999/messages", testToken, text("15550100001"), 400, 100, "999"},
		{"unknown version", "POST", hs.URL + "/v99.0/109283746501928/messages", testToken, text("15550100001"), 400, 2500, "v99.0"},
		{"unknown template", "POST", pn, testToken, `{"messaging_product":"whatsapp","to":"15550100001","type":"template","template":{"name":"nope","language":{"code":"en_US"}}}`, 404, 132001, "nope"},
		{"wrong language", "POST", pn, testToken, `{"messaging_product":"whatsapp","to":"15550100001","type":"template","template":{"name":"hello_world","language":{"code":"de"}}}`, 404, 132001, "en_US"},
		{"param count", "POST", pn, testToken, `{"messaging_product":"whatsapp","to":"15550100001","type":"template","template":{"name":"hello_world","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"x"}]}]}}`, 400, 132000, "localizable_params (1)"},
		{"unknown media id", "POST", pn, testToken, `{"messaging_product":"whatsapp","to":"15550100001","type":"image","image":{"id":"123"}}`, 400, 131009, "123"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, out := graphCall(t, tc.method, tc.url, tc.token, tc.body)
			code, text := errCode(out)
			if st != tc.status || code != tc.code || !strings.Contains(text, tc.mention) {
				t.Errorf("got %d code %d %q, want %d code %d mentioning %q", st, code, text, tc.status, tc.code, tc.mention)
			}
		})
	}
	// Pair rate: the burst of two passes, the third is refused.
	for i := range 3 {
		st, out := graphCall(t, "POST", pn, testToken, text("15550100001"))
		if i < 2 && st != 200 {
			t.Fatalf("send %d: %d %v", i, st, out)
		}
		if i == 2 {
			if code, _ := errCode(out); st != 429 || code != 131056 {
				t.Errorf("third send to one user: %d %v, want 429 131056", st, out)
			}
		}
	}
}

func TestAllowListAndThroughput(t *testing.T) {
	limits := simnet.Limits{MPS: 1}
	_, hs := startMock(t, nil, Options{Deterministic: true, AllowList: []string{"+1 555 010 0001"}, Limits: &limits})
	pn := hs.URL + "/109283746501928/messages" // no version: the latest
	st, out := graphCall(t, "POST", pn, testToken, `{"messaging_product":"whatsapp","to":"5511955500002","type":"text","text":{"body":"x"}}`)
	if code, _ := errCode(out); st != 400 || code != 131030 {
		t.Errorf("not allow-listed: %d %v", st, out)
	}
	codes := map[int]int{}
	for range 3 {
		_, out := graphCall(t, "POST", pn, testToken, `{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"x"}}`)
		c, _ := errCode(out)
		codes[c]++
	}
	if codes[130429] == 0 {
		t.Errorf("three sends at 1 mps: %v, want a 130429", codes)
	}
}

func TestPermissions(t *testing.T) {
	_, hs := startMock(t, nil, Options{Deterministic: true})
	control(t, hs.URL, "POST", "permissions", map[string]any{"permissions": []string{"whatsapp_business_management"}}, nil)
	st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken, `{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"x"}}`)
	if code, _ := errCode(out); st != 403 || code != 10 {
		t.Errorf("without messaging permission: %d %v", st, out)
	}
}

func TestWindowAndFailedStatuses(t *testing.T) {
	a := newApp(t)
	_, hs := startMock(t, a, Options{Deterministic: true})
	a.graph = "" // the test sends, not the app
	send := func(body string) {
		st, out := graphCall(t, "POST", hs.URL+"/v23.0/109283746501928/messages", testToken, body)
		if st != 200 {
			t.Fatalf("send: %d %v", st, out)
		}
	}
	// Outside the window: accepted, then failed 131047 alone.
	send(`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"late"}}`)
	es := waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 1 })
	if got := statuses(es); got[0] != "failed" || es[len(es)-1].ErrorCode != 131047 {
		t.Fatalf("free-form outside the window: %v\n%s", got, dump(es))
	}
	// A template is fine outside the window, and on v23 carries a conversation.
	send(`{"messaging_product":"whatsapp","to":"15550100001","type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}}`)
	// After the user writes, free-form goes through.
	control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "hello"}, nil)
	send(`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"now"}}`)
	es = waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 5 })
	if got := strings.Join(statuses(es), ","); got != "failed,sent,delivered,sent,delivered" {
		t.Fatalf("statuses %s\n%s", got, dump(es))
	}
	var sawConversation, sawFree bool
	for _, e := range es {
		if bytes.Contains(e.Request, []byte(`"conversation"`)) {
			sawConversation = true
		}
		if bytes.Contains(e.Request, []byte(`"free_customer_service"`)) {
			sawFree = true
		}
	}
	if !sawConversation || !sawFree {
		t.Errorf("conversation %v, free_customer_service pricing %v: want both on v23 inside the window", sawConversation, sawFree)
	}
	// A user outside the window by the control API.
	control(t, hs.URL, "POST", "users/alice/window", map[string]any{"open": false}, nil)
	var users []UserView
	control(t, hs.URL, "GET", "users", nil, &users)
	if users[0].WindowOpen {
		t.Errorf("alice's window is still open")
	}
}

func TestMediaRoundTrip(t *testing.T) {
	a := newApp(t)
	_, hs := startMock(t, a, Options{Deterministic: true})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("messaging_product", "whatsapp")
	_ = mw.WriteField("type", "image/png")
	fw, _ := mw.CreateFormFile("file", "a.png")
	fw.Write(placeholderMedia("image/png"))
	mw.Close()
	req, _ := http.NewRequest("POST", hs.URL+"/v21.0/109283746501928/media", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var up struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	if resp.StatusCode != 200 || up.ID == "" {
		t.Fatalf("upload: %d %+v", resp.StatusCode, up)
	}
	control(t, hs.URL, "POST", "users/bruno/say", map[string]string{"text": "photo?"}, nil)
	st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
		`{"messaging_product":"whatsapp","to":"5511955500002","type":"image","image":{"id":"`+up.ID+`","caption":"here"}}`)
	if st != 200 {
		t.Fatalf("image send: %d %v", st, out)
	}
	st, meta := graphCall(t, "GET", hs.URL+"/v21.0/"+up.ID, testToken, "")
	if st != 200 || meta["mime_type"] != "image/png" || meta["file_size"] != fmt.Sprint(len(placeholderMedia("image/png"))) {
		t.Fatalf("media info: %d %v", st, meta)
	}
	get := func(token string) int {
		req, _ := http.NewRequest("GET", meta["url"].(string), nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if token != "" && !bytes.Equal(b, placeholderMedia("image/png")) {
			t.Errorf("download: different bytes")
		}
		return resp.StatusCode
	}
	if get("") != 401 || get(testToken) != 200 {
		t.Errorf("download without/with the token")
	}
	if st, _ := graphCall(t, "DELETE", hs.URL+"/v21.0/"+up.ID, testToken, ""); st != 200 {
		t.Errorf("delete: %d", st)
	}
	if st, _ := graphCall(t, "GET", hs.URL+"/v21.0/"+up.ID, testToken, ""); st != 400 {
		t.Errorf("get after delete: %d", st)
	}
	// Wrong type and oversize uploads.
	for _, c := range []struct {
		typ  string
		size int
		code int
	}{{"application/zip", 10, 100}, {"image/png", 5<<20 + 1, 131053}} {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField("messaging_product", "whatsapp")
		_ = mw.WriteField("type", c.typ)
		fw, _ := mw.CreateFormFile("file", "f")
		fw.Write(make([]byte, c.size))
		mw.Close()
		req, _ := http.NewRequest("POST", hs.URL+"/v21.0/109283746501928/media", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, _ := http.DefaultClient.Do(req)
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if code, _ := errCode(out); code != c.code {
			t.Errorf("upload %s %d bytes: %v, want code %d", c.typ, c.size, out, c.code)
		}
	}
}

func TestTapWithTheAppsIDs(t *testing.T) {
	a := newApp(t)
	_, hs := startMock(t, a, Options{Deterministic: true})
	control(t, hs.URL, "POST", "users/chen/say", map[string]string{"text": "menu"}, nil)
	st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
		`{"messaging_product":"whatsapp","recipient":"US.13491208655302741918","type":"interactive","interactive":{"type":"button","body":{"text":"When?"},"action":{"buttons":[{"type":"reply","reply":{"id":"slot-am","title":"Morning"}},{"type":"reply","reply":{"id":"slot-pm","title":"Afternoon"}}]}}}`)
	if st != 200 {
		t.Fatalf("interactive: %d %v", st, out)
	}
	ct := out["contacts"].([]any)[0].(map[string]any)
	if ct["user_id"] != "US.13491208655302741918" || ct["wa_id"] != nil {
		t.Errorf("BSUID send contacts: %v (want user_id and no wa_id)", ct)
	}
	var d Delivery
	control(t, hs.URL, "POST", "users/chen/tap", map[string]int{"n": 2}, &d)
	a.mu.Lock()
	last := a.bodies[len(a.bodies)-1]
	a.mu.Unlock()
	if !bytes.Contains(last, []byte(`"button_reply":{"id":"slot-pm","title":"Afternoon"}`)) || bytes.Contains(last, []byte(`"messages":[{"from":`)) {
		t.Errorf("tap posted %s", last)
	}
	var e struct{ Error struct{ Code string } }
	if st := control(t, hs.URL, "POST", "users/chen/tap", map[string]int{"n": 5}, &e); st != 409 || e.Error.Code != "nothing_to_tap" {
		t.Errorf("tap 5: %d %+v", st, e)
	}
	if st := control(t, hs.URL, "POST", "users/alcie/say", map[string]string{"text": "x"}, &e); st != 404 || e.Error.Code != "unknown_user" {
		t.Errorf("typo user: %d %+v", st, e)
	}
}

func TestRetriesUntil200(t *testing.T) {
	a := newApp(t)
	a.status = []int{500, 500}
	_, hs := startMock(t, a, Options{Deterministic: true})
	var d Delivery
	control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "hi"}, &d)
	if d.Status != 200 || d.Attempts != 3 {
		t.Fatalf("delivery %+v, want 200 after 3 attempts", d)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.bodies) < 3 || !bytes.Equal(a.bodies[0], a.bodies[2]) {
		t.Errorf("retries must repeat the same bytes")
	}
}

func TestOutOfOrder(t *testing.T) {
	a := newApp(t)
	h := simnet.Habits{OutOfOrder: 1}
	_, hs := startMock(t, a, Options{Deterministic: true, Habits: &h})
	control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "hi"}, nil)
	control(t, hs.URL, "POST", "users/alice/read", nil, nil)
	es := waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 3 })
	got := strings.Join(statuses(es), ",")
	if got != "sent,read,delivered" {
		t.Errorf("out of order: %s, want sent,read,delivered\n%s", got, dump(es))
	}
}

func TestBatches(t *testing.T) {
	a := newApp(t)
	h := simnet.Habits{Batch: 1}
	_, hs := startMock(t, a, Options{Deterministic: true, Habits: &h})
	control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "hi"}, nil)
	es := waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 2 })
	batched := false
	for _, e := range es {
		if e.Kind == "webhook" && len(e.Statuses) > 1 {
			batched = true
		}
	}
	if !batched {
		t.Errorf("no webhook carried two statuses\n%s", dump(es))
	}
}

func TestDeterministicSequenceRepeats(t *testing.T) {
	run := func() string {
		a := newApp(t)
		_, hs := startMock(t, a, Options{Deterministic: true})
		control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "one"}, nil)
		control(t, hs.URL, "POST", "users/bruno/say", map[string]string{"text": "two"}, nil)
		control(t, hs.URL, "POST", "users/alice/read", nil, nil)
		es := waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 5 })
		var b strings.Builder
		for _, e := range es {
			fmt.Fprintf(&b, "%s %s %s %v %s\n", e.Kind, e.User, e.Summary, e.Statuses, strings.Join(e.Messages, ","))
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		// ids are seeded: the first message's wamid is the same each run
		var first struct {
			Entry []struct {
				Changes []struct {
					Value struct{ Messages []struct{ ID string } }
				}
			}
		}
		json.Unmarshal(a.bodies[0], &first)
		b.WriteString(first.Entry[0].Changes[0].Value.Messages[0].ID)
		return b.String()
	}
	one, two := run(), run()
	if one != two {
		t.Errorf("two deterministic runs differ:\n%s\n---\n%s", one, two)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	path := t.TempDir() + "/state.json"
	s, hs := startMock(t, nil, Options{Deterministic: true, StatePath: path})
	control(t, hs.URL, "POST", "users", map[string]string{"name": "dana", "identity": "phone", "wa_id": "447700900123"}, nil)
	control(t, hs.URL, "POST", "users/dana/say", map[string]string{"text": "remember me"}, nil)
	graphCall(t, "POST", hs.URL+"/v21.0/104729385610274/message_templates", testToken,
		`{"name":"order_update","language":"en_US","category":"UTILITY","components":[{"type":"BODY","text":"Hi {{1}}"}]}`)
	hs.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, hs2 := startMock(t, nil, Options{Deterministic: true, StatePath: path})
	_ = s2
	var u UserView
	if st := control(t, hs2.URL, "GET", "users/dana", nil, &u); st != 200 || !u.WindowOpen {
		t.Fatalf("after restart dana: %d %+v", st, u)
	}
	st, out := graphCall(t, "POST", hs2.URL+"/v21.0/109283746501928/messages", testToken,
		`{"messaging_product":"whatsapp","to":"447700900123","type":"template","template":{"name":"order_update","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"Dana"}]}]}}`)
	if st != 200 {
		t.Errorf("template from before the restart: %d %v", st, out)
	}
	var state State
	control(t, hs2.URL, "GET", "state", nil, &state)
	if len(state.History) == 0 || state.History[0].Text == "" {
		t.Errorf("history not kept: %+v", state.History)
	}
}

func TestTemplateLifecycleAndQuickReplyTap(t *testing.T) {
	a := newApp(t)
	_, hs := startMock(t, a, Options{Deterministic: true})
	waba := hs.URL + "/v21.0/104729385610274/message_templates"
	st, out := graphCall(t, "POST", waba, testToken, `{"name":"promo","language":"en_US","category":"MARKETING","components":[{"type":"BODY","text":"Sale for {{1}}"},{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Stop promos"}]}]}`)
	if st != 200 || out["status"] != "PENDING" || out["id"] == "" {
		t.Fatalf("create: %d %v", st, out)
	}
	es := waitLog(t, hs.URL, func(es []Entry) bool {
		for _, e := range es {
			if e.Field == "message_template_status_update" {
				return true
			}
		}
		return false
	})
	var found bool
	for _, e := range es {
		if e.Field == "message_template_status_update" && bytes.Contains(e.Request, []byte(`"event":"APPROVED"`)) && bytes.Contains(e.Request, []byte(`"message_template_id":`+out["id"].(string))) {
			found = true
		}
	}
	if !found {
		t.Errorf("no APPROVED status update with the integer id\n%s", dump(es))
	}
	if st, dup := graphCall(t, "POST", waba, testToken, `{"name":"promo","language":"en_US","category":"MARKETING","components":[{"type":"BODY","text":"x"}]}`); st != 400 {
		t.Errorf("duplicate: %d %v", st, dup)
	}
	st, list := graphCall(t, "GET", waba+"?name=promo", testToken, "")
	if data, _ := list["data"].([]any); st != 200 || len(data) != 1 {
		t.Errorf("list: %d %v", st, list)
	}
	st, out = graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"template","template":{"name":"promo","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"Ana"}]},{"type":"button","sub_type":"quick_reply","index":"0","parameters":[{"type":"payload","payload":"STOP_PROMO"}]}]}}`)
	if st != 200 || out["messages"].([]any)[0].(map[string]any)["message_status"] != "accepted" {
		t.Fatalf("template send: %d %v", st, out)
	}
	var d Delivery
	control(t, hs.URL, "POST", "users/alice/tap", map[string]int{"n": 1}, &d)
	a.mu.Lock()
	last := a.bodies[len(a.bodies)-1]
	a.mu.Unlock()
	if !bytes.Contains(last, []byte(`"type":"button","button":{"payload":"STOP_PROMO","text":"Stop promos"}`)) {
		t.Errorf("quick-reply tap posted %s", last)
	}
	st, pn := graphCall(t, "GET", hs.URL+"/v21.0/109283746501928?fields=display_phone_number,quality_rating", testToken, "")
	if st != 200 || pn["display_phone_number"] != "+1 555-014-2233" || pn["verified_name"] != nil {
		t.Errorf("phone number with fields: %d %v", st, pn)
	}
}

func TestSecretsStayOutOfTheLog(t *testing.T) {
	_, hs := startMock(t, nil, Options{Deterministic: true})
	graphCall(t, "POST", hs.URL+"/v21.0/104729385610274/subscribed_apps?access_token="+testToken, "",
		`{"override_callback_uri":"http://127.0.0.1:1/hook","verify_token":"very-secret-vt"}`)
	graphCall(t, "POST", hs.URL+"/v21.0/445566778899001/subscriptions?verify_token=very-secret-vt&object=whatsapp_business_account&callback_url=http://127.0.0.1:1/x", testToken, "")
	var page struct{ Entries []Entry }
	control(t, hs.URL, "GET", "log", nil, &page)
	b, _ := json.Marshal(page)
	if len(page.Entries) != 2 || bytes.Contains(b, []byte("very-secret-vt")) || bytes.Contains(b, []byte(testToken)) {
		t.Errorf("the log holds a secret or misses a call: %s", b)
	}
}

func TestSlowAppCountsAsFailedAndIsRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			time.Sleep(300 * time.Millisecond) // longer than the webhook timeout
		}
	}))
	defer slow.Close()
	_, hs := startMock(t, nil, Options{Deterministic: true, Webhook: slow.URL, WebhookTimeout: 100 * time.Millisecond})
	var d Delivery
	control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "hi"}, &d)
	if d.Status != 200 || d.Attempts != 2 {
		t.Errorf("delivery %+v: want the timed-out first attempt retried once", d)
	}
	var page struct{ Entries []Entry }
	control(t, hs.URL, "GET", "log", nil, &page)
	if len(page.Entries) == 0 || page.Entries[0].Delivery == nil || page.Entries[0].Delivery.Status != 0 || page.Entries[0].Delivery.Error == "" {
		t.Errorf("the first attempt should be logged as failed with an error: %+v", page.Entries)
	}
}

func TestBizOpaqueIsEchoedInEveryStatus(t *testing.T) {
	a := newApp(t)
	_, hs := startMock(t, a, Options{Deterministic: true})
	a.graph = "" // the test replies, not the app
	control(t, hs.URL, "POST", "users/bruno/say", map[string]string{"text": "hi"}, nil)
	graphCall(t, "POST", hs.URL+"/v24.0/109283746501928/messages", testToken,
		`{"messaging_product":"whatsapp","to":"5511955500002","type":"text","text":{"body":"x"},"biz_opaque_callback_data":"order-77"}`)
	es := waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 2 })
	n := 0
	for _, e := range es {
		if e.Kind == "webhook" && len(e.Statuses) > 0 {
			if bytes.Contains(e.Request, []byte(`"biz_opaque_callback_data":"order-77"`)) {
				n++
			}
			if bytes.Contains(e.Request, []byte(`"conversation"`)) {
				t.Errorf("v24 sends carry no conversation: %s", e.Request)
			}
		}
	}
	if n < 2 {
		t.Errorf("biz_opaque_callback_data echoed in %d statuses\n%s", n, dump(es))
	}
}

func TestMediaLinksAreFetched(t *testing.T) {
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok.png" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(placeholderMedia("image/png"))
	}))
	defer files.Close()
	a := newApp(t)
	_, hs := startMock(t, a, Options{Deterministic: true})
	a.graph = "" // the test sends, not the app
	control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "pics?"}, nil)
	for _, link := range []string{files.URL + "/missing.png", files.URL + "/ok.png"} {
		if st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
			`{"messaging_product":"whatsapp","to":"15550100001","type":"image","image":{"link":"`+link+`"}}`); st != 200 {
			t.Fatalf("image by link: %d %v", st, out)
		}
		waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 1 })
	}
	es := waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 3 })
	got := strings.Join(statuses(es), ",")
	if got != "failed,sent,delivered" {
		t.Errorf("statuses %s, want failed (131053) for the missing link, then sent,delivered\n%s", got, dump(es))
	}
	for _, e := range es {
		if len(e.Statuses) > 0 && e.Statuses[0] == "failed" && e.ErrorCode != 131053 {
			t.Errorf("failed with %d, want 131053", e.ErrorCode)
		}
	}
}

func TestForgedSignatureThroughTheControlAPI(t *testing.T) {
	a := newApp(t)
	a.forged = true // the app checks that every signature is well-formed and wrong
	_, hs := startMock(t, a, Options{Deterministic: true})
	a.graph = "" // no replies: only the posted webhooks
	var ds []Delivery
	body := map[string]any{"body": json.RawMessage(fixtureBody(t, "messages.text")), "signature": "forged", "repeat": 2}
	if st := control(t, hs.URL, "POST", "webhooks", body, &ds); st != 200 || len(ds) != 2 {
		t.Fatalf("webhooks: %d %+v", st, ds)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.bodies) != 2 || !bytes.Equal(a.bodies[0], a.bodies[1]) {
		t.Fatalf("two identical posts expected, got %d", len(a.bodies))
	}
	var page struct{ Entries []Entry }
	control(t, hs.URL, "GET", "log", nil, &page)
	for _, e := range page.Entries {
		if e.Kind == "webhook" && e.Signature != "forged" {
			t.Errorf("webhook log entry signature %q, want forged", e.Signature)
		}
	}
}

func TestFixtureAsAUserKeepsMetaOrderAndRealMedia(t *testing.T) {
	a := newApp(t)
	_, hs := startMock(t, a, Options{Deterministic: true})
	var d Delivery
	if st := control(t, hs.URL, "POST", "users/chen/send", map[string]any{"fixture": "messages.image", "set": []string{"messages[0].image.caption=hola"}}, &d); st != 200 || d.Status != 200 {
		t.Fatalf("send fixture: %d %+v", st, d)
	}
	a.mu.Lock()
	body := a.bodies[len(a.bodies)-1]
	a.mu.Unlock()
	if !bytes.HasPrefix(body, []byte(`{"object":"whatsapp_business_account","entry":[{"id":"104729385610274","changes":[{"value":{"messaging_product":"whatsapp","metadata":`)) {
		t.Errorf("key order is not Meta's: %s", body)
	}
	if !bytes.Contains(body, []byte(`"messages":[{"from_user_id":"US.13491208655302741918","id":"wamid.`)) || bytes.Contains(body, []byte(`"from":"1`)) {
		t.Errorf("a username user's message: %s", body)
	}
	if !bytes.Contains(body, []byte(`"caption":"hola"`)) {
		t.Errorf("--set did not apply: %s", body)
	}
	var env struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct{ Image struct{ ID string } }
				}
			}
		}
	}
	json.Unmarshal(body, &env)
	id := env.Entry[0].Changes[0].Value.Messages[0].Image.ID
	if st, meta := graphCall(t, "GET", hs.URL+"/v21.0/"+id, testToken, ""); st != 200 || meta["mime_type"] != "image/png" {
		t.Errorf("the inbound image %s is not fetchable: %d %v", id, st, meta)
	}
}

func TestReactFlowBlockAndNumberChange(t *testing.T) {
	a := newApp(t)
	_, hs := startMock(t, a, Options{Deterministic: true})
	a.graph = ""
	control(t, hs.URL, "POST", "users/bruno/say", map[string]string{"text": "hi"}, nil)
	st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
		`{"messaging_product":"whatsapp","to":"5511955500002","type":"interactive","interactive":{"type":"flow","body":{"text":"Book"},"action":{"name":"flow","parameters":{"flow_message_version":"3","flow_token":"tok-1","flow_id":"135","flow_cta":"Book now"}}}}`)
	if st != 200 {
		t.Fatalf("flow send: %d %v", st, out)
	}
	last := func() []byte {
		a.mu.Lock()
		defer a.mu.Unlock()
		for i := len(a.bodies) - 1; i >= 0; i-- {
			if bytes.Contains(a.bodies[i], []byte(`"messages":[`)) {
				return a.bodies[i]
			}
		}
		return nil
	}
	var d Delivery
	control(t, hs.URL, "POST", "users/bruno/flow", map[string]any{"response": map[string]string{"date": "2026-12-24"}}, &d)
	if b := last(); !bytes.Contains(b, []byte(`"type":"nfm_reply","nfm_reply":{"response_json":"{\"date\":\"2026-12-24\",\"flow_token\":\"tok-1\"}"`)) {
		t.Errorf("flow completion: %s", b)
	}
	control(t, hs.URL, "POST", "users/bruno/react", map[string]string{"emoji": "🎉"}, &d)
	if b := last(); !bytes.Contains(b, []byte(`"type":"reaction","reaction":{"message_id":"wamid.`)) || !bytes.Contains(b, []byte(`\ud83c\udf89`)) {
		t.Errorf("reaction (in wire form): %s", b)
	}
	control(t, hs.URL, "POST", "users/bruno/change-number", map[string]string{"wa_id": "5511955500099"}, &d)
	b := last()
	if !bytes.Contains(b, []byte(`"from":"5511955500002"`)) || !bytes.Contains(b, []byte(`"type":"user_changed_number"`)) || bytes.Contains(b, []byte(`"contacts"`)) {
		t.Errorf("number change from the old number, without contacts: %s", b)
	}
	var u UserView
	control(t, hs.URL, "GET", "users/5511955500099", nil, &u)
	if u.Name != "bruno" || u.UserID == "BR.20847561938475610293" {
		t.Errorf("after the change: %+v (want the new number and a new BSUID)", u)
	}
	control(t, hs.URL, "POST", "users/bruno/block", map[string]bool{"blocked": true}, nil)
	graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken, `{"messaging_product":"whatsapp","to":"5511955500099","type":"text","text":{"body":"x"}}`)
	// a blocked user: the send is accepted, then fails 131026
	waitLog(t, hs.URL, func(es []Entry) bool {
		for _, e := range es {
			if e.ErrorCode == 131026 {
				return true
			}
		}
		return false
	})
}
