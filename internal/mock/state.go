package mock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
	"github.com/wa-hooks/wa-hooks/internal/mock/simnet"
)

// stateVersion is the state file's format version.
const stateVersion = 1

// State is the exportable state: a readable JSON file a test can commit.
type State struct {
	Version       int                 `json:"version"`
	IDSeed        uint64              `json:"id_seed"`
	Seq           uint64              `json:"seq"`
	Business      Business            `json:"business"`
	Webhook       string              `json:"webhook,omitempty"`
	Subscriptions subscriptions       `json:"subscriptions"`
	Users         []*simnet.User      `json:"users"`
	Templates     []stateTemplate     `json:"templates"`
	Media         []*mediaItem        `json:"media"`
	History       []historyEntry      `json:"history"`
	Unread        map[string][]uint64 `json:"unread,omitempty"`
}

type stateTemplate struct {
	*graph.Template
	Decision string `json:"decision,omitempty"`
}

type historyEntry struct {
	Seq       uint64 `json:"seq"`
	ID        string `json:"id"`
	Direction string `json:"direction"`
	User      string `json:"user"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	Time      string `json:"time"`
	Text      string `json:"text,omitempty"`
	Category  string `json:"category,omitempty"`
	Version   string `json:"version,omitempty"`
	ErrorCode int    `json:"error_code,omitempty"`
	Opaque    string `json:"biz_opaque_callback_data,omitempty"`
	Flags     uint8  `json:"flags,omitempty"`
}

// snapshotLocked copies the state. Callers hold s.mu.
func (s *Server) snapshotLocked() State {
	st := State{Version: stateVersion, IDSeed: s.idMask, Seq: s.seq, Business: s.biz, Webhook: s.webhook,
		Subscriptions: s.subs, Users: s.net.Users(), Media: make([]*mediaItem, 0, len(s.media.order)),
		Unread: map[string][]uint64{}}
	for _, t := range s.templates {
		st.Templates = append(st.Templates, stateTemplate{Template: t, Decision: t.Decision})
	}
	for _, id := range s.media.order {
		st.Media = append(st.Media, s.media.items[id])
	}
	s.hist.each(func(m *message) {
		if m.user == nil || s.net.Find(m.user.Name) != m.user {
			return // a number nobody simulates
		}
		h := historyEntry{Seq: m.seq, ID: s.wamid(m.seq, m.user.Address(), m.out), Direction: "in", User: m.user.Name,
			Type: m.typeName(), Status: stateNames[m.state], Time: time.Unix(0, m.at).UTC().Format(time.RFC3339Nano),
			Text: m.text, ErrorCode: int(m.errCode), Opaque: s.hist.opaqueOf(m.seq), Flags: m.flags}
		if m.out {
			h.Direction = "out"
			h.Category = categoryNames[m.category]
			h.Version = fmt.Sprintf("v%d.0", m.version)
		}
		st.History = append(st.History, h)
	})
	for u, list := range s.unread {
		st.Unread[u.Name] = list
	}
	return st
}

func (s *Server) stateJSON() ([]byte, error) {
	s.mu.Lock()
	st := s.snapshotLocked()
	b, err := json.MarshalIndent(st, "", "  ")
	s.mu.Unlock()
	return append(b, '\n'), err
}

// save writes the state file atomically (a temporary file renamed over it).
func (s *Server) save() error {
	if s.opts.StatePath == "" {
		return nil
	}
	b, err := s.stateJSON()
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.opts.StatePath)
	tmp, err := os.CreateTemp(dir, ".mock-state-*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.opts.StatePath); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// saveLoop writes the state a second after it changed, so a killed mock
// loses at most a second of it.
func (s *Server) saveLoop() {
	defer close(s.saveDone)
	if s.opts.StatePath == "" {
		<-s.stopSave
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stopSave:
			return
		case <-t.C:
			s.mu.Lock()
			dirty := s.dirty
			s.dirty = false
			s.mu.Unlock()
			if dirty {
				_ = s.save()
			}
		}
	}
}

// maxStateFile bounds the state file read at start.
const maxStateFile = 1 << 30

// load reads the state file; a missing file is a fresh mock.
func (s *Server) load(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	if fi.Size() > maxStateFile {
		return fmt.Errorf("state file %s is larger than 1 GiB: not a mock state file?", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("state file %s is not a mock state (%v): move it away or fix it", path, err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("state file %s has version %d; this wa-hooks reads version %d", path, st.Version, stateVersion)
	}
	if st.Business.PhoneNumberID != "" {
		s.biz = st.Business
	}
	s.idMask, s.seq = st.IDSeed, st.Seq
	if st.Webhook != "" && s.opts.Webhook == "" {
		s.webhook = st.Webhook
	}
	s.subs = st.Subscriptions
	s.net = simnet.NewNetwork(s.opts.Seed)
	for _, u := range st.Users {
		if u == nil {
			continue
		}
		if err := s.net.Restore(u); err != nil {
			return fmt.Errorf("state file %s: %v", path, err)
		}
	}
	if len(st.Templates) > 0 {
		s.templates = nil
		for _, t := range st.Templates {
			if t.Template == nil {
				continue
			}
			t.Template.Decision = t.Decision
			s.templates = append(s.templates, t.Template)
		}
	}
	for _, it := range st.Media {
		if it != nil {
			_ = s.media.put(it)
		}
	}
	for _, h := range st.History {
		u := s.net.Find(h.User)
		if u == nil {
			continue
		}
		at, _ := time.Parse(time.RFC3339Nano, h.Time)
		m := message{seq: h.Seq, user: u, at: at.UnixNano(), out: h.Direction == "out", typ: typeCode(h.Type),
			text: h.Text, errCode: int32(h.ErrorCode), flags: h.Flags, category: categoryOf(h.Category)}
		for i, n := range stateNames {
			if n == h.Status {
				m.state = uint8(i)
			}
		}
		var v int
		if _, err := fmt.Sscanf(h.Version, "v%d.0", &v); err == nil {
			m.version = uint8(v)
		}
		s.hist.add(m)
		s.hist.setOpaque(m.seq, h.Opaque)
	}
	for name, list := range st.Unread {
		if u := s.net.Find(name); u != nil {
			s.unread[u] = list
		}
	}
	s.dirty = false
	return nil
}
