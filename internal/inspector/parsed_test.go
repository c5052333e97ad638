package inspector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock"
)

// The chat reads an accepted send from the mock's own parse of it, and a
// webhook from the events parsed once for the terminal and the page; an
// entry read back from the log (its JSON) has neither. Both must give the
// same bubbles, for every kind of send.
func TestBubblesFromTheMocksParseMatchTheLoggedJSON(t *testing.T) {
	media := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write([]byte("\xff\xd8\xff\xe0 a picture"))
	}))
	defer media.Close()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer app.Close()
	var mu sync.Mutex
	var got []loggedEntry
	srv, err := mock.New(mock.Options{Webhook: app.URL + "/webhook", AppSecret: mockSecret, AccessToken: mockAccess, Deterministic: true,
		OnEntry: func(e mock.Entry, body []byte) {
			mu.Lock()
			got = append(got, loggedEntry{e, body})
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	call := func(method, path, body string) string {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+mockAccess)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Body.String()
	}
	call(http.MethodPost, "/_mock/users/alice/say", `{"text":"hello \u001b[31mshop"}`)
	call(http.MethodPost, "/_mock/users/bruno/say", `{"text":"hi"}`)
	var inbound string
	mu.Lock()
	for _, le := range got {
		if evs, ok := le.e.WebhookEvents(le.body); ok && len(evs) > 0 && inbound == "" {
			inbound = evs[0].ID
		}
	}
	mu.Unlock()
	if inbound == "" {
		t.Fatal("no inbound message logged")
	}
	msgs := "/v21.0/" + srv.Info().Business.PhoneNumberID + "/messages"
	for _, b := range []string{
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"plain"}}`,
		`{"messaging_product":"whatsapp","to":"+1 555 010 0001","text":{"body":"no type, a reply","preview_url":true},"context":{"message_id":"` + inbound + `"}}`,
		`{"messaging_product":"whatsapp","recipient":"BR.20847561938475610293","type":"text","text":{"body":"to a BSUID \u001b[2J"}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"reaction","reaction":{"message_id":"` + inbound + `","emoji":"👍"}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"image","image":{"link":"` + media.URL + `/a.jpg","caption":"a caption"}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"document","document":{"link":"` + media.URL + `/a.pdf","filename":"invoice.pdf"}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"interactive","interactive":{"type":"button","header":{"type":"text","text":"Head"},"body":{"text":"Pick"},"footer":{"text":"Foot"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}}]}}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"location","location":{"latitude":1,"longitude":2,"name":"Shop","address":"Main St"}}`,
		`{"messaging_product":"whatsapp","to":"4479000000001","type":"text","text":{"body":"to a stranger"}}`,
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":""}}`,
		`{"messaging_product":"whatsapp","status":"read","message_id":"` + inbound + `"}`,
	} {
		call(http.MethodPost, msgs, b)
	}
	for deadline := time.Now().Add(10 * time.Second); srv.Info().WebhooksWaiting > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("webhooks still waiting")
		}
	}
	_ = srv.Close()

	fromParse, fromJSON := newConversations(0, mockSecret, mockAccess), newConversations(0, mockSecret, mockAccess)
	parsedSends := 0
	for _, le := range got {
		if le.e.ParsedSend() != nil {
			parsedSends++
		}
		var back mock.Entry // as `mock log --json` has it
		b, _ := json.Marshal(le.e)
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		evs, _ := le.e.WebhookEvents(le.body)
		evsBack, _ := back.WebhookEvents(le.body)
		fromParse.entry(le.e, evs, 0)
		fromJSON.entry(back, evsBack, 0)
	}
	if parsedSends < 9 {
		t.Errorf("%d sends carried the mock's parse", parsedSends)
	}
	users := 0
	for user := range fromJSON.byUser {
		users++
		// As the page gets them (the JSON drops the clock's monotonic
		// reading, which only the round trip loses).
		a, b := dump(fromParse.of(user)), dump(fromJSON.of(user))
		if a != b {
			t.Errorf("%s's conversation differs:\nfrom the parse %s\nfrom the JSON  %s", user, a, b)
		}
	}
	if users < 3 || len(fromParse.byUser) != users {
		t.Errorf("conversations: %d from the parse, %d from the JSON", len(fromParse.byUser), users)
	}
}

func dump(bs []Bubble) string {
	var out []string
	for _, b := range bs {
		j, _ := json.Marshal(b)
		out = append(out, string(j))
	}
	return fmt.Sprint(out)
}
