package graph

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// Template is a message template as GET /{waba-id}/message_templates shows it.
type Template struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Language        string            `json:"language"`
	Category        string            `json:"category"`
	Status          string            `json:"status"`
	ParameterFormat string            `json:"parameter_format,omitempty"`
	Components      []json.RawMessage `json:"components"`
	// Decision is what review will decide for a PENDING template
	// (APPROVED or REJECTED); not part of Meta's object.
	Decision string `json:"-"`
}

// HelloWorld is the template every new WABA has.
func HelloWorld(id string) *Template {
	return &Template{ID: id, Name: "hello_world", Language: "en_US", Category: "UTILITY", Status: "APPROVED",
		ParameterFormat: "POSITIONAL",
		Components: []json.RawMessage{
			json.RawMessage(`{"type":"HEADER","format":"TEXT","text":"Hello World"}`),
			json.RawMessage(`{"type":"BODY","text":"Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us."}`),
			json.RawMessage(`{"type":"FOOTER","text":"WhatsApp Business Platform sample message"}`),
		}}
}

// TemplateSend is the template object of a send.
type TemplateSend struct {
	Name       string
	Language   string
	Components []SendComponent
}

// SendComponent is one component of a template send with its parameters.
type SendComponent struct {
	Type    string // header, body, button
	SubType string // for buttons
	Index   int
	Params  []SendParam
}

// SendParam is one parameter: its type and the text it puts in.
type SendParam struct {
	Type, Name, Text string
}

func parseTemplateSend(o object) (*TemplateSend, *Error) {
	t := &TemplateSend{}
	var e *Error
	if t.Name, e = o.required("name"); e != nil {
		return nil, e
	}
	lang, _, e := o.sub("language", true)
	if e != nil {
		return nil, e
	}
	if t.Language, e = lang.required("code"); e != nil {
		return nil, e
	}
	comps, e := o.list("components", false)
	if e != nil {
		return nil, e
	}
	for i, raw := range comps {
		c, e := decodeObject(index(o.name("components"), i), raw)
		if e != nil {
			return nil, e
		}
		var sc SendComponent
		if sc.Type, e = c.required("type"); e != nil {
			return nil, e
		}
		sc.Type = strings.ToLower(sc.Type)
		switch sc.Type {
		case "header", "body":
		case "button":
			if sc.SubType, e = c.required("sub_type"); e != nil {
				return nil, e
			}
			idx, ok, e := c.number("index")
			if e != nil {
				return nil, e
			}
			if !ok {
				return nil, Missing(c.name("index"))
			}
			sc.Index = int(idx)
		default:
			return nil, Param(c.name("type"), "%s must be header, body or button (it is %q).", c.name("type"), sc.Type)
		}
		params, e := c.list("parameters", false)
		if e != nil {
			return nil, e
		}
		for j, pr := range params {
			p, e := decodeObject(index(c.name("parameters"), j), pr)
			if e != nil {
				return nil, e
			}
			sp, e := parseParam(p)
			if e != nil {
				return nil, e
			}
			sc.Params = append(sc.Params, sp)
		}
		t.Components = append(t.Components, sc)
	}
	return t, nil
}

func parseParam(p object) (SendParam, *Error) {
	var sp SendParam
	var e *Error
	if sp.Type, e = p.required("type"); e != nil {
		return sp, e
	}
	if sp.Name, _, e = p.str("parameter_name"); e != nil {
		return sp, e
	}
	switch sp.Type {
	case "text":
		sp.Text, e = p.required("text")
	case "payload":
		sp.Text, e = p.required("payload")
	case "coupon_code":
		sp.Text, e = p.required("coupon_code")
	case "currency", "date_time":
		sub, _, e2 := p.sub(sp.Type, true)
		if e2 != nil {
			return sp, e2
		}
		sp.Text, e = sub.required("fallback_value")
	case "image", "video", "document":
		sub, _, e2 := p.sub(sp.Type, true)
		if e2 != nil {
			return sp, e2
		}
		if !sub.has("id") && !sub.has("link") {
			e = Param(sub.name("link"), "%s needs an id or a link.", sub.path)
		}
	case "location", "action", "product", "order_status", "tap_target_configuration":
	default:
		e = Param(p.name("type"), "%s %q is not a template parameter type.", p.name("type"), sp.Type)
	}
	return sp, e
}

// placeholder is compiled on first use: at package init it was a twentieth
// of every command's start-up, --version included.
var placeholder = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)
})

// defComponent is what the check needs of one component of the definition.
type defComponent struct {
	Type    string `json:"type"`
	Format  string `json:"format"`
	Text    string `json:"text"`
	Buttons []struct {
		Type string `json:"type"`
		Text string `json:"text"`
		URL  string `json:"url"`
	} `json:"buttons"`
}

func placeholders(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholder().FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// CheckSend checks a send against the approved template, with Meta's codes:
// 132001 not found or not approved, 132015/132016 paused/disabled, 132000
// parameter count, 132012 parameter format, 132005 text too long.
func CheckSend(t *Template, s *TemplateSend) *Error {
	switch t.Status {
	case "APPROVED":
	case "PAUSED":
		return Newf(132015, "Template %s (%s) is paused because of low quality.", t.Name, t.Language)
	case "DISABLED":
		return Newf(132016, "Template %s (%s) has been disabled.", t.Name, t.Language)
	default:
		return Newf(132001, "template name (%s) does not exist in %s (its status is %s; only APPROVED templates can be sent)", t.Name, t.Language, t.Status)
	}
	byType := map[string][]SendParam{}
	buttons := map[int]SendComponent{}
	for _, c := range s.Components {
		if c.Type == "button" {
			buttons[c.Index] = c
			continue
		}
		byType[c.Type] = append(byType[c.Type], c.Params...)
	}
	var body string
	for _, raw := range t.Components {
		var dc defComponent
		if json.Unmarshal(raw, &dc) != nil {
			continue
		}
		switch strings.ToUpper(dc.Type) {
		case "HEADER":
			params := byType["header"]
			delete(byType, "header")
			format := strings.ToUpper(dc.Format)
			if format == "" || format == "TEXT" {
				if e := countCheck("header", placeholders(dc.Text), params); e != nil {
					return e
				}
				continue
			}
			if len(params) != 1 {
				return countError("header", len(params), 1)
			}
			if want := strings.ToLower(format); params[0].Type != want {
				return Newf(132012, "header: parameter type %s does not match the template's header format %s", params[0].Type, format)
			}
		case "BODY":
			params := byType["body"]
			delete(byType, "body")
			names := placeholders(dc.Text)
			if e := countCheck("body", names, params); e != nil {
				return e
			}
			for i, p := range params {
				if p.Type != "text" && p.Type != "currency" && p.Type != "date_time" {
					return Newf(132012, "body: parameter %d has type %s; body parameters are text, currency or date_time", i+1, p.Type)
				}
			}
			body = substitute(dc.Text, names, params)
		case "BUTTONS":
			for i, b := range dc.Buttons {
				sent, ok := buttons[i]
				delete(buttons, i)
				want := 0
				if strings.ToUpper(b.Type) == "URL" {
					want = len(placeholders(b.URL))
				}
				got := 0
				if ok {
					got = len(sent.Params)
				}
				if strings.ToUpper(b.Type) == "URL" && got != want {
					return countError(fmt.Sprintf("button %d", i), got, want)
				}
			}
		}
	}
	for typ, params := range byType {
		if len(params) > 0 {
			return countError(typ, len(params), 0)
		}
	}
	for i, c := range buttons {
		if c.SubType == "url" && len(c.Params) > 0 {
			return countError(fmt.Sprintf("button %d", i), len(c.Params), 0)
		}
	}
	if utf8.RuneCountInString(body) > MaxInteractive {
		return Newf(132005, "body: the text with its parameters is %d characters, more than %d", utf8.RuneCountInString(body), MaxInteractive)
	}
	return nil
}

func countCheck(where string, names []string, params []SendParam) *Error {
	if len(names) != len(params) {
		return countError(where, len(params), len(names))
	}
	return nil
}

func countError(where string, got, want int) *Error {
	return Newf(132000, "%s: number of localizable_params (%d) does not match the expected number of params (%d)", where, got, want)
}

func substitute(text string, names []string, params []SendParam) string {
	return placeholder().ReplaceAllStringFunc(text, func(m string) string {
		key := placeholder().FindStringSubmatch(m)[1]
		for i, n := range names {
			if n != key || i >= len(params) {
				continue
			}
			for _, p := range params {
				if p.Name == key {
					return p.Text
				}
			}
			return params[i].Text
		}
		return m
	})
}

// Body is the template's body text, for logs and history.
func (t *Template) Body() string {
	for _, raw := range t.Components {
		var dc defComponent
		if json.Unmarshal(raw, &dc) == nil && strings.EqualFold(dc.Type, "BODY") {
			return dc.Text
		}
	}
	return ""
}

// validTemplateName is Meta's rule for a template name: 1 to 512 of a-z, 0-9
// and underscore. A loop, not the regexp `^[a-z0-9_]{1,512}$`: that one
// compiles to a 512-fold program at start-up, 2 ms of every command's launch.
func validTemplateName(name string) bool {
	if len(name) == 0 || len(name) > 512 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// ParseCreate validates a POST /{waba-id}/message_templates body.
func ParseCreate(body []byte) (*Template, *Error) {
	o, e := decodeObject("", body)
	if e != nil {
		return nil, Param("", "The request body must be a JSON object.")
	}
	t := &Template{Status: "PENDING", ParameterFormat: "POSITIONAL"}
	if t.Name, e = o.required("name"); e != nil {
		return nil, e
	}
	if !validTemplateName(t.Name) {
		return nil, Param("name", "name may contain only lowercase letters, digits and underscores, at most 512 characters (it is %q).", t.Name)
	}
	if t.Language, e = o.required("language"); e != nil {
		return nil, e
	}
	cat, e := o.required("category")
	if e != nil {
		return nil, e
	}
	t.Category = strings.ToUpper(cat)
	if !contains([]string{"MARKETING", "UTILITY", "AUTHENTICATION"}, t.Category) {
		return nil, Param("category", "category must be MARKETING, UTILITY or AUTHENTICATION (it is %q).", cat)
	}
	if pf, _, e := o.str("parameter_format"); e != nil {
		return nil, e
	} else if pf != "" {
		t.ParameterFormat = strings.ToUpper(pf)
	}
	comps, e := o.list("components", true)
	if e != nil {
		return nil, e
	}
	hasBody := false
	for i, raw := range comps {
		c, e := decodeObject(index("components", i), raw)
		if e != nil {
			return nil, e
		}
		typ, e := c.required("type")
		if e != nil {
			return nil, e
		}
		switch strings.ToUpper(typ) {
		case "BODY":
			hasBody = true
			if _, e := c.text("text", t.Category != "AUTHENTICATION", MaxInteractive); e != nil {
				return nil, e
			}
		case "HEADER":
			if _, e := c.text("text", false, MaxHeaderText); e != nil {
				return nil, e
			}
		case "FOOTER":
			if _, e := c.text("text", true, MaxFooter); e != nil {
				return nil, e
			}
		case "BUTTONS":
			if _, e := c.list("buttons", true); e != nil {
				return nil, e
			}
		default:
			return nil, Param(c.name("type"), "%s must be HEADER, BODY, FOOTER or BUTTONS (it is %q).", c.name("type"), typ)
		}
		t.Components = append(t.Components, append(json.RawMessage(nil), raw...))
	}
	if !hasBody && t.Category != "AUTHENTICATION" {
		return nil, Missing("components[BODY]")
	}
	return t, nil
}

// QuickReplies lists the template's buttons by index: the text of each
// quick-reply button, "" for the others.
func (t *Template) QuickReplies() []string {
	var out []string
	for _, raw := range t.Components {
		var dc defComponent
		if json.Unmarshal(raw, &dc) != nil || !strings.EqualFold(dc.Type, "BUTTONS") {
			continue
		}
		for _, b := range dc.Buttons {
			if strings.EqualFold(b.Type, "QUICK_REPLY") {
				out = append(out, b.Text)
			} else {
				out = append(out, "")
			}
		}
	}
	return out
}
