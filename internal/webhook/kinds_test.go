package webhook_test

import (
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

func events(t *testing.T, body string) []webhook.Event {
	t.Helper()
	n, err := webhook.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return n.Events()
}

func fixtureEvents(t *testing.T, name string) []webhook.Event {
	t.Helper()
	f, ok := fixtures.Get(name)
	if !ok {
		t.Fatalf("no fixture %s", name)
	}
	return events(t, string(f.Body))
}

func envelope(field, value string) string {
	return `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"` + field + `","value":` + value + `}]}]}`
}

func TestKindsSayWhoIsTalking(t *testing.T) {
	for name, want := range map[string]string{
		"messages.text":                webhook.KindMessage,
		"smb_message_echoes.text":      webhook.KindEcho,
		"history.chunk":                webhook.KindHistory,
		"standby.text":                 webhook.KindStandby,
		"statuses.read":                webhook.KindStatus,
		"messages.errors.130429":       webhook.KindError,
		"account_update.partner_added": "account_update",
	} {
		evs := fixtureEvents(t, name)
		if evs[0].Kind != want {
			t.Errorf("%s: kind %q, want %q", name, evs[0].Kind, want)
		}
	}
}

func TestEchoNamesTheUserItWasSentTo(t *testing.T) {
	evs := events(t, envelope("smb_message_echoes", `{"metadata":{"display_phone_number":"15550001111"},
		"contacts":[{"profile":{"name":"Ana"},"wa_id":"16505551234","user_id":"US.1234567890"}],
		"message_echoes":[{"from":"15550001111","to":"16505551234","id":"wamid.E","timestamp":"1700000000","type":"text","text":{"body":"hi"}}]}`))
	e := evs[0]
	if e.Kind != webhook.KindEcho || e.Recipient != "16505551234" || e.ContactName != "Ana" || e.UserID != "US.1234567890" {
		t.Fatalf("%+v", e)
	}
}

func TestBusinessInitiatedCallNamesTheCallee(t *testing.T) {
	evs := events(t, envelope("calls", `{"metadata":{"display_phone_number":"15550001111"},
		"contacts":[{"profile":{"name":"Ana"},"wa_id":"16505551234"}],
		"calls":[{"id":"wacid.C","from":"15550001111","to":"16505551234","event":"connect","timestamp":"1700000000","direction":"BUSINESS_INITIATED"}]}`))
	if e := evs[0]; e.ContactName != "Ana" || e.Recipient != "16505551234" {
		t.Fatalf("%+v", e)
	}
}

func TestStatusToABSUIDCarriesTheContactsPhoneAndParent(t *testing.T) {
	evs := events(t, envelope("messages", `{"metadata":{},
		"contacts":[{"profile":{"name":"Ana"},"wa_id":"16505551234","user_id":"US.1234567890","parent_user_id":"US.ENT.99999999"}],
		"statuses":[{"id":"wamid.S","status":"read","timestamp":"1700000000","recipient_user_id":"US.1234567890"}]}`))
	e := evs[0]
	if e.Recipient != "US.1234567890" || e.WaID != "16505551234" || e.ContactName != "Ana" || e.ParentUserID != "US.ENT.99999999" {
		t.Fatalf("%+v", e)
	}
}

func TestUnknownItemInsideAKnownFieldBecomesAnEvent(t *testing.T) {
	evs := events(t, envelope("messages", `{"metadata":{},
		"messages":[{"from":"1","id":"wamid.M","timestamp":"1700000000","type":"text","text":{"body":"hi"}}],
		"calls":[{"id":"wacid.A","event":"connect"},{"id":"wacid.B","event":"terminate"}],
		"mood":"sunny"}`))
	if len(evs) != 3 {
		t.Fatalf("%d events, want the message and two unknown calls: %+v", len(evs), evs)
	}
	for i, e := range evs[1:] {
		if e.Kind != webhook.KindUnknown || !e.Unknown || e.ItemIndex != i+1 || !strings.Contains(e.Summary, `calls[`) || !strings.Contains(string(e.Raw), "wacid.") {
			t.Errorf("stray %d: %+v", i, e)
		}
	}
	for _, e := range evs {
		if !strings.Contains(strings.Join(e.Problems, ";"), `"mood"`) {
			t.Errorf("scalar stray not reported on %s: %q", e.Type, e.Problems)
		}
	}
}

func TestStringLatitudeIsAProblem(t *testing.T) {
	for _, lat := range []string{`"37.7"`, `"north"`, `null`} {
		evs := events(t, envelope("messages", `{"metadata":{},"messages":[{"from":"1","id":"wamid.L","timestamp":"1700000000","type":"location",
			"location":{"latitude":`+lat+`,"longitude":-122.4}}]}`))
		e := evs[0]
		if e.Type != "location" || !strings.Contains(strings.Join(e.Problems, ";"), "location.latitude: expected a number") {
			t.Errorf("latitude %s: problems %q", lat, e.Problems)
		}
		if strings.Contains(e.Summary, "(, ") {
			t.Errorf("latitude %s: summary %q hides the missing value", lat, e.Summary)
		}
	}
	if evs := fixtureEvents(t, "messages.location.current"); len(evs[0].Problems) != 0 {
		t.Errorf("numbers reported: %q", evs[0].Problems)
	}
}

func TestTimestampPastYear9999IsKeptAsSent(t *testing.T) {
	evs := events(t, envelope("history", `{"metadata":{},"history":[{"metadata":{"phase":0},"threads":[{"id":"1","messages":[
		{"from":"1","id":"wamid.H","timestamp":"0270000000000000","type":"text","text":{"body":"x"}}]}]}]}`))
	e := evs[0]
	if e.RawTimestamp != "0270000000000000" || len(e.Problems) == 0 || !strings.Contains(e.Problems[0], "after year 9999") {
		t.Fatalf("%+v", e)
	}
}

func TestUnknownEnvelopeKeysAreReported(t *testing.T) {
	body := `{"object":"whatsapp_business_account","debug":true,"entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{},
		"messages":[{"from":"1","id":"wamid.M","timestamp":"1700000000","type":"text","text":{"body":"hi"}}]}}]}],"trace_id":"abc"}`
	for _, parse := range []func([]byte) (*webhook.Notification, error){webhook.Parse, webhook.ParseShared} {
		n, err := parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		e := n.Events()[0]
		got := strings.Join(e.Problems, ";")
		if !strings.Contains(got, `"debug"`) || !strings.Contains(got, `"trace_id"`) {
			t.Errorf("problems %q", e.Problems)
		}
	}
	// The reference decoder (a body the fast path gives up on: "Object"
	// matches object case-insensitively) reports them too.
	n, err := webhook.Parse([]byte(strings.Replace(body, `"object"`, `"Object"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.Events()[0].Problems, ";"); !strings.Contains(got, `"debug"`) || strings.Contains(got, "Object") {
		t.Errorf("reference path: %q", got)
	}
}

func TestEmptyHistoryChunkKeepsItsRaw(t *testing.T) {
	evs := events(t, envelope("history", `{"metadata":{},"history":[{"metadata":{"phase":2,"chunk_order":3,"progress":100},"threads":[]}]}`))
	if e := evs[0]; e.Type != "history.chunk" || !strings.Contains(string(e.Raw), `"chunk_order":3`) {
		t.Fatalf("%+v", e)
	}
}

func TestSummariesAreNeverCut(t *testing.T) {
	long := strings.Repeat("word ", 400)
	evs := events(t, envelope("messages", `{"metadata":{},"messages":[{"from":"1","id":"wamid.M","timestamp":"1700000000","type":"text","text":{"body":"`+long+`"}}]}`))
	if !strings.Contains(evs[0].Summary, strings.TrimSpace(long)) {
		t.Fatalf("summary cut: %d bytes", len(evs[0].Summary))
	}
}

func TestRawTypeIsOnEveryItemThatHasOne(t *testing.T) {
	for name, want := range map[string]string{"messages.text": "text", "statuses.read": "read", "calls.connect": "connect"} {
		if got := fixtureEvents(t, name)[0].RawType; got != want {
			t.Errorf("%s: raw_type %q, want %q", name, got, want)
		}
	}
}
