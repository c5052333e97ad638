package mock

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/identity"
)

// The webhooks the mock writes for a user (a text, a reaction and catalog
// fixtures from them, statuses of a message to them, delivered or failed) already have the shape internal/identity gives
// that user's identity: rewriting them with identity.Rewrite changes
// nothing, while rewriting them for another identity does.
func TestInboundWebhooksFollowIdentityRules(t *testing.T) {
	a := newApp(t)
	_, hs := startMock(t, a, Options{Deterministic: true})
	a.graph = ""
	for _, id := range identity.All() {
		name := "id-" + string(id)
		var u UserView
		if st := control(t, hs.URL, "POST", "users", map[string]string{"name": name, "identity": string(id)}, &u); st != 200 {
			t.Fatalf("create %s user: %d", id, st)
		}
		a.mu.Lock()
		before := len(a.bodies)
		a.mu.Unlock()
		var d Delivery
		control(t, hs.URL, "POST", "users/"+name+"/say", map[string]string{"text": "hi"}, &d)
		to := `"to":"` + u.WaID + `"`
		if u.WaID == "" {
			to = `"recipient":"` + u.UserID + `"`
		}
		if st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
			`{"messaging_product":"whatsapp",`+to+`,"type":"text","text":{"body":"hello"}}`); st != 200 {
			t.Fatalf("%s: send: %d %v", id, st, out)
		}
		// And one that fails at delivery (no contacts on a failed status).
		control(t, hs.URL, "POST", "users/"+name+"/window", map[string]bool{"open": false}, nil)
		if st, out := graphCall(t, "POST", hs.URL+"/v21.0/109283746501928/messages", testToken,
			`{"messaging_product":"whatsapp",`+to+`,"type":"text","text":{"body":"late"}}`); st != 200 {
			t.Fatalf("%s: send: %d %v", id, st, out)
		}
		waitLog(t, hs.URL, func(es []Entry) bool {
			n, failed := 0, false
			for _, e := range es {
				if e.Kind == "webhook" && e.User == name {
					n += len(e.Statuses)
					failed = failed || e.ErrorCode == 131047
				}
			}
			return n >= 3 && failed
		})
		for _, act := range []struct {
			path string
			body any
		}{{"react", map[string]string{"emoji": "👍"}}, {"send", map[string]any{"fixture": "messages.image"}}, {"send", map[string]any{"fixture": "messages.location.place"}}, {"send", map[string]any{"fixture": "messages.contacts.full"}}, {"send", map[string]any{"fixture": "messages.interactive.button_reply"}}} {
			if st := control(t, hs.URL, "POST", "users/"+name+"/"+act.path, act.body, &d); st != 200 || d.Status != 200 {
				t.Fatalf("%s: %s: %d %+v", id, act.path, st, d)
			}
		}
		a.mu.Lock()
		got := a.bodies[before:]
		a.mu.Unlock()
		if len(got) < 5 {
			t.Fatalf("%s: %d webhooks, want a message and statuses", id, len(got))
		}
		for _, b := range got {
			if !sameJSON(t, b, rewrite(t, b, id)) {
				t.Errorf("%s: the mock's webhook\n%s\nis not what identity.Rewrite makes of it\n%s", id, b, rewrite(t, b, id))
			}
		}
		other := identity.Phone
		if id.HasPhone() {
			other = identity.UsernameOnly
		}
		if sameJSON(t, got[0], rewrite(t, got[0], other)) {
			t.Errorf("%s: rewriting as %s changed nothing: the comparison sees no identity", id, other)
		}
	}
}

func rewrite(t *testing.T, b []byte, id identity.Identity) []byte {
	t.Helper()
	out, err := identity.Rewrite(b, id)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return out
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		t.Fatalf("not JSON:\n%s\n%s", a, b)
	}
	return reflect.DeepEqual(x, y)
}
