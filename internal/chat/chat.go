// Package chat serves POST /api/chat/send: it saves the user's message,
// streams the model's reply as it is produced (SSE, in the framing the
// existing frontend parses), turns code in the reply into artifacts as soon
// as each fence closes, and saves the reply once, complete, even when the
// client leaves mid-stream or the model fails half-way.
//
// One handler serves three hosts: the devserver (real streaming), the
// streaming Lambda Function URL (lambdaurl: every Write is streamed), and the
// API Gateway function, whose adapter buffers: there `stream: true` answers
// the same events in one body.
package chat

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/artifacts"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/memory"
	"github.com/zocket/agent/internal/store"
)

// Store is the storage a turn needs.
type Store interface {
	UserByID(ctx context.Context, id string) (agent.User, error)
	ConversationMeta(ctx context.Context, userID, id string) (agent.Conversation, error)
	CreateConversation(ctx context.Context, c agent.Conversation) error
	AppendMessage(ctx context.Context, m agent.Message) error
	Thread(ctx context.Context, userID, id string) (store.Thread, error)
	PutArtifact(ctx context.Context, a agent.Artifact) error
	ChargeCredit(ctx context.Context, userID string) (int, error)
	RefineTitle(ctx context.Context, id, provisional, title string) (bool, error)
	SetSummary(ctx context.Context, id, summary, through string) error
}

// Blobs stores artifact code.
type Blobs interface {
	Put(ctx context.Context, key string, body []byte, contentType string) error
}

// Model is the language model.
type Model interface {
	Stream(ctx context.Context, req llm.Request, onDelta func(string) error) (llm.Result, error)
	Generate(ctx context.Context, req llm.Request) (llm.Result, error)
}

// Builder builds a saved artifact right away (enableBuilding). What the
// artifact's source caused is an *agent.Error.
type Builder interface {
	BuildArtifact(ctx context.Context, a agent.Artifact) (build.Result, error)
}

var _ Store = (*store.Store)(nil)

// Service implements the chat endpoint.
type Service struct {
	Store      Store
	Blobs      Blobs
	Model      Model
	Builder    Builder // nil: enableBuilding is accepted and ignored
	Artifacts  *artifacts.Presenter
	CodePrefix string
	Budget     memory.Budget
	Now        func() time.Time

	// PingEvery is the idle time after which a `: ping` comment goes out
	// (default 15s).
	PingEvery time.Duration
	// TurnTimeout bounds a turn that outlives its client (default 5 min, or
	// the Lambda deadline less a margin).
	TurnTimeout time.Duration
}

// DefaultRetryAfter is the Retry-After of a rate-limited turn when the model
// did not say how long to wait.
const DefaultRetryAfter = 10 * time.Second

// MaxMessageRunes is the longest message accepted.
const MaxMessageRunes = 32000

type sendRequest struct {
	Message        *string `json:"message"`
	ConversationID *string `json:"conversationId"`
	Stream         bool    `json:"stream"`
	EnableSecurity bool    `json:"enableSecurity"`
	EnableBuilding bool    `json:"enableBuilding"`
	EnablePreview  bool    `json:"enablePreview"`
}

// Send handles POST /api/chat/send.
func (s *Service) Send(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var c httpapi.Checker
	msg := httpapi.Value(req.Message)
	n := utf8.RuneCountInString(msg)
	c.Check(req.Message != nil, "message", "is required")
	c.Check(req.Message == nil || strings.TrimSpace(msg) != "" && n <= MaxMessageRunes, "message", "must be 1-32000 characters")
	convID := strings.ToLower(strings.TrimSpace(httpapi.Value(req.ConversationID)))
	if convID != "" {
		_, err := uuid.Parse(convID)
		c.Check(err == nil && len(convID) == 36, "conversationId", "must be a conversation id")
	}
	if err := c.Err(); err != nil {
		httpapi.Error(w, r, err)
		return
	}

	ctx, uid := r.Context(), httpapi.UserID(r.Context())
	user, err := s.Store.UserByID(ctx, uid)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if user.Credits == 0 {
		httpapi.Error(w, r, agent.NewError(agent.CreditsExhausted, agent.CreditsExhaustedMessage))
		return
	}
	t := &turn{svc: s, r: r, user: user, text: msg, building: req.EnableBuilding}
	if err := t.open(ctx, convID); err != nil {
		httpapi.Error(w, r, err)
		return
	}

	// From here the turn outlives the request: a client that leaves does
	// not stop the reply from being written and saved.
	tctx, cancel := s.detach(ctx)
	defer cancel()

	if !req.Stream {
		col := &collector{}
		t.run(tctx, col)
		s.respondJSON(w, r, t, col)
		return
	}
	out := newSSE(w)
	stopPing := s.pinger(out)
	t.run(tctx, out)
	stopPing()
	out.done()
}

// detach returns a context that survives the client but not the platform:
// without the request's cancellation, bounded by TurnTimeout or by the
// request's own deadline (Lambda's) less a margin for saving.
func (s *Service) detach(ctx context.Context) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(ctx)
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(base, d.Add(-2*time.Second))
	}
	timeout := s.TurnTimeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	return context.WithTimeout(base, timeout)
}

func (s *Service) pinger(out *sse) (stop func()) {
	every := s.PingEvery
	if every == 0 {
		every = 15 * time.Second
	}
	done := make(chan struct{})
	tick := time.NewTicker(every / 3)
	go func() {
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				out.ping(every)
			}
		}
	}()
	return func() { close(done) }
}

type sendResponse struct {
	Message string   `json:"message"`
	Data    sendData `json:"data"`
}

type sendData struct {
	ConversationID string           `json:"conversationId"`
	MessageID      string           `json:"messageId"`
	UserMessageID  string           `json:"userMessageId"`
	Response       string           `json:"response"`
	Artifacts      []artifacts.View `json:"artifacts"`
	Builds         int              `json:"builds"`
	Usage          Usage            `json:"usage"`
	Title          string           `json:"title"`
	Credits        int              `json:"credits"`
}

func (s *Service) respondJSON(w http.ResponseWriter, r *http.Request, t *turn, col *collector) {
	if col.err != nil {
		e := agent.NewError(agent.Upstream, strings.TrimPrefix(col.err.Error, "Stream error: "))
		if col.err.Code == string(agent.RateLimited) {
			e.Code, e.RetryAfter = agent.RateLimited, max(t.retryAfter, DefaultRetryAfter)
		}
		httpapi.Error(w, r, e)
		return
	}
	arts := col.arts
	if arts == nil {
		arts = []artifacts.View{}
	}
	d := sendData{
		ConversationID: col.meta.ConversationID, MessageID: col.meta.MessageID, UserMessageID: col.meta.UserMessageID,
		Response: string(col.text), Artifacts: arts, Builds: len(col.builds), Title: t.conv.Title,
	}
	if col.complete != nil {
		d.Usage, d.Title, d.Credits = col.complete.Usage, col.complete.Title, col.complete.Credits
	}
	httpapi.JSON(w, http.StatusOK, sendResponse{Message: "Message sent successfully", Data: d})
}
