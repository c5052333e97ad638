package handshake

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRequestURL(t *testing.T) {
	u, _ := url.Parse("https://example.com/hook?tenant=a%20b#frag")
	got := RequestURL(u, Query{Challenge: "1158201444", Token: "to ken&x"})
	want := "https://example.com/hook?tenant=a%20b&hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=to+ken%26x"
	if got != want {
		t.Errorf("RequestURL =\n %s\nwant\n %s", got, want)
	}
	got = RequestURL(u, Query{Challenge: "c", Token: "t", OmitMode: true})
	if strings.Contains(got, "hub.mode") {
		t.Errorf("OmitMode kept hub.mode: %s", got)
	}
}

func resp(status int, body string, header ...string) Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return Response{Status: status, Body: []byte(body), Header: h, Latency: 3 * time.Millisecond, Reached: true}
}

func TestJudgeHandshake(t *testing.T) {
	const c = "1158201444"
	timeout := 2 * time.Second
	tests := []struct {
		name      string
		challenge string
		r         Response
		level     Level
		reason    string // substring of the reason
	}{
		{"exact echo", c, resp(200, c, "Content-Type", "text/plain"), Pass, `200 "1158201444"`},
		{"JSON-quoted", c, resp(200, `"`+c+`"`, "Content-Type", "application/json"), Fail, "JSON-quoted"},
		{"trailing newline", c, resp(200, c+"\n"), Fail, "trailing newline"},
		{"trailing CRLF", c, resp(200, c+"\r\n"), Fail, "trailing CRLF"},
		{"leading space", c, resp(200, " "+c), Fail, "surrounding whitespace"},
		{"HTML page", c, resp(200, "<!DOCTYPE html><html><body>Hello</body></html>", "Content-Type", "text/html"), Fail, "HTML page"},
		{"JSON wrapped", c, resp(200, `{"hub.challenge":"`+c+`"}`), Fail, "wrapped in JSON"},
		{"extra text", c, resp(200, "challenge="+c), Fail, "extra text"},
		{"empty body", c, resp(200, ""), Fail, "empty body"},
		{"other number", c, resp(200, "1158201400"), Fail, "different number"},
		{"something else", c, resp(200, "OK"), Fail, `200 with "OK" instead of the challenge`},
		{"204", c, resp(204, ""), Fail, "Meta accepts only 200"},
		{"redirect", c, resp(302, "", "Location", "https://example.com/other"), Fail, "Meta does not follow redirects"},
		{"401", c, resp(401, "invalid signature"), Fail, "signature middleware"},
		{"403", c, resp(403, "Forbidden"), Fail, "403 Forbidden although the verify token was right"},
		{"404", c, resp(404, "not found"), Fail, "nothing handles this path"},
		{"405", c, resp(405, ""), Fail, "takes POST but not GET"},
		{"400 dotted names", c, resp(400, ""), Fail, "hub_mode"},
		{"500", c, resp(500, "boom"), Fail, "server error 500"},
		{"502", c, resp(502, ""), Fail, "server error 502 Bad Gateway"},
		{"alpha challenge refused", "wahooks-abc", resp(422, "value is not a valid integer"), Fail, "parse hub.challenge as an integer"},
		{"timeout after the request", c, Response{Err: context.DeadlineExceeded, TimedOut: true, Reached: true}, Fail, "no answer within 2s"},
		{"connection refused", c, Response{Err: &net.OpError{Op: "dial", Err: errors.New("connect: connection refused")}}, Fail, "connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := JudgeHandshake(tt.challenge, tt.r, timeout)
			if f.Level != tt.level {
				t.Errorf("level = %v, want %v (%s)", f.Level, tt.level, f.Reason)
			}
			if !strings.Contains(f.Reason, tt.reason) {
				t.Errorf("reason = %q, want it to contain %q", f.Reason, tt.reason)
			}
			if f.Level != Pass && f.Fix == "" {
				t.Errorf("a failure has no fix")
			}
			if strings.Contains(f.Reason, "\n") || strings.Contains(f.Fix, "\n") {
				t.Errorf("reason or fix spans lines: %q / %q", f.Reason, f.Fix)
			}
		})
	}
}

func TestJudgeRefusal(t *testing.T) {
	const c = "1158201444"
	tests := []struct {
		name  string
		r     Response
		level Level
	}{
		{"403", resp(403, "Forbidden"), Pass},
		{"401", resp(401, ""), Pass},
		{"404", resp(404, ""), Pass},
		{"echoes the challenge", resp(200, c), Fail},
		{"echoes with a newline", resp(200, c+"\n"), Fail},
		{"200 without the challenge", resp(200, "nope"), Warn},
		{"hangs", Response{Err: context.DeadlineExceeded, TimedOut: true, Reached: true}, Warn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := JudgeRefusal(c, tt.r, time.Second, "anyone could subscribe", "refuse it")
			if f.Level != tt.level {
				t.Errorf("level = %v, want %v (%s)", f.Level, tt.level, f.Reason)
			}
			if f.Level == Fail && !strings.Contains(f.Reason, "anyone could subscribe") {
				t.Errorf("reason %q does not say the risk", f.Reason)
			}
		})
	}
}

func TestSnippet(t *testing.T) {
	if got := Snippet([]byte("a\nb")); got != `"a\nb"` {
		t.Errorf("Snippet = %s", got)
	}
	long := strings.Repeat("x", 100)
	if got := Snippet([]byte(long)); got != `"`+strings.Repeat("x", 40)+`…"` {
		t.Errorf("Snippet(long) = %s", got)
	}
	if got := Snippet([]byte{0xff, 0xfe}); got != "2 bytes of binary data" {
		t.Errorf("Snippet(binary) = %s", got)
	}
}

func TestChallenges(t *testing.T) {
	for range 50 {
		c := NumericChallenge()
		if len(c) != 10 || !isNumber([]byte(c)) || c[0] == '0' {
			t.Fatalf("NumericChallenge = %q, want 10 digits without a leading zero", c)
		}
	}
	a := AlphaChallenge()
	if isNumber([]byte(a)) || a == AlphaChallenge() {
		t.Errorf("AlphaChallenge = %q: want fresh non-numeric values", a)
	}
	if RandomWrongToken("x") == RandomWrongToken("x") {
		t.Errorf("RandomWrongToken repeats")
	}
}

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/big":
			w.Write([]byte(strings.Repeat("x", MaxProbeBody+10)))
		case "/slow":
			<-r.Context().Done()
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte(r.URL.Query().Get("hub.challenge")))
		}
	}))
	defer srv.Close()
	client := NewClient()
	ctx := context.Background()
	base, _ := url.Parse(srv.URL + "/hook")

	r := Probe(ctx, client, RequestURL(base, Query{Challenge: "123", Token: "t"}), 5*time.Second)
	if r.Err != nil || r.Status != 200 || string(r.Body) != "123" || !r.Reached {
		t.Fatalf("probe = %+v", r)
	}
	if r.ContentType() != "text/plain" {
		t.Errorf("ContentType = %q", r.ContentType())
	}

	r = Probe(ctx, client, srv.URL+"/redirect", 5*time.Second)
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/elsewhere" {
		t.Errorf("redirect was followed or lost: %d %v", r.Status, r.Header)
	}

	r = Probe(ctx, client, srv.URL+"/big", 5*time.Second)
	if !r.Truncated || len(r.Body) != MaxProbeBody {
		t.Errorf("big body: truncated=%v len=%d", r.Truncated, len(r.Body))
	}

	r = Probe(ctx, client, srv.URL+"/slow", 50*time.Millisecond)
	if !r.TimedOut || !r.Reached || r.Status != 0 {
		t.Errorf("slow: %+v", r)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	r = Probe(ctx, client, "http://"+addr+"/", 5*time.Second)
	if r.Reached || r.Err == nil {
		t.Errorf("closed port: %+v", r)
	}
	if got := Explain(r.Err, time.Second); !strings.Contains(got, "connection refused at "+addr) {
		t.Errorf("Explain = %q", got)
	}
}

func FuzzJudgeHandshake(f *testing.F) {
	f.Add("1158201444", 200, []byte("1158201444"), "text/plain")
	f.Add("1158201444", 200, []byte(`"1158201444"`), "application/json")
	f.Add("abc", 200, []byte("<html>abc</html>"), "text/html")
	f.Add("1", 302, []byte(""), "")
	f.Add("x", 500, []byte{0xff, 0x00}, "")
	f.Fuzz(func(t *testing.T, challenge string, status int, body []byte, ct string) {
		if status < 100 || status > 999 {
			return
		}
		r := Response{Status: status, Body: body, Header: http.Header{"Content-Type": {ct}}, Reached: true}
		got := JudgeHandshake(challenge, r, time.Second)
		want := status == 200 && string(body) == challenge
		if (got.Level == Pass) != want {
			t.Fatalf("JudgeHandshake(%q, %d, %q) = %v", challenge, status, body, got)
		}
		if got.Reason == "" || got.Level != Pass && got.Fix == "" {
			t.Fatalf("empty reason or fix: %+v", got)
		}
	})
}
