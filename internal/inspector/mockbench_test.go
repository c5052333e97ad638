package inspector

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/mock"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

// loggedEntry is one of the mock's log entries with its body, as the
// companion is handed it.
type loggedEntry struct {
	e    mock.Entry
	body []byte
}

// mockTraffic is what a mock logs for sends texts an app sends to alice
// and bruno, with Meta's habits on and zero delays (the bench's mock):
// the Graph calls and their status webhooks, in log order.
func mockTraffic(tb testing.TB, sends int) []loggedEntry {
	tb.Helper()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer app.Close()
	var mu sync.Mutex
	var got []loggedEntry
	h := simnet.Realistic()
	h.SentDelay, h.DeliveredDelay, h.ReadDelay = 0, 0, 0
	l := simnet.Limits{}
	srv, err := mock.New(mock.Options{Webhook: app.URL + "/webhook", AppSecret: mockSecret, AccessToken: mockAccess,
		Habits: &h, Limits: &l, NoRetry: true, NoCoalesce: true, OnEntry: func(e mock.Entry, body []byte) {
			mu.Lock()
			got = append(got, loggedEntry{e, body})
			mu.Unlock()
		}})
	if err != nil {
		tb.Fatal(err)
	}
	handler := srv.Handler()
	for _, u := range []string{"alice", "bruno"} { // their windows open
		req := httptest.NewRequest(http.MethodPost, "/_mock/users/"+u+"/say", strings.NewReader(`{"text":"where is my order?"}`))
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			tb.Fatalf("say: %d %s", w.Code, w.Body)
		}
	}
	path := "/v21.0/" + srv.Info().Business.PhoneNumberID + "/messages"
	for i := 0; i < sends; i++ {
		to := "15550100001"
		if i%2 == 1 {
			to = "5511955500002"
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{"messaging_product":"whatsapp","to":"`+to+`","type":"text","text":{"body":"order 12 is on its way"}}`))
		req.Header.Set("Authorization", "Bearer "+mockAccess)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			tb.Fatalf("send: %d %s", w.Code, w.Body)
		}
	}
	// Every send gets its statuses (sent, delivered; some skipped): wait
	// until the outbox is empty and the log stops growing.
	for deadline, last := time.Now().Add(30*time.Second), -1; ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == last && srv.Info().WebhooksWaiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("webhooks still waiting")
		}
		last = n
	}
	_ = srv.Close() // OnEntry has seen everything
	return got
}

// BenchmarkMockCompanion is the inspector's work for each of the mock's
// log entries (conversations and the request list) over the traffic of
// 200 sends; ns/send is per Graph send with its status webhooks.
// "handed" gets the entries as the mock hands them over (with its parse of
// each send, each webhook parsed on first use: here, by the inspector);
// "json" the same entries as read back from the log, which the inspector
// must parse whole (what it did for every entry before).
func BenchmarkMockCompanion(b *testing.B) {
	const sends = 200
	for _, mode := range []string{"handed", "json"} {
		b.Run(mode, func(b *testing.B) {
			idle, err := mock.New(mock.Options{AppSecret: mockSecret, AccessToken: mockAccess, Deterministic: true})
			if err != nil {
				b.Fatal(err)
			}
			defer idle.Close()
			m := NewMock(MockOptions{Options: Options{Addr: "127.0.0.1:0", AddrGiven: true, Token: mockInspTk}, AppSecret: mockSecret, AccessToken: mockAccess})
			ios, _, _, _ := iostreams.Test()
			if _, _, err := m.Start(context.Background(), ios, idle); err != nil {
				b.Fatal(err)
			}
			defer m.Stop()
			b.ReportAllocs()
			n, entries := 0, 0
			for b.Loop() {
				// Fresh traffic each round: a webhook's events are parsed
				// once, on first use.
				b.StopTimer()
				traffic := mockTraffic(b, sends)
				if mode == "json" {
					for i := range traffic {
						var back mock.Entry
						j, _ := json.Marshal(traffic[i].e)
						_ = json.Unmarshal(j, &back)
						traffic[i].e = back
					}
				}
				m.conv.reset() // the same wamids again: fresh conversations
				b.StartTimer()
				for _, le := range traffic {
					m.take(mockEntry{e: le.e, body: le.body})
				}
				n++
				entries += len(traffic)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*sends), "ns/send")
			b.ReportMetric(float64(entries)/float64(n*sends), "entries/send")
		})
	}
}
