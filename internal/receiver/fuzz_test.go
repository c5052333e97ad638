package receiver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode/utf8"

	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/render"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// FuzzHandler posts arbitrary bodies and headers. The handler must never
// panic, must never answer 200 to a body whose signature does not verify
// (unless told to accept invalid signatures), and every line it prints is
// one valid JSON object in valid UTF-8, whatever raw JSON the parse
// vouched for.
func FuzzHandler(f *testing.F) {
	for i, fx := range fixtures.All() {
		if i%4 != 0 {
			continue
		}
		b, err := wire.Encode(fx.Body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, signature.Sign(testSecret, b), "POST", "", false)
		f.Add(b, signature.Sign("wrong", b), "POST", "", false)
		f.Add(fx.Body, signature.Sign(testSecret, b), "POST", "", true)
	}
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{}]}}]}]}`), "", "POST", "", false)
	f.Add([]byte("\xff\xfe"), "sha256=zz", "POST", "x=1", false)
	f.Add([]byte(""), "sha1=abc", "GET", "hub.mode=subscribe&hub.challenge=1&hub.verify_token="+testToken, false)
	f.Add([]byte("null"), "SHA256="+string(bytes.Repeat([]byte("A"), 64)), "DELETE", "%zz", false)

	f.Fuzz(func(t *testing.T, body []byte, sig, method, query string, accept bool) {
		if method == "" || !validMethod(method) {
			method = http.MethodPost
		}
		var out bytes.Buffer
		rc, err := New(Options{
			Path: "/webhook", AppSecret: testSecret, VerifyToken: testToken, AcceptInvalid: accept,
			MaxBody: 1 << 16, Redact: len(body)%2 == 0,
			Sink: render.NewJSONLines(&out, render.JSONOptions{Headers: true, Body: true}),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			rc.Close()
			for _, line := range bytes.SplitAfter(out.Bytes(), []byte("\n")) {
				if len(line) > 0 && (line[len(line)-1] != '\n' || !utf8.Valid(line) || !json.Valid(line) || line[0] != '{') {
					t.Fatalf("not a JSON line: %q", line)
				}
			}
		}()
		req := httptest.NewRequest(http.MethodGet, "/webhook", bytes.NewReader(body))
		req.Method = method
		req.URL.RawQuery = query
		if sig != "" {
			req.Header.Set(signature.Header, sig)
		}
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		if method == http.MethodPost && w.Code == http.StatusOK && !accept {
			if !signature.Verify(testSecret, body, sig).OK() {
				t.Fatalf("answered 200 to a bad signature %q", sig)
			}
		}
	})
}

func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return len(m) < 10
}

// FuzzRedactBody: redaction of any input never panics and always yields
// valid JSON (it is printed and parsed again).
func FuzzRedactBody(f *testing.F) {
	for i, fx := range fixtures.All() {
		if i%5 == 0 {
			f.Add(fx.Body)
		}
	}
	f.Add([]byte(`{"from":"123","text":{"body":"hi"},"x":[1,"US.123456789"]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out := RedactBody(body)
		if !jsonValid(out) {
			t.Fatalf("redacted output is not JSON: %q", out)
		}
	})
}

func jsonValid(b []byte) bool { return json.Valid(b) }
