package cmd_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

func TestScriptSend(t *testing.T) {
	runScripts(t, "send", map[string]func(*testscript.TestScript, bool, []string){
		"capture":     sendCapture,
		"captured":    sendCaptured,
		"samebodies":  sendSameBodies,
		"tlsendpoint": sendTLSEndpoint,
		"jsonfield":   sendJSONField,
		"bodyminsize": sendBodyMinSize,
		"cmpbody":     sendCmpBody,
		"hostile":     sendHostile,
		"samesigs":    sendSameSigs,
		"json-schema": cmdJSONSchema,
	})
}

// capture VAR [STATUS...]: start a loopback server that saves every request
// as $WORK/VAR/NNNN.body and NNNN.head and answers the given statuses in
// turn, then 200 (so "capture HOOK 503 503" fails the first two requests).
// $VAR is its URL (path /webhook), $VAR_HOSTPORT its address.
func sendCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: capture VAR [STATUS...]")
	}
	var statuses []int
	for _, a := range args[1:] {
		n, err := strconv.Atoi(a)
		ts.Check(err)
		statuses = append(statuses, n)
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	var mu sync.Mutex
	seq := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seq++
		n := seq
		mu.Unlock()
		var head bytes.Buffer
		fmt.Fprintf(&head, "%s %s\n", r.Method, r.URL.Path)
		_ = r.Header.Write(&head)
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d.body", n)), body, 0o644)
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d.head", n)), bytes.ReplaceAll(head.Bytes(), []byte("\r\n"), []byte("\n")), 0o644)
		status := http.StatusOK
		if n <= len(statuses) {
			status = statuses[n-1]
		}
		w.WriteHeader(status)
		if status != http.StatusOK {
			fmt.Fprintf(w, "capture answered %d\nsecond line\n", status)
		}
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/webhook")
	ts.Setenv(args[0]+"_HOSTPORT", srv.Listener.Addr().String())
}

// captured [-unsigned|-badsig|-pretty|-raw] VAR COUNT: the server saw exactly
// COUNT requests ("any": at least one), each a POST with Meta's headers whose body is valid JSON in
// Meta's wire form and whose X-Hub-Signature-256 verifies over exactly the
// received bytes with $WA_HOOKS_APP_SECRET.
func sendCaptured(ts *testscript.TestScript, neg bool, args []string) {
	mode := ""
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: captured [-unsigned|-badsig|-pretty|-raw] VAR COUNT")
	}
	bodies := capturedFiles(ts, args[0], ".body")
	want := len(bodies)
	if args[1] != "any" {
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		want = n
	}
	if len(bodies) != want || len(bodies) == 0 {
		ts.Fatalf("%s received %d requests, want %d", args[0], len(bodies), want)
	}
	secret := ts.Getenv("WA_HOOKS_APP_SECRET")
	for _, p := range bodies {
		body, err := os.ReadFile(p)
		ts.Check(err)
		rawHead, err := os.ReadFile(strings.TrimSuffix(p, ".body") + ".head")
		ts.Check(err)
		h := parseHead(ts, rawHead)
		name := filepath.Base(p)
		if h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "facebookexternalua" {
			ts.Fatalf("%s: headers %v", name, h)
		}
		if mode != "-raw" && !json.Valid(body) {
			ts.Fatalf("%s: body is not JSON", name)
		}
		if mode != "-pretty" && mode != "-raw" && !wire.IsWire(body) {
			ts.Fatalf("%s: body is not in Meta's wire form", name)
		}
		sig := h.Get("X-Hub-Signature-256")
		switch mode {
		case "-unsigned":
			if sig != "" {
				ts.Fatalf("%s: signed (%s) but should not be", name, sig)
			}
		case "-badsig":
			if r := signature.Verify(secret, body, sig); r.Reason != signature.Mismatch {
				ts.Fatalf("%s: signature %q is %v, want a well-formed mismatch", name, sig, r)
			}
		default:
			if r := signature.Verify(secret, body, sig); !r.OK() {
				ts.Fatalf("%s: signature %q does not verify over the received bytes: %v", name, sig, r)
			}
		}
	}
}

func capturedFiles(ts *testscript.TestScript, name, ext string) []string {
	files, err := filepath.Glob(filepath.Join(ts.MkAbs(name), "*"+ext))
	ts.Check(err)
	sort.Strings(files)
	return files
}

func parseHead(ts *testscript.TestScript, raw []byte) http.Header {
	_, rest, _ := bytes.Cut(raw, []byte("\n"))
	h := http.Header{}
	for _, line := range strings.Split(string(rest), "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if ok {
			h.Add(k, strings.TrimSpace(v))
		}
	}
	return h
}

// samebodies RECORDING VAR: the POST bodies of a serve --record file and the
// bodies VAR received are identical, byte for byte and in order.
func sendSameBodies(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: samebodies RECORDING VAR")
	}
	res, err := recording.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var want [][]byte
	for _, r := range res.Records {
		if r.Method == http.MethodPost {
			want = append(want, r.Body)
		}
	}
	got := capturedFiles(ts, args[1], ".body")
	if len(got) != len(want) || len(want) == 0 {
		ts.Fatalf("recording has %d POSTs, %s received %d", len(want), args[1], len(got))
	}
	for i, p := range got {
		b, err := os.ReadFile(p)
		ts.Check(err)
		if !bytes.Equal(b, want[i]) {
			ts.Fatalf("request %d differs from the recording:\n got %q\nwant %q", i+1, b, want[i])
		}
	}
}

// tlsendpoint VAR: an HTTPS server with a self-signed certificate; $VAR is its URL.
func sendTLSEndpoint(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tlsendpoint VAR")
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are the point
	srv.StartTLS()
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/webhook")
}

// jsonfield FILE PATH WANT: the value at a dotted PATH (array indexes as
// numbers: entry.0.id) of the JSON document in FILE, printed as JSON, is WANT.
func sendJSONField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: jsonfield FILE PATH WANT")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	ts.Check(dec.Decode(&v))
	for _, p := range strings.Split(args[1], ".") {
		switch t := v.(type) {
		case map[string]any:
			v = t[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(t) {
				ts.Fatalf("%s: no index %s", args[1], p)
			}
			v = t[i]
		default:
			ts.Fatalf("%s: cannot index %T with %s", args[1], v, p)
		}
	}
	got, _ := json.Marshal(v)
	if (string(got) == args[2]) == neg {
		ts.Fatalf("%s in %s is %s (want %s%s)", args[1], args[0], got, map[bool]string{true: "not "}[neg], args[2])
	}
}

// bodyminsize FILE BYTES: FILE is larger than BYTES.
func sendBodyMinSize(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: bodyminsize FILE BYTES")
	}
	st, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	if st.Size() <= n {
		ts.Fatalf("%s is %d bytes, want more than %d", args[0], st.Size(), n)
	}
}

// cmpbody GOT WANT: file GOT holds exactly WANT's bytes without the final
// newline txtar adds to every file.
func sendCmpBody(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cmpbody GOT WANT")
	}
	got, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	want = bytes.TrimSuffix(want, []byte("\n"))
	if !bytes.Equal(got, want) {
		ts.Fatalf("%s differs from %s:\n got %q\nwant %q", args[0], args[1], got, want)
	}
}

// hostile VAR KIND: a loopback endpoint whose answers attack the client.
// KIND trickle: 200 and headers at once, then a byte of the body every
// 100 ms for 3 s; cut: 200 announcing 100 bytes, 10 sent, then the
// connection closed; nul: 500 with 64 KiB of NUL bytes; escapes: 500 whose
// body retitles the terminal and erases the line; statuses: 500 with a
// two-line answer for bodies carrying statuses, 200 for the rest.
func sendHostile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: hostile VAR trickle|cut|nul|escapes|statuses")
	}
	kind := args[1]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch kind {
		case "trickle":
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			for range 30 {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
				_, _ = w.Write([]byte("k"))
				w.(http.Flusher).Flush()
			}
		case "cut":
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
			_ = buf.Flush()
			_ = conn.Close()
		case "nul":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(make([]byte, 64<<10))
		case "escapes":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "\x1b]0;pwned\x07\x1b[2Kdenied\x9b31m\n")
		case "statuses":
			if bytes.Contains(body, []byte(`"statuses"`)) {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = io.WriteString(w, "status handler\x1b[31m crashed\nstack trace line\n")
			}
		default:
			ts.Fatalf("hostile: unknown kind %q", kind)
		}
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/webhook")
}

// samesigs RECORDING VAR: every POST VAR received carries the
// X-Hub-Signature-256 recorded with the same request, in order.
func sendSameSigs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: samesigs RECORDING VAR")
	}
	res, err := recording.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var want []string
	for _, r := range res.Records {
		if r.Method == http.MethodPost {
			want = append(want, r.Header.Get("X-Hub-Signature-256"))
		}
	}
	got := capturedFiles(ts, args[1], ".head")
	if len(got) != len(want) {
		ts.Fatalf("recording has %d POSTs, %s received %d", len(want), args[1], len(got))
	}
	for i, p := range got {
		raw, err := os.ReadFile(p)
		ts.Check(err)
		if sig := parseHead(ts, raw).Get("X-Hub-Signature-256"); sig != want[i] {
			ts.Fatalf("request %d: signature %q, recorded %q", i+1, sig, want[i])
		}
	}
}
