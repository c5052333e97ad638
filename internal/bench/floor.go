package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/signature"
)

// floorServer does only what serve's features require of every delivery,
// as cheaply as plain Go allows: read the body (bounded), check its
// HMAC-SHA256 against the App Secret, append one JSON line with the body to
// the recording before answering, answer 200, and write one line to a
// buffered stdout. Serve's cost above this server is overhead of our own.
func floorServer(recPath string) error {
	rec, err := os.OpenFile(recPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer rec.Close()
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	var outMu sync.Mutex
	var seq atomic.Uint64
	secret := []byte(serveSecret)
	const limit int64 = 4 << 20

	// Line buffers are reused: a fresh 6 MB buffer per 3 MB body costs
	// page faults that a server written for speed would not pay.
	lines := sync.Pool{New: func() any { return new([]byte) }}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r, limit)
		if err != nil {
			http.Error(w, "body", http.StatusRequestEntityTooLarge)
			return
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		got, _ := hex.DecodeString(strings.TrimPrefix(r.Header.Get(signature.Header), signature.PrefixSHA256))
		if !hmac.Equal(got, mac.Sum(nil)) {
			http.Error(w, "signature", http.StatusUnauthorized)
			return
		}
		n := seq.Add(1)
		now := time.Now()
		// The body is escaped as serve's recording escapes it (the room for
		// its escapes counted first, so the line is made once).
		lp := lines.Get().(*[]byte)
		defer lines.Put(lp)
		line := (*lp)[:0]
		line = append(line, `{"seq":`...)
		line = strconv.AppendUint(line, n, 10)
		line = append(line, `,"time":"`...)
		line = now.AppendFormat(line, time.RFC3339Nano)
		line = recording.AppendBody(append(line, `",`...), body)
		line = append(line, "}\n"...)
		*lp = line
		if _, err := rec.Write(line); err != nil {
			http.Error(w, "recording", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		outMu.Lock()
		fmt.Fprintf(out, "%s #%d POST %s %d bytes signature ok\n", now.Format("15:04:05"), n, r.URL.Path, len(body))
		outMu.Unlock()
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "Listening on http://%s/webhook\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				_ = srv.Close()
				return
			case <-t.C:
				outMu.Lock()
				_ = out.Flush()
				outMu.Unlock()
			}
		}
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	outMu.Lock()
	defer outMu.Unlock()
	return out.Flush()
}

// readBody reads a body of up to limit bytes: into one buffer of its
// Content-Length when it gives one (io.ReadAll would grow, copy and zero
// about twice the body), else growing.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= limit {
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err == nil && int64(len(body)) > limit {
		err = errors.New("body too large")
	}
	return body, err
}
