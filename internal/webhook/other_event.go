package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
)

func statusEvent(base Event, s *Status, idx contactIndex) Event {
	e := base
	e.Kind = "status"
	e.ID = s.ID
	e.Status = s.Status
	e.Type = "status." + strings.ToLower(s.Status)
	if s.Status == "" {
		e.Type = "status"
	}
	e.Recipient = s.Recipient()
	e.UserID = s.RecipientUserID
	e.RawType = s.Status
	e.ParentUserID = s.RecipientParentUserID
	e.Raw = s.Raw
	e.addProblem(s.DecodeErr)
	e.setTime(s.Timestamp)
	if s.RecipientType == "group" {
		e.GroupID = string(s.RecipientID)
	} else {
		e.applyContact(idx.lookup(string(s.RecipientID), s.RecipientUserID))
	}
	e.Errors = errorInfos(s.Errors)
	if !knownStatus(s.Status) {
		e.Unknown = true
	}
	if s.Pricing != nil {
		e.PricingCategory = s.Pricing.Category
	}
	e.Summary = statusSummary(s, e.Errors)
	return e
}

func knownStatus(s string) bool {
	switch s {
	case "sent", "delivered", "read", "played", "failed":
		return true
	}
	return false
}

func statusSummary(s *Status, errs []ErrorInfo) string {
	parts := []string{s.Status}
	if s.Status == "" {
		parts[0] = "status without a value"
	}
	if s.Type == "call" {
		parts[0] = "call " + s.Status
	}
	if !knownStatus(s.Status) && s.Type != "call" && s.Status != "" {
		parts[0] = fmt.Sprintf("unknown status %q", s.Status)
	}
	if s.RecipientType == "group" {
		p := "group"
		if s.RecipientParticipantID != "" {
			p += ", participant " + string(s.RecipientParticipantID)
		}
		parts = append(parts, p)
	}
	if pr := s.Pricing; pr != nil {
		p := pr.Category
		var detail []string
		if pr.PricingModel != "" {
			detail = append(detail, pr.PricingModel)
		}
		if pr.Type != "" {
			detail = append(detail, pr.Type)
		}
		if pr.Billable != nil && !*pr.Billable {
			detail = append(detail, "not billable")
		}
		if len(detail) > 0 {
			p += " (" + strings.Join(detail, ", ") + ")"
		}
		parts = append(parts, p)
	}
	// origin.type spells authentication_international with an underscore
	// where pricing.category has a hyphen: the same category, noted once.
	if c := s.Conversation; c != nil && c.Origin != nil && (s.Pricing == nil || c.Origin.Type != strings.ReplaceAll(s.Pricing.Category, "-", "_")) {
		parts = append(parts, "conversation "+c.Origin.Type)
	}
	for _, er := range errs {
		parts = append(parts, errorSummary(er))
	}
	if s.BizOpaqueCallbackData != "" {
		parts = append(parts, "callback data "+quote(s.BizOpaqueCallbackData))
	}
	return strings.Join(parts, " · ")
}

func appendHistory(out []Event, base Event, v *HistoryValue, value json.RawMessage) []Event {
	base.PhoneNumberID, base.DisplayPhoneNumber = string(v.Metadata.PhoneNumberID), string(v.Metadata.DisplayPhoneNumber)
	idx := newContactIndex(v.Contacts)
	item := 0
	add := func(e Event) {
		e.Kind = KindHistory
		e.ItemIndex = item
		item++
		out = append(out, e)
	}
	for ci := range v.History {
		chunk := &v.History[ci]
		md := chunk.Metadata
		where := fmt.Sprintf("history phase %s chunk %s (%s%%)", orDash(md.Phase), orDash(md.ChunkOrder), orDash(md.Progress))
		for ti := range chunk.Threads {
			th := &chunk.Threads[ti]
			for mi := range th.Messages {
				m := &th.Messages[mi]
				e := messageEvent(base, m, idx)
				if m.To != "" || m.ToUserID != "" {
					e.Recipient = m.Recipient()
				} else if string(m.From) == base.DisplayPhoneNumber {
					e.Recipient = string(th.ID)
				}
				if m.HistoryContext != nil && m.HistoryContext.Status != "" {
					e.Status = m.HistoryContext.Status
					e.Summary += " · " + strings.ToLower(m.HistoryContext.Status)
				}
				e.Summary = where + ": " + e.Summary
				add(e)
			}
		}
		for _, er := range chunk.Errors {
			e := errorEvent(base, er, 0)
			e.Summary = "history sync refused: " + e.Summary
			add(e)
		}
		if len(chunk.Threads) == 0 && len(chunk.Errors) == 0 {
			e := base
			e.Type = "history.chunk"
			e.Raw = historyChunkRaw(value, ci)
			e.Summary = where + ": no threads"
			add(e)
		}
	}
	for i := range v.Messages {
		e := messageEvent(base, &v.Messages[i], idx)
		e.Summary = "history media: " + e.Summary
		add(e)
	}
	for _, er := range v.Errors {
		e := errorEvent(base, er, 0)
		e.Kind = "error"
		e.ItemIndex = item
		item++
		out = append(out, e)
	}
	return out
}

// historyChunkRaw is chunk i of a history value as sent: the model keeps
// no bytes of a chunk, and an empty one is rare enough to look it up again.
func historyChunkRaw(value json.RawMessage, i int) json.RawMessage {
	var v struct {
		History []json.RawMessage `json:"history"`
	}
	if json.Unmarshal(value, &v) != nil || i >= len(v.History) {
		return nil
	}
	return v.History[i]
}

func orDash(f Flex) string {
	if f == "" {
		return "-"
	}
	return string(f)
}

func appendCalls(out []Event, base Event, v *CallsValue) []Event {
	base.PhoneNumberID, base.DisplayPhoneNumber = string(v.Metadata.PhoneNumberID), string(v.Metadata.DisplayPhoneNumber)
	idx := newContactIndex(v.Contacts)
	item := 0
	for i := range v.Calls {
		c := &v.Calls[i].V
		e := base
		e.Raw = v.Calls[i].Raw
		e.addProblem(v.Calls[i].DecodeErr)
		e.RawType = c.Event
		e.ItemIndex = item
		item++
		e.ID = c.ID
		e.Status = c.Event
		e.Type = "calls." + strings.ToLower(c.Event)
		e.From = string(c.From)
		if e.From == "" {
			e.From = c.FromUserID
		}
		e.Recipient = string(c.To)
		if e.Recipient == "" {
			e.Recipient = c.ToUserID
		}
		e.UserID = c.FromUserID
		e.setTime(c.Timestamp)
		if c.Direction == "BUSINESS_INITIATED" || (e.From != "" && e.From == base.DisplayPhoneNumber) {
			// The business called: the user is the callee.
			e.UserID = c.ToUserID
			e.applyContact(idx.lookup(string(c.To), c.ToUserID))
		} else {
			e.applyContact(idx.lookup(string(c.From), c.FromUserID))
		}
		e.Errors = errorInfos(c.Errors)
		e.Summary = callSummary(c, e.Errors)
		if !knownCallEvent(c.Event) {
			e.Unknown = true
		}
		out = append(out, e)
	}
	for i := range v.Statuses {
		e := statusEvent(base, &v.Statuses[i], idx)
		e.ItemIndex = item
		item++
		if v.Statuses[i].Type == "call" {
			e.Type = "status.call." + strings.ToLower(v.Statuses[i].Status)
			e.Unknown = false
		}
		out = append(out, e)
	}
	return appendErrors(out, base, v.Errors, &item)
}

func callSummary(c *Call, errs []ErrorInfo) string {
	dir := strings.ToLower(strings.ReplaceAll(c.Direction, "_", "-"))
	// call_recording_available reads "call recording available"
	event := strings.ReplaceAll(strings.TrimPrefix(c.Event, "call_"), "_", " ")
	s := "call " + event
	if dir != "" {
		s = dir + " call " + event
	}
	if len(c.Status) > 0 {
		s += " " + strings.Join(c.Status, ",")
	}
	if c.Duration != "" {
		s += " after " + string(c.Duration) + " s"
	}
	if c.Session != nil && c.Session.SDPType != "" {
		s += " (SDP " + c.Session.SDPType + ")"
	}
	s += callMediaNote(c)
	for _, er := range errs {
		s += " · " + errorSummary(er)
	}
	return s
}

func userPreferenceEvent(e *Event, p *UserPreference, idx contactIndex) {
	e.Type = "user_preferences." + strings.ToLower(p.Value)
	e.RawType = p.Value
	e.ParentUserID = p.ParentUserID
	e.From = string(p.WaID)
	if e.From == "" {
		e.From = p.UserID
	}
	e.UserID = p.UserID
	e.Status = p.Value
	e.setTime(p.Timestamp)
	e.applyContact(idx.lookup(string(p.WaID), p.UserID))
	e.Summary = fmt.Sprintf("%s: %s", p.Category, p.Value)
	if p.SignupID != "" {
		e.Summary += " (signup " + string(p.SignupID) + ")"
	}
	if p.Detail != "" {
		e.Summary += " · " + p.Detail
	}
}

func stateSyncEvent(e *Event, s *StateSync, _ contactIndex) {
	e.Type = "smb_app_state_sync." + s.Type + "." + s.Action
	e.RawType = s.Type
	e.From = string(s.Contact.PhoneNumber)
	e.ContactName = s.Contact.FullName
	e.Status = s.Action
	e.setTime(s.Metadata.Timestamp)
	name := s.Contact.FullName
	if name == "" {
		name = "(name omitted)"
	}
	e.Summary = fmt.Sprintf("%s %s: %s %s", s.Type, s.Action, name, s.Contact.PhoneNumber)
}

func automaticEvent(e *Event, a *AutomaticEvent, _ contactIndex) {
	e.Type = "automatic_events." + strings.ToLower(a.EventName)
	e.RawType = a.EventName
	e.ID = a.ID
	e.Status = a.EventName
	e.setTime(a.Timestamp)
	s := a.EventName
	if d := a.CustomData; d != nil && d.Value != "" {
		s += " " + milliAmount(string(d.Value)) + " " + d.Currency
	}
	if a.CtwaClid != "" {
		s += " · from ad click " + a.CtwaClid
	}
	e.Summary = s
}

// milliAmount renders custom_data.value, which Meta sends as price × 1000.
func milliAmount(v string) string {
	n, ok := Flex(v).Int64()
	if !ok {
		return v
	}
	s := fmt.Sprintf("%d.%03d", n/1000, abs(n%1000))
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func groupEvent(e *Event, g *GroupEvent, _ contactIndex) {
	e.Type = e.Field
	e.RawType = g.Type
	if g.Type != "" {
		e.Type = e.Field + "." + g.Type
	}
	e.GroupID = g.GroupID
	e.Status = g.Type
	e.setTime(g.Timestamp)
	e.Errors = errorInfos(g.Errors)
	var parts []string
	parts = append(parts, strings.ReplaceAll(g.Type, "_", " "))
	if g.Subject != "" {
		parts = append(parts, quote(g.Subject))
	}
	if n := len(g.AddedParticipants); n > 0 {
		parts = append(parts, fmt.Sprintf("%d added", n))
	}
	if n := len(g.RemovedParticipants); n > 0 {
		parts = append(parts, fmt.Sprintf("%d removed", n))
	}
	if g.InitiatedBy != "" {
		parts = append(parts, "by "+g.InitiatedBy)
	}
	if g.Reason != "" {
		parts = append(parts, "via "+g.Reason)
	}
	for _, er := range e.Errors {
		parts = append(parts, errorSummary(er))
	}
	e.Summary = strings.Join(parts, " · ")
}

func userIDUpdateEvent(e *Event, u *UserIDUpdate, idx contactIndex) {
	e.Type = "user_id_update"
	e.From = string(u.WaID)
	if e.From == "" {
		e.From = u.UserID.Previous
	}
	e.UserID = u.UserID.Current
	e.setTime(u.Timestamp)
	e.applyContact(idx.lookup(string(u.WaID), u.UserID.Current))
	e.Summary = fmt.Sprintf("user ID %s → %s", orDash(Flex(u.UserID.Previous)), orDash(Flex(u.UserID.Current)))
	if u.ParentUserID.Current != "" || u.ParentUserID.Previous != "" {
		e.Summary += fmt.Sprintf(" · parent %s → %s", orDash(Flex(u.ParentUserID.Previous)), orDash(Flex(u.ParentUserID.Current)))
	}
}
