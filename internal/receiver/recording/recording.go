// Package recording writes and reads serve's request log: one JSON object per
// line, appended and handed to the operating system before the request is
// answered, so a crash of wa-hooks loses nothing that Meta was told was received.
//
// Bodies are kept byte for byte (a webhook signature covers the exact bytes):
// as a JSON string when they are valid UTF-8, else base64 in body_base64.
// Secrets never reach the file: a handshake's hub.verify_token is masked, and
// so are credentials in Authorization, Cookie and similar headers.
package recording

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Record is one request as serve saw and answered it.
type Record struct {
	Time      time.Time   `json:"time"`
	Seq       uint64      `json:"seq"`
	Remote    string      `json:"remote,omitempty"`
	Method    string      `json:"method"`
	Path      string      `json:"path"`
	Query     string      `json:"query,omitempty"`
	Header    http.Header `json:"headers,omitempty"`
	Signature string      `json:"signature,omitempty"` // valid, invalid, missing, unchecked
	Status    int         `json:"status"`
	Error     string      `json:"error,omitempty"`

	// Body is the exact request body. On disk it is "body" (a JSON string)
	// when it is valid UTF-8 and "body_base64" otherwise.
	Body []byte `json:"-"`
	// Truncated is set when the body was larger than serve accepts; Body then
	// holds only the part that was read.
	Truncated bool `json:"truncated,omitempty"`
	// BodyUTF8 says the caller knows Body is valid UTF-8 (the receiver's
	// parse looked at every byte: webhook.Notification.Plain), so writing
	// it does not check a 3 MB body again. When false, the writer checks.
	BodyUTF8 bool `json:"-"`
}

// sensitiveHeaders carry credentials that have no place in a recording.
var sensitiveHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key"}

// Masked is what replaces a secret in a recording.
const Masked = "****"

// MaskQuery returns the raw query with hub.verify_token's value masked; the
// rest of the query keeps its original spelling and order.
func MaskQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := bytes.Split([]byte(raw), []byte("&"))
	for i, p := range parts {
		k, _, hasValue := bytes.Cut(p, []byte("="))
		name, err := url.QueryUnescape(string(k))
		if err != nil {
			name = string(k)
		}
		if name == "hub.verify_token" && hasValue {
			parts[i] = append(append([]byte{}, k...), "="+Masked...)
		}
	}
	return string(bytes.Join(parts, []byte("&")))
}

// SafeHeader returns h with credentials masked: h itself when it carries
// none (the common case, and a request's header map is not reused), else a
// masked copy.
func SafeHeader(h http.Header) http.Header {
	sensitive := false
	for _, k := range sensitiveHeaders {
		if _, ok := h[k]; ok {
			sensitive = true
			break
		}
	}
	if !sensitive {
		return h
	}
	out := h.Clone()
	for _, k := range sensitiveHeaders {
		if vs, ok := out[k]; ok {
			masked := make([]string, len(vs))
			for i := range vs {
				masked[i] = Masked
			}
			out[k] = masked
		}
	}
	return out
}

// MarshalJSON writes the record with its body as text or base64.
func (r Record) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := r.encode(&buf); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// encode appends the record and a newline to buf without building an
// intermediate copy of a multi-megabyte body.
func (r Record) encode(buf *bytes.Buffer) error {
	var scratch [512]byte
	head, err := r.head(scratch[:0])
	if err != nil {
		return err
	}
	extra := escapedExtra(r.Body)
	buf.Grow(len(head) + len(r.Body) + extra + 32)
	buf.Write(head[:len(head)-1]) // drop the closing brace
	if r.Body != nil {
		if r.BodyUTF8 || utf8.Valid(r.Body) {
			buf.WriteString(`,"body":`)
			writeJSONString(buf, r.Body, extra)
		} else {
			buf.WriteString(`,"body_base64":"`)
			enc := base64.NewEncoder(base64.StdEncoding, buf)
			_, _ = enc.Write(r.Body)
			_ = enc.Close()
			buf.WriteByte('"')
		}
	}
	buf.WriteString("}\n")
	return nil
}

// head appends the record without its body, as a JSON object.
func (r Record) head(b []byte) ([]byte, error) {
	head, ok := r.appendHead(b)
	if !ok {
		type plain Record // without the MarshalJSON method
		return json.Marshal(plain(r))
	}
	return head, nil
}

// appendHead writes the record without its body exactly as json.Marshal
// does, for the usual record whose strings need no escaping; it reports
// false otherwise, and json.Marshal writes it. It runs before every answer,
// and reflection over the record and its header map was most of the cost.
func (r Record) appendHead(b []byte) ([]byte, bool) {
	if _, off := r.Time.Zone(); r.Time.Year() < 0 || r.Time.Year() > 9999 || off <= -24*3600 || off >= 24*3600 {
		return b, false // time.Time.MarshalJSON refuses these: json.Marshal says why
	}
	b = append(r.Time.AppendFormat(append(b, `{"time":"`...), time.RFC3339Nano), '"')
	b = strconv.AppendUint(append(b, `,"seq":`...), r.Seq, 10)
	ok := true
	str := func(key, v string, omitEmpty bool) {
		if omitEmpty && v == "" {
			return
		}
		b = append(b, key...)
		b, ok = appendPlain(b, v, ok)
	}
	str(`,"remote":`, r.Remote, true)
	str(`,"method":`, r.Method, false)
	str(`,"path":`, r.Path, false)
	str(`,"query":`, r.Query, true)
	if len(r.Header) > 0 {
		keys := make([]string, 0, 16)
		for k := range r.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, `,"headers":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b, ok = appendPlain(b, k, ok)
			vs := r.Header[k]
			if vs == nil {
				return b, false // null: rare enough for json.Marshal
			}
			b = append(b, ':', '[')
			for j, v := range vs {
				if j > 0 {
					b = append(b, ',')
				}
				b, ok = appendPlain(b, v, ok)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	str(`,"signature":`, r.Signature, true)
	b = strconv.AppendInt(append(b, `,"status":`...), int64(r.Status), 10)
	str(`,"error":`, r.Error, true)
	if r.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	return append(b, '}'), ok
}

// appendPlain quotes s if no byte of it needs escaping in json.Marshal's
// (HTML-safe) encoding, and reports false otherwise.
func appendPlain(b []byte, s string, ok bool) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), ok
}

// UnmarshalJSON reads a record written by MarshalJSON.
func (r *Record) UnmarshalJSON(data []byte) error {
	type plain Record
	var aux struct {
		plain
		Body       *string `json:"body"`
		BodyBase64 *string `json:"body_base64"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	*r = Record(aux.plain)
	switch {
	case aux.Body != nil:
		r.Body = []byte(*aux.Body)
	case aux.BodyBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*aux.BodyBase64)
		if err != nil {
			return fmt.Errorf("body_base64: %v", err)
		}
		r.Body = b
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// escapedExtra is how many bytes escaping adds to a body as
// writeJSONString escapes it, counted with vectorised single-byte scans:
// sizing the line for it saves growing a 3 MB line twice (a wire-form body
// has a quote every few bytes, far more than a fixed margin allows). Other
// control characters are not counted: JSON has none outside strings but
// the whitespace counted here, and a body full of them only costs a grow.
func escapedExtra(b []byte) int {
	return bytes.Count(b, []byte{'"'}) + bytes.Count(b, []byte{'\\'}) +
		bytes.Count(b, []byte{'\n'}) + bytes.Count(b, []byte{'\r'}) + bytes.Count(b, []byte{'\t'})
}

// AppendBody appends a line's body field as Write writes it: "body" and
// the body as a JSON string when it is valid UTF-8, else "body_base64". It
// is for lines written elsewhere in the same form (the bench's floor
// server, which must not pay more for the escape than serve does).
func AppendBody(b, body []byte) []byte {
	if !utf8.Valid(body) {
		b = append(b, `"body_base64":"`...)
		b = base64.StdEncoding.AppendEncode(b, body)
		return append(b, '"')
	}
	return appendJSONString(append(b, `"body":`...), body, escapedExtra(body))
}

// writeJSONString writes s as a JSON string. Valid UTF-8 is copied through
// (decoding gives back the same bytes); only what JSON requires is escaped.
// extra is escapedExtra(s).
func writeJSONString(buf *bytes.Buffer, s []byte, extra int) {
	buf.Write(appendJSONString(buf.AvailableBuffer(), s, extra))
}

// appendJSONString appends s quoted, as writeJSONString.
func appendJSONString(b, s []byte, extra int) []byte {
	b = appendEscaped(append(b, '"'), s, extra+1)
	return append(b, '"')
}

// appendEscaped appends s escaped as in a JSON string, without quotes;
// extra is room planned beyond len(s) (a control character other than \n,
// \r and \t takes 5 bytes more than planned: the room then grows). A body
// has a quote to escape every few bytes, so the bytes are stored by index
// into room made once, eight at a time where no byte needs escaping,
// instead of an append call for every run between two escapes. Escaping
// is byte by byte, so s may be any piece of a longer string.
func appendEscaped(b, s []byte, extra int) []byte {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	b = slices.Grow(b, len(s)+extra)
	n := len(b)
	b = b[:cap(b)]
	// left is the room still planned for the rest of s: its bytes and
	// their planned escapes. It is never less than the bytes of s left, so
	// a whole word can be stored wherever eight are left.
	left := len(s) + extra
	i := 0
	for i < len(s) {
		for i+8 <= len(s) {
			w := binary.LittleEndian.Uint64(s[i:])
			// A byte of w below 0x20, or equal to '"', '\\' or DEL, sets
			// its high bit here (the has-zero-byte test). A byte above one
			// that matches may be flagged too, but the lowest flag is
			// always a match: the word is stored whole and the bytes from
			// it on are written again.
			q, bs, del := w^('"'*ones), w^('\\'*ones), w^(0x7f*ones)
			flags := ((w-0x20*ones)&^w | (q-ones)&^q | (bs-ones)&^bs | (del-ones)&^del) & highs
			binary.LittleEndian.PutUint64(b[n:], w)
			if flags == 0 {
				n, i, left = n+8, i+8, left-8
				continue
			}
			k := bits.TrailingZeros64(flags) >> 3
			n, i, left = n+k, i+k, left-k
			break
		}
		for ; i < len(s) && !mustEscape[s[i]]; i++ {
			b[n] = s[i]
			n++
			left--
		}
		if i == len(s) {
			break
		}
		c := s[i]
		i++
		switch c {
		case '"', '\\':
			b[n], b[n+1] = '\\', c
		case '\n':
			b[n], b[n+1] = '\\', 'n'
		case '\r':
			b[n], b[n+1] = '\\', 'r'
		case '\t':
			b[n], b[n+1] = '\\', 't'
		default:
			if cap(b)-n < left+5 {
				b = slices.Grow(b[:n], left+5)
				b = b[:cap(b)]
			}
			copy(b[n:], []byte{'\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf]})
			n += 6
			left--
			continue
		}
		n += 2
		left -= 2
	}
	return b[:n]
}

// mustEscape marks the bytes writeJSONString escapes.
var mustEscape = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'], t[0x7f] = true, true, true
	return t
}()

// Recorder appends records to a file. It is safe for concurrent use.
//
// With fsync, concurrent writers share the costly part (group commit): while
// one batch is being written and synced, the lines that arrive meanwhile are
// gathered and handed to the disk together by the next writer in line. Every
// Write still returns only after its own line is on the disk; under load
// there are simply fewer fsyncs than lines. Without fsync a write is cheap
// and each line is written directly, which keeps latency lowest (measured:
// batching there only added wake-ups to the tail latency).
//
// A failed or short write (a full disk) never leaves a torn line for the next
// record to be glued to: the file is truncated back to the end of the last
// whole line, and the write reports the failure (serve then answers 500, so
// the sender retries). If even the truncation fails, every Write refuses
// until a retry of the truncation succeeds.
type Recorder struct {
	mu      sync.Mutex
	flushed *sync.Cond // broadcast when a batch has been written
	f       File
	sync    bool
	pool    sync.Pool
	path    string
	n       int
	size    int64 // end of the last whole line: where a torn write is cut back to
	torn    error // set while the file ends with a torn line that could not be cut

	pending []byte // encoded lines of the open batch
	open    *batch // the batch new lines join
	spare   []byte // the last written batch's buffer, for reuse
	writing bool   // a writer is handing a batch to the OS
}

// File is what a Recorder writes to; *os.File opened for appending is one.
type File interface {
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

// batch is a group of lines written with one system call.
type batch struct {
	lines int
	done  bool
	err   error
}

// Open opens (creating if needed) the recording at path for appending. If an
// earlier run crashed mid-line, the torn line is closed with a newline so the
// next record starts clean; readers skip the torn line. With fsync, every
// record is also forced to the disk (survives power loss, costs latency).
func Open(path string, fsync bool) (*Recorder, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if err := closeTornLine(f); err != nil {
		f.Close()
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return NewRecorder(f, path, st.Size(), fsync), nil
}

// NewRecorder records to f, which is size bytes long and ends with a whole
// line (or is empty); path is only shown. Open is the usual way in.
func NewRecorder(f File, path string, size int64, fsync bool) *Recorder {
	r := &Recorder{f: f, sync: fsync, path: path, size: size, open: &batch{}}
	r.flushed = sync.NewCond(&r.mu)
	return r
}

func closeTornLine(f *os.File) error {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	r, err := os.Open(f.Name())
	if err != nil {
		return err
	}
	defer r.Close()
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, st.Size()-1); err != nil {
		return err
	}
	if last[0] != '\n' {
		_, err = f.Write([]byte("\n"))
	}
	return err
}

// Path is the file being written.
func (r *Recorder) Path() string { return r.path }

// Count is how many records were written.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Write appends rec as one line and returns once the line is in the
// operating system's hands (on the disk, with fsync). A line is written
// whole with one system call, or, with a large body, in pieces while no
// other line can be written (see writeStreamed): a crash can tear at most
// the last line.
func (r *Recorder) Write(rec Record) error {
	if len(rec.Body) >= streamBody {
		return r.writeStreamed(rec)
	}
	buf, _ := r.pool.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 { // don't keep multi-megabyte buffers alive
			r.pool.Put(buf)
		}
	}()
	if err := rec.encode(buf); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return errors.New("recording is closed")
	}
	if err := r.repair(); err != nil {
		return err
	}
	if !r.sync {
		n, err := r.f.Write(buf.Bytes())
		if err != nil || n != buf.Len() {
			err, r.torn = r.cutBack(n, buf.Len(), err)
			return err
		}
		r.size += int64(n)
		r.n++
		return nil
	}
	r.pending = append(r.pending, buf.Bytes()...)
	mine := r.open
	mine.lines++
	for !mine.done {
		if r.writing {
			r.flushed.Wait()
			continue
		}
		r.writeOpenBatch()
	}
	return mine.err
}

// streamBody is the body size from which a line is escaped and written a
// piece at a time instead of built whole: a 3 MB body full of quotes made
// a line of about 6 MB for each request in flight, all garbage after the
// write.
const streamBody = 256 << 10

// streamPiece is how much of a body is escaped into the buffer of one
// write: at most twice as many bytes, and every one of them written.
const streamPiece = 64 << 10

// pieces holds the buffers of streamed lines.
var pieces = sync.Pool{New: func() any { b := make([]byte, 0, 2*streamPiece+1024); return &b }}

// writeStreamed appends rec as one line, its body escaped and written a
// piece at a time under the lock, so no other line can come between the
// pieces and no whole line is ever built. A write that fails is cut back
// as any other: the file never keeps a part of the line. With fsync the
// lines waiting for a batch are written first, then this one, then the
// file is synced before the lock is given back.
func (r *Recorder) writeStreamed(rec Record) error {
	head, err := rec.head(nil)
	if err != nil {
		return err
	}
	head = head[:len(head)-1] // the closing brace comes after the body
	text := rec.BodyUTF8 || utf8.Valid(rec.Body)
	if text {
		head = append(head, `,"body":"`...)
	} else {
		head = append(head, `,"body_base64":"`...)
	}
	bp := pieces.Get().(*[]byte)
	defer pieces.Put(bp)

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return errors.New("recording is closed")
	}
	if r.sync {
		for r.writing {
			r.flushed.Wait()
		}
		if r.open.lines > 0 { // they came first; lines joining meanwhile wait for the lock
			r.writeOpenBatch()
		}
	}
	if err := r.repair(); err != nil {
		return err
	}
	w := pieceWriter{f: r.f, buf: (*bp)[:0]}
	w.buf = append(w.buf, head...)
	if text {
		for b := rec.Body; len(b) > 0 && w.err == nil; {
			p := b[:min(len(b), streamPiece)]
			b = b[len(p):]
			w.buf = appendEscaped(w.buf, p, len(p)+3) // every byte may take two; 3 for the end
			if len(b) == 0 {
				w.buf = append(w.buf, '"', '}', '\n')
			}
			w.flush()
		}
	} else {
		enc := base64.NewEncoder(base64.StdEncoding, &w)
		_, _ = enc.Write(rec.Body)
		_ = enc.Close()
		w.buf = append(w.buf, '"', '}', '\n')
		w.flush()
	}
	*bp = w.buf[:0]
	if w.err == nil && r.sync {
		if err := r.f.Sync(); err != nil {
			w.err = fmt.Errorf("fsync: %w", err)
		}
	}
	if w.err != nil {
		// Not known to be whole on the disk: the sender retries, so the
		// line goes.
		w.err, r.torn = r.cutBack(int(w.n), 0, w.err)
		return w.err
	}
	r.size += w.n
	r.n++
	return nil
}

// pieceWriter writes a streamed line's pieces to the file: buf is written
// whenever it holds a piece, and the first failure stops the rest.
type pieceWriter struct {
	f   File
	buf []byte
	n   int64 // bytes written
	err error
}

// Write takes base64's output: buf is written once it holds a piece.
func (w *pieceWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if len(w.buf) >= streamPiece {
		w.flush()
	}
	return len(p), w.err
}

func (w *pieceWriter) flush() {
	if w.err != nil || len(w.buf) == 0 {
		return
	}
	n, err := w.f.Write(w.buf)
	w.n += int64(n)
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	w.err = err
	w.buf = w.buf[:0]
}

// writeOpenBatch hands the open batch to the disk with one write and one
// fsync, without holding the lock meanwhile so that new lines can gather
// for the next batch. Called and returns with r.mu held.
func (r *Recorder) writeOpenBatch() {
	if r.torn != nil && r.f.Truncate(r.size) != nil { // lines that joined before a write tore
		b := r.open
		r.pending, r.open = r.pending[:0], &batch{}
		b.done, b.err = true, r.torn
		r.flushed.Broadcast()
		return
	}
	r.torn = nil
	r.writing = true
	data, b, f := r.pending, r.open, r.f
	r.pending, r.open = r.spare[:0], &batch{}
	r.mu.Unlock()
	var torn error
	n, err := f.Write(data)
	if err == nil && n == len(data) {
		err = f.Sync()
		if err != nil { // not known to be on the disk: the senders retry, so drop them
			err, torn = r.cutBack(len(data), len(data), fmt.Errorf("fsync: %w", err))
		}
	} else {
		err, torn = r.cutBack(n, len(data), err)
	}
	r.mu.Lock()
	r.torn = torn
	b.done, b.err = true, err
	if err == nil {
		r.size += int64(len(data))
		r.n += b.lines
	}
	r.spare = nil
	if cap(data) <= 1<<20 {
		r.spare = data[:0]
	}
	r.writing = false
	r.flushed.Broadcast()
}

// cutBack handles a write of want bytes that wrote only wrote (or failed):
// it truncates the file back to the last whole line and returns the error
// to report, which is also returned as torn when the truncation failed
// (want 0: not known).
// Called by the one goroutine writing; r.size is not changing meanwhile.
func (r *Recorder) cutBack(wrote, want int, err error) (report, torn error) {
	if err == nil {
		err = io.ErrShortWrite
	}
	if wrote == 0 {
		return fmt.Errorf("%w (nothing was written)", err), nil
	}
	written := fmt.Sprintf("%d of %d bytes written", wrote, want)
	if want == 0 { // a streamed line: its length is known only once written
		written = fmt.Sprintf("%d bytes of a line written", wrote)
	}
	if terr := r.f.Truncate(r.size); terr != nil {
		torn = fmt.Errorf("%w; the recording ends with a torn line (%s) that could not be cut off (%v): nothing more is recorded, and requests are answered 500, until it can", err, written, terr)
		return torn, torn
	}
	return fmt.Errorf("%w (%s; cut back to the last whole line)", err, written), nil
}

// repair retries cutting off a torn line; Write refuses while it fails.
// Called with r.mu held and no batch being written.
func (r *Recorder) repair() error {
	if r.torn == nil {
		return nil
	}
	for r.writing {
		r.flushed.Wait()
	}
	if r.torn == nil {
		return nil
	}
	if err := r.f.Truncate(r.size); err != nil {
		return r.torn
	}
	r.torn = nil
	return nil
}

// Close flushes to disk and closes the file.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.writing {
		r.flushed.Wait()
	}
	if r.f == nil {
		return nil
	}
	err := r.f.Sync()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f = nil
	if err == nil {
		err = r.torn
	}
	return err
}

// Result is what Read found: the records and how many torn or unreadable
// lines were skipped (with the line number of the first).
type Result struct {
	Records   []Record
	Skipped   int
	FirstSkip int
}

// Read reads a recording, tolerating torn lines left by a crash.
func Read(r io.Reader) (Result, error) {
	var res Result
	br := bufio.NewReaderSize(r, 64<<10)
	line := 0
	for {
		data, err := br.ReadBytes('\n')
		if len(data) > 0 {
			line++
			trimmed := bytes.TrimSpace(data)
			if len(trimmed) > 0 {
				var rec Record
				if jerr := json.Unmarshal(trimmed, &rec); jerr != nil {
					if res.Skipped == 0 {
						res.FirstSkip = line
					}
					res.Skipped++
				} else {
					res.Records = append(res.Records, rec)
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return res, err
		}
	}
}

// ReadFile is Read on a file.
func ReadFile(path string) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	return Read(f)
}
