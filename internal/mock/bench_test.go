package mock

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

// BenchmarkSend is one Graph text send through the handler, with its
// sent and delivered webhooks posted to a loopback app.
func BenchmarkSend(b *testing.B) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer app.Close()
	h, l := simnet.Habits{}, simnet.Limits{}
	s, err := New(Options{Webhook: benchWebhook(app.URL), AccessToken: testToken, AppSecret: testSecret, Habits: &h, Limits: &l, NoRetry: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.mu.Lock()
	s.net.Find("alice").LastInbound = s.now()
	s.mu.Unlock()
	handler := s.Handler()
	body := `{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"bench"}}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v21.0/109283746501928/messages", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Body.String())
		}
	}
}

// benchWebhook is the app's URL, or none (to
// measure the Graph side alone: MOCK_BENCH_NO_WEBHOOK=1).
func benchWebhook(u string) string {
	if os.Getenv("MOCK_BENCH_NO_WEBHOOK") != "" {
		return ""
	}
	return u
}
