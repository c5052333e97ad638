package graph

import (
	"strings"
	"unicode"
)

var interactiveTypes = []string{"button", "list", "cta_url", "flow", "location_request_message", "call_permission_request", "product", "product_list"}

func parseInteractive(o object) (*Interactive, *Error) {
	t, e := o.required("type")
	if e != nil {
		return nil, e
	}
	if !contains(interactiveTypes, t) {
		return nil, Param(o.name("type"), "%s must be one of %s (it is %q).", o.name("type"), strings.Join(interactiveTypes, ", "), t)
	}
	in := &Interactive{Type: t}
	if h, ok, e := o.sub("header", false); e != nil {
		return nil, e
	} else if ok {
		if e := checkHeader(h, t); e != nil {
			return nil, e
		}
	}
	body, hasBody, e := o.sub("body", t != "product" && t != "product_list")
	if e != nil {
		return nil, e
	}
	if hasBody {
		if _, e := body.text("text", true, MaxInteractive); e != nil {
			return nil, e
		}
	}
	if f, ok, e := o.sub("footer", false); e != nil {
		return nil, e
	} else if ok {
		if _, e := f.text("text", true, MaxFooter); e != nil {
			return nil, e
		}
	}
	act, _, e := o.sub("action", true)
	if e != nil {
		return nil, e
	}
	switch t {
	case "button":
		e = in.buttons(act)
	case "list":
		e = in.list(act)
	case "cta_url":
		e = ctaURL(act)
	case "flow":
		e = in.flow(act)
	case "location_request_message":
		e = namedAction(act, "send_location")
	case "call_permission_request":
		e = namedAction(act, "call_permission_request")
	case "product":
		if _, e = act.required("catalog_id"); e == nil {
			_, e = act.required("product_retailer_id")
		}
	case "product_list":
		if _, e = act.required("catalog_id"); e == nil {
			_, e = act.list("sections", true)
		}
	}
	if e != nil {
		return nil, e
	}
	return in, nil
}

func checkHeader(h object, kind string) *Error {
	t, e := h.required("type")
	if e != nil {
		return e
	}
	switch t {
	case "text":
		_, e = h.text("text", true, MaxHeaderText)
		return e
	case "image", "video", "document":
		m, _, e := h.sub(t, true)
		if e != nil {
			return e
		}
		if m.has("id") {
			// Media ids are refused in interactive headers: they need a link.
			return Param(m.name("id"), "Interactive message headers take media by link, not by id.")
		}
		if _, e := m.required("link"); e != nil {
			return e
		}
		return nil
	}
	return Param(h.name("type"), "%s must be text, image, video or document for %s messages (it is %q).", h.name("type"), kind, t)
}

func (in *Interactive) buttons(act object) *Error {
	items, e := act.list("buttons", true)
	if e != nil {
		return e
	}
	if len(items) > MaxButtons {
		return Param(act.name("buttons"), "%s holds at most %d buttons (it has %d).", act.name("buttons"), MaxButtons, len(items))
	}
	seenID, seenTitle := map[string]bool{}, map[string]bool{}
	for i, raw := range items {
		b, e := decodeObject(index(act.name("buttons"), i), raw)
		if e != nil {
			return e
		}
		bt, _, e := b.str("type")
		if e != nil {
			return e
		}
		if bt != "reply" {
			return Param(b.name("type"), "%s must be \"reply\".", b.name("type"))
		}
		r, _, e := b.sub("reply", true)
		if e != nil {
			return e
		}
		id, e := r.text("id", true, MaxButtonID)
		if e != nil {
			return e
		}
		if strings.TrimSpace(id) != id {
			return Param(r.name("id"), "%s must not start or end with spaces.", r.name("id"))
		}
		title, e := r.text("title", true, MaxButtonTitle)
		if e != nil {
			return e
		}
		if seenID[id] {
			return Param(r.name("id"), "Button ids must be unique (%q repeats).", id)
		}
		if seenTitle[title] {
			return Param(r.name("title"), "Button titles must be unique (%q repeats).", title)
		}
		seenID[id], seenTitle[title] = true, true
		in.Options = append(in.Options, Option{ID: id, Title: title})
	}
	return nil
}

func (in *Interactive) list(act object) *Error {
	if _, e := act.text("button", true, MaxListButton); e != nil {
		return e
	}
	sections, e := act.list("sections", true)
	if e != nil {
		return e
	}
	if len(sections) > MaxSections {
		return Param(act.name("sections"), "%s holds at most %d sections (it has %d).", act.name("sections"), MaxSections, len(sections))
	}
	seen := map[string]bool{}
	for i, raw := range sections {
		s, e := decodeObject(index(act.name("sections"), i), raw)
		if e != nil {
			return e
		}
		if _, e := s.text("title", len(sections) > 1, MaxSectionTitle); e != nil {
			return e
		}
		rows, e := s.list("rows", true)
		if e != nil {
			return e
		}
		for j, rr := range rows {
			r, e := decodeObject(index(s.name("rows"), j), rr)
			if e != nil {
				return e
			}
			id, e := r.text("id", true, MaxRowID)
			if e != nil {
				return e
			}
			title, e := r.text("title", true, MaxRowTitle)
			if e != nil {
				return e
			}
			desc, e := r.text("description", false, MaxRowDesc)
			if e != nil {
				return e
			}
			if seen[id] {
				return Param(r.name("id"), "Row ids must be unique (%q repeats).", id)
			}
			seen[id] = true
			in.Options = append(in.Options, Option{ID: id, Title: title, Description: desc})
		}
	}
	if len(in.Options) > MaxRows {
		return Param(act.name("sections"), "A list holds at most %d rows in total (it has %d).", MaxRows, len(in.Options))
	}
	return nil
}

func ctaURL(act object) *Error {
	if e := namedAction(act, "cta_url"); e != nil {
		return e
	}
	p, _, e := act.sub("parameters", true)
	if e != nil {
		return e
	}
	if _, e := p.text("display_text", true, MaxCTAText); e != nil {
		return e
	}
	u, e := p.required("url")
	if e != nil {
		return e
	}
	if !validLink(u) {
		return Param(p.name("url"), "%s must be an absolute http or https URL.", p.name("url"))
	}
	return nil
}

func (in *Interactive) flow(act object) *Error {
	if e := namedAction(act, "flow"); e != nil {
		return e
	}
	p, _, e := act.sub("parameters", true)
	if e != nil {
		return e
	}
	if _, e := p.required("flow_message_version"); e != nil {
		return e
	}
	cta, e := p.text("flow_cta", true, MaxFlowCTA)
	if e != nil {
		return e
	}
	for _, r := range cta {
		if r > 0x2000 && !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsPunct(r) && !unicode.IsSpace(r) {
			return Param(p.name("flow_cta"), "%s must not contain emoji.", p.name("flow_cta"))
		}
	}
	if in.FlowID, _, e = p.str("flow_id"); e != nil {
		return e
	}
	if in.FlowName, _, e = p.str("flow_name"); e != nil {
		return e
	}
	if in.FlowID == "" && in.FlowName == "" {
		return Missing(p.name("flow_id"))
	}
	if in.FlowToken, _, e = p.str("flow_token"); e != nil {
		return e
	}
	if pl, ok, e := p.sub("flow_action_payload", false); e != nil {
		return e
	} else if ok && pl.has("data") {
		d, _, e := pl.sub("data", false)
		if e != nil {
			return e
		}
		if len(d.fields) == 0 {
			return Param(pl.name("data"), "%s must not be empty when present.", pl.name("data"))
		}
	}
	return nil
}

func namedAction(act object, want string) *Error {
	n, e := act.required("name")
	if e != nil {
		return e
	}
	if n != want {
		return Param(act.name("name"), "%s must be %q (it is %q).", act.name("name"), want, n)
	}
	return nil
}
