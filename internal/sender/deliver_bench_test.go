package sender

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkDeliver is one webhook POST through Deliver to a loopback app,
// as the mock posts each status.
func BenchmarkDeliver(b *testing.B) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer app.Close()
	client, err := NewClient(ClientOptions{Timeout: DefaultTimeout, Conns: 4})
	if err != nil {
		b.Fatal(err)
	}
	d := Delivery{Name: "bench", Body: []byte(`{"object":"whatsapp_business_account","entry":[]}`), Header: http.Header{"Content-Type": {"application/json"}}}
	b.ReportAllocs()
	for b.Loop() {
		if r := Deliver(context.Background(), client, app.URL, d); r.Status != 200 {
			b.Fatal(r.Explanation)
		}
	}
}
