package cmd_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wa-hooks/wa-hooks/cmd"
	"github.com/wa-hooks/wa-hooks/fixtures"
	"github.com/wa-hooks/wa-hooks/internal/config"
	"github.com/wa-hooks/wa-hooks/internal/iostreams"
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/schemacheck"
	"github.com/wa-hooks/wa-hooks/internal/signature"
	"github.com/wa-hooks/wa-hooks/internal/wire"
)

// TestScriptServe runs testdata/script/serve/*.txtar. Besides exec, the
// scripts use these commands (all on loopback, with servers they start):
//
//	serve-bg NAME [args...]   start `wa-hooks serve args...`, wait for its
//	                          "Listening on URL" line, set $NAME to the URL;
//	                          stdout and stderr go to NAME.stdout/NAME.stderr
//	serve-stop NAME [TERM|INT] signal it and wait (! for a non-zero exit)
//	http [flags] METHOD URL [FILE]  one request; flags: -status N, -secret S
//	                          (sign the exact bytes), -sig VALUE, -wire
//	                          (send FILE in Meta's wire form), -H 'K: V',
//	                          -insecure; the response body goes to stdout
//	post-fixture [-secret S] [-status N] [-as-is] URL NAME...  catalog
//	                          bodies in wire form (-as-is: the file's bytes)
//	post-catalog -secret S URL   every fixture, each must get 200
//	app NAME [STATUS]          start a capturing app, set $NAME to its URL
//	app-dump NAME              print captured requests (GETs first), bodies
//	                          to NAME.body.N
//	json-lines FILE KIND FIELD...  every KIND line of FILE has the FIELDs
//	                          (and every line matches docs/schema)
//	json-schema FILE SCHEMA    FILE (a document or JSON lines) matches
//	                          docs/schema/SCHEMA
//	record-body FILE N OUT     write the body of record N (1-based) to OUT
//	load-start NAME URL SECRET CLIENTS  clients post unique signed bodies
//	                          until the server goes away
//	load-check NAME RECORD     every answered request is in the recording
//	gencert CERT KEY           a self-signed certificate for 127.0.0.1
func TestScriptServe(t *testing.T) {
	runScripts(t, "serve", map[string]func(*testscript.TestScript, bool, []string){
		"serve-bg":     cmdServeBg,
		"serve-stop":   cmdServeStop,
		"http":         cmdHTTP,
		"post-fixture": cmdPostFixture,
		"post-catalog": cmdPostCatalog,
		"app":          cmdApp,
		"app-dump":     cmdAppDump,
		"json-lines":   cmdJSONLines,
		"json-schema":  cmdJSONSchema,
		"record-body":  cmdRecordBody,
		"load-start":   cmdLoadStart,
		"load-check":   cmdLoadCheck,
		"gencert":      cmdGenCert,
	})
}

type bgServer struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	bgMu      sync.Mutex
	bgServers = map[*testscript.TestScript]map[string]*bgServer{}
	apps      = map[*testscript.TestScript]map[string]*capture{}
	loads     = map[*testscript.TestScript]map[string]*load{}
)

// scriptEnv is the environment a background server gets: the script's
// values for every variable wa-hooks reads, on top of the test process's.
func scriptEnv(ts *testscript.TestScript) []string {
	keys := []string{"PATH", "HOME", "XDG_CONFIG_HOME", "TMPDIR", "WORK", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM", "GOCOVERDIR"}
	ios, _, _, _ := iostreams.Test()
	root := cmd.NewRootCmd(&cmd.App{IO: ios})
	for _, k := range config.Keys(allSets(root)...) {
		keys = append(keys, config.EnvName(k.Name))
	}
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] && !strings.HasPrefix(k, config.EnvPrefix) {
			env = append(env, kv)
		}
	}
	for _, k := range keys {
		if v := ts.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func lookPath(ts *testscript.TestScript, name string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	ts.Fatalf("%s not found in PATH", name)
	return ""
}

var listeningRE = regexp.MustCompile(`Listening on (\S+)`)

func cmdServeBg(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: serve-bg NAME [args...]")
	}
	name := args[0]
	c := exec.Command(lookPath(ts, "wa-hooks"), append([]string{"serve"}, args[1:]...)...)
	c.Dir = ts.MkAbs(".")
	c.Env = scriptEnv(ts)
	stdout, err := os.Create(ts.MkAbs(name + ".stdout"))
	ts.Check(err)
	stderrFile, err := os.Create(ts.MkAbs(name + ".stderr"))
	ts.Check(err)
	c.Stdout = stdout
	pipe, err := c.StderrPipe()
	ts.Check(err)
	ts.Check(c.Start())
	srv := &bgServer{cmd: c, done: make(chan error, 1)}
	// The address is known at "Listening on"; the banner is complete at the
	// first blank line after it (with -q there is no banner at all).
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		addr, sent := "", false
		send := func() {
			if !sent && addr != "" {
				found <- addr
				sent = true
			}
		}
		for sc.Scan() {
			fmt.Fprintln(stderrFile, sc.Text())
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil && addr == "" {
				addr = m[1]
				if slices.Contains(args, "-q") || slices.Contains(args, "--quiet") {
					send()
				}
			} else if addr != "" && sc.Text() == "" {
				send()
			}
		}
		send()
		close(found)
		srv.done <- c.Wait()
		stdout.Close()
		stderrFile.Close()
	}()
	bgMu.Lock()
	if bgServers[ts] == nil {
		bgServers[ts] = map[string]*bgServer{}
	}
	bgServers[ts][name] = srv
	bgMu.Unlock()
	ts.Defer(func() { _ = c.Process.Kill() })
	select {
	case u, ok := <-found:
		if !ok {
			err := <-srv.done
			ts.Fatalf("serve exited before listening (%v):\n%s", err, ts.ReadFile(name+".stderr"))
		}
		ts.Setenv(name, u)
		ts.Setenv(name+"_BASE", strings.TrimSuffix(u, pathOf(u)))
	case <-time.After(20 * time.Second):
		ts.Fatalf("serve did not print its address within 20s")
	}
}

func pathOf(u string) string {
	rest := u[strings.Index(u, "://")+3:]
	if i := strings.Index(rest, "/"); i >= 0 {
		return rest[i:]
	}
	return ""
}

func cmdServeStop(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: serve-stop NAME [TERM|INT]...")
	}
	bgMu.Lock()
	srv := bgServers[ts][args[0]]
	bgMu.Unlock()
	if srv == nil {
		ts.Fatalf("no server %s", args[0])
	}
	sigs := []os.Signal{syscall.SIGTERM}
	if len(args) > 1 {
		sigs = nil
		for _, a := range args[1:] {
			sigs = append(sigs, map[string]os.Signal{"TERM": syscall.SIGTERM, "INT": syscall.SIGINT}[a])
		}
	}
	sig := sigs[0]
	for i, s := range sigs {
		if i > 0 { // let serve start its shutdown before the next signal
			time.Sleep(200 * time.Millisecond)
		}
		ts.Check(srv.cmd.Process.Signal(s))
	}
	select {
	case err := <-srv.done:
		// Stopped by a signal, serve exits 130 (interrupted) after its
		// summary; "! serve-stop" expects any other exit.
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		if neg && code == 130 {
			ts.Fatalf("serve exited 130, want a failure")
		}
		if !neg && code != 130 {
			ts.Fatalf("serve exited %d (%v), want 130 (interrupted)\n%s", code, err, ts.ReadFile(args[0]+".stderr"))
		}
	case <-time.After(30 * time.Second):
		ts.Fatalf("serve did not stop within 30s of %v", sig)
	}
}

// httpFlags are the options shared by http and post-fixture.
type httpFlags struct {
	status   int
	secret   string
	sig      string
	wire     bool
	asIs     bool
	insecure bool
	header   http.Header
}

func parseHTTPFlags(ts *testscript.TestScript, args []string) (httpFlags, []string) {
	f := httpFlags{status: -1, header: http.Header{}}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-status":
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			f.status, args = n, args[1:]
		case "-secret":
			f.secret, args = args[1], args[1:]
		case "-sig":
			f.sig, args = args[1], args[1:]
		case "-H":
			k, v, _ := strings.Cut(args[1], ":")
			f.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			args = args[1:]
		case "-wire":
			f.wire = true
		case "-as-is":
			f.asIs = true
		case "-insecure":
			f.insecure = true
		default:
			ts.Fatalf("unknown flag %s", args[0])
		}
		args = args[1:]
	}
	return f, args
}

func (f httpFlags) client() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: f.insecure}, //nolint:gosec // test's own self-signed server
	}}
}

func (f httpFlags) do(ts *testscript.TestScript, method, url string, body []byte) (int, []byte) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	ts.Check(err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "facebookexternalua")
	for k, vs := range f.header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if f.secret != "" {
		req.Header.Set(signature.Header, signature.Sign(f.secret, body))
	}
	if f.sig != "" {
		req.Header.Set(signature.Header, f.sig)
	}
	resp, err := f.client().Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if f.status >= 0 && resp.StatusCode != f.status {
		ts.Fatalf("%s %s: status %d, want %d (%s)", method, url, resp.StatusCode, f.status, strings.TrimSpace(string(rb)))
	}
	return resp.StatusCode, rb
}

func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	f, args := parseHTTPFlags(ts, args)
	if neg || len(args) < 2 {
		ts.Fatalf("usage: http [flags] METHOD URL [FILE]")
	}
	var body []byte
	if len(args) > 2 {
		body = []byte(ts.ReadFile(args[2]))
		if f.wire {
			var err error
			body, err = wire.Encode(body)
			ts.Check(err)
		}
	}
	_, rb := f.do(ts, args[0], args[1], body)
	ts.Stdout().Write(rb)
}

func fixtureBody(ts *testscript.TestScript, name string) []byte {
	fx, ok := fixtures.Get(name)
	if !ok {
		ts.Fatalf("no fixture %s", name)
	}
	b, err := wire.Encode(fx.Body)
	ts.Check(err)
	return b
}

func cmdPostFixture(ts *testscript.TestScript, neg bool, args []string) {
	f, args := parseHTTPFlags(ts, args)
	if neg || len(args) < 2 {
		ts.Fatalf("usage: post-fixture [flags] URL NAME...")
	}
	for _, name := range args[1:] {
		body := fixtureBody(ts, name)
		if f.asIs {
			fx, _ := fixtures.Get(name)
			body = fx.Body
		}
		f.do(ts, http.MethodPost, args[0], body)
	}
}

func cmdPostCatalog(ts *testscript.TestScript, neg bool, args []string) {
	f, args := parseHTTPFlags(ts, args)
	if neg || len(args) != 1 || f.secret == "" {
		ts.Fatalf("usage: post-catalog -secret S URL")
	}
	f.status = http.StatusOK
	n := 0
	for _, fx := range fixtures.All() {
		f.do(ts, http.MethodPost, args[0], fixtureBody(ts, fx.Name))
		n++
	}
	fmt.Fprintf(ts.Stdout(), "posted %d fixtures\n", n)
}

// capture is a fake user app that keeps every request it gets.
type capture struct {
	mu   sync.Mutex
	reqs []captured
	srv  *httptest.Server
}

type captured struct {
	method, uri string
	header      http.Header
	body        []byte
}

func cmdApp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: app NAME [STATUS|hang]")
	}
	status := http.StatusOK
	hang := len(args) > 1 && args[1] == "hang"
	if len(args) > 1 && !hang {
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		status = n
	}
	c := &capture{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, captured{r.Method, r.RequestURI, r.Header.Clone(), b})
		c.mu.Unlock()
		if hang { // an app that never answers, until the caller goes away
			<-r.Context().Done()
			return
		}
		if r.Method == http.MethodGet {
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "app says %d", status)
	}))
	ts.Defer(c.srv.Close)
	bgMu.Lock()
	if apps[ts] == nil {
		apps[ts] = map[string]*capture{}
	}
	apps[ts][args[0]] = c
	bgMu.Unlock()
	ts.Setenv(args[0], c.srv.URL+"/app")
}

func cmdAppDump(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: app-dump NAME")
	}
	bgMu.Lock()
	c := apps[ts][args[0]]
	bgMu.Unlock()
	if c == nil {
		ts.Fatalf("no app %s", args[0])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Forwards run concurrently: list them in a stable order (GET first).
	reqs := slices.Clone(c.reqs)
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].method < reqs[j].method })
	for i, r := range reqs {
		fmt.Fprintf(ts.Stdout(), "request %d: %s %s\n", i+1, r.method, r.uri)
		keys := make([]string, 0, len(r.header))
		for k := range r.header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(ts.Stdout(), "%s: %s\n", k, strings.Join(r.header[k], ", "))
		}
		ts.Check(os.WriteFile(ts.MkAbs(fmt.Sprintf("%s.body.%d", args[0], i+1)), r.body, 0o644))
	}
}

func cmdJSONLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: json-lines FILE KIND FIELD...")
	}
	if err := validateFile(ts.MkAbs(args[0]), schemacheck.ServeLine); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	n := 0
	for i, line := range strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			ts.Fatalf("%s line %d is not JSON: %v: %s", args[0], i+1, err, line)
		}
		if args[1] != "*" && m["kind"] != args[1] {
			continue
		}
		n++
		for _, f := range args[2:] {
			if _, ok := m[f]; !ok {
				ts.Fatalf("%s line %d has no %q: %s", args[0], i+1, f, line)
			}
		}
	}
	if n == 0 {
		ts.Fatalf("%s has no %s lines", args[0], args[1])
	}
	fmt.Fprintf(ts.Stdout(), "%d %s lines\n", n, args[1])
}

// cmdJSONSchema: json-schema FILE SCHEMA.
func cmdJSONSchema(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: json-schema FILE SCHEMA")
	}
	if err := validateFile(ts.MkAbs(args[0]), args[1]); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
}

// validateFile checks a JSON document, or each line of JSON lines, against
// a schema of docs/schema.
func validateFile(path, schema string) error {
	s, err := schemacheck.Load(schema)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if json.Valid(data) { // one document (JSON lines hold several)
		return s.Validate(data)
	}
	_, err = s.ValidateLines(data)
	return err
}

func cmdRecordBody(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: record-body FILE N OUT")
	}
	res, err := recording.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	if n < 1 || n > len(res.Records) {
		ts.Fatalf("recording has %d records, no %d", len(res.Records), n)
	}
	r := res.Records[n-1]
	fmt.Fprintf(ts.Stdout(), "%s %s status %d signature %s\n", r.Method, r.Path, r.Status, r.Signature)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), r.Body, 0o644))
}

// load posts unique signed bodies from several clients until the server
// stops answering, keeping every body that was answered 200.
type load struct {
	wg       sync.WaitGroup
	mu       sync.Mutex
	answered [][]byte
	count    atomic.Int64
}

func cmdLoadStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: load-start NAME URL SECRET CLIENTS")
	}
	clients, err := strconv.Atoi(args[3])
	ts.Check(err)
	url, secret := args[1], args[2]
	base := fixtureBody(ts, "messages.text")
	l := &load{}
	var seq atomic.Int64
	for c := 0; c < clients; c++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			client := &http.Client{Timeout: 20 * time.Second}
			for {
				n := seq.Add(1)
				body := bytes.Replace(base, []byte(`"wamid.`), []byte(fmt.Sprintf(`"wamid.load%06d.`, n)), 1)
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(signature.Header, signature.Sign(secret, body))
				resp, err := client.Do(req)
				if err != nil {
					return // the server went away
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					l.mu.Lock()
					l.answered = append(l.answered, body)
					l.mu.Unlock()
					l.count.Add(1)
				}
			}
		}()
	}
	bgMu.Lock()
	if loads[ts] == nil {
		loads[ts] = map[string]*load{}
	}
	loads[ts][args[0]] = l
	bgMu.Unlock()
	// Under load for real before the script goes on.
	deadline := time.Now().Add(20 * time.Second)
	for l.count.Load() < 200 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

func cmdLoadCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: load-check NAME RECORD")
	}
	bgMu.Lock()
	l := loads[ts][args[0]]
	bgMu.Unlock()
	l.wg.Wait()
	res, err := recording.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	recorded := map[string]bool{}
	for _, r := range res.Records {
		if r.Status == http.StatusOK {
			recorded[string(r.Body)] = true
		}
	}
	missing := 0
	for _, b := range l.answered {
		if !recorded[string(b)] {
			missing++
		}
	}
	if len(l.answered) == 0 {
		ts.Fatalf("no request was answered")
	}
	if missing > 0 {
		ts.Fatalf("%d of %d answered requests are missing from the recording", missing, len(l.answered))
	}
	fmt.Fprintf(ts.Stdout(), "all %d answered requests recorded (%d skipped lines)\n", len(l.answered), res.Skipped)
}

func cmdGenCert(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gencert CERT KEY")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	ts.Check(err)
	kder, err := x509.MarshalECPrivateKey(key)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
}

func allSets(c *cobra.Command) []*pflag.FlagSet {
	sets := []*pflag.FlagSet{c.LocalFlags()}
	for _, sub := range c.Commands() {
		sets = append(sets, allSets(sub)...)
	}
	return sets
}
