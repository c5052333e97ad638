package mock

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wa-hooks/wa-hooks/internal/handshake"
	"github.com/wa-hooks/wa-hooks/internal/mock/graph"
)

// subscriptions are the app's callback subscription and the WABA's
// subscribed apps.
type subscriptions struct {
	WABASubscribed bool     `json:"waba_subscribed"`
	Override       string   `json:"override_callback_uri,omitempty"`
	CallbackURL    string   `json:"callback_url,omitempty"`
	Fields         []string `json:"fields,omitempty"`
	Version        string   `json:"version,omitempty"`
}

func (s *Server) phoneNumber(fields string) map[string]any {
	s.mu.Lock()
	b, hook := s.biz, s.webhook
	mode := "LIVE"
	if len(s.opts.AllowList) > 0 {
		mode = "SANDBOX"
	}
	s.mu.Unlock()
	all := map[string]any{
		"verified_name": b.VerifiedName, "code_verification_status": "VERIFIED",
		"display_phone_number": b.DisplayPhoneNumber, "quality_rating": "GREEN",
		"platform_type": "CLOUD_API", "throughput": map[string]string{"level": "STANDARD"},
		"name_status": "APPROVED", "is_official_business_account": false, "account_mode": mode,
		"messaging_limit_tier": "TIER_2K", "whatsapp_business_manager_messaging_limit": "TIER_2K",
		"status": "CONNECTED", "webhook_configuration": map[string]string{"application": hook},
		"id": b.PhoneNumberID,
	}
	keep := []string{"verified_name", "code_verification_status", "display_phone_number", "quality_rating", "platform_type", "throughput", "webhook_configuration", "id"}
	if fields != "" {
		keep = append(strings.Split(fields, ","), "id")
	}
	out := map[string]any{}
	for _, k := range keep {
		k = strings.TrimSpace(k)
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	return out
}

// phoneSettings answers POST /{phone-number-id} (webhook_configuration override).
func (s *Server) phoneSettings(c *call) {
	var body struct {
		Webhook *struct {
			URI   string `json:"override_callback_uri"`
			Token string `json:"verify_token"`
		} `json:"webhook_configuration"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || body.Webhook == nil {
		c.fail(graph.Missing("webhook_configuration"))
		return
	}
	c.summary = "phone number webhook override"
	if body.Webhook.URI != "" {
		if e := s.verifyCallback(c.r.Context(), body.Webhook.URI, body.Webhook.Token); e != nil {
			c.fail(e)
			return
		}
	}
	s.mu.Lock()
	if body.Webhook.URI != "" {
		s.webhook = body.Webhook.URI
	} else {
		s.webhook = s.opts.Webhook
	}
	s.dirty = true
	s.mu.Unlock()
	c.json(success)
}

func (s *Server) findTemplateLocked(name, lang string) *graph.Template {
	for _, t := range s.templates {
		if t.Name == name && t.Language == lang {
			return t
		}
	}
	return nil
}

func (s *Server) isTemplate(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.templates {
		if t.ID == id {
			return true
		}
	}
	return false
}

func (s *Server) templateNode(c *call, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.templates {
		if t.ID == id {
			c.summary = "template " + t.Name
			c.json(t)
			return
		}
	}
}

// templatesEdge answers GET, POST and DELETE /{waba-id}/message_templates.
func (s *Server) templatesEdge(c *call) {
	q := c.r.URL.Query()
	switch c.r.Method {
	case http.MethodGet:
		s.mu.Lock()
		var data []*graph.Template
		for _, t := range s.templates {
			if n := q.Get("name"); n != "" && !strings.Contains(t.Name, n) {
				continue
			}
			if st := q.Get("status"); st != "" && !strings.EqualFold(st, t.Status) {
				continue
			}
			if l := q.Get("language"); l != "" && l != t.Language {
				continue
			}
			cp := *t
			data = append(data, &cp)
		}
		s.mu.Unlock()
		if data == nil {
			data = []*graph.Template{}
		}
		c.summary = "templates"
		c.json(map[string]any{"data": data, "paging": map[string]any{"cursors": map[string]string{"before": "QVFIUmJlZm9yZQ", "after": "QVFIUmFmdGVy"}}})
	case http.MethodPost:
		t, e := graph.ParseCreate(c.body)
		if e != nil {
			c.fail(e)
			return
		}
		c.summary = "create template " + t.Name + " (" + t.Language + ")"
		s.mu.Lock()
		if s.findTemplateLocked(t.Name, t.Language) != nil {
			s.mu.Unlock()
			e := graph.New(100, "Content in this language already exists: choose another name or language, or edit the existing template.")
			e.Subcode = 2388024
			e.UserTitle = "Content in this language already exists"
			c.fail(e)
			return
		}
		if len(s.templates) >= 1000 {
			s.mu.Unlock()
			c.fail(graph.New(100, "This WhatsApp Business Account already has 1000 templates (the mock's limit)."))
			return
		}
		t.ID = s.newNumericID()
		t.Decision = s.opts.TemplateDecision
		s.templates = append(s.templates, t)
		s.dirty = true
		answer := map[string]string{"id": t.ID, "status": t.Status, "category": t.Category}
		s.mu.Unlock()
		c.json(answer)
		s.reviewLater(t)
	case http.MethodDelete:
		name := q.Get("name")
		if name == "" {
			c.fail(graph.Missing("name"))
			return
		}
		c.summary = "delete template " + name
		s.mu.Lock()
		kept := s.templates[:0]
		found := false
		for _, t := range s.templates {
			if t.Name == name && (q.Get("hsm_id") == "" || q.Get("hsm_id") == t.ID) {
				found = true
				continue
			}
			kept = append(kept, t)
		}
		s.templates = kept
		s.dirty = true
		s.mu.Unlock()
		if !found {
			c.fail(graph.Newf(100, "There is no template called %s.", name))
			return
		}
		c.json(success)
	default:
		c.fail(graph.NoObject(strings.ToLower(c.r.Method), c.path.Nodes[0]))
	}
}

// reviewLater decides a PENDING template after the review delay and posts
// its message_template_status_update.
func (s *Server) reviewLater(t *graph.Template) {
	decide := func() {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		t.Status = t.Decision
		s.dirty = true
		waba := s.biz.WABAID
		status, id, name, lang, cat := t.Status, t.ID, t.Name, t.Language, t.Category
		s.mu.Unlock()
		// Meta's key order for this field (webhooks-reference §5.1).
		v := obj{{"event", status}, {"message_template_id", json.Number(id)},
			{"message_template_name", name}, {"message_template_language", lang},
			{"reason", "NONE"}, {"message_template_category", cat}}
		if status == "REJECTED" {
			v.set("reason", "INVALID_FORMAT")
			v = append(v, kv{"rejection_info", obj{{"reason", "The mock was started with --template-decision REJECTED."},
				{"recommendation", "Start the mock with --template-decision APPROVED to have templates approved."}}})
		}
		body, _ := json.Marshal(obj{{"entry", []any{obj{{"id", waba}, {"time", s.now().Unix()},
			{"changes", []any{obj{{"value", v}, {"field", "message_template_status_update"}}}}}}},
			{"object", "whatsapp_business_account"}})
		s.out.push("", 0, &job{kind: jobEnvelope, body: body, sig: sigValid, field: "message_template_status_update",
			summary: "template " + name + " " + status})
	}
	if s.opts.TemplateReview <= 0 {
		decide()
		return
	}
	time.AfterFunc(s.opts.TemplateReview, decide)
}

// subscribedApps answers /{waba-id}/subscribed_apps.
func (s *Server) subscribedApps(c *call) {
	switch c.r.Method {
	case http.MethodGet:
		c.summary = "subscribed apps"
		s.mu.Lock()
		data := []any{}
		if s.subs.WABASubscribed {
			app := map[string]any{"whatsapp_business_api_data": map[string]string{"id": s.biz.AppID,
				"link": "https://www.facebook.com/games/?app_id=" + s.biz.AppID, "name": s.biz.VerifiedName + " App"}}
			if s.subs.Override != "" {
				app["override_callback_uri"] = s.subs.Override
			}
			data = append(data, app)
		}
		s.mu.Unlock()
		c.json(map[string]any{"data": data})
	case http.MethodPost:
		c.summary = "subscribe app to WABA"
		uri, tok := jsonOrForm(c.body, "override_callback_uri"), jsonOrForm(c.body, "verify_token")
		if uri != "" {
			if e := s.verifyCallback(c.r.Context(), uri, tok); e != nil {
				c.fail(e)
				return
			}
		}
		s.mu.Lock()
		s.subs.WABASubscribed = true
		s.subs.Override = uri
		if uri != "" {
			s.webhook = uri
		}
		s.dirty = true
		s.mu.Unlock()
		c.json(success)
	case http.MethodDelete:
		c.summary = "unsubscribe app from WABA"
		s.mu.Lock()
		s.subs.WABASubscribed, s.subs.Override = false, ""
		s.dirty = true
		s.mu.Unlock()
		c.json(success)
	default:
		c.fail(graph.NoObject(strings.ToLower(c.r.Method), c.path.Nodes[0]))
	}
}

// appSubscriptions answers /{app-id}/subscriptions; a POST first runs the
// verification handshake against the callback URL, as Meta does.
func (s *Server) appSubscriptions(c *call) {
	switch c.r.Method {
	case http.MethodGet:
		c.summary = "app subscriptions"
		s.mu.Lock()
		data := []any{}
		if s.subs.CallbackURL != "" {
			var fields []any
			for _, f := range s.subs.Fields {
				fields = append(fields, map[string]string{"name": f, "version": s.subs.Version})
			}
			data = append(data, map[string]any{"object": "whatsapp_business_account", "callback_url": s.subs.CallbackURL, "active": true, "fields": fields})
		}
		s.mu.Unlock()
		c.json(map[string]any{"data": data})
	case http.MethodPost:
		get := func(k string) string {
			if v := c.r.URL.Query().Get(k); v != "" {
				return v
			}
			return jsonOrForm(c.body, k)
		}
		c.summary = "subscribe callback"
		if obj := get("object"); obj != "whatsapp_business_account" {
			if obj == "" {
				c.fail(graph.Missing("object"))
			} else {
				c.fail(graph.Param("object", "object must be whatsapp_business_account for WhatsApp (it is %q).", obj))
			}
			return
		}
		cb := get("callback_url")
		if cb == "" {
			c.fail(graph.Missing("callback_url"))
			return
		}
		c.summary += " " + cb
		if e := s.verifyCallback(c.r.Context(), cb, get("verify_token")); e != nil {
			c.fail(e)
			return
		}
		fields := strings.Split(get("fields"), ",")
		if get("fields") == "" {
			fields = []string{"messages"}
		}
		s.mu.Lock()
		s.subs.CallbackURL, s.subs.Fields, s.subs.Version = cb, fields, c.path.VersionString()
		s.webhook = cb
		s.dirty = true
		s.mu.Unlock()
		c.json(success)
	case http.MethodDelete:
		c.summary = "delete subscription"
		s.mu.Lock()
		s.subs.CallbackURL, s.subs.Fields = "", nil
		s.dirty = true
		s.mu.Unlock()
		c.json(success)
	default:
		c.fail(graph.NoObject(strings.ToLower(c.r.Method), c.path.Nodes[0]))
	}
}

// verifyCallback runs Meta's GET handshake against callback and refuses
// the subscription (2200) unless the challenge comes back with 200.
func (s *Server) verifyCallback(ctx context.Context, callback, token string) *graph.Error {
	u, err := url.Parse(callback)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return graph.Param("callback_url", "callback_url must be an absolute http(s) URL (it is %q).", callback)
	}
	challenge := handshake.NumericChallenge()
	res := handshake.Probe(ctx, handshake.NewClient(), handshake.RequestURL(u, handshake.Query{Challenge: challenge, Token: token}), s.opts.WebhookTimeout)
	var why string
	switch {
	case res.Err != nil:
		why = "Couldn't connect to server: " + handshake.Explain(res.Err, s.opts.WebhookTimeout)
	case res.Status != http.StatusOK:
		why = "HTTP Status Code = " + http.StatusText(res.Status) + " (" + itoa(res.Status) + ")"
	case strings.TrimSpace(string(res.Body)) != challenge:
		why = "The URL couldn't be validated. Response does not match challenge, expected value=\"" + challenge + "\", received=\"" + handshake.Snippet(res.Body) + "\""
	default:
		return nil
	}
	e := graph.New(2200, why)
	e.Message = "(#2200) Callback verification failed with the following errors: " + why
	return e
}

func jsonOrForm(body []byte, key string) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		if v, ok := m[key].(string); ok {
			return v
		}
		if v, ok := m[key].([]any); ok {
			parts := make([]string, 0, len(v))
			for _, x := range v {
				if s, ok := x.(string); ok {
					parts = append(parts, s)
				}
			}
			return strings.Join(parts, ",")
		}
		return ""
	}
	return formValue(body, key)
}

func itoa(n int) string { return strconv.Itoa(n) }
