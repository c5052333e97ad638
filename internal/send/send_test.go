package send

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/exit"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/sender"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

func baseOptions(to string) Options {
	return Options{To: to, AppSecret: "s", Concurrency: 1, Timeout: 5 * time.Second,
		RetryScale: sender.DefaultRetryScale, BatchLayout: "merge", ExpectStatus: []string{"200"}}
}

func TestParseExpect(t *testing.T) {
	ok, text, err := parseExpect([]string{"401,403", "5xx"})
	if err != nil || text != "401 or 403 or 5xx" {
		t.Fatalf("%q %v", text, err)
	}
	for code, want := range map[int]bool{401: true, 403: true, 503: true, 200: false, 404: false} {
		if ok(code) != want {
			t.Errorf("%d: %v", code, !want)
		}
	}
	for _, bad := range []string{"20x", "99", "600", "abc", "6xx"} {
		if _, _, err := parseExpect([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestOutcomeExitCodes(t *testing.T) {
	tests := []struct {
		rep  sender.Report
		code int
	}{
		{sender.Report{Requests: 2, Deliveries: 2, Succeeded: 2, ByStatus: map[int]int{200: 2}}, exit.OK},
		{sender.Report{Requests: 2, Deliveries: 2, Succeeded: 1, Failed: 1, ByStatus: map[int]int{200: 1, 500: 1}}, exit.SendFailed},
		{sender.Report{Requests: 2, Deliveries: 2, Failed: 2, Unreached: 2, Errors: map[sender.ErrorKind]sender.ErrorCount{sender.KindDNS: {Count: 2, Example: "no such host"}}}, exit.Unreachable},
		{sender.Report{Requests: 1, Deliveries: 1, Interrupted: true}, exit.Interrupted},
	}
	for _, tt := range tests {
		if got := exit.CodeOf(outcome(&tt.rep, nil, "200")); got != tt.code {
			t.Errorf("%+v: exit %d, want %d", tt.rep, got, tt.code)
		}
	}
	if got := exit.CodeOf(outcome(&sender.Report{}, errors.New("x"), "200")); got != exit.Failure {
		t.Errorf("feed error: exit %d", got)
	}
}

func TestRunUsageErrors(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	tests := []struct {
		mod  func(*Options)
		want string
	}{
		{func(o *Options) { o.To = "" }, "no endpoint"},
		{func(o *Options) { o.To = "ftp://x" }, "only http:// and https://"},
		{func(o *Options) { o.Sources = []string{"messages.txet"} }, "did you mean messages.text"},
		{func(o *Options) { o.Sources = []string{"messages.text"}; o.Headers = []string{"no colon"} }, "'Name: value'"},
		{func(o *Options) { o.Sources = []string{"messages.text"}; o.Filters = []string{"zzz"} }, "matched none"},
		{func(o *Options) { o.Sources = []string{"messages.text"}; o.BatchLayout = "zigzag" }, "--batch-layout"},
		{func(o *Options) { o.Sources = []string{"-", "-"} }, "given twice"},
	}
	for _, tt := range tests {
		o := baseOptions("http://127.0.0.1:1/webhook")
		tt.mod(&o)
		ios.In = strings.NewReader(`{"object":"whatsapp_business_account","entry":[]}`)
		err := Run(context.Background(), ios, o)
		if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v (exit %d), want usage error containing %q", err, exit.CodeOf(err), tt.want)
		}
	}
}

func TestRunSendsAndReports(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !signature.Verify("s", b, r.Header.Get("X-Hub-Signature-256")).OK() {
			w.WriteHeader(http.StatusUnauthorized)
		}
		got = append(got, string(b))
	}))
	defer srv.Close()
	ios, _, out, errOut := iostreams.Test()
	o := baseOptions(srv.URL)
	o.Sources = []string{"messages.text", "statuses.read"}
	if err := Run(context.Background(), ios, o); err != nil {
		t.Fatal(err, errOut)
	}
	if len(got) != 2 || !strings.Contains(out.String(), "✓ all 2 deliveries got 200") || strings.Contains(out.String(), "\x1b[") {
		t.Errorf("requests %d, output:\n%s", len(got), out)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr: %s", errOut)
	}

	ios, _, out, _ = iostreams.Test()
	o.JSON, o.BadSignature = true, true
	err := Run(context.Background(), ios, o)
	if exit.CodeOf(err) != exit.SendFailed || !strings.Contains(out.String(), `"ok": false`) || !strings.Contains(out.String(), `"401": 2`) {
		t.Errorf("exit %d, output:\n%s", exit.CodeOf(err), out)
	}
}
