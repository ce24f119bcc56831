package geminitest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Request is a request the fake received, decoded.
type Request struct {
	Method            string // "streamGenerateContent" or "generateContent"
	Model             string // from the path, such as "gemini-2.5-flash"
	Stream            bool   // Method is streamGenerateContent
	APIKey            string // the x-goog-api-key header
	Contents          []Content
	SystemInstruction string // the texts of systemInstruction's parts, joined
	GenerationConfig  GenerationConfig
	Status            int       // the HTTP status answered
	Error             string    // why the request was refused, if it was
	At                time.Time // when it arrived
}

// Content is one turn of a request.
type Content struct {
	Role string
	Text string // the texts of its parts, joined
}

// GenerationConfig is the part of generationConfig the fake checks; nil
// pointers are fields the request left out.
type GenerationConfig struct {
	Temperature     *float64 `json:"temperature"`
	TopK            *float64 `json:"topK"`
	TopP            *float64 `json:"topP"`
	MaxOutputTokens *int     `json:"maxOutputTokens"`
}

// LastUserText is the text of the last user turn, or "".
func (r Request) LastUserText() string {
	for _, c := range slices.Backward(r.Contents) {
		if c.Role == "user" {
			return c.Text
		}
	}
	return ""
}

// The settings of SPEC.md.
const (
	SpecTemperature     = 0.7
	SpecTopK            = 40
	SpecTopP            = 0.95
	SpecMaxOutputTokens = 8192
)

// CheckSpecSettings is the default settings check. Every request must carry
// SPEC.md's sampling settings (temperature 0.7, topK 40, topP 0.95). A
// streamed request is a chat turn: it must also carry a system instruction
// and maxOutputTokens 8192. A generateContent request (a title, a summary)
// may ask for fewer output tokens, from 1 to 8192.
func CheckSpecSettings(r Request) error {
	gc := r.GenerationConfig
	var errs []error
	for _, f := range []struct {
		name      string
		got       *float64
		want      float64
		tolerance float64
	}{
		{"temperature", gc.Temperature, SpecTemperature, 1e-6},
		{"topK", gc.TopK, SpecTopK, 0},
		{"topP", gc.TopP, SpecTopP, 1e-6},
	} {
		if f.got == nil || math.Abs(*f.got-f.want) > f.tolerance {
			errs = append(errs, fmt.Errorf("generationConfig.%s = %s, want %v", f.name, show(f.got), f.want))
		}
	}
	switch {
	case gc.MaxOutputTokens == nil:
		errs = append(errs, errors.New("generationConfig.maxOutputTokens is missing"))
	case r.Stream && *gc.MaxOutputTokens != SpecMaxOutputTokens:
		errs = append(errs, fmt.Errorf("generationConfig.maxOutputTokens = %d, want %d", *gc.MaxOutputTokens, SpecMaxOutputTokens))
	case *gc.MaxOutputTokens < 1 || *gc.MaxOutputTokens > SpecMaxOutputTokens:
		errs = append(errs, fmt.Errorf("generationConfig.maxOutputTokens = %d, want 1 to %d", *gc.MaxOutputTokens, SpecMaxOutputTokens))
	}
	if r.Stream && strings.TrimSpace(r.SystemInstruction) == "" {
		errs = append(errs, errors.New("systemInstruction is missing"))
	}
	return errors.Join(errs...)
}

// show prints an optional setting.
func show(f *float64) string {
	if f == nil {
		return "missing"
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

// topLevelFields are the fields of GenerateContentRequest that the Gemini API
// accepts; anything else is refused as the real API does.
var topLevelFields = []string{
	"contents", "systemInstruction", "generationConfig", "safetySettings",
	"tools", "toolConfig", "cachedContent",
}

type wirePart struct {
	Text *string `json:"text"`
}

type wireContent struct {
	Role  string     `json:"role"`
	Parts []wirePart `json:"parts"`
}

func (c wireContent) text() string {
	var b strings.Builder
	for _, p := range c.Parts {
		if p.Text != nil {
			b.WriteString(*p.Text)
		}
	}
	return b.String()
}

type wireRequest struct {
	Contents          []wireContent    `json:"contents"`
	SystemInstruction *wireContent     `json:"systemInstruction"`
	GenerationConfig  GenerationConfig `json:"generationConfig"`
}

// badRequest is a client error: a status and Google's message.
type badRequest struct {
	status  int
	message string
}

func invalid(format string, args ...any) *badRequest {
	return &badRequest{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...)}
}

const modelsPath = "/v1beta/models/"

// decode reads and validates a request; rec is filled as far as it could be.
func (h *Handler) decode(r *http.Request, rec *Request) *badRequest {
	i := strings.Index(r.URL.Path, modelsPath)
	if i < 0 {
		return &badRequest{http.StatusNotFound, fmt.Sprintf("The requested URL %s was not found on this server.", r.URL.Path)}
	}
	model, method, _ := strings.Cut(r.URL.Path[i+len(modelsPath):], ":")
	rec.Model, rec.Method = model, method
	rec.Stream = method == "streamGenerateContent"
	if model == "" || (method != "generateContent" && !rec.Stream) {
		return &badRequest{http.StatusNotFound, fmt.Sprintf("The requested URL %s was not found on this server.", r.URL.Path)}
	}
	if r.Method != http.MethodPost {
		return &badRequest{http.StatusMethodNotAllowed, "Method not allowed; use POST."}
	}
	if rec.Stream && r.URL.Query().Get("alt") != "sse" {
		return invalid("This fake streams only with alt=sse, as the genai SDK asks.")
	}
	if h.apiKey != "" && rec.APIKey == "" {
		return invalid("API key not found. Please pass a valid API key in the x-goog-api-key header.")
	}
	if h.apiKey != "" && rec.APIKey != h.apiKey {
		return invalid("API key not valid. Please pass a valid API key.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		return invalid("Could not read the request body: %v", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return invalid("Invalid JSON payload received. %v", err)
	}
	for name := range fields {
		if !slices.Contains(topLevelFields, name) {
			return invalid("Invalid JSON payload received. Unknown name %q: Cannot find field.", name)
		}
	}
	var req wireRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return invalid("Invalid JSON payload received. %v", err)
	}
	rec.GenerationConfig = req.GenerationConfig
	if req.SystemInstruction != nil {
		rec.SystemInstruction = req.SystemInstruction.text()
	}
	for _, c := range req.Contents {
		rec.Contents = append(rec.Contents, Content{Role: c.Role, Text: c.text()})
	}
	return validateContents(req.Contents)
}

// validateContents checks the turns as the Gemini API does, and also that
// they alternate, which our client promises.
func validateContents(contents []wireContent) *badRequest {
	if len(contents) == 0 {
		return invalid("* GenerateContentRequest.contents: contents is not specified")
	}
	for i, c := range contents {
		want := "user"
		if i%2 == 1 {
			want = "model"
		}
		if c.Role != want {
			return invalid("Please ensure that multiturn requests alternate between user and model, starting with user: contents[%d].role is %q, want %q.", i, c.Role, want)
		}
		if len(c.Parts) == 0 {
			return invalid("* GenerateContentRequest.contents[%d].parts: contents.parts must not be empty.", i)
		}
		for j, p := range c.Parts {
			if p.Text == nil || *p.Text == "" {
				return invalid("* GenerateContentRequest.contents[%d].parts[%d].data: required oneof field 'data' must have one initialized field", i, j)
			}
		}
	}
	return nil
}

// ServeHTTP answers one generateContent or streamGenerateContent call.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{APIKey: r.Header.Get("x-goog-api-key"), At: time.Now()}
	bad := h.decode(r, &rec)
	if bad == nil && h.checkSettings != nil {
		if err := h.checkSettings(rec); err != nil {
			bad = invalid("%s", err.Error())
		}
	}
	if bad != nil {
		rec.Status, rec.Error = bad.status, bad.message
		h.record(rec)
		writeError(w, bad.status, bad.message, 0)
		return
	}
	reply, failStatus := h.next(rec)
	if failStatus != 0 {
		rec.Status = failStatus
		h.record(rec)
		writeError(w, failStatus, failMessage(failStatus), reply.RetryAfter)
		return
	}
	rec.Status = http.StatusOK
	ans := answer{reply: reply, id: fmt.Sprintf("geminitest-%d", h.record(rec)), model: rec.Model, promptTokens: promptTokens(rec)}
	if rec.Stream {
		h.stream(w, r, ans)
		return
	}
	if ans.reply.Hold != nil && !pause(r, h.done, ans.reply.Hold) {
		return
	}
	unary(w, ans)
}

// answer is a reply on its way out.
type answer struct {
	reply        Reply
	id           string
	model        string
	promptTokens int
}

type wireCandidate struct {
	Content      wireOutContent `json:"content"`
	FinishReason string         `json:"finishReason,omitempty"`
	Index        int            `json:"index"`
}

type wireOutContent struct {
	Parts []wireOutPart `json:"parts"`
	Role  string        `json:"role"`
}

type wireOutPart struct {
	Text string `json:"text"`
}

type wireUsage struct {
	PromptTokenCount     int `json:"promptTokenCount"`
	CandidatesTokenCount int `json:"candidatesTokenCount,omitempty"`
	TotalTokenCount      int `json:"totalTokenCount"`
}

type wirePromptFeedback struct {
	BlockReason string `json:"blockReason"`
}

type wireResponse struct {
	Candidates     []wireCandidate     `json:"candidates,omitempty"`
	PromptFeedback *wirePromptFeedback `json:"promptFeedback,omitempty"`
	UsageMetadata  wireUsage           `json:"usageMetadata"`
	ModelVersion   string              `json:"modelVersion"`
	ResponseID     string              `json:"responseId"`
}

// response builds one response carrying text; output is the reply so far,
// for the token count; finish is the finishReason or "".
func (a answer) response(text, output, finish string) wireResponse {
	out := estimateTokens(output)
	resp := wireResponse{
		UsageMetadata: wireUsage{PromptTokenCount: a.promptTokens, CandidatesTokenCount: out, TotalTokenCount: a.promptTokens + out},
		ModelVersion:  a.model,
		ResponseID:    a.id,
	}
	if a.reply.BlockReason != "" {
		resp.PromptFeedback = &wirePromptFeedback{BlockReason: a.reply.BlockReason}
		return resp
	}
	resp.Candidates = []wireCandidate{{
		Content:      wireOutContent{Parts: []wireOutPart{{Text: text}}, Role: "model"},
		FinishReason: finish,
	}}
	return resp
}

// finishReason is the last chunk's finishReason.
func (a answer) finishReason() string {
	if a.reply.FinishReason != "" {
		return a.reply.FinishReason
	}
	return "STOP"
}

// unary answers generateContent: the chunks joined into one response.
func unary(w http.ResponseWriter, a answer) {
	if a.reply.Cut {
		abort(w)
		return
	}
	text := strings.Join(a.reply.Chunks, "")
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	body, _ := json.Marshal(a.response(text, text, a.finishReason()))
	w.Write(body)
}

// stream answers streamGenerateContent: one event per chunk, flushed, with
// the script's delays, hold and cut (a closed connection or an error event).
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, a answer) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc.Flush()

	chunks := a.reply.Chunks
	if len(chunks) == 0 || a.reply.BlockReason != "" {
		chunks = []string{""}
	}
	delay := a.reply.Delay
	var output strings.Builder
	for i, text := range chunks {
		if a.reply.Cut && i >= a.reply.CutAfter {
			break
		}
		if a.reply.Hold != nil && i >= a.reply.HoldAfter && !pause(r, h.done, a.reply.Hold) {
			return
		}
		if i > 0 && delay > 0 && !pause(r, h.done, time.After(delay)) {
			return
		}
		output.WriteString(text)
		finish := ""
		if !a.reply.Cut && i == len(chunks)-1 {
			finish = a.finishReason()
		}
		event, _ := json.Marshal(a.response(text, output.String(), finish))
		// One "data:" line per event, ended by CRLF CRLF as in the SDK's own
		// fixtures; the SDK splits events on "\n\n" or "\r\n\r\n".
		if _, err := fmt.Fprintf(w, "data: %s\r\n\r\n", event); err != nil {
			return
		}
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return
		}
		if a.reply.Sent != nil {
			a.reply.Sent <- time.Now()
		}
	}
	switch {
	case a.reply.Cut && a.reply.CutWith != 0:
		fmt.Fprintf(w, "data: %s\r\n\r\n", errorBody(a.reply.CutWith, failMessage(a.reply.CutWith), a.reply.RetryAfter))
	case a.reply.Cut:
		abort(w)
	}
}

// pause waits for ready, and reports false if the client left or the fake
// was stopped first.
func pause[T any](r *http.Request, stopped <-chan struct{}, ready <-chan T) bool {
	select {
	case <-ready:
		return true
	case <-r.Context().Done():
		return false
	case <-stopped:
		return false
	}
}

// abort closes the connection under the response, so that the client sees
// a body that ends without its final chunk.
func abort(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// googleStatus is the canonical status name Google pairs with an HTTP status.
func googleStatus(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	if code >= 500 {
		return "INTERNAL"
	}
	return "FAILED_PRECONDITION"
}

// failMessage is the message Gemini sends with a scripted failure status.
func failMessage(code int) string {
	switch code {
	case http.StatusTooManyRequests:
		return "You exceeded your current quota, please check your plan and billing details."
	case http.StatusServiceUnavailable:
		return "The model is overloaded. Please try again later."
	case http.StatusInternalServerError:
		return "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
	}
	return http.StatusText(code)
}

type wireError struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details,omitempty"`
	} `json:"error"`
}

// writeError answers in Google's error shape; retryAfter > 0 adds a
// RetryInfo detail and a Retry-After header.
func writeError(w http.ResponseWriter, code int, message string, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	w.Write(errorBody(code, message, retryAfter))
}

// errorBody is an error in Google's shape; retryAfter > 0 adds a RetryInfo
// detail.
func errorBody(code int, message string, retryAfter time.Duration) []byte {
	var e wireError
	e.Error.Code, e.Error.Message, e.Error.Status = code, message, googleStatus(code)
	if retryAfter > 0 {
		e.Error.Details = []map[string]any{{
			"@type":      "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": strconv.FormatFloat(retryAfter.Seconds(), 'f', -1, 64) + "s",
		}}
	}
	body, _ := json.Marshal(e)
	return body
}

// promptTokens estimates the prompt's size for usageMetadata.
func promptTokens(r Request) int {
	n := estimateTokens(r.SystemInstruction)
	for _, c := range r.Contents {
		n += estimateTokens(c.Text)
	}
	return n
}

// estimateTokens counts about four characters a token, as Gemini does for
// English.
func estimateTokens(s string) int {
	return (len([]rune(s)) + 3) / 4
}
