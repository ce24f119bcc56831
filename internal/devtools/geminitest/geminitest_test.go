package geminitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evanw/esbuild/pkg/api"
	"google.golang.org/genai"

	"github.com/zocket/agent/internal/devtools/geminitest"
)

const (
	testKey = "test-key"
	model   = "gemini-2.5-flash"
)

// guard bounds every wait of a test so that a bug fails it instead of
// hanging it.
const guard = 5 * time.Second

func newServer(t *testing.T, opts ...geminitest.Option) *geminitest.Server {
	t.Helper()
	srv := geminitest.New(append([]geminitest.Option{geminitest.WithAPIKey(testKey)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

func sdkClient(t *testing.T, srv *geminitest.Server, key string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      key,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL()},
	})
	if err != nil {
		t.Fatalf("genai.NewClient: %v", err)
	}
	return c
}

// specConfig is a configuration that passes CheckSpecSettings.
func specConfig() *genai.GenerateContentConfig {
	return &genai.GenerateContentConfig{
		SystemInstruction:     genai.NewContentFromText("You are a coding assistant.", genai.RoleUser),
		Temperature:           genai.Ptr[float32](0.7),
		TopK:                  genai.Ptr[float32](40),
		TopP:                  genai.Ptr[float32](0.95),
		MaxOutputTokens:       8192,
		AutomaticContinuation: genai.Ptr(false),
	}
}

func userTurn(text string) *genai.Content  { return genai.NewContentFromText(text, genai.RoleUser) }
func modelTurn(text string) *genai.Content { return genai.NewContentFromText(text, genai.RoleModel) }

// streamText streams through the SDK and returns the text or the error.
func streamText(c *genai.Client, contents []*genai.Content, cfg *genai.GenerateContentConfig) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	var b strings.Builder
	for chunk, err := range c.Models.GenerateContentStream(ctx, model, contents, cfg) {
		if err != nil {
			return b.String(), err
		}
		b.WriteString(chunk.Text())
	}
	return b.String(), nil
}

func TestValidationThroughTheSDK(t *testing.T) {
	tests := []struct {
		name     string
		opts     []geminitest.Option
		key      string
		contents []*genai.Content
		edit     func(*genai.GenerateContentConfig)
		stream   bool
		wantErr  string // part of the 400 message; "" means success
	}{
		{name: "valid chat", stream: true},
		{name: "valid title", edit: func(c *genai.GenerateContentConfig) { c.MaxOutputTokens = 32; c.SystemInstruction = nil }},
		{name: "wrong API key", key: "nope", stream: true, wantErr: "API key not valid"},
		{name: "roles do not alternate", contents: []*genai.Content{userTurn("a"), userTurn("b")}, stream: true, wantErr: "alternate between user and model"},
		{name: "first role is model", contents: []*genai.Content{modelTurn("a"), userTurn("b")}, stream: true, wantErr: "alternate between user and model"},
		{name: "empty text", contents: []*genai.Content{userTurn("")}, stream: true, wantErr: "contents[0].parts"},
		{name: "wrong temperature", edit: func(c *genai.GenerateContentConfig) { c.Temperature = genai.Ptr[float32](1) }, stream: true, wantErr: "temperature = 1, want 0.7"},
		{name: "missing topK", edit: func(c *genai.GenerateContentConfig) { c.TopK = nil }, stream: true, wantErr: "topK = missing"},
		{name: "chat with fewer output tokens", edit: func(c *genai.GenerateContentConfig) { c.MaxOutputTokens = 1024 }, stream: true, wantErr: "maxOutputTokens = 1024, want 8192"},
		{name: "chat without system instruction", edit: func(c *genai.GenerateContentConfig) { c.SystemInstruction = nil }, stream: true, wantErr: "systemInstruction is missing"},
		{name: "generate with too many output tokens", edit: func(c *genai.GenerateContentConfig) { c.MaxOutputTokens = 9000 }, wantErr: "want 1 to 8192"},
		{
			name: "settings check turned off",
			opts: []geminitest.Option{geminitest.WithSettingsCheck(nil)},
			edit: func(c *genai.GenerateContentConfig) {
				c.Temperature = genai.Ptr[float32](0.2)
				c.SystemInstruction = nil
			},
			stream: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.opts...)
			key := tt.key
			if key == "" {
				key = testKey
			}
			c := sdkClient(t, srv, key)
			contents := tt.contents
			if contents == nil {
				contents = []*genai.Content{userTurn("first"), modelTurn("answer"), userTurn("Create a React button component")}
			}
			cfg := specConfig()
			if tt.edit != nil {
				tt.edit(cfg)
			}

			var err error
			if tt.stream {
				_, err = streamText(c, contents, cfg)
			} else {
				_, err = c.Models.GenerateContent(context.Background(), model, contents, cfg)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				return
			}
			var apiErr genai.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want a genai.APIError", err)
			}
			if apiErr.Code != 400 || apiErr.Status != "INVALID_ARGUMENT" || !strings.Contains(apiErr.Message, tt.wantErr) {
				t.Errorf("error = %d %s %q, want 400 INVALID_ARGUMENT containing %q", apiErr.Code, apiErr.Status, apiErr.Message, tt.wantErr)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Status != 400 || reqs[0].Error != apiErr.Message {
				t.Errorf("recorded %+v, want one request with status 400 and the message", reqs)
			}
		})
	}
}

// post sends body to the fake without the SDK.
func post(t *testing.T, url, key, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("x-goog-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const validBody = `{"contents":[{"parts":[{"text":"hi"}],"role":"user"}],` +
	`"generationConfig":{"maxOutputTokens":8192,"temperature":0.7,"topK":40,"topP":0.95},` +
	`"systemInstruction":{"parts":[{"text":"sys"}],"role":"user"}}`

type googleError struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
}

func decodeError(t *testing.T, resp *http.Response) googleError {
	t.Helper()
	var e googleError
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("decode error body: %v", err)
	}
	return e
}

func TestRawRequestsAreChecked(t *testing.T) {
	streamPath := "/v1beta/models/" + model + ":streamGenerateContent?alt=sse"
	tests := []struct {
		name       string
		path, key  string
		body       string
		wantStatus int
		wantStatusName,
		wantMessage string
	}{
		{"missing API key", streamPath, "", validBody, 400, "INVALID_ARGUMENT", "API key not found"},
		{"unknown top-level field", streamPath, testKey, strings.Replace(validBody, `{"contents"`, `{"prompt":"x","contents"`, 1), 400, "INVALID_ARGUMENT", `Unknown name "prompt"`},
		{"invalid JSON", streamPath, testKey, `{"contents":`, 400, "INVALID_ARGUMENT", "Invalid JSON payload"},
		{"no contents", streamPath, testKey, `{"contents":[]}`, 400, "INVALID_ARGUMENT", "contents is not specified"},
		{"stream without alt=sse", "/v1beta/models/" + model + ":streamGenerateContent", testKey, validBody, 400, "INVALID_ARGUMENT", "alt=sse"},
		{"unknown method", "/v1beta/models/" + model + ":countTokens", testKey, validBody, 404, "NOT_FOUND", "was not found"},
		{"unknown path", "/v1/other", testKey, validBody, 404, "NOT_FOUND", "was not found"},
	}
	srv := newServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, srv.URL()+tt.path, tt.key, tt.body)
			e := decodeError(t, resp)
			if resp.StatusCode != tt.wantStatus || e.Error.Code != tt.wantStatus || e.Error.Status != tt.wantStatusName ||
				!strings.Contains(e.Error.Message, tt.wantMessage) {
				t.Errorf("answer = %d %+v, want %d %s containing %q", resp.StatusCode, e.Error, tt.wantStatus, tt.wantStatusName, tt.wantMessage)
			}
		})
	}
}

func TestStreamUsesGeminisSSEFraming(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(geminitest.Reply{Chunks: []string{"Hel", "lo ", "world"}})

	resp := post(t, srv.URL()+"/v1beta/models/"+model+":streamGenerateContent?alt=sse", testKey, validBody)
	if got, want := resp.Header.Get("Content-Type"), "text/event-stream"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(body, []byte("\r\n\r\n")) {
		t.Errorf("body does not end with an event separator: %q", body)
	}
	events := strings.Split(strings.TrimSuffix(string(body), "\r\n\r\n"), "\r\n\r\n")
	if len(events) != 3 {
		t.Fatalf("got %d events, want 3: %q", len(events), body)
	}
	var text strings.Builder
	for i, ev := range events {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.ContainsAny(data, "\r\n") {
			t.Fatalf("event %d = %q, want one line starting with \"data: \"", i, ev)
		}
		var chunk struct {
			Candidates []struct {
				Content struct {
					Parts []struct{ Text string }
					Role  string
				}
				FinishReason string
			}
			UsageMetadata struct{ PromptTokenCount, CandidatesTokenCount, TotalTokenCount int }
			ModelVersion  string
			ResponseID    string `json:"responseId"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		c := chunk.Candidates[0]
		text.WriteString(c.Content.Parts[0].Text)
		if wantFinish := map[bool]string{true: "STOP"}[i == len(events)-1]; c.FinishReason != wantFinish {
			t.Errorf("event %d: finishReason = %q, want %q", i, c.FinishReason, wantFinish)
		}
		u := chunk.UsageMetadata
		if c.Content.Role != "model" || chunk.ModelVersion != model || chunk.ResponseID == "" ||
			u.PromptTokenCount == 0 || u.TotalTokenCount != u.PromptTokenCount+u.CandidatesTokenCount {
			t.Errorf("event %d = %s, want role model, modelVersion, responseId and consistent usageMetadata", i, data)
		}
	}
	if got, want := text.String(), "Hello world"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
}

func TestGenerateContentAnswersOneJSONObject(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(geminitest.Reply{Chunks: []string{"A ", "title"}})
	c := sdkClient(t, srv, testKey)

	resp, err := c.Models.GenerateContent(context.Background(), model, []*genai.Content{userTurn("hi")}, specConfig())
	if err != nil {
		t.Fatalf("GenerateContent: %v", err)
	}
	if got, want := resp.Text(), "A title"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got, want := resp.Candidates[0].FinishReason, genai.FinishReasonStop; got != want {
		t.Errorf("FinishReason = %q, want %q", got, want)
	}
	if resp.UsageMetadata == nil || resp.UsageMetadata.CandidatesTokenCount == 0 || resp.ResponseID == "" {
		t.Errorf("response = %+v, want usageMetadata and responseId", resp)
	}
}

func TestScriptedFailures(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(geminitest.Reply{Fail: 429, FailTimes: 2, RetryAfter: 1500 * time.Millisecond, Chunks: []string{"finally"}})
	url := srv.URL() + "/v1beta/models/" + model + ":streamGenerateContent?alt=sse"

	for attempt := 1; attempt <= 2; attempt++ {
		resp := post(t, url, testKey, validBody)
		e := decodeError(t, resp)
		if resp.StatusCode != 429 || e.Error.Status != "RESOURCE_EXHAUSTED" {
			t.Fatalf("attempt %d: answer = %d %+v, want 429 RESOURCE_EXHAUSTED", attempt, resp.StatusCode, e.Error)
		}
		if got, want := resp.Header.Get("Retry-After"), "2"; got != want {
			t.Errorf("Retry-After = %q, want %q", got, want)
		}
		if len(e.Error.Details) != 1 || e.Error.Details[0]["@type"] != "type.googleapis.com/google.rpc.RetryInfo" ||
			e.Error.Details[0]["retryDelay"] != "1.5s" {
			t.Errorf("details = %v, want a RetryInfo with retryDelay 1.5s", e.Error.Details)
		}
	}
	c := sdkClient(t, srv, testKey)
	got, err := streamText(c, []*genai.Content{userTurn("hi")}, specConfig())
	if err != nil || got != "finally" {
		t.Errorf("third attempt = %q, %v, want \"finally\"", got, err)
	}
	statuses := []int{}
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
	}
	if want := []int{429, 429, 200}; !slices.Equal(statuses, want) {
		t.Errorf("recorded statuses = %v, want %v", statuses, want)
	}
}

func TestCutAndBlockedThroughTheSDK(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(
		geminitest.Reply{Chunks: []string{"one ", "two ", "three"}, Cut: true, CutAfter: 2},
		geminitest.Reply{BlockReason: "SAFETY"},
	)
	c := sdkClient(t, srv, testKey)

	got, err := streamText(c, []*genai.Content{userTurn("hi")}, specConfig())
	if !errors.Is(err, io.ErrUnexpectedEOF) || got != "one two " {
		t.Errorf("cut stream = %q, %v, want \"one two \", unexpected EOF", got, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	var feedback *genai.GenerateContentResponsePromptFeedback
	for chunk, err := range c.Models.GenerateContentStream(ctx, model, []*genai.Content{userTurn("hi")}, specConfig()) {
		if err != nil {
			t.Fatalf("blocked stream: %v", err)
		}
		if len(chunk.Candidates) != 0 {
			t.Errorf("blocked chunk has candidates: %+v", chunk.Candidates)
		}
		feedback = chunk.PromptFeedback
	}
	if feedback == nil || feedback.BlockReason != genai.BlockedReasonSafety {
		t.Errorf("promptFeedback = %+v, want blockReason SAFETY", feedback)
	}
}

func TestCutWithAnErrorEvent(t *testing.T) {
	tests := []struct {
		name        string
		reply       geminitest.Reply
		wantText    string
		wantCode    int
		wantStatus  string
		wantDetails []map[string]any
	}{
		{
			name:       "500 before any chunk",
			reply:      geminitest.Reply{Chunks: []string{"lost"}, Cut: true, CutWith: 500},
			wantCode:   500,
			wantStatus: "INTERNAL",
		},
		{
			name:        "429 with a retry delay after two chunks",
			reply:       geminitest.Reply{Chunks: []string{"one ", "two ", "three"}, Cut: true, CutAfter: 2, CutWith: 429, RetryAfter: 1500 * time.Millisecond},
			wantText:    "one two ",
			wantCode:    429,
			wantStatus:  "RESOURCE_EXHAUSTED",
			wantDetails: []map[string]any{{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(tt.reply)
			c := sdkClient(t, srv, testKey)

			got, err := streamText(c, []*genai.Content{userTurn("hi")}, specConfig())
			var apiErr genai.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("stream = %q, %v, want a genai.APIError", got, err)
			}
			if got != tt.wantText {
				t.Errorf("text = %q, want %q", got, tt.wantText)
			}
			if apiErr.Code != tt.wantCode || apiErr.Status != tt.wantStatus || apiErr.Message == "" {
				t.Errorf("error = %d %s %q, want %d %s with a message", apiErr.Code, apiErr.Status, apiErr.Message, tt.wantCode, tt.wantStatus)
			}
			if fmt.Sprint(apiErr.Details) != fmt.Sprint(tt.wantDetails) {
				t.Errorf("details = %v, want %v", apiErr.Details, tt.wantDetails)
			}
			if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Status != 200 {
				t.Errorf("recorded %+v, want one request answered 200", reqs)
			}
		})
	}
}

func TestCloseReleasesHeldReplies(t *testing.T) {
	srv := geminitest.New()
	srv.Enqueue(geminitest.Reply{Chunks: []string{"a", "b"}, Hold: make(chan struct{}), HoldAfter: 1})
	c := sdkClient(t, srv, testKey)

	first := make(chan struct{})
	go func() {
		for range c.Models.GenerateContentStream(context.Background(), model, []*genai.Content{userTurn("hi")}, specConfig()) {
			close(first)
			break
		}
	}()
	select {
	case <-first:
	case <-time.After(guard):
		t.Fatal("the first chunk did not arrive")
	}
	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(guard):
		t.Fatal("Close hung on a held reply")
	}
}

func TestOfflineModel(t *testing.T) {
	tests := []struct {
		name     string
		system   string
		prompt   string
		stream   bool
		lang     string   // the fence expected, "" for none
		contains []string // in the reply
	}{
		{name: "button", prompt: "Create a React button component", stream: true, lang: "tsx",
			contains: []string{"offline model", "export default function Button()", "useState", "lucide-react"}},
		{name: "counter", prompt: "Build me a counter", stream: true, lang: "tsx",
			contains: []string{"export default function Counter()"}},
		{name: "todo", prompt: "I need a todo list app", stream: true, lang: "tsx",
			contains: []string{"export default function TodoList()"}},
		{name: "login form", prompt: "Make a login form with validation", stream: true, lang: "tsx",
			contains: []string{"export default function LoginForm()", "Login form"}},
		{name: "form", prompt: "Write a form", stream: true, lang: "tsx",
			contains: []string{"export default function ContactForm()"}},
		{name: "named after the request", prompt: "Create a pricing card component with `three` tiers", stream: true, lang: "tsx",
			contains: []string{"export default function PricingCard()", "Pricing card", "three"}},
		{name: "no name word", prompt: "Create a React component", stream: true, lang: "tsx",
			contains: []string{"export default function App()"}},
		{name: "html", prompt: "Build an HTML landing page", stream: true, lang: "html",
			contains: []string{"<!DOCTYPE html>", "<title>Landing page</title>", "<script>"}},
		{name: "python", prompt: "Write a Python script that counts words", stream: true, lang: "python",
			contains: []string{"def main()", `request = "Write a Python script that counts words"`}},
		{name: "plain", prompt: "What is a closure?", stream: true,
			contains: []string{"offline model", "What is a closure?"}},
		{name: "title", system: "You name conversations.", prompt: "Write a short title for a conversation that starts with this message:\n\nCreate a React button component, please!\n\nAnswer with the title only.",
			contains: []string{"Create a React button component please"}},
		{name: "title after a colon", prompt: "Write a short title for: Build a todo app\nReply with the title only.",
			contains: []string{"Build a todo app"}},
		{name: "title from a transcript", prompt: "Title this conversation.\nUser: How do hooks work?\nAssistant: They let you...",
			contains: []string{"How do hooks work"}},
		{name: "summary", prompt: "Summarize this conversation:\nUser: Create a button\nAssistant: Here it is.\nUser: Make it red",
			contains: []string{"Summary from the offline model", "Create a button; Make it red"}},
	}
	srv := newServer(t)
	c := sdkClient(t, srv, testKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := specConfig()
			if tt.system != "" {
				cfg.SystemInstruction = genai.NewContentFromText(tt.system, genai.RoleUser)
			}
			ask := func() string {
				t.Helper()
				contents := []*genai.Content{userTurn(tt.prompt)}
				if tt.stream {
					got, err := streamText(c, contents, cfg)
					if err != nil {
						t.Fatalf("stream: %v", err)
					}
					return got
				}
				cfg.MaxOutputTokens = 64
				resp, err := c.Models.GenerateContent(context.Background(), model, contents, cfg)
				if err != nil {
					t.Fatalf("GenerateContent: %v", err)
				}
				return resp.Text()
			}
			got := ask()
			if again := ask(); again != got {
				t.Errorf("replies differ:\n%s\n---\n%s", got, again)
			}
			for _, want := range tt.contains {
				if !strings.Contains(got, want) {
					t.Errorf("reply lacks %q:\n%s", want, got)
				}
			}
			fences := strings.Count(got, "```")
			if tt.lang == "" {
				if fences != 0 {
					t.Errorf("reply has %d fence markers, want none:\n%s", fences, got)
				}
				return
			}
			if fences != 2 {
				t.Fatalf("reply has %d fence markers, want 2:\n%s", fences, got)
			}
			_, rest, _ := strings.Cut(got, "```"+tt.lang+"\n")
			code, _, ok := strings.Cut(rest, "```")
			if !ok || code == "" {
				t.Fatalf("reply has no ```%s fence:\n%s", tt.lang, got)
			}
			if tt.lang == "tsx" {
				compile(t, code)
			}
		})
	}
}

// compile checks that code is valid TSX with esbuild, as the preview
// builder will.
func compile(t *testing.T, code string) {
	t.Helper()
	res := api.Transform(code, api.TransformOptions{Loader: api.LoaderTSX, JSX: api.JSXAutomatic})
	for _, m := range res.Errors {
		line := 0
		if m.Location != nil {
			line = m.Location.Line
		}
		t.Errorf("esbuild: line %d: %s", line, m.Text)
	}
}

func TestOfflinePacing(t *testing.T) {
	srv := newServer(t, geminitest.Offline())
	c := sdkClient(t, srv, testKey)
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()

	start := time.Now()
	var arrivals []time.Time
	for chunk, err := range c.Models.GenerateContentStream(ctx, model, []*genai.Content{userTurn("Hello there, offline model")}, specConfig()) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		if chunk.Text() != "" {
			arrivals = append(arrivals, time.Now())
		}
	}
	if len(arrivals) < 10 {
		t.Fatalf("got %d chunks, want the reply in small pieces", len(arrivals))
	}
	if got, want := arrivals[len(arrivals)-1].Sub(start), time.Duration(len(arrivals)-1)*geminitest.OfflineDelay; got < want {
		t.Errorf("the last chunk came after %v, want at least %v", got, want)
	}
}

func TestResponderAnswersUnscriptedRequests(t *testing.T) {
	srv := newServer(t, geminitest.WithResponder(func(r geminitest.Request) geminitest.Reply {
		return geminitest.Reply{Chunks: []string{"echo: ", r.LastUserText()}}
	}))
	srv.Enqueue(geminitest.Reply{Chunks: []string{"scripted"}})
	c := sdkClient(t, srv, testKey)

	for _, want := range []string{"scripted", "echo: second"} {
		contents := []*genai.Content{userTurn("first"), modelTurn("answer"), userTurn("second")}
		if got, err := streamText(c, contents, specConfig()); err != nil || got != want {
			t.Errorf("reply = %q, %v, want %q", got, err, want)
		}
	}

	// A responder's failure is answered as such.
	srv.Respond(func(r geminitest.Request) geminitest.Reply { return geminitest.Reply{Fail: 503} })
	if _, err := streamText(c, []*genai.Content{userTurn("third")}, specConfig()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a responder's Fail 503 answered %v", err)
	}
}

func TestHandlerMountsUnderAPrefix(t *testing.T) {
	fake := geminitest.NewHandler(geminitest.WithAPIKey(testKey))
	mux := http.NewServeMux()
	mux.Handle("/gemini/", fake)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      testKey,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: ts.URL + "/gemini/"},
	})
	if err != nil {
		t.Fatal(err)
	}

	got, err := streamText(c, []*genai.Content{userTurn("Build a counter")}, specConfig())
	if err != nil || !strings.Contains(got, "export default function Counter()") {
		t.Errorf("reply = %q, %v, want the offline Counter component", got, err)
	}
	if reqs := fake.Requests(); len(reqs) != 1 || reqs[0].Model != model {
		t.Errorf("recorded %+v, want one request for %s", reqs, model)
	}
}
