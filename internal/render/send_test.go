package render

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/wa-hooks/wa-hooks/internal/sender"
)

func sampleSendResults() []sender.Result {
	sent := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"facebookexternalua"},
		"X-Hub-Signature-256": {"sha256=68b77464943e488c81058cae48920e53819b7030ccb1213262388f30d3a58e94"}}
	return []sender.Result{
		{Name: "messages.text", Attempt: 1, Copy: 1, Status: 200, Latency: 1830 * time.Microsecond, Expected: true, Final: true, Sent: sent},
		{Name: "statuses.failed.131047", Attempt: 1, Copy: 1, Status: 500, Latency: 12 * time.Millisecond, Final: false,
			Response: []byte("Internal Server Error\nTypeError: cannot read properties of undefined (reading '0')\n  at handler (app.js:12)\n  at next (router.js:4)\n  at dispatch (router.js:9)\n  at run (index.js:2)\n  at main (index.js:1)\n"),
			RespHead: http.Header{"Content-Type": {"text/plain"}}, Sent: sent},
		{Name: "statuses.failed.131047", Attempt: 2, Copy: 1, Status: 200, Latency: 2 * time.Millisecond, Expected: true, Final: true, Sent: sent},
		{Name: "messages.image", Attempt: 1, Copy: 2, Repeat: sender.RepeatRetry, Status: 204, Latency: 900 * time.Microsecond, Final: true, Sent: sent},
		{Name: "messages.text", Attempt: 1, Copy: 1, Latency: 300 * time.Microsecond, Final: true,
			Err: errors.New("connection refused"), Kind: sender.KindRefused, Explanation: "nothing is listening on 127.0.0.1:3000 — is your app running?", Sent: sent},
	}
}

func sampleSendReport() *sender.Report {
	return &sender.Report{
		URL: "http://127.0.0.1:3000/webhook", Started: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), Elapsed: 1530 * time.Millisecond,
		Deliveries: 1000, Requests: 1012, Retries: 12, Events: 1000, Succeeded: 990, Failed: 10, Unreached: 3,
		ByStatus: map[int]int{200: 990, 500: 19}, Errors: map[sender.ErrorKind]sender.ErrorCount{
			sender.KindRefused: {Count: 3, Example: "nothing is listening on 127.0.0.1:3000 — is your app running?"}},
		Latency: sender.LatencyStats{Count: 1012, Min: 310 * time.Microsecond, Mean: 2 * time.Millisecond, P50: 1800 * time.Microsecond,
			P90: 4200 * time.Microsecond, P99: 19 * time.Millisecond, Max: 230 * time.Millisecond},
		Throughput: 661.4, BytesSent: 582912,
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/render -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./internal/render -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestSendPrettyGolden(t *testing.T) {
	for _, tt := range []struct {
		name    string
		colour  bool
		verbose bool
	}{{"send_plain.golden", false, false}, {"send_tty.golden", true, false}, {"send_verbose.golden", false, true}} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := NewSendPretty(&buf, renderer(tt.colour), SendOptions{Verbose: tt.verbose, NameWidth: 22})
			for _, r := range sampleSendResults() {
				if !tt.verbose {
					r.Sent = nil
				}
				p.Result(r)
			}
			p.Summary(sampleSendReport(), "200")
			checkGolden(t, tt.name, buf.Bytes())
		})
	}
}

func TestSendSummaryWhenAllSucceed(t *testing.T) {
	var buf bytes.Buffer
	rep := &sender.Report{URL: "http://x/webhook", Deliveries: 2, Requests: 2, Events: 2, Succeeded: 2, ByStatus: map[int]int{200: 2},
		Latency: sender.LatencyStats{Count: 2, Min: time.Millisecond, Max: 2 * time.Millisecond}, Elapsed: 5 * time.Millisecond, Throughput: 400}
	NewSendPretty(&buf, renderer(false), SendOptions{}).Summary(rep, "200")
	for _, want := range []string{"Sent 2 requests to http://x/webhook in 5.00ms", "✓ all 2 deliveries got 200"} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("missing %q in\n%s", want, buf.String())
		}
	}
}

func TestSendJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	results := sampleSendResults()[:2]
	doc := SendReport{Report: sampleSendReport(), Expect: "200", OK: false}
	for _, r := range results {
		doc.Results = append(doc.Results, SendResultDoc{Result: r, Response: string(r.Response)})
	}
	if err := WriteSendJSON(&buf, doc); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "send.json.golden", buf.Bytes())
}

func TestSendProgress(t *testing.T) {
	st := NewStyles(renderer(false))
	got := SendProgress(st, 80, 500, 1000, 3, 2*time.Second, 0)
	for _, want := range []string{" 50%", "500/1000", "250 req/s", "3 failed"} {
		if !bytes.Contains([]byte(got), []byte(want)) {
			t.Errorf("progress %q lacks %q", got, want)
		}
	}
	if w := lipgloss.Width(got); w > 80 {
		t.Errorf("progress is %d columns wide, terminal has 80", w)
	}
	got = SendProgress(st, 80, 100, 0, 0, 5*time.Second, 10*time.Second)
	if !bytes.Contains([]byte(got), []byte(" 50%")) || !bytes.Contains([]byte(got), []byte("100 in 5s/10s")) {
		t.Errorf("duration progress %q", got)
	}
}
