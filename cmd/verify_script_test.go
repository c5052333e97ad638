package cmd_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// The verify token and App Secret the broken endpoints expect.
const (
	verifyScriptToken  = "script-verify-token"
	verifyScriptSecret = "script-app-secret"
)

func TestScriptVerify(t *testing.T) {
	runScripts(t, "verify", map[string]func(*testscript.TestScript, bool, []string){
		"testcerts":   verifyTestCerts,
		"endpoint":    verifyEndpoint,
		"json-schema": cmdJSONSchema,
	})
}

// testcerts: write ca.pem, server.pem and server-key.pem (for 127.0.0.1 and
// ::1, issued by the test CA) into the work directory.
func verifyTestCerts(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: testcerts")
	}
	ca, caKey := newScriptCA(ts)
	writePEM(ts, "ca.pem", "CERTIFICATE", ca.Raw)
	leaf := scriptLeaf(ts, ca, caKey, time.Now().Add(90*24*time.Hour), false)
	writePEM(ts, "server.pem", "CERTIFICATE", leaf.Certificate[0])
	der, err := x509.MarshalECPrivateKey(leaf.PrivateKey.(*ecdsa.PrivateKey))
	ts.Check(err)
	writePEM(ts, "server-key.pem", "EC PRIVATE KEY", der)
}

// endpoint VAR KIND: start a webhook endpoint broken in one way (or "good")
// and put its URL in $VAR. TLS kinds (self-signed, expired) also write the
// CA that issued the expired certificate to endpoint-ca.pem.
func verifyEndpoint(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: endpoint VAR KIND")
	}
	h := brokenEndpoint{kind: args[1]}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	switch args[1] {
	case "self-signed", "expired":
		ca, caKey := newScriptCA(ts)
		writePEM(ts, "endpoint-ca.pem", "CERTIFICATE", ca.Raw)
		var cert tls.Certificate
		if args[1] == "self-signed" {
			cert = scriptLeaf(ts, nil, nil, time.Now().Add(90*24*time.Hour), true)
		} else {
			cert = scriptLeaf(ts, ca, caKey, time.Now().Add(-72*time.Hour), false)
		}
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.StartTLS()
	default:
		srv.Start()
	}
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/webhook")
}

// brokenEndpoint is a webhook receiver that does everything right except
// what its kind says.
type brokenEndpoint struct{ kind string }

func (e brokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		e.handshake(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if e.kind != "accepts-forged" && !signature.Verify(verifyScriptSecret, body, r.Header.Get(signature.Header)).OK() {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	if e.kind == "unknown-500" && !knownTypesOnly(body) {
		http.Error(w, "unhandled message type", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (e brokenEndpoint) handshake(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch e.kind {
	case "get-401":
		http.Error(w, "missing X-Hub-Signature-256", http.StatusUnauthorized)
		return
	case "redirect":
		if r.URL.Path != "/final" {
			http.Redirect(w, r, "/final?"+r.URL.RawQuery, http.StatusMovedPermanently)
			return
		}
	case "slow":
		<-r.Context().Done()
		return
	}
	if q.Get("hub.mode") != "subscribe" || e.kind != "any-token" && q.Get("hub.verify_token") != verifyScriptToken {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	c := q.Get("hub.challenge")
	switch e.kind {
	case "json-quoted":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `"`+c+`"`)
	case "newline":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, c+"\n")
	default:
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, c)
	}
}

// knownTypesOnly is a handler that knows a fixed list of message types.
func knownTypesOnly(body []byte) bool {
	var doc struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct{ Type string } `json:"messages"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	for _, e := range doc.Entry {
		for _, c := range e.Changes {
			for _, m := range c.Value.Messages {
				switch m.Type {
				case "text", "image", "audio", "video", "document", "sticker", "location", "contacts", "interactive", "button", "reaction":
				default:
					return false
				}
			}
		}
	}
	return true
}

func newScriptCA(ts *testscript.TestScript) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "wa-hooks script CA"},
		NotBefore:             time.Now().Add(-365 * 24 * time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	ts.Check(err)
	cert, err := x509.ParseCertificate(der)
	ts.Check(err)
	return cert, key
}

// scriptLeaf issues a certificate for 127.0.0.1 and ::1 that expires at
// notAfter, signed by ca, or by itself when selfSigned.
func scriptLeaf(ts *testscript.TestScript, ca *x509.Certificate, caKey *ecdsa.PrivateKey, notAfter time.Time, selfSigned bool) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "wa-hooks script server"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
		NotBefore:    notAfter.Add(-180 * 24 * time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := ca, any(caKey)
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	ts.Check(err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(ts *testscript.TestScript, name, typ string, der []byte) {
	ts.Check(os.WriteFile(filepath.Join(ts.Getenv("WORK"), name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
}
