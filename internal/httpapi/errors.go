package httpapi

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zocket/agent"
)

// Status is the HTTP status of an error code: the one place codes become
// statuses. An unknown code is a 500.
func Status(c agent.Code) int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Codes are the codes Status knows, sorted.
func Codes() []agent.Code { return slices.Sorted(maps.Keys(statuses)) }

var statuses = map[agent.Code]int{
	agent.Invalid: 400, agent.InvalidJSON: 400, agent.Unauthorized: 401, agent.CreditsExhausted: 403,
	agent.NotFound: 404, agent.Conflict: 409, agent.TooLarge: 413, agent.BuildFailed: 422,
	agent.NotPreviewable: 422, agent.RateLimited: 429, agent.Internal: 500, agent.Upstream: 502,
	agent.Unavailable: 503, agent.Timeout: 504,
}

var titles = map[agent.Code]string{
	agent.Invalid: "Validation failed", agent.InvalidJSON: "Invalid JSON",
	agent.Unauthorized: "Unauthorized", agent.CreditsExhausted: "Credits exhausted",
	agent.NotFound: "Not found", agent.Conflict: "Conflict", agent.TooLarge: "Payload too large",
	agent.BuildFailed: "Build failed", agent.NotPreviewable: "Not previewable",
	agent.RateLimited: "Too many requests", agent.Upstream: "Upstream error",
	agent.Unavailable: "Service unavailable", agent.Timeout: "Timed out", agent.Internal: "Internal error",
}

// ErrorResponse is the JSON body of every non-2xx response: a short title,
// the sentence to show the user, the code, and for some codes details.
type ErrorResponse struct {
	Error   string        `json:"error"`
	Message string        `json:"message"`
	Code    agent.Code    `json:"code"`
	Details []ErrorDetail `json:"details,omitempty"`
	// RequestID lets a user quote the failing request to support.
	RequestID string `json:"requestId,omitempty"`
}

// ErrorDetail is an agent.Detail as the envelope carries it: a field and
// what is wrong with it, or a build message with its place.
type ErrorDetail struct {
	Field    string `json:"field,omitempty"`
	Message  string `json:"message,omitempty"`
	Text     string `json:"text,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	LineText string `json:"lineText,omitempty"`
}

// Error writes err as the error envelope. Errors that are not *agent.Error
// are internal: their detail is logged with the request id and never sent.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	ErrorWith(w, r, err, nil)
}

// ErrorWith is Error with a route's own fields added to the envelope (the
// build routes' success and errors): extra is a struct of them, or nil; the
// envelope's fields win a clash.
func ErrorWith(w http.ResponseWriter, r *http.Request, err error, extra any) {
	e, status := report(w, r, err)
	env := ErrorResponse{
		Error: titles[e.Code], Message: e.Message, Code: e.Code,
		RequestID: RequestID(r.Context()),
	}
	for _, d := range e.Details {
		env.Details = append(env.Details, ErrorDetail(d))
	}
	if extra == nil {
		JSON(w, status, env)
		return
	}
	body := map[string]any{"error": env.Error, "message": env.Message, "code": env.Code, "requestId": env.RequestID}
	if len(env.Details) > 0 {
		body["details"] = env.Details
	}
	var fields map[string]json.RawMessage
	if raw, err := json.Marshal(extra); err == nil {
		_ = json.Unmarshal(raw, &fields) // not an object: no fields
	}
	for k, v := range fields {
		if _, taken := body[k]; !taken {
			body[k] = v
		}
	}
	JSON(w, status, body)
}

// ErrorPage writes err as a small HTML page when the client asks for HTML
// (an iframe shows it), else as Error. Headers already set on w, such as a
// preview's Content-Security-Policy, are kept.
func ErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		Error(w, r, err)
		return
	}
	e, status := report(w, r, err)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, errorPage(titles[e.Code], e.Message, e.Details))
}

// errorPage is the HTML of an error: its title, message and details,
// escaped. It is written out by hand, not with html/template: text/template
// calls methods by name through reflect, which keeps every exported method
// of every type in the binary of any function that can render it (the
// previews' were 21.9 MiB instead of 13).
func errorPage(title, message string, details []agent.Detail) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>` + html.EscapeString(title) + `</title>` +
		`<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;color:#1f2937}h1{font-size:1.1rem}pre{background:#fef2f2;color:#991b1b;padding:1rem;border-radius:.5rem;white-space:pre-wrap}</style></head>` +
		`<body><h1>` + html.EscapeString(title) + `</h1><p>` + html.EscapeString(message) + `</p>`)
	for _, d := range details {
		fmt.Fprintf(&b, "<pre>%s:%d:%d: %s\n%s</pre>", html.EscapeString(d.File), d.Line, d.Column, html.EscapeString(d.Text), html.EscapeString(d.LineText))
	}
	b.WriteString(`</body></html>`)
	return b.String()
}

// report logs err once, with the request id: a 5xx as an error with its
// cause, a rejection with a cause at info. It sets Retry-After for a rate
// limit and returns the client's error and its status.
func report(w http.ResponseWriter, r *http.Request, err error) (*agent.Error, int) {
	e := agent.AsError(err)
	status := Status(e.Code)
	state(r.Context()).code = e.Code
	log := Logger(r.Context())
	switch {
	case status >= 500:
		log.Error("request failed", "code", e.Code, "err", err)
	case e.Err != nil:
		log.Info("request rejected", "code", e.Code, "err", e.Err)
	}
	if (e.Code == agent.RateLimited || e.Code == agent.Unavailable) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	return e, status
}
