package send

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/wa-hooks/wa-hooks/internal/identity"
	"github.com/wa-hooks/wa-hooks/internal/payload"
	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
	"github.com/wa-hooks/wa-hooks/internal/sender"
)

// maxRecordLine bounds one line of a recording. serve keeps bodies up to its
// --max-body (4 MiB by default); escaped as JSON a body grows at most six
// times. A longer line is skipped as unreadable instead of being held.
const maxRecordLine = 256 << 20

// recordingFeed replays the POSTs of a 'serve --record' file without
// loading it: one pass notes where each POST's line starts, and every
// delivery reads its line again from the file. Memory stays at a few bytes
// per request plus the bodies in flight, however large the recording is.
type recordingFeed struct {
	file   *os.File
	base   string
	lines  []recordLine
	opts   payload.Options
	resign bool
	// identity, when set, rewrites every body for one kind of user
	// (--identity); resign is then set too.
	identity identity.Identity
}

// recordLine is where one replayable request sits in the file.
type recordLine struct {
	off int64
	n   int
	seq uint64
}

// recordHead is the part of a recorded line that indexing reads; the body
// is only looked at for being there (as raw JSON, not decoded).
type recordHead struct {
	Seq        uint64          `json:"seq"`
	Method     string          `json:"method"`
	Truncated  bool            `json:"truncated"`
	Body       json.RawMessage `json:"body"`
	BodyBase64 json.RawMessage `json:"body_base64"`
}

// recordingScan is what indexing a recording found besides the requests.
type recordingScan struct {
	skipped, firstSkip int
	truncated          int
	posts              int // before --filter
}

// openRecording indexes file, keeping the POSTs whose whole body was
// recorded and that keep matches (nil: all).
func openRecording(file string, keep func(name string, body []byte) bool) (*recordingFeed, recordingScan, error) {
	var scan recordingScan
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, scan, fmt.Errorf("--from-recording %s: no such file", file)
		}
		return nil, scan, fmt.Errorf("--from-recording %s: %v", file, unwrapPath(err))
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, scan, fmt.Errorf("--from-recording %s is a directory: give the file 'serve --record' wrote", file)
	}
	feed := &recordingFeed{file: f, base: filepath.Base(file)}
	br := bufio.NewReaderSize(f, 256<<10)
	var off int64
	var line []byte
	for lineNo := 1; ; lineNo++ {
		var n int64
		var tooLong bool
		line, n, tooLong, err = readLine(br, line[:0])
		if n == 0 && err != nil {
			break
		}
		start := off
		off += n
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 {
			continue
		}
		// Indexing needs only the request line of each record, not its
		// body, which is decoded when it is sent (or here for --filter).
		var head recordHead
		if tooLong || json.Unmarshal(trimmed, &head) != nil {
			if scan.skipped == 0 {
				scan.firstSkip = lineNo
			}
			scan.skipped++
			continue
		}
		if head.Method != http.MethodPost || (head.Body == nil && head.BodyBase64 == nil) {
			continue
		}
		if head.Truncated {
			scan.truncated++
			continue
		}
		scan.posts++
		if keep != nil {
			var rec recording.Record
			if json.Unmarshal(trimmed, &rec) != nil || !keep(feed.base+"#"+strconv.FormatUint(rec.Seq, 10), rec.Body) {
				continue
			}
		}
		feed.lines = append(feed.lines, recordLine{off: start, n: int(n), seq: head.Seq})
		if err != nil {
			break
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, scan, fmt.Errorf("--from-recording %s: %v", file, err)
	}
	return feed, scan, nil
}

// readLine appends one line of br (newline included) to buf; a line longer
// than maxRecordLine is read through but not kept (tooLong). n is the
// number of bytes the line takes in the file.
func readLine(br *bufio.Reader, buf []byte) (line []byte, n int64, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		n += int64(len(chunk))
		if !tooLong {
			if len(buf)+len(chunk) > maxRecordLine {
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, n, tooLong, err
	}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Close releases the file.
func (r *recordingFeed) Close() error { return r.file.Close() }

// Len implements sender.Feed.
func (r *recordingFeed) Len() int { return len(r.lines) }

// NewStream implements sender.Feed; reads are positioned (ReadAt), so any
// number of workers share the file.
func (r *recordingFeed) NewStream() sender.Stream { return r }

// Delivery implements sender.Stream: the recorded body of request job, with
// the recorded signatures or fresh ones (--resign).
func (r *recordingFeed) Delivery(job int) (sender.Delivery, error) {
	l := r.lines[job%len(r.lines)]
	buf := make([]byte, l.n)
	if _, err := r.file.ReadAt(buf, l.off); err != nil && !(errors.Is(err, io.EOF) && len(buf) > 0) {
		return sender.Delivery{}, fmt.Errorf("reading %s again: %v", r.base, err)
	}
	var rec recording.Record
	if err := json.Unmarshal(bytes.TrimSpace(buf), &rec); err != nil {
		return sender.Delivery{}, fmt.Errorf("%s#%d changed while it was replayed: %v", r.base, l.seq, err)
	}
	if r.identity != "" {
		body, err := identity.Rewrite(rec.Body, r.identity)
		if err != nil {
			return sender.Delivery{}, fmt.Errorf("%s: --identity %s: %v", r.name(l), r.identity, err)
		}
		rec.Body = body
	}
	return sender.Delivery{
		Name:   r.name(l),
		Body:   rec.Body,
		Header: payload.ReplayHeader(rec.Body, rec.Header, r.opts, r.resign),
		Events: payload.CountEvents(rec.Body),
	}, nil
}

// Preview is Delivery (--dry-run).
func (r *recordingFeed) Preview(job int) (sender.Delivery, error) { return r.Delivery(job) }

func (r *recordingFeed) name(l recordLine) string {
	return r.base + "#" + strconv.FormatUint(l.seq, 10)
}

// nameWidth is the width of the longest request name.
func (r *recordingFeed) nameWidth() int {
	w := 0
	for _, l := range r.lines {
		w = max(w, len(r.name(l)))
	}
	return w
}
