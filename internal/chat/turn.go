package chat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/memory"
)

// turn is one user message and the reply to it.
type turn struct {
	svc      *Service
	r        *http.Request
	user     agent.User
	text     string
	building bool
	clock    clock

	conv        agent.Conversation
	isNew       bool
	userMsg     agent.Message
	assistantID string
	// retryAfter is the wait the model asked for when it rate-limited the turn.
	retryAfter time.Duration
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// ProvisionalTitle is a new conversation's title until the model names it:
// the first message on one line, cut to 47 characters plus "..." when it is
// longer than 50.
func ProvisionalTitle(message string) string {
	t := strings.Join(strings.Fields(message), " ")
	if utf8.RuneCountInString(t) > 50 {
		t = string([]rune(t)[:47]) + "..."
	}
	if t == "" {
		t = "New conversation"
	}
	return t
}

// open finds or creates the conversation and saves the user's message,
// before anything is streamed or the model is called.
func (t *turn) open(ctx context.Context, convID string) error {
	s := t.svc
	now := s.Now()
	if convID != "" {
		c, err := s.Store.ConversationMeta(ctx, t.user.ID, convID)
		if err != nil {
			return err
		}
		t.conv = c
	} else {
		t.conv = agent.Conversation{ID: newID(), UserID: t.user.ID, Title: ProvisionalTitle(t.text), CreatedAt: now}
		if err := s.Store.CreateConversation(ctx, t.conv); err != nil {
			return err
		}
		t.isNew = true
	}
	t.userMsg = agent.Message{ID: newID(), ConversationID: t.conv.ID, Role: agent.RoleUser, Content: t.text, CreatedAt: now}
	if err := s.Store.AppendMessage(ctx, t.userMsg); err != nil {
		return err
	}
	t.assistantID = newID()
	return nil
}

// run streams the reply into sink and saves it. ctx ends when the model's
// time is up; the save gets a context of its own from t.clock. It never
// returns an error: every failure becomes an event, and what was produced
// is saved.
func (t *turn) run(ctx context.Context, sink Sink) {
	s := t.svc
	log := httpapi.Logger(t.r.Context())
	sink.Metadata(Metadata{ConversationID: t.conv.ID, MessageID: t.assistantID, UserMessageID: t.userMsg.ID, Title: t.conv.Title})

	req, err := t.request(ctx)
	if err != nil {
		log.Error("load history", "err", err)
		sctx, cancel := t.clock.save()
		defer cancel()
		t.fail(sctx, sink, "", llm.Usage{}, err)
		return
	}

	saver := &artifactSaver{turn: t, sink: sink}
	var scanner codeblock.Scanner
	res, err := s.Model.Stream(ctx, req, func(delta string) error {
		sink.Delta(delta)
		for _, b := range scanner.Write(delta) {
			saver.add(ctx, b)
		}
		return nil
	})
	// The model has stopped, by itself or because its time ran out: what
	// is left is saving, on a budget of its own.
	sctx, cancel := t.clock.save()
	defer cancel()
	for _, b := range scanner.Close() {
		saver.add(sctx, b)
	}
	if err != nil {
		t.fail(sctx, sink, res.Text, res.Usage, err)
		return
	}
	t.complete(sctx, sink, res)
}

// request builds the model request: the history that fits the budget, with
// older messages folded into the conversation's summary first.
func (t *turn) request(ctx context.Context) (llm.Request, error) {
	s := t.svc
	history := []agent.Message{t.userMsg}
	conv := t.conv
	if !t.isNew {
		th, err := s.Store.Thread(ctx, t.user.ID, t.conv.ID)
		if err != nil {
			return llm.Request{}, err
		}
		history, conv = th.Messages, th.Conversation
	}
	plan := memory.NewPlan(conv, history, s.budget(), llm.EstimateTokens)
	summary := plan.Summary
	if len(plan.Unfolded) > 0 {
		folded, through, err := memory.Fold(ctx, s.Model, plan, s.budget(), llm.EstimateTokens)
		if err != nil {
			// The turn goes on with the old summary: older context is
			// thinner this time, and the fold is tried again next turn.
			httpapi.Logger(t.r.Context()).Warn("fold summary", "err", err)
		} else {
			summary = folded
			if err := s.Store.SetSummary(ctx, conv.ID, folded, through); err != nil {
				httpapi.Logger(t.r.Context()).Warn("save summary", "err", err)
			}
		}
	}
	return llm.Request{System: memory.System(llm.SystemInstruction, summary), Messages: plan.Recent}, nil
}

func (s *Service) budget() memory.Budget {
	if s.Budget.History == 0 {
		return memory.DefaultBudget
	}
	return s.Budget
}

// complete saves the finished reply, takes the credit, names a new
// conversation and reports it all.
func (t *turn) complete(ctx context.Context, sink Sink, res llm.Result) {
	s := t.svc
	log := httpapi.Logger(t.r.Context())
	if err := t.save(ctx, res.Text, res.Usage, ""); err != nil {
		if agent.IsCode(err, agent.NotFound) {
			// The conversation was deleted while the model answered.
			log.Warn("save reply", "err", err)
			sentence, code := describe(err)
			sink.Error(StreamError{Error: "Stream error: " + sentence, Code: string(code)})
			return
		}
		log.Error("save reply", "err", err)
		sink.Error(StreamError{Error: "Stream error: the reply could not be saved. Please try again.", Code: string(agent.Internal)})
		return
	}
	credits := t.user.Credits
	if credits > 0 {
		left, err := s.Store.ChargeCredit(ctx, t.user.ID)
		if err != nil {
			log.Warn("charge credit", "err", err)
		}
		credits = left
	}
	title := t.conv.Title
	if t.isNew {
		title = t.refineTitle(ctx, res.Text)
	}
	sink.Complete(Complete{
		Reason: "completed", MessageID: t.assistantID, Title: title, Credits: credits,
		Usage: Usage{PromptTokens: res.Usage.PromptTokens, OutputTokens: res.Usage.OutputTokens},
	})
}

// fail saves what the model produced with an error mark and reports the
// failure as the stream's last event. No credit is taken.
func (t *turn) fail(ctx context.Context, sink Sink, partial string, usage llm.Usage, cause error) {
	log := httpapi.Logger(t.r.Context())
	sentence, code := describe(cause)
	if llmErr, ok := errors.AsType[*llm.Error](cause); ok {
		t.retryAfter = llmErr.RetryAfter
	}
	log.Warn("reply failed", "err", cause, "partialBytes", len(partial))
	if err := t.save(ctx, partial, usage, sentence); err != nil {
		log.Error("save partial reply", "err", err)
	}
	sink.Error(StreamError{Error: "Stream error: " + sentence, Code: string(code)})
}

// save writes the assistant message once.
func (t *turn) save(ctx context.Context, content string, usage llm.Usage, failure string) error {
	m := agent.Message{
		ID: t.assistantID, ConversationID: t.conv.ID, Role: agent.RoleAssistant, Content: content,
		CreatedAt: t.svc.Now(), Error: failure,
		PromptTokens: usage.PromptTokens, OutputTokens: usage.OutputTokens,
	}
	if err := t.svc.Store.AppendMessage(ctx, m); err != nil {
		return fmt.Errorf("save assistant message %s: %w", m.ID, err)
	}
	return nil
}

// describe turns a model error into a sentence for the user and a code.
func describe(err error) (string, agent.Code) {
	switch {
	case errors.Is(err, llm.ErrRateLimited):
		return "The model is busy right now. Please try again in a moment.", agent.RateLimited
	case errors.Is(err, llm.ErrBlocked):
		return "The model declined to answer this request.", agent.Upstream
	case errors.Is(err, context.DeadlineExceeded):
		return "The reply took too long and was cut off. What it wrote so far is saved.", agent.Timeout
	case agent.IsCode(err, agent.NotFound):
		return "This conversation no longer exists.", agent.NotFound
	}
	return "The model failed while answering. What it wrote so far is saved.", agent.Upstream
}

// refineTitle asks the model for a short title after the first reply and
// keeps it unless the user renamed the conversation meanwhile. Any failure
// keeps the provisional title.
func (t *turn) refineTitle(ctx context.Context, reply string) string {
	s := t.svc
	res, err := s.Model.Generate(ctx, llm.Request{
		System: "You name conversations. Reply with a title of at most six words for the conversation below: no quotes, no punctuation at the end, nothing else.",
		Messages: []llm.Message{{Role: llm.RoleUser, Text: "Write a title for this conversation.\n\nUser: " + llm.Clip(t.text, 2000) +
			"\n\nAssistant: " + llm.Clip(reply, 2000)}},
		MaxOutputTokens: 64,
	})
	if err != nil {
		httpapi.Logger(t.r.Context()).Warn("refine title", "err", err)
		return t.conv.Title
	}
	title := modelTitle(res.Text)
	if title == "" || title == t.conv.Title {
		return t.conv.Title
	}
	ok, err := s.Store.RefineTitle(ctx, t.conv.ID, t.conv.Title, title)
	if err != nil || !ok {
		return t.conv.Title
	}
	t.conv.Title = title
	return title
}

// modelTitle is the title in a model's answer: its first line, without the
// quotes, emphasis or "Title:" label models add, cleaned as every title is.
func modelTitle(answer string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(answer), "\n")
	return codeblock.CleanTitle(strings.TrimPrefix(strings.Trim(line, "\"'`*#. "), "Title: "))
}
