package inspector

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"

	"github.com/wa-hooks/wa-hooks/internal/receiver/recording"
)

// maxLine bounds one recorded line: a 4 MiB body escaped as JSON, with room.
const maxLine = 32 << 20

// readTail reads the last maxReqs records of a recording, starting at most
// maxBytes from its end so that a huge file is neither read whole nor kept
// whole. Torn or unreadable lines (a crash mid-write) are skipped and
// counted, as send --from-recording does.
func readTail(path string, maxReqs int, maxBytes int64) ([]recording.Record, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	// The size now: serve appends while this reads, and those requests
	// reach the inspector live.
	size := st.Size()
	start := max(size-maxBytes, 0)
	r := bufio.NewReaderSize(io.NewSectionReader(f, start, size-start), 256<<10)
	if start > 0 {
		// Starting mid-file: the first line is most likely a tail.
		if _, err := r.ReadSlice('\n'); errors.Is(err, bufio.ErrBufferFull) {
			skipRest(r)
		}
	}
	ring := make([]recording.Record, 0, min(maxReqs, 1024))
	next, skipped := 0, 0
	var line []byte
	for {
		line = line[:0]
		tooLong := false
		for {
			chunk, err := r.ReadSlice('\n')
			if len(line)+len(chunk) <= maxLine {
				line = append(line, chunk...)
			} else {
				tooLong = true
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return ring, skipped, err
			}
			break
		}
		if len(line) == 0 {
			break
		}
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 {
			continue
		}
		var rec recording.Record
		if tooLong || json.Unmarshal(trimmed, &rec) != nil {
			skipped++
			continue
		}
		if len(ring) < maxReqs {
			ring = append(ring, rec)
		} else {
			ring[next] = rec
			next = (next + 1) % maxReqs
		}
	}
	// Oldest first.
	return append(ring[next:], ring[:next]...), skipped, nil
}

// skipRest skips to the end of a line that was longer than the buffer.
func skipRest(r *bufio.Reader) {
	for {
		_, err := r.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}
