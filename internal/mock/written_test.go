package mock

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
	"github.com/wa-hooks/wa-hooks/internal/webhook"
)

// The events of a webhook as the mock wrote it must be, field for field
// and Raw for Raw (the same bytes of the body, sliced alike: the
// inspector keeps offsets into it), what the parser reads back out of
// the posted body. The traffic has every shape a status webhook takes:
// phone, phone with BSUID and BSUID-only recipients (with their
// contacts), texts and templates, v23 (conversation objects) and v24,
// reads, Meta's habits (batches, duplicates, out of order, skipped
// delivered), a failed status (parsed, not written), and webhooks
// coalesced while the app was held.
func TestWrittenEventsAreTheParsersEvents(t *testing.T) {
	a := newSlowApp(t)
	h := simnet.Realistic()
	h.SentDelay, h.DeliveredDelay, h.ReadDelay = 0, 0, 0
	h.Batch, h.Duplicate, h.OutOfOrder, h.SkipDelivered = 0.3, 0.2, 0.2, 0.2
	var c eventsCheck
	s, err := New(Options{Webhook: a.srv.URL + "/webhook", AccessToken: testToken, AppSecret: testSecret, Habits: &h,
		Limits: &simnet.Limits{}, NoRetry: true, OnEntry: c.entry})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	s.SetBaseURL(hs.URL)
	t.Cleanup(hs.Close)
	for _, u := range []string{"alice", "bruno", "chen"} {
		control(t, hs.URL, "POST", "users/"+u+"/say", map[string]string{"text": "hi"}, nil)
	}
	sends := []string{
		`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"order shipped"}}`,
		`{"messaging_product":"whatsapp","to":"5511955500002","type":"text","text":{"body":"olá"}}`,
		`{"messaging_product":"whatsapp","recipient":"US.13491208655302741918","type":"text","text":{"body":"hey"}}`,
		`{"messaging_product":"whatsapp","to":"5511955500002","type":"template","template":{"name":"hello_world","language":{"code":"en_US"}},"biz_opaque_callback_data":"campaign/7 <b>"}`,
	}
	send := func(i int) {
		version := "v24.0"
		if i%3 == 0 {
			version = "v23.0"
		}
		if st, out := graphCall(t, "POST", hs.URL+"/"+version+"/109283746501928/messages", testToken, sends[i%len(sends)]); st != 200 {
			t.Fatalf("send %d: %d %v", i, st, out)
		}
	}
	for i := range 24 {
		send(i)
	}
	for _, u := range []string{"alice", "bruno", "chen"} {
		control(t, hs.URL, "POST", "users/"+u+"/read", map[string]string{}, nil)
	}
	// Outside dana's window (she never wrote): a failed status with Meta's error.
	control(t, hs.URL, "POST", "users", map[string]string{"name": "dana", "identity": "phone", "wa_id": "15550100009"}, nil)
	graphCall(t, "POST", hs.URL+"/v24.0/109283746501928/messages", testToken,
		`{"messaging_product":"whatsapp","to":"15550100009","type":"text","text":{"body":"hello?"}}`)
	// Held: what is planned meanwhile leaves coalesced.
	a.hold()
	send(0)
	<-a.in
	for i := range 30 {
		send(i)
	}
	time.Sleep(3 * coalesceLate)
	a.release()
	waitLog(t, hs.URL, func(es []Entry) bool { return len(statuses(es)) >= 2*(24+31) })
	time.Sleep(50 * time.Millisecond)
	_ = s.Close() // OnEntry has seen everything
	c.report(t)
	if c.written < 20 || c.coalesced == 0 || c.parsed == 0 {
		t.Errorf("%d webhooks written (%d coalesced), %d parsed: want many written, some coalesced, some parsed", c.written, c.coalesced, c.parsed)
	}
}

// A retry posts the first attempt's bytes again: its events still come
// from what was written, and are still the parser's.
func TestWrittenEventsOfARetriedWebhook(t *testing.T) {
	a := newApp(t)
	a.status = []int{0, 500} // alice's message answered; the first status webhook of the reply refused once
	var c eventsCheck
	s, hs := startMock(t, a, Options{Deterministic: true, OnEntry: c.entry})
	control(t, hs.URL, "POST", "users/alice/say", map[string]string{"text": "hi"}, nil)
	waitLog(t, hs.URL, func(es []Entry) bool {
		for _, e := range es {
			if e.Kind == "webhook" && e.Attempt > 1 && e.Status == 200 {
				return true
			}
		}
		return false
	})
	s.log.barrier() // OnEntry runs behind the log
	c.report(t)
	if c.retried == 0 {
		t.Errorf("no retried webhook took its events from what was written (%d written, %d parsed)", c.written, c.parsed)
	}
}

// eventsCheck compares, for every webhook entry the mock hands over, the
// events Entry.WebhookEvents gives with the parser's.
type eventsCheck struct {
	mu                                  sync.Mutex
	written, parsed, coalesced, retried int
	failures                            []string
}

func (c *eventsCheck) entry(e Entry, body []byte) {
	if e.Kind != "webhook" || len(body) == 0 {
		return
	}
	isWritten := e.known != nil && e.known.written != nil
	got, ok := e.WebhookEvents(body)
	n, err := webhook.ParseShared(body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if isWritten {
		c.written++
		if e.Coalesced > 0 {
			c.coalesced++
		}
		if e.Attempt > 1 {
			c.retried++
		}
	} else {
		c.parsed++
	}
	if err != nil || !ok {
		c.failures = append(c.failures, fmt.Sprintf("entry %d: ok %v, parse error %v", e.Seq, ok, err))
		return
	}
	if msg := sameEvents(body, got, n.Events()); msg != "" {
		c.failures = append(c.failures, fmt.Sprintf("entry %d (written %v): %s\n%s", e.Seq, isWritten, msg, body))
	}
}

func (c *eventsCheck) report(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.failures {
		t.Error(f)
	}
}

// sameEvents says how got differs from want ("" when it does not),
// including where each Raw lies in body.
func sameEvents(body []byte, got, want []webhook.Event) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d events, the parser %d", len(got), len(want))
	}
	at := func(raw []byte) string {
		if len(raw) == 0 {
			return "empty"
		}
		return fmt.Sprintf("at %d, cap %d", uintptr(unsafe.Pointer(unsafe.SliceData(raw)))-uintptr(unsafe.Pointer(unsafe.SliceData(body))), cap(raw))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			g, _ := json.Marshal(got[i])
			w, _ := json.Marshal(want[i])
			return fmt.Sprintf("event %d:\n written %s\n parsed  %s", i, g, w)
		}
		if a, b := at(got[i].Raw), at(want[i].Raw); a != b {
			return fmt.Sprintf("event %d: Raw %s, the parser's %s", i, a, b)
		}
	}
	return ""
}
