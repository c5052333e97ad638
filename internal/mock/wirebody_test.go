package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// twoPass is how a status webhook was encoded before appendEnvelope:
// json.Marshal of the envelope, then wire.Encode. The log showed the first.
func twoPass(t testing.TB, waba string, v messagesValue) (body, logged []byte) {
	t.Helper()
	env := envelope{Object: "whatsapp_business_account",
		Entry: []entry{{ID: waba, Changes: []change{{Value: v, Field: "messages"}}}}}
	logged, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	body, err = wire.Encode(logged)
	if err != nil {
		t.Fatal(err)
	}
	return body, logged
}

// checkEnvelope asserts that appendEnvelope writes the two passes' bytes,
// and says plain only when json.Marshal's bytes are those too.
func checkEnvelope(t testing.TB, waba string, v messagesValue) {
	t.Helper()
	want, logged := twoPass(t, waba, v)
	got, plain, err := appendEnvelope(nil, waba, &v)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendEnvelope:\n got %s\nwant %s", got, want)
	}
	if plain && !bytes.Equal(got, logged) {
		t.Fatalf("plain, but json.Marshal wrote\n%s\nnot\n%s", logged, got)
	}
}

func statusValue(name, id string) messagesValue {
	conv := &conversation{ID: "c0ffee", Expiration: "1700086400"}
	conv.Origin.Type = "service"
	return messagesValue{MessagingProduct: "whatsapp",
		Metadata: metadata{DisplayPhoneNumber: "15550142233", PhoneNumberID: "109283746501928"},
		Contacts: []contact{{Profile: profile{Name: name, Username: "al"}, WaID: "15550100001", UserID: "US.1234"},
			{Profile: profile{Name: "Bo"}, UserID: "US.99", ParentUserID: "US.ENT.1"}},
		Statuses: []statusItem{
			{ID: id, Status: "sent", Timestamp: "1700000000", RecipientID: "15550100001", RecipientUserID: "US.1234",
				BizOpaque: name, Conversation: conv,
				Pricing: &pricing{Billable: true, PricingModel: "PMP", Category: "service", Type: "regular"}},
			{ID: id, Status: "delivered", Timestamp: "1700000001", RecipientUserID: "US.1234", RecipientParentUserID: "US.ENT.1",
				Pricing: &pricing{PricingModel: "PMP", Category: "utility", Type: "free_customer_service"}},
			{ID: id, Status: "failed", Timestamp: "1700000002", RecipientID: "15550100001",
				Errors: []graph.WebhookError{graph.AsyncError(131047, "outside the window: <24 h> & "+name)}},
		}}
}

func TestAppendEnvelopeIsTheTwoPasses(t *testing.T) {
	for _, name := range []string{"Alice", "", "José 🙂", `a "quoted" \ name`, "a/b <c> & d", "tab\there", "\u2028", "bad \xff utf-8"} {
		v := statusValue(name, "wamid.HBgLMTU1NTAxMDAwMDEVAgARGBQ5RTM3OUUzNzc5Qjk3RjRBN0MxMQA=")
		checkEnvelope(t, "104729385610274", v)
		// Each part on its own: what a sent or a delivered webhook carries.
		for i := range v.Statuses {
			one := v
			one.Statuses = v.Statuses[i : i+1]
			one.Contacts = nil
			checkEnvelope(t, "104729385610274", one)
		}
		msgs := v
		msgs.Statuses = nil
		msgs.Messages = []json.RawMessage{
			json.RawMessage(`{"from":"15550100001", "id":"wamid.x/y","type":"text","text":{"body":` + string(mustJSON(t, name)) + `}}`),
			json.RawMessage(`{"type":"reaction","reaction":{"emoji":"\ud83d\ude00"}}`),
		}
		checkEnvelope(t, "104729385610274", msgs)
	}
}

func TestAppendEnvelopePlain(t *testing.T) {
	v := statusValue("Alice", "wamid.HBgLMTU1NTAxMDAwMDEVAgARGBQ5RTM3OUUzNzc5Qjk3RjRBN0MxMQA=")
	v.Statuses = v.Statuses[:2]
	if _, plain, _ := appendEnvelope(nil, "1", &v); !plain {
		t.Error("a status of plain strings is not plain")
	}
	v.Contacts[0].Profile.Name = "José"
	if _, plain, _ := appendEnvelope(nil, "1", &v); plain {
		t.Error("a name with é is plain")
	}
	v = statusValue("Alice", "wamid.HBgLMTU1/TAxMDAwMDEVAgARGBQ5RTM3OUUzNzc5Qjk3RjRBN0MxMQA=")
	v.Statuses = v.Statuses[:1]
	if _, plain, _ := appendEnvelope(nil, "1", &v); plain {
		t.Error(`an id with "/" is plain`)
	}
}

func TestAppendEnvelopeBadMessage(t *testing.T) {
	v := messagesValue{MessagingProduct: "whatsapp", Messages: []json.RawMessage{json.RawMessage(`{"type":`)}}
	if _, _, err := appendEnvelope(nil, "1", &v); err == nil {
		t.Error("a message that is not JSON gave no error")
	}
}

func FuzzAppendEnvelope(f *testing.F) {
	f.Add("Alice", "wamid.HBgL", "opaque")
	f.Add("José", "a/b", "<&>")
	f.Add("\x00\x1f\"\\", "\u2029", "\xed\xa0\x80")
	f.Fuzz(func(t *testing.T, name, id, opaque string) {
		v := statusValue(name, id)
		v.Statuses[0].BizOpaque = opaque
		v.Contacts[1].Profile.Username = opaque
		checkEnvelope(t, id, v)
		v.Statuses = v.Statuses[:2] // without the failed one, which is parsed back
		checkWritten(t, id, v)
	})
}

// checkWritten checks that the events of v as written are the parser's
// events of its body, unless the writer said the body does not carry v;
// it returns whether the writer said so.
func checkWritten(t *testing.T, waba string, v messagesValue) (lossy bool) {
	t.Helper()
	if !writable(&v) {
		t.Fatal("not a value writtenBody describes")
	}
	wb := &writtenBody{waba: waba, v: v}
	body, _, err := appendEnvelopeSpans(nil, waba, &v, &wb.spans)
	if err != nil {
		t.Fatal(err)
	}
	if wb.spans.lossy {
		return true
	}
	n, err := webhook.ParseShared(body)
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if msg := sameEvents(body, wb.events(body), n.Events()); msg != "" {
		t.Fatalf("%s\n%s", msg, body)
	}
	return false
}

func TestWrittenBodyIsLossyOnlyForBadUTF8(t *testing.T) {
	for name, lossy := range map[string]bool{"Alice": false, "José 🙂 <&> \u2028": false, "bad \xff utf-8": true} {
		v := statusValue(name, "wamid.HBgL")
		v.Statuses = v.Statuses[:2]
		if got := checkWritten(t, "1", v); got != lossy {
			t.Errorf("%q: lossy %v, want %v", name, got, lossy)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPlainBytes derives the plain bytes from the two encoders themselves:
// a byte is plain exactly when both leave it as it is.
func TestPlainBytes(t *testing.T) {
	for c := range 256 {
		s := string([]byte{byte(c)})
		q, _ := json.Marshal(s)
		enc, err := wire.Encode(q)
		same := err == nil && string(enc) == `"`+s+`"`
		if wirePlain(s) != same {
			t.Errorf("byte %#x: wirePlain says %v, the encoders %v (%s)", c, wirePlain(s), same, enc)
		}
	}
}

func TestSendAnswerJSON(t *testing.T) {
	for _, ct := range []sendContact{
		{Input: "15550100001", WaID: "15550100001"},
		{Input: "+1 (555) 010-0001", WaID: "15550100001"},
		{Input: "US.1234", UserID: "US.1234", ParentUserID: "US.ENT.9"},
		{Input: "<odd> & \"quoted\" é"},
	} {
		for _, msg := range []sendMessageID{{ID: "wamid.HBgLMTU1NTAxMDAwMDEVAgARGBQ5RTM3OUUzNzc5Qjk3RjRBN0MxMQA="},
			{ID: "wamid.a/b+c=", Status: "accepted"}} {
			want := mustJSON(t, sendAnswer{MessagingProduct: "whatsapp", Contacts: []sendContact{ct}, Messages: []sendMessageID{msg}})
			if got := sendAnswerJSON(ct, msg); !bytes.Equal(got, want) {
				t.Errorf("sendAnswerJSON:\n got %s\nwant %s", got, want)
			}
		}
	}
	if got := mustJSON(t, success); !bytes.Equal(got, successJSON) {
		t.Errorf("successJSON is %s, json.Marshal(success) %s", successJSON, got)
	}
}

// TestSecretEnds: every secret key, quoted, ends as one of secretEnds
// (else redactJSON would not look for it).
func TestSecretEnds(t *testing.T) {
	for k := range secretKeys {
		found := false
		for _, end := range secretEnds {
			found = found || bytes.HasSuffix([]byte(`"`+k+`"`), end)
		}
		if !found {
			t.Errorf("secret key %q ends as none of secretEnds", k)
		}
	}
	body := []byte(`{"object":"whatsapp_business_account","verify_token":"s3cret","fields":["messages"]}`)
	if got := redactJSON(body); bytes.Contains(got, []byte("s3cret")) {
		t.Errorf("redactJSON kept the verify token: %s", got)
	}
}

func TestCoalescedSummaryWithMessages(t *testing.T) {
	got := coalescedSummary([]string{"sent", "sent", "delivered"}, []string{"text"}, []string{"alice"})
	if want := "4 updates in one POST (the app fell behind): 2 sent, 1 delivered, 1 inbound → alice"; got != want {
		t.Errorf("coalescedSummary = %q, want %q", got, want)
	}
}

func TestReadBody(t *testing.T) {
	read := func(body string, length int64) ([]byte, error) {
		r := httptest.NewRequest("POST", "/v21.0/1/messages", strings.NewReader(body))
		r.ContentLength = length
		return readBody(httptest.NewRecorder(), r)
	}
	if b, err := read(`{"a":1}`, 7); err != nil || string(b) != `{"a":1}` {
		t.Errorf("a body of its announced length: %q, %v", b, err)
	}
	if b, err := read(`{"a":1}`, -1); err != nil || string(b) != `{"a":1}` {
		t.Errorf("a body of no announced length: %q, %v", b, err)
	}
	if _, err := read(`{"a"`, 7); err == nil {
		t.Error("a body shorter than announced gave no error")
	}
	big := strings.Repeat("x", maxPresized+1)
	if b, err := read(big, int64(len(big))); err != nil || len(b) != len(big) {
		t.Errorf("a body past maxPresized: %d bytes, %v", len(b), err)
	}
	huge := strings.Repeat("x", maxJSONBody+1)
	var mbe *http.MaxBytesError
	if _, err := read(huge, int64(len(huge))); !errors.As(err, &mbe) {
		t.Errorf("a body past maxJSONBody: %v, want a MaxBytesError", err)
	}
}
