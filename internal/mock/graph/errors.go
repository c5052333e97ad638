// Package graph is the mock's reading of the Cloud API's Graph surface:
// Meta's error object and its codes, API versions in paths, and the
// validation of what an app sends (messages, templates, media) against
// the limits Meta documents. It has no state and no HTTP server: the mock
// calls it with bytes and gets back a parsed request or Meta's error.
package graph

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
)

// Error is Meta's error object, answered with HTTPStatus.
type Error struct {
	Message    string `json:"message"`
	Type       string `json:"type"`
	Code       int    `json:"code"`
	Subcode    int    `json:"error_subcode,omitempty"`
	Data       *Data  `json:"error_data,omitempty"`
	UserTitle  string `json:"error_user_title,omitempty"`
	UserMsg    string `json:"error_user_msg,omitempty"`
	Transient  *bool  `json:"is_transient,omitempty"`
	FBTraceID  string `json:"fbtrace_id"`
	HTTPStatus int    `json:"-"`
}

// Data is error_data: the product and a sentence naming the field.
type Data struct {
	MessagingProduct string `json:"messaging_product"`
	Details          string `json:"details"`
}

func (e *Error) Error() string { return e.Message }

// Title is the short name of a code as Meta's table words it; the webhook
// error objects carry it as title and message.
func Title(code int) string {
	if t, ok := titles[code]; ok {
		return t
	}
	return "Something went wrong"
}

var titles = map[int]string{
	0:      "AuthException",
	2:      "Service temporarily unavailable",
	10:     "Application does not have permission for this action",
	100:    "Invalid parameter",
	190:    "Invalid OAuth access token",
	200:    "Permissions error",
	2500:   "Unknown path components",
	131000: "Something went wrong",
	131008: "Required parameter is missing",
	131009: "Parameter value is not valid",
	131021: "Recipient cannot be sender",
	131026: "Message undeliverable",
	131030: "Recipient phone number not in allowed list",
	131047: "Re-engagement message",
	131049: "This message was not delivered to maintain healthy ecosystem engagement.",
	131050: "User stopped marketing messages",
	131051: "Unsupported message type",
	131053: "Media upload error",
	131056: "(Business Account, Consumer Account) pair rate limit hit",
	131062: "Business-scoped user ID recipients are not supported for this message",
	130429: "Rate limit hit",
	132000: "Number of parameters does not match the expected number of params",
	132001: "Template name does not exist in the translation",
	132005: "Translated text too long",
	132012: "Parameter format does not match format in the created template",
	2200:   "Callback verification failed",
	80008:  "There have been too many calls to this WhatsApp Business account",
}

// httpStatus is Meta's table of HTTP statuses per code (graph-api-reference §1.4).
func httpStatus(code int) int {
	switch code {
	case 0, 190:
		return http.StatusUnauthorized
	case 10, 200, 368, 131031:
		return http.StatusForbidden
	case 4, 80007, 80008, 130429, 131048, 131056:
		return http.StatusTooManyRequests
	case 132001:
		return http.StatusNotFound
	case 2, 131016:
		return http.StatusServiceUnavailable
	case 1, 3, 131000, 131057:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// New is the error for code with Meta's "(#code) Title" message and
// details naming what was wrong.
func New(code int, details string) *Error {
	return &Error{
		Message:    fmt.Sprintf("(#%d) %s", code, Title(code)),
		Type:       "OAuthException",
		Code:       code,
		Data:       &Data{MessagingProduct: "whatsapp", Details: details},
		HTTPStatus: httpStatus(code),
	}
}

// Newf is New with a formatted details sentence.
func Newf(code int, format string, args ...any) *Error {
	return New(code, fmt.Sprintf(format, args...))
}

// Param is the invalid-parameter error (100) naming the parameter.
func Param(name, format string, args ...any) *Error {
	e := New(100, fmt.Sprintf(format, args...))
	e.Message = "(#100) Invalid parameter"
	if name != "" {
		e.Message = fmt.Sprintf("(#100) Param %s is invalid", name)
	}
	return e
}

// Missing is the required-parameter error (100) for a missing parameter.
func Missing(name string) *Error {
	e := New(100, fmt.Sprintf("The parameter %s is required.", name))
	e.Message = fmt.Sprintf("(#100) The parameter %s is required", name)
	return e
}

// Token is the bad or missing access token error (190).
func Token(details string) *Error {
	e := New(190, details)
	e.Message = "Invalid OAuth access token - Cannot parse access token"
	e.Data = nil
	return e
}

// NoObject is Graph's answer for an id it does not know (100, subcode 33).
func NoObject(method, id string) *Error {
	e := New(100, "")
	e.Message = fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api", method, id)
	e.Type = "GraphMethodException"
	e.Subcode = 33
	e.Data = nil
	return e
}

// UnknownPath is the answer for a path or API version Graph does not know.
func UnknownPath(path string) *Error {
	e := New(2500, "")
	e.Message = "Unknown path components: " + path
	e.Data = nil
	return e
}

// Write answers e as Meta does: JSON, the code's HTTP status, a fresh
// fbtrace_id and the WWW-Authenticate header on auth errors.
func Write(w http.ResponseWriter, e *Error) {
	if e.FBTraceID == "" {
		e.FBTraceID = TraceID()
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	if e.HTTPStatus == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+e.Message+`"`)
	}
	status := e.HTTPStatus
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(struct {
		Error *Error `json:"error"`
	}{e})
	_, _ = w.Write(b)
}

const traceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// TraceID is an opaque fbtrace_id like Meta's (23 characters).
func TraceID() string {
	var b [23]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = traceAlphabet[int(b[i])%len(traceAlphabet)]
	}
	return string(b[:])
}

// WebhookError is the error object of a failed status in a webhook.
type WebhookError struct {
	Code    int    `json:"code"`
	Title   string `json:"title"`
	Message string `json:"message"`
	Data    struct {
		Details string `json:"details"`
	} `json:"error_data"`
	Href string `json:"href"`
}

// AsyncError is the webhook error object for code.
func AsyncError(code int, details string) WebhookError {
	e := WebhookError{Code: code, Title: Title(code), Message: Title(code),
		Href: "/documentation/business-messaging/whatsapp/support/error-codes"}
	e.Data.Details = details
	return e
}
