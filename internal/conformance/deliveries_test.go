package conformance

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// broken is a receiver that answers correctly, except that it answers 500
// to the POSTs crash says it crashes on.
type broken struct {
	crash func(body []byte, signed bool) bool
}

func (b broken) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		endpoint{}.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	signed := signature.Verify(testSecret, body, r.Header.Get(signature.Header)).OK()
	if b.crash(body, signed) {
		http.Error(w, "panic: runtime error: invalid memory address or nil pointer dereference", http.StatusInternalServerError)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	endpoint{}.ServeHTTP(w, r)
}

type shape struct {
	Entry []struct {
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				Messages []map[string]any `json:"messages"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

func parseShape(body []byte) shape {
	var s shape
	_ = json.Unmarshal(body, &s)
	return s
}

// onlyMessages handles the messages field and crashes on every other, as
// a handler does that reads value.metadata.phone_number_id or
// value.messages[0] without looking at the field.
func onlyMessages(body []byte, _ bool) bool {
	for _, e := range parseShape(body).Entry {
		for _, c := range e.Changes {
			if c.Field != "messages" {
				return true
			}
		}
	}
	return false
}

// keyedOnFrom crashes on a message without from, as a handler does that
// keys users on from or wa_id.
func keyedOnFrom(body []byte, _ bool) bool {
	for _, e := range parseShape(body).Entry {
		for _, c := range e.Changes {
			for _, m := range c.Value.Messages {
				if _, ok := m["from"]; !ok {
					return true
				}
			}
		}
	}
	return false
}

// crashesOnForged crashes when the signature does not verify, instead of
// refusing.
func crashesOnForged(_ []byte, signed bool) bool { return !signed }

func deliveriesOnly(t *testing.T, h http.Handler, change func(*Options)) *Report {
	t.Helper()
	srv := serve(t, h)
	o := baseOpts(srv.URL + "/webhook")
	o.Only = GroupDeliveries
	o.noLarge = true // TestDeliveries covers it; building it is the slowest part
	if change != nil {
		change(&o)
	}
	return run(t, o)
}

// TestFieldsCheck: a receiver that answers 500 to every field but messages
// fails the field check, which names the fields; --fields limits it to
// what the app subscribes to.
func TestFieldsCheck(t *testing.T) {
	rep := deliveriesOnly(t, broken{crash: onlyMessages}, nil)
	if got := ids(rep, Fail); !slices.Equal(got, []string{"delivery-fields"}) {
		t.Fatalf("failed = %v, want [delivery-fields]%s", got, explain(rep))
	}
	c := check(t, rep, "delivery-fields")
	for _, want := range []string{"account_update", "message_template_status_update", "security", "flows", "history",
		"smb_message_echoes", "calls", "conversation_insights (a field Meta may add)", "may disable the subscription"} {
		if !strings.Contains(c.Reason, want) {
			t.Errorf("reason does not name %q: %s", want, c.Reason)
		}
	}
	if strings.Contains(c.Reason, "messages.system") || strings.Contains(c.Reason, "statuses.failed") {
		t.Errorf("reason names a messages delivery that got 200: %s", c.Reason)
	}
	want := len(subscribableFields()) - 1 + len(fieldProbes) + 1 // messages as probes, plus the future field
	if len(c.Detail) != want {
		t.Errorf("%d field deliveries, want %d: %q", len(c.Detail), want, c.Detail)
	}
	meta, noMeta := 0, 0
	for _, d := range c.Detail {
		switch {
		case strings.Contains(d, "no value.metadata"):
			noMeta++
		case strings.Contains(d, "value.metadata"):
			meta++
		}
	}
	if meta < 10 || noMeta < 10 {
		t.Errorf("%d deliveries with value.metadata and %d without: both shapes must be sent", meta, noMeta)
	}

	// Subscribed to messages only: nothing else is sent, all passes.
	rep = deliveriesOnly(t, broken{crash: onlyMessages}, func(o *Options) { o.Fields = []string{"messages"} })
	if rep.Summary.Failed != 0 {
		t.Fatalf("--fields messages failed:%s", explain(rep))
	}
	if c := check(t, rep, "delivery-fields"); len(c.Detail) != len(fieldProbes) || !strings.Contains(c.Reason, "200 to all 3") {
		t.Errorf("--fields messages: %s %q", c.Reason, c.Detail)
	}
	// Subscribed to messages and security: security is named, nothing else.
	rep = deliveriesOnly(t, broken{crash: onlyMessages}, func(o *Options) { o.Fields = []string{"messages", " security"} })
	c = check(t, rep, "delivery-fields")
	if c.Status != Fail || !strings.Contains(c.Reason, "1 of 4 fields not answered 200: security (500)") {
		t.Errorf("--fields messages,security: %s", c.Reason)
	}
}

// TestEveryFieldHasADelivery: the field check sends every field of the
// catalog, so a new fixture field is covered without touching the check.
func TestEveryFieldHasADelivery(t *testing.T) {
	set, err := buildBodiesFor(bodyOptions{secret: testSecret, noLarge: true})
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]bool{}
	for _, fd := range set.Fields {
		sent[fd.Field] = true
		if !signature.Verify(testSecret, fd.d.Body, fd.d.Header.Get(signature.Header)).OK() {
			t.Errorf("%s: not correctly signed", fd.Fixture)
		}
		if hasMetadata(fd.d.Body) != bytes.Contains(fd.d.Body, []byte(`"metadata":{"display_phone_number"`)) {
			t.Errorf("%s: metadata flag %v is wrong", fd.Fixture, fd.Metadata)
		}
	}
	for _, f := range fixtures.Fields() {
		if !sent[f] {
			t.Errorf("no delivery for field %s", f)
		}
	}
}

// TestBSUIDSenders: a receiver that 500s on a message without from fails
// exactly the BSUID-only and username-only checks.
func TestBSUIDSenders(t *testing.T) {
	rep := deliveriesOnly(t, broken{crash: keyedOnFrom}, nil)
	if got := ids(rep, Fail); !slices.Equal(got, []string{"delivery-bsuid-only", "delivery-username-only"}) {
		t.Fatalf("failed = %v%s", got, explain(rep))
	}
	if c := check(t, rep, "delivery-username-only"); !strings.Contains(c.Reason, "from_user_id") || c.Fix == "" {
		t.Errorf("reason %q, fix %q", c.Reason, c.Fix)
	}
	// --identity bsuid-only sends every delivery that way: now the text,
	// batch, duplicate… fail too.
	rep = deliveriesOnly(t, broken{crash: keyedOnFrom}, func(o *Options) { o.Identity = "bsuid-only" })
	for _, id := range []string{"delivery-text", "delivery-batch", "delivery-duplicate", "delivery-fields"} {
		if c := check(t, rep, id); c.Status != Fail {
			t.Errorf("--identity bsuid-only: %s %s: %s", id, c.Status, c.Reason)
		}
	}
}

// TestForgedCrash: a 5xx to a forged or unsigned request is a warning (it
// crashed instead of refusing), 401/403 pass, 2xx fails.
func TestForgedCrash(t *testing.T) {
	rep := deliveriesOnly(t, broken{crash: crashesOnForged}, nil)
	if rep.Summary.Failed != 0 {
		t.Fatalf("failed:%s", explain(rep))
	}
	if got := ids(rep, Warn); !slices.Equal(got, []string{"forged-signature", "missing-signature"}) {
		t.Fatalf("warnings = %v%s", got, explain(rep))
	}
	for _, id := range []string{"forged-signature", "missing-signature"} {
		c := check(t, rep, id)
		if !strings.Contains(c.Reason, "500 Internal Server Error") || !strings.Contains(c.Reason, "crashed instead of refusing") || !strings.Contains(c.Fix, "401") {
			t.Errorf("%s: %s / %s", id, c.Reason, c.Fix)
		}
	}
	// --strict turns the warnings into failures.
	rep = deliveriesOnly(t, broken{crash: crashesOnForged}, func(o *Options) { o.Strict = true })
	if got := ids(rep, Fail); !slices.Equal(got, []string{"forged-signature", "missing-signature"}) {
		t.Errorf("--strict: failed = %v", got)
	}
	// 403 is as good as 401.
	rep = deliveriesOnly(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !signature.Verify(testSecret, body, r.Header.Get(signature.Header)).OK() {
			http.Error(w, "Forbidden", http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusOK)
	}), nil)
	if rep.Summary.Failed != 0 || rep.Summary.Warnings != 0 {
		t.Errorf("403 to forged requests:%s", explain(rep))
	}
}

func TestDeliveryOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		change func(*Options)
		want   string
	}{
		{func(o *Options) { o.Fields = []string{"acount_update"} }, `did you mean "account_update"`},
		{func(o *Options) { o.Fields = []string{"conversation_insights"} }, "not a webhook field"},
		{func(o *Options) { o.Identity = "bsuid" }, `did you mean "bsuid-only"`},
	} {
		o := baseOpts("http://127.0.0.1:1/webhook")
		tc.change(&o)
		_, err := Run(t.Context(), o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error = %v, want %q", err, tc.want)
		}
	}
}

// TestFieldsStopOnAHang: an endpoint that hangs on a field costs the
// timeout once, not once per field.
func TestFieldsStopOnAHang(t *testing.T) {
	rep := deliveriesOnly(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if onlyMessages(body, true) {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusOK)
	}), func(o *Options) { o.Timeout = 300 * time.Millisecond })
	c := check(t, rep, "delivery-fields")
	if c.Status != Fail || !strings.Contains(c.Reason, "stopped after no answer") || len(c.Detail) > len(fieldProbes)+1 {
		t.Errorf("%s: %s (%d deliveries)", c.Status, c.Reason, len(c.Detail))
	}
}

// TestFieldsWrongSecret: an endpoint with another App Secret refuses every
// field; the check says so in one line instead of listing 35 refusals.
func TestFieldsWrongSecret(t *testing.T) {
	rep := deliveriesOnly(t, endpoint{}, func(o *Options) { o.AppSecret = "another-secret" })
	c := check(t, rep, "delivery-fields")
	if c.Status != Fail || !strings.HasPrefix(c.Reason, "refused all ") || !strings.Contains(c.Reason, "401 Unauthorized") || c.Fix != fixSigned {
		t.Errorf("%s: %s / %s", c.Status, c.Reason, c.Fix)
	}
}

// TestBuilderIdentity: every body the checks build, the 3 MB one included,
// starts from the builder's rewritten source.
func TestBuilderIdentity(t *testing.T) {
	src, err := builder{id: "bsuid-only"}.source(fixtureText)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(src.Body, []byte(`"wa_id"`)) || !bytes.Contains(src.Body, []byte(`"from_user_id"`)) {
		t.Errorf("bsuid-only source:\n%s", src.Body)
	}
	set, err := buildBodiesFor(bodyOptions{secret: testSecret, id: "username-only", only: []string{"security"}, noLarge: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]delivery{"text": set.Text, "batch": set.Batch, "forged": set.Forged} {
		if bytes.Contains(d.Body, []byte(`"wa_id"`)) || !bytes.Contains(d.Body, []byte(`"username"`)) {
			t.Errorf("%s with --identity username-only still has a wa_id or no username", name)
		}
	}
	if len(set.Fields) != 1 || set.Fields[0].Field != "security" || set.Fields[0].Metadata {
		t.Errorf("--fields security: %+v", set.Fields)
	}
}
