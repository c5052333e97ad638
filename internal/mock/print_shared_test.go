package mock

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

type loggedEntry struct {
	e    Entry
	body []byte
}

// traffic is what a mock with Meta's habits and zero delays logs for one
// message alice writes and sends texts to alice and bruno (their windows open), each status on
// its own (as for an app that keeps up): the Graph calls and
// their status webhooks, in log order.
func traffic(tb testing.TB, sends int) []loggedEntry {
	tb.Helper()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer app.Close()
	var mu sync.Mutex
	var got []loggedEntry
	h := simnet.Realistic()
	h.SentDelay, h.DeliveredDelay, h.ReadDelay = 0, 0, 0
	l := simnet.Limits{}
	s, err := New(Options{Webhook: app.URL + "/webhook", AccessToken: testToken, AppSecret: testSecret, Habits: &h, Limits: &l, NoRetry: true, NoCoalesce: true,
		OnEntry: func(e Entry, body []byte) {
			mu.Lock()
			got = append(got, loggedEntry{e, body})
			mu.Unlock()
		}})
	if err != nil {
		tb.Fatal(err)
	}
	s.mu.Lock()
	for _, u := range []string{"alice", "bruno"} {
		s.net.Find(u).LastInbound = s.now()
	}
	s.mu.Unlock()
	handler := s.Handler()
	say := httptest.NewRequest(http.MethodPost, "/_mock/users/alice/say", strings.NewReader(`{"text":"where is my order?"}`))
	sw := httptest.NewRecorder()
	if handler.ServeHTTP(sw, say); sw.Code != http.StatusOK {
		tb.Fatalf("say: %d %s", sw.Code, sw.Body)
	}
	for i := 0; i < sends; i++ {
		to := "15550100001"
		if i%2 == 1 {
			to = "5511955500002"
		}
		req := httptest.NewRequest(http.MethodPost, "/v21.0/109283746501928/messages", strings.NewReader(`{"messaging_product":"whatsapp","to":"`+to+`","type":"text","text":{"body":"order 12 is on its way"}}`))
		req.Header.Set("Authorization", "Bearer "+testToken)
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
		if n == last && s.Info().WebhooksWaiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("webhooks still waiting")
		}
		last = n
	}
	_ = s.Close() // OnEntry has seen everything
	return got
}

// BenchmarkPrinter is the terminal's work for the traffic of 200 sends
// (lines rendered to a discarding writer); ns/send is per Graph send with
// its status webhooks. "parsed": the webhooks' events were parsed already
// (by the inspector, which shares them); "parsing": the printer parses
// them first.
func BenchmarkPrinter(b *testing.B) {
	const sends = 200
	for _, mode := range []string{"parsed", "parsing"} {
		b.Run(mode, func(b *testing.B) {
			ios, _, _, _ := iostreams.Test()
			ios.Out = io.Discard
			p := newPrinter(ios, false)
			b.ReportAllocs()
			n, entries := 0, 0
			for b.Loop() {
				b.StopTimer()
				tr := traffic(b, sends)
				if mode == "parsed" {
					for i := range tr {
						tr[i].e.WebhookEvents(tr[i].body)
					}
				}
				b.StartTimer()
				for _, le := range tr {
					p.entry(le.e, le.body)
				}
				n++
				entries += len(tr)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*sends), "ns/send")
			b.ReportMetric(float64(entries)/float64(n*sends), "entries/send")
		})
	}
}

// The terminal prints a webhook from the events parsed once for it and
// the inspector; `mock log` prints entries read back from the log's JSON,
// parsing their bodies. The lines must be the same.
func TestTerminalLinesFromTheSharedParseAreTheLogsLines(t *testing.T) {
	tr := traffic(t, 8)
	show := func(e Entry, body []byte) string {
		ios, _, out, _ := iostreams.Test()
		newPrinter(ios, false).entry(e, body)
		return out.String()
	}
	webhooks, handed := 0, 0
	for _, le := range tr {
		var back Entry
		b, _ := json.Marshal(le.e)
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if le.e.Kind == "webhook" {
			webhooks++
			if le.e.known != nil {
				handed++
			}
		}
		if got, want := show(le.e, le.body), show(back, le.body); got != want {
			t.Errorf("entry %d printed\n%s\nfrom the log's JSON\n%s", le.e.Seq, got, want)
		}
	}
	// Meta's habits batch some statuses and skip some delivered: how many
	// webhooks there are varies, but every one must come with the parse.
	if webhooks == 0 || handed != webhooks {
		t.Errorf("%d of %d webhooks came with the mock's parse", handed, webhooks)
	}
}

// Piped, the terminal's width does not apply: webhook lines stay whole,
// as serve's do (only a terminal gets them cut to its width).
func TestPipedWebhookLinesAreNotCut(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetTerminalWidth(40)
	p := newPrinter(ios, false)
	for _, le := range traffic(t, 4) {
		if le.e.Kind == "webhook" {
			p.entry(le.e, le.body)
		}
	}
	_ = p.buf.Flush()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "↳") {
			continue // the app's answer: short
		}
		if utf8.RuneCountInString(l) <= 40 {
			t.Errorf("a piped line was cut to the terminal's width: %q", l)
		}
	}
	if len(lines) < 4 {
		t.Fatalf("too few webhook lines to check:\n%s", out.String())
	}
}
