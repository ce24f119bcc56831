// Package llm is the model client: it sends a conversation to Gemini through
// google.golang.org/genai with the generation settings of SPEC.md and streams
// the reply back piece by piece.
//
// Failures before the first piece of text (rate limits, server errors,
// dropped connections) are retried with exponential backoff, partly by the
// SDK's own retries (see retry.go); after it they are returned as a
// *StreamError carrying the partial reply, so the caller can save what the
// user has already seen. Errors classify with errors.Is against
// ErrRateLimited, ErrUpstream, ErrRejected and ErrBlocked.
package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/genai"
)

// Role says who wrote a message.
type Role string

// The two roles Gemini knows.
const (
	RoleUser  Role = "user"
	RoleModel Role = "model"
)

// Message is one turn of a conversation.
type Message struct {
	Role Role
	Text string
}

// Request is what the model is asked.
//
// Messages are oldest first and the last one is the user's turn. Gemini wants
// turns that alternate between user and model, starting with the user, and
// rejects empty texts; the client repairs what it is given rather than fail:
// blank messages are dropped, consecutive messages of one role are merged into
// one turn (texts joined by a blank line), and a history that starts with a
// model turn gets a short placeholder user turn in front.
type Request struct {
	System          string    // the system instruction; empty sends none
	Messages        []Message // the history, oldest first, ending with the user's turn
	MaxOutputTokens int       // 0 means DefaultMaxOutputTokens
}

// Tokens are the tokens Gemini reports for one call.
type Tokens struct {
	PromptTokens int
	OutputTokens int // reply and thinking tokens, as billed
}

// Result is a complete reply.
type Result struct {
	Text         string
	Tokens       Tokens
	FinishReason string // Gemini's reason, such as "STOP" or "MAX_TOKENS"
}

// Defaults of Config and Request.
const (
	DefaultModel           = "gemini-2.5-flash"
	DefaultMaxOutputTokens = 8192
	DefaultMaxRetries      = 3
	DefaultBaseDelay       = 500 * time.Millisecond
	DefaultMaxDelay        = 8 * time.Second
)

// The sampling settings of SPEC.md, sent with every request.
const (
	temperature = 0.7
	topK        = 40
	topP        = 0.95
)

// leadingUserTurn is put in front of a history that starts with a model
// turn, since Gemini requires the first turn to be the user's.
const leadingUserTurn = "(Earlier messages of this conversation are omitted.)"

// Config configures a Client.
type Config struct {
	APIKey  string // required; the SDK's fallback to GEMINI_API_KEY is not used
	Model   string // default DefaultModel
	BaseURL string // another Gemini-compatible endpoint, such as the fake server; empty means Google's (or GOOGLE_GEMINI_BASE_URL)

	// HTTPClient carries the requests; nil means a client without a timeout
	// (the context bounds each call). It is copied, never modified.
	HTTPClient *http.Client

	// MaxRetries is how many times a failed request is repeated before the
	// first piece of text, by the SDK or by this package: 0 means
	// DefaultMaxRetries, a negative value none.
	MaxRetries int
	// BaseDelay is the nominal wait before the first retry, doubled for each
	// further retry: 0 means DefaultBaseDelay.
	BaseDelay time.Duration
	// MaxDelay caps a single wait: 0 means DefaultMaxDelay. A server asking
	// for a longer wait ends the retries at once.
	MaxDelay time.Duration
}

// Client calls Gemini. It is safe for concurrent use; build one per process.
type Client struct {
	genai *genai.Client
	model string
	retry retryPolicy
}

// New builds a Client. It makes no network call.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("llm: an API key is required")
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	hc.Transport = attemptTransport{base: hc.Transport}
	gc, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:      cfg.APIKey,
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  hc,
		HTTPOptions: genai.HTTPOptions{BaseURL: cfg.BaseURL},
	})
	if err != nil {
		return nil, fmt.Errorf("llm: new genai client: %w", err)
	}
	return &Client{genai: gc, model: cfg.Model, retry: newRetryPolicy(cfg)}, nil
}

// Model is the name of the model the client calls.
func (c *Client) Model() string { return c.model }

// Stream asks for a reply and calls onDelta with each piece of text as the
// model produces it, then returns the whole reply.
//
// Before the first piece, failures that may pass (429, 5xx, connection
// errors) are retried as Config says. After it, any failure, including an
// error from onDelta and the end of ctx, is returned as a *StreamError with
// the text and tokens so far, and never retried.
func (c *Client) Stream(ctx context.Context, req Request, onDelta func(string) error) (Result, error) {
	contents, config, err := c.prepare(req)
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = c.retry.do(ctx, "stream", config, func(ctx context.Context, config *genai.GenerateContentConfig) error {
		res = Result{}
		var text strings.Builder
		for chunk, err := range c.genai.Models.GenerateContentStream(ctx, c.model, contents, config) {
			if err == nil {
				// A blocked reply may still carry text; it goes out first.
				err = observe(chunk, &res)
				if delta := chunkText(chunk); delta != "" {
					text.WriteString(delta)
					if cbErr := onDelta(delta); cbErr != nil {
						return &StreamError{Text: text.String(), Tokens: res.Tokens, Err: cbErr}
					}
				}
			}
			if err != nil {
				if text.Len() == 0 {
					return err
				}
				if ctx.Err() != nil {
					err = ctx.Err()
				} else {
					err = classify("stream", err, 0)
				}
				return &StreamError{Text: text.String(), Tokens: res.Tokens, Err: err}
			}
		}
		res.Text = text.String()
		return nil
	})
	if se, ok := errors.AsType[*StreamError](err); ok {
		return Result{Text: se.Text, Tokens: se.Tokens}, err
	}
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// Generate asks for a reply and returns it whole, with the retry policy of
// Stream. It suits short answers such as titles and summaries.
func (c *Client) Generate(ctx context.Context, req Request) (Result, error) {
	contents, config, err := c.prepare(req)
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = c.retry.do(ctx, "generate", config, func(ctx context.Context, config *genai.GenerateContentConfig) error {
		resp, err := c.genai.Models.GenerateContent(ctx, c.model, contents, config)
		if err != nil {
			return err
		}
		res = Result{}
		if err := observe(resp, &res); err != nil {
			return err
		}
		res.Text = chunkText(resp)
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// prepare turns a Request into what the SDK sends.
func (c *Client) prepare(req Request) ([]*genai.Content, *genai.GenerateContentConfig, error) {
	contents, err := buildContents(req.Messages)
	if err != nil {
		return nil, nil, err
	}
	maxTokens := req.MaxOutputTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxOutputTokens
	}
	config := &genai.GenerateContentConfig{
		Temperature:     genai.Ptr[float32](temperature),
		TopK:            genai.Ptr[float32](topK),
		TopP:            genai.Ptr[float32](topP),
		MaxOutputTokens: int32(maxTokens),
		// The SDK would otherwise silently re-send a request whose stream
		// ends early, even after text has reached the caller.
		AutomaticContinuation: genai.Ptr(false),
	}
	if strings.TrimSpace(req.System) != "" {
		config.SystemInstruction = genai.NewContentFromText(req.System, genai.RoleUser)
	}
	return contents, config, nil
}

// buildContents repairs the history as Request documents.
func buildContents(msgs []Message) ([]*genai.Content, error) {
	var contents []*genai.Content
	for i, m := range msgs {
		if m.Role != RoleUser && m.Role != RoleModel {
			return nil, fmt.Errorf("llm: message %d: unknown role %q", i, m.Role)
		}
		if strings.TrimSpace(m.Text) == "" {
			continue
		}
		if n := len(contents); n > 0 && contents[n-1].Role == string(m.Role) {
			last := contents[n-1].Parts[0]
			last.Text += "\n\n" + m.Text
			continue
		}
		contents = append(contents, genai.NewContentFromText(m.Text, genai.Role(m.Role)))
	}
	if len(contents) == 0 {
		return nil, errors.New("llm: no message to send")
	}
	if contents[len(contents)-1].Role != string(RoleUser) {
		return nil, errors.New("llm: the last message must be the user's")
	}
	if contents[0].Role != string(RoleUser) {
		contents = append([]*genai.Content{genai.NewContentFromText(leadingUserTurn, genai.RoleUser)}, contents...)
	}
	return contents, nil
}

// observe records a response's tokens and finish reason in res and reports a
// blocked prompt or reply as ErrBlocked.
func observe(resp *genai.GenerateContentResponse, res *Result) error {
	if u := resp.UsageMetadata; u != nil {
		res.Tokens = Tokens{
			PromptTokens: int(u.PromptTokenCount),
			OutputTokens: int(u.CandidatesTokenCount + u.ThoughtsTokenCount),
		}
	}
	if pf := resp.PromptFeedback; pf != nil && pf.BlockReason != "" {
		return &Error{Kind: ErrBlocked, Reason: string(pf.BlockReason)}
	}
	if len(resp.Candidates) == 0 || resp.Candidates[0] == nil {
		return nil
	}
	reason := resp.Candidates[0].FinishReason
	if reason == "" {
		return nil
	}
	res.FinishReason = string(reason)
	switch reason {
	case genai.FinishReasonSafety, genai.FinishReasonRecitation, genai.FinishReasonBlocklist,
		genai.FinishReasonProhibitedContent, genai.FinishReasonSPII:
		return &Error{Kind: ErrBlocked, Reason: string(reason)}
	}
	return nil
}

// chunkText is the visible text of a response: the first candidate's text
// parts, without thoughts.
func chunkText(resp *genai.GenerateContentResponse) string {
	if len(resp.Candidates) == 0 || resp.Candidates[0] == nil || resp.Candidates[0].Content == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range resp.Candidates[0].Content.Parts {
		if p != nil && !p.Thought {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// Clip shortens text for a prompt to at most n bytes on a rune boundary,
// marking the cut with an ellipsis.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + " …"
}
