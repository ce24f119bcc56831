// Package chat serves the chat routes. POST /api/chat/send saves the
// user's message, streams the model's reply as it is produced (SSE, in the
// framing the existing frontend parses), turns code in the reply into
// artifacts as soon as each fence closes, and saves the reply once,
// complete, even when the client leaves mid-stream or the model fails
// half-way. Every turn journals its events, so that GET
// /api/chat/stream/{messageId} can follow or resume it from any instance
// and POST /api/chat/stop/{messageId} can end it; POST
// /api/chat/regenerate/{messageId} answers a message again, keeping the
// old reply as an alternative.
//
// One handler serves three hosts: the devserver (real streaming), the
// streaming Lambda Function URL (lambdaurl: every Write is streamed), and the
// API Gateway function, whose adapter buffers: there `stream: true` answers
// the same events in one body.
package chat

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/artifactview"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/history"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/store"
)

// Store is the storage a turn needs.
type Store interface {
	ReserveSlot(ctx context.Context, sess agent.Session, turnID string, expires time.Time, limits store.TurnLimits) (agent.User, error)
	ReleaseSlot(ctx context.Context, userID, turnID string, charge store.Charge) (agent.User, error)
	ConversationMeta(ctx context.Context, userID, id string) (agent.Conversation, error)
	CreateConversation(ctx context.Context, c agent.Conversation, first ...agent.Message) error
	AppendMessage(ctx context.Context, userID string, m agent.Message) error
	ReadThread(ctx context.Context, userID, id string) (store.RawThread, error)
	PutArtifact(ctx context.Context, a agent.Artifact) error
	RefineTitle(ctx context.Context, id, provisional, title string) (bool, error)
	SetSummary(ctx context.Context, id, summary, through string) error
	Journal
	Readers
}

// Blobs stores artifact code.
type Blobs interface {
	Put(ctx context.Context, key string, body []byte, contentType string) error
	DeletePrefix(ctx context.Context, prefix string) (int, error)
}

// Model is the language model.
type Model interface {
	Stream(ctx context.Context, req llm.Request, onDelta func(string) error) (llm.Result, error)
	Generate(ctx context.Context, req llm.Request) (llm.Result, error)
}

// Builder builds a saved artifact right away (enableBuilding, and a fix's
// new version) and reads an artifact's code (the code a fix starts from).
// What the artifact's source caused is an *agent.Error.
type Builder interface {
	BuildArtifact(ctx context.Context, a agent.Artifact) (build.Result, error)
	Source(ctx context.Context, a agent.Artifact) (agent.Source, error)
}

var _ Store = (*store.Store)(nil)

// Service implements the chat endpoint.
type Service struct {
	Store      Store
	Blobs      Blobs
	Model      Model
	Builder    Builder // nil: enableBuilding is accepted and ignored, and nothing can be fixed
	Artifacts  *artifactview.Presenter
	CodePrefix string
	Budget     history.Budget
	// Limits are the user's limits on turns (MAX_CONCURRENT_TURNS,
	// TURNS_PER_MINUTE).
	Limits store.TurnLimits
	// Sessions ends a stream whose session ended (a logout, a password
	// change) while it was open; nil: streams are not watched.
	Sessions Sessions
	Now      func() time.Time

	// PingEvery is the idle time after which a `: ping` comment goes out
	// (default 15s).
	PingEvery time.Duration
	// TurnTimeout is how long the model may answer (default
	// DefaultTurnTimeout); the request's own deadline (Lambda's) may end it
	// sooner, leaving time for the save.
	TurnTimeout time.Duration
}

// DefaultTurnTimeout is how long the model may answer when TurnTimeout is
// not set.
const DefaultTurnTimeout = 5 * time.Minute

// SaveBudget is the time the end of a turn has of its own once the model
// has stopped, by itself or because its time ran out: to save the reply,
// take the credit and name the conversation.
const SaveBudget = 3 * time.Second

// DeadlineMargin is how long before the request's own deadline (Lambda's)
// the save must be done, so that the response still goes out before the
// platform ends the process.
const DeadlineMargin = time.Second

// DefaultRetryAfter is the Retry-After of a rate-limited turn when the model
// did not say how long to wait.
const DefaultRetryAfter = 10 * time.Second

// MaxMessageRunes is the longest message accepted.
const MaxMessageRunes = 32000

// SendRequest is the body of POST /api/chat/send.
type SendRequest struct {
	Message        *string `json:"message"`
	ConversationID *string `json:"conversationId"`
	Stream         bool    `json:"stream"`
	EnableSecurity bool    `json:"enableSecurity"`
	EnableBuilding bool    `json:"enableBuilding"`
	EnablePreview  bool    `json:"enablePreview"`
}

// Send handles POST /api/chat/send.
func (s *Service) Send(w http.ResponseWriter, r *http.Request) {
	var req SendRequest
	err := httpapi.Decode(w, r, &req)
	if err == nil {
		err = req.check()
	}
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	p := s.newProducer(r, newID())
	p.message, p.building = httpapi.Value(req.Message), req.EnableBuilding
	// The model request leaves after two round trips: the reservation
	// beside the conversation's read and the turn's record, then the
	// message's save.
	convID := req.conversationID()
	var read func(context.Context) error
	if convID != "" {
		read = p.readConversation(convID)
	} else {
		p.startConversation()
		convID = p.conv.ID
	}
	if err := p.reserve(r.Context(), convID, read); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	s.serve(w, r, p, req.Stream, "Message sent successfully")
}

// check reports every field of the request that is wrong.
func (req SendRequest) check() error {
	var c httpapi.Checker
	msg := httpapi.Value(req.Message)
	n := utf8.RuneCountInString(msg)
	c.Check(req.Message != nil, "message", "is required")
	c.Check(req.Message == nil || strings.TrimSpace(msg) != "" && n <= MaxMessageRunes, "message", fmt.Sprintf("must be 1-%d characters", MaxMessageRunes))
	if convID := req.conversationID(); convID != "" {
		_, err := uuid.Parse(convID)
		c.Check(err == nil && len(convID) == 36, "conversationId", "must be a conversation id")
	}
	return c.Err()
}

// conversationID is the conversation the message continues; empty, it
// starts one.
func (req SendRequest) conversationID() string {
	return strings.ToLower(strings.TrimSpace(httpapi.Value(req.ConversationID)))
}

// serve runs a turn and answers with its events: as SSE, or with stream
// false one JSON body whose message is done. From here the turn outlives
// the request: a client that leaves does not stop the reply from being
// written and saved. A session that ends meanwhile ends the answer, not the
// turn: the reply is still saved, and charged when it keeps something.
func (s *Service) serve(w http.ResponseWriter, r *http.Request, p *producer, stream bool, done string) {
	// The user's message (another answer saves none) is saved while the
	// request lasts.
	var saveMessage func() error
	if !p.again {
		saveMessage = func() error { return p.saveMessage(r.Context()) }
	}
	if stream {
		s.serveSSE(w, r, p, saveMessage)
		return
	}
	s.serveJSON(w, r, p, saveMessage, done)
}

// serveSSE streams the turn's events as they come; saveMessage follows the
// metadata event, and its failure ends the stream with an error event.
func (s *Service) serveSSE(w http.ResponseWriter, r *http.Request, p *producer, saveMessage func() error) {
	ctx, cancel := p.clock.work()
	defer cancel()
	out := newSSE(w)
	stopPing := s.pinger(out)
	stopWatch := s.watchSession(r.Context(), p.session, p.log, func() { out.end(sessionEnded) })
	p.answer(ctx, out, saveMessage)
	end := time.Now()
	stopWatch()
	stopPing()
	out.done()
	p.fold.settle(true)
	p.report(end, out.disconnected() || r.Context().Err() != nil)
}

// serveJSON answers with one JSON body once the reply is saved; the
// failure of saveMessage is the answer.
func (s *Service) serveJSON(w http.ResponseWriter, r *http.Request, p *producer, saveMessage func() error, done string) {
	ctx, cancel := p.clock.work()
	defer cancel()
	if saveMessage != nil {
		if err := saveMessage(); err != nil {
			p.release()
			p.ended(err)
			p.report(time.Now(), false)
			httpapi.Error(w, r, err)
			return
		}
	}
	var ended atomic.Bool
	stopWatch := s.watchSession(r.Context(), p.session, p.log, func() { ended.Store(true) })
	col := &collector{}
	p.answer(ctx, col, nil)
	end := time.Now()
	stopWatch()
	p.fold.settle(false)
	defer p.report(end, r.Context().Err() != nil)
	if ended.Load() {
		httpapi.Error(w, r, agent.NewError(agent.Unauthorized, "Your session has ended. Please sign in again."))
		return
	}
	s.respondJSON(w, r, p, col, done)
}

// detach returns the clock of a turn that outlives its client but not the
// platform.
func (s *Service) detach(ctx context.Context) clock {
	timeout := s.TurnTimeout
	if timeout <= 0 {
		timeout = DefaultTurnTimeout
	}
	c := clock{base: context.WithoutCancel(ctx), modelEnd: time.Now().Add(timeout)}
	if d, ok := ctx.Deadline(); ok {
		c.saveEnd = d.Add(-DeadlineMargin)
		if end := c.saveEnd.Add(-SaveBudget); end.Before(c.modelEnd) {
			c.modelEnd = end
		}
	}
	return c
}

// clock bounds the two phases of a turn, on contexts that keep the
// request's values but not its cancellation. The model works until
// modelEnd: TurnTimeout after the start, or SaveBudget and DeadlineMargin
// before the request's deadline, whichever comes first. The save that
// follows gets a budget of its own, not the one that just ran out: the rest
// of the model's time or SaveBudget, whichever is longer, still ending
// DeadlineMargin before the request's deadline.
type clock struct {
	base     context.Context
	modelEnd time.Time
	saveEnd  time.Time // zero when the request has no deadline
}

// end is when the turn's last save must be over.
func (c clock) end() time.Time {
	if !c.saveEnd.IsZero() {
		return c.saveEnd
	}
	return c.modelEnd.Add(SaveBudget)
}

// work returns the context of the model's phase.
func (c clock) work() (context.Context, context.CancelFunc) {
	return context.WithDeadline(c.base, c.modelEnd)
}

// save returns the context of a save that starts now.
func (c clock) save() (context.Context, context.CancelFunc) {
	end := c.modelEnd
	if budget := time.Now().Add(SaveBudget); budget.After(end) {
		end = budget
	}
	if !c.saveEnd.IsZero() && end.After(c.saveEnd) {
		end = c.saveEnd
	}
	return context.WithDeadline(c.base, end)
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

// SendResponse is the answer of a turn that does not stream (stream:
// false): the reply, once saved.
type SendResponse struct {
	Message string   `json:"message"`
	Data    SendData `json:"data"`
}

// SendData is the saved reply of a turn, as SendResponse has it.
type SendData struct {
	ConversationID string              `json:"conversationId"`
	MessageID      string              `json:"messageId"`
	UserMessageID  string              `json:"userMessageId"`
	Response       string              `json:"response"`
	Artifacts      []artifactview.View `json:"artifacts"`
	Builds         int                 `json:"builds"`
	Tokens         Tokens              `json:"usage"`
	Title          string              `json:"title"`
	Credits        int                 `json:"credits"`
}

func (s *Service) respondJSON(w http.ResponseWriter, r *http.Request, p *producer, col *collector, done string) {
	if col.err != nil {
		e := agent.NewError(agent.Upstream, strings.TrimPrefix(col.err.Error, "Stream error: "))
		switch agent.Code(col.err.Code) {
		case agent.RateLimited:
			e.Code, e.RetryAfter = agent.RateLimited, max(p.retryAfter, DefaultRetryAfter)
		case agent.Unavailable:
			// DynamoDB failed after its retries (the reply's save).
			e.Code, e.RetryAfter = agent.Unavailable, p.retryAfter
		case agent.Timeout, agent.NotFound:
			// A timeout; a conversation deleted while the model answered.
			e.Code = agent.Code(col.err.Code)
		}
		httpapi.Error(w, r, e)
		return
	}
	arts := col.arts
	if arts == nil {
		arts = []artifactview.View{}
	}
	d := SendData{
		ConversationID: col.meta.ConversationID, MessageID: col.meta.MessageID, UserMessageID: col.meta.UserMessageID,
		Response: string(col.text), Artifacts: arts, Builds: len(col.builds), Title: p.conv.Title,
	}
	if col.complete != nil {
		d.Tokens, d.Title, d.Credits = col.complete.Tokens, col.complete.Title, col.complete.Credits
	}
	httpapi.JSON(w, http.StatusOK, SendResponse{Message: done, Data: d})
}
