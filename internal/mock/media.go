package mock

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
)

// mediaURLLife is how long a media URL works (Meta: 5 minutes).
const mediaURLLife = 5 * time.Minute

type mediaItem struct {
	ID      string    `json:"id"`
	Mime    string    `json:"mime_type"`
	SHA256  string    `json:"sha256"` // hex
	Size    int64     `json:"file_size"`
	Created time.Time `json:"created"`
	Data    []byte    `json:"data"` // base64 in the state file
	// Inbound is set for media a simulated user sent.
	Inbound bool `json:"inbound,omitempty"`
}

// mediaStore holds uploaded media up to a total size; the oldest go first.
type mediaStore struct {
	items map[string]*mediaItem
	order []string
	total int64
	limit int64
}

func newMediaStore(limit int64) *mediaStore {
	return &mediaStore{items: map[string]*mediaItem{}, limit: limit}
}

func (m *mediaStore) has(id string) bool { return m.items[id] != nil }

func (m *mediaStore) put(it *mediaItem) error {
	if it.Size > m.limit {
		return fmt.Errorf("the file is larger than the whole media store (%d bytes)", m.limit)
	}
	for m.total+it.Size > m.limit && len(m.order) > 0 {
		m.remove(m.order[0])
	}
	m.items[it.ID] = it
	m.order = append(m.order, it.ID)
	m.total += it.Size
	return nil
}

func (m *mediaStore) remove(id string) bool {
	it := m.items[id]
	if it == nil {
		return false
	}
	delete(m.items, id)
	m.total -= it.Size
	for i, x := range m.order {
		if x == id {
			m.order = append(m.order[:i], m.order[i+1:]...)
			break
		}
	}
	return true
}

func (s *Server) isMedia(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.media.has(id)
}

// uploadMedia answers POST /{phone-number-id}/media (multipart: file, type,
// messaging_product), with Meta's type and size limits per kind.
func (s *Server) uploadMedia(c *call) {
	r := c.r
	c.summary = "media upload"
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		c.fail(graph.Param("file", "Upload media as multipart/form-data with the fields file, type and messaging_product."))
		return
	}
	reader := multipart.NewReader(http.MaxBytesReader(c.w, r.Body, graph.MaxMediaSize+1<<20), params["boundary"])
	var typ, product, fileType string
	var data []byte
	for {
		part, err := reader.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			c.fail(graph.Param("file", "The multipart body could not be read: %v", err))
			return
		}
		switch part.FormName() {
		case "file":
			fileType = part.Header.Get("Content-Type")
			data, err = io.ReadAll(io.LimitReader(part, graph.MaxMediaSize+1))
			if err != nil {
				c.fail(graph.Param("file", "The file could not be read: %v", err))
				return
			}
		case "type":
			b, _ := io.ReadAll(io.LimitReader(part, 256))
			typ = strings.TrimSpace(string(b))
		case "messaging_product":
			b, _ := io.ReadAll(io.LimitReader(part, 64))
			product = strings.TrimSpace(string(b))
		default:
			_, _ = io.Copy(io.Discard, io.LimitReader(part, 1<<20))
		}
	}
	c.logReq, _ = json.Marshal(map[string]any{"type": typ, "messaging_product": product, "file_type": fileType, "file_size": len(data)})
	switch {
	case product == "":
		c.fail(graph.Missing("messaging_product"))
		return
	case product != "whatsapp":
		c.fail(graph.Param("messaging_product", "messaging_product must be \"whatsapp\"."))
		return
	case data == nil:
		c.fail(graph.Missing("file"))
		return
	case typ == "":
		typ = fileType
		if typ == "" {
			c.fail(graph.Missing("type"))
			return
		}
	}
	kind, ok := graph.KindOf(typ)
	if !ok {
		c.fail(graph.Param("type", "type %q is not a supported media type; use one of %s.", typ, graph.AllMediaTypes()))
		return
	}
	if int64(len(data)) > kind.Max {
		c.fail(graph.Newf(131053, "The %s is %d bytes; %s media may be at most %d bytes.", typ, len(data), kind.Name, kind.Max))
		return
	}
	c.summary = fmt.Sprintf("media upload %s (%d bytes)", typ, len(data))
	s.mu.Lock()
	id := s.newNumericID()
	sum := sha256.Sum256(data)
	err = s.media.put(&mediaItem{ID: id, Mime: strings.ToLower(strings.TrimSpace(typ)), SHA256: hex.EncodeToString(sum[:]),
		Size: int64(len(data)), Created: s.now(), Data: data})
	s.dirty = true
	s.mu.Unlock()
	if err != nil {
		c.fail(graph.Newf(131053, "%v", err))
		return
	}
	c.json(map[string]string{"id": id})
}

// mediaNode answers GET and DELETE /{media-id}.
func (s *Server) mediaNode(c *call, id string) {
	s.mu.Lock()
	it := s.media.items[id]
	if c.r.Method == http.MethodDelete {
		s.media.remove(id)
		s.dirty = true
		s.mu.Unlock()
		c.summary = "media delete " + id
		c.json(success)
		return
	}
	s.mu.Unlock()
	c.summary = "media " + id
	c.json(map[string]string{"messaging_product": "whatsapp", "url": s.mediaURL(it),
		"mime_type": it.Mime, "sha256": it.SHA256, "file_size": strconv.FormatInt(it.Size, 10), "id": it.ID})
}

// mediaURL is the download URL of it, valid for five minutes: the mock's
// stand-in for lookaside.fbsbx.com.
func (s *Server) mediaURL(it *mediaItem) string {
	ext := s.now().Add(mediaURLLife).Unix()
	return fmt.Sprintf("%s/_mock/media/%s?ext=%d&hash=%s", s.opts.BaseURL, it.ID, ext, s.mediaHash(it.ID, ext))
}

func (s *Server) mediaHash(id string, ext int64) string {
	h := hmac.New(sha256.New, []byte(s.opts.AccessToken))
	fmt.Fprintf(h, "%s/%d", id, ext)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// serveMediaDownload serves a media URL to a caller with the Bearer token.
func (s *Server) serveMediaDownload(w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, start: time.Now(), summary: "media download"}
	defer s.logCall(c)
	if !s.authorized(r, nil, false) {
		c.fail(graph.Token("Media downloads need the same Authorization: Bearer token as every Graph call."))
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/_mock/media/")
	ext, _ := strconv.ParseInt(r.URL.Query().Get("ext"), 10, 64)
	s.mu.Lock()
	it := s.media.items[id]
	s.mu.Unlock()
	if it == nil || !hmac.Equal([]byte(r.URL.Query().Get("hash")), []byte(s.mediaHash(id, ext))) {
		c.fail(graph.NoObject("get", id))
		return
	}
	if s.now().Unix() > ext {
		c.fail(graph.Param("url", "This media URL expired (they last five minutes): get a fresh one with GET /%s.", id))
		return
	}
	w.Header().Set("Content-Type", it.Mime)
	w.Header().Set("Content-Length", strconv.FormatInt(it.Size, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(it.Data)
	c.status = http.StatusOK
	c.summary = fmt.Sprintf("media download %s (%d bytes)", id, it.Size)
}

// linkFetchable reports whether a media link answers 200 with a supported
// type, as Meta checks when it fetches the link for delivery.
func (s *Server) linkFetchable(link string) bool {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(link)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, graph.MaxMediaSize))
	if resp.StatusCode != http.StatusOK {
		return false
	}
	_, ok := graph.KindOf(resp.Header.Get("Content-Type"))
	return ok
}
