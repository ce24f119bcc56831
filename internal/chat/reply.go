package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/metrics"
)

// answer writes the turn's events into out and its journal: the metadata,
// then, once saveMessage (when not nil) has saved the user's message, the
// model's reply, saved. The metadata goes before the save: a stream shows
// the turn one round trip after it began. ctx ends when the model's time is
// up; saves get contexts of their own from p.clock. It returns no error:
// every failure becomes an event, and what was produced is saved.
func (p *producer) answer(ctx context.Context, out Sink, saveMessage func() error) {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	p.journal = newJournal(p.svc.Store, p.replyID, p.log, func() { stop(errStopped) })
	sink := tee{out, p.journal}
	sink.Metadata(Metadata{ConversationID: p.conv.ID, MessageID: p.replyID, UserMessageID: p.userMsg.ID, Title: p.conv.Title})
	if saveMessage != nil {
		if err := saveMessage(); err != nil {
			p.messageNotSaved(out, err)
			return
		}
	}
	jctx, cancel := context.WithDeadline(p.clock.base, p.clock.end())
	defer cancel()
	go p.journal.run(jctx)
	p.closeJournal(p.streamReply(ctx, sink))
}

// messageNotSaved ends a turn whose user message could not be saved.
// Nothing was saved, and the journal never started: only the client hears
// of it.
func (p *producer) messageNotSaved(out Sink, err error) {
	p.release()
	p.ended(err)
	p.log.Error("open turn", "err", err)
	e := agent.AsError(err)
	msg := e.Message
	if e.Code == agent.Internal {
		msg = "the message could not be saved. Please try again."
	}
	out.Error(StreamError{Error: "Stream error: " + msg, Code: string(e.Code)})
}

// closeJournal writes the journal's last events and the turn's final
// state.
func (p *producer) closeJournal(state agent.TurnState) {
	ctx, cancel := p.clock.save()
	defer cancel()
	p.journal.close(ctx, state)
	if state == agent.TurnFailed && p.gone {
		// The conversation was deleted meanwhile, and its purge could not
		// see this reply: nothing else would remove its journal.
		if err := p.svc.Store.DropJournal(ctx, p.replyID); err != nil {
			p.log.Error("drop journal", "err", err)
		}
	}
}

// streamReply calls the model, streams its reply into sink, saving each
// code block as an artifact as it closes, and saves the reply; it returns
// the turn's final state.
func (p *producer) streamReply(ctx context.Context, sink Sink) agent.TurnState {
	req, err := p.request()
	if err != nil {
		p.log.Error("load history", "err", err)
		sctx, cancel := p.clock.save()
		defer cancel()
		return p.fail(sctx, sink, llm.Tokens{}, err)
	}
	if p.foldDue != nil {
		p.fold = p.foldAside(p.conv.ID, *p.foldDue, p.svc.budget())
	}
	saver := &artifactSaver{p: p, sink: sink}
	p.turn.Since(metrics.TimeToModelRequest, time.Now())
	p.calledModel = true
	res, err := p.svc.Model.Stream(ctx, req, func(delta string) error {
		if delta != "" {
			sink.Delta(delta)
			if !p.firstText {
				p.firstText = true
				p.turn.Since(metrics.TimeToFirstToken, time.Now())
			}
			p.text.WriteString(delta)
			saver.scan(ctx, delta)
		}
		return nil
	})
	p.turn.Set(metrics.TokensIn, float64(res.Tokens.PromptTokens))
	p.turn.Set(metrics.TokensOut, float64(res.Tokens.OutputTokens))
	// The model has stopped, by itself, because its time ran out or
	// because the user stopped it: what is left is saving, on a budget of
	// its own.
	sctx, cancel := p.clock.save()
	defer cancel()
	saver.close(sctx)
	p.buildFix(sctx, sink)
	switch {
	case errors.Is(context.Cause(ctx), errStopped):
		return p.stopped(sctx, sink, res.Tokens)
	case err != nil:
		return p.fail(sctx, sink, res.Tokens, err)
	}
	return p.complete(sctx, sink, res)
}

// buildFix builds a fix's new version, once saved: a fix ends with its
// build, so a client can fix again.
func (p *producer) buildFix(ctx context.Context, sink Sink) {
	if f := p.fix; f != nil && f.saved != nil {
		res, err := p.svc.Builder.BuildArtifact(ctx, *f.saved)
		sink.Build(buildResult(f.saved.ID, res, err))
	}
}

// complete saves the finished reply, charges what it kept, names a new
// conversation and reports it all.
func (p *producer) complete(ctx context.Context, sink Sink, res llm.Result) agent.TurnState {
	if err := p.saveReply(ctx, res.Tokens, "", false); err != nil {
		p.release()
		p.lost(sink, err)
		return agent.TurnFailed
	}
	p.outcome = metrics.TurnComplete
	credits := p.release()
	title := p.conv.Title
	if p.isNew {
		title = p.refineTitle(ctx, p.text.String())
	}
	sink.Complete(Complete{
		Reason: ReasonCompleted, MessageID: p.replyID, Title: title, Credits: credits,
		Tokens: Tokens(res.Tokens),
	})
	return agent.TurnCompleted
}

// stopped saves the reply the user stopped, as far as it went, and charges
// what it kept.
func (p *producer) stopped(ctx context.Context, sink Sink, tokens llm.Tokens) agent.TurnState {
	if err := p.saveReply(ctx, tokens, "", true); err != nil {
		p.release()
		p.lost(sink, err)
		return agent.TurnFailed
	}
	p.outcome = metrics.TurnStopped
	sink.Complete(Complete{
		Reason: ReasonStopped, MessageID: p.replyID, Title: p.conv.Title, Credits: p.release(),
		Tokens: Tokens(tokens),
	})
	return agent.TurnStopped
}

// lost reports a reply that could not be saved.
func (p *producer) lost(sink Sink, err error) {
	p.ended(err)
	if agent.IsCode(err, agent.NotFound) {
		// The conversation was deleted while the model answered.
		p.gone = true
		p.log.Warn("save reply", "err", err)
		sink.Error(failure(err))
		return
	}
	p.log.Error("save reply", "err", err)
	if e := agent.AsError(err); e.Code == agent.Unavailable {
		// DynamoDB still failing after the retries: the client may try
		// again in a moment, as a 503 says.
		p.retryAfter = e.RetryAfter
		sink.Error(StreamError{Error: "Stream error: the reply could not be saved: " + e.Message, Code: string(agent.Unavailable)})
		return
	}
	sink.Error(StreamError{Error: "Stream error: the reply could not be saved. Please try again.", Code: string(agent.Internal)})
}

// fail saves what the model produced with an error mark, charges what it
// kept and reports the failure as the stream's last event.
func (p *producer) fail(ctx context.Context, sink Sink, tokens llm.Tokens, cause error) agent.TurnState {
	defer p.release()
	p.ended(cause)
	sentence, code := describe(cause)
	if llmErr, ok := errors.AsType[*llm.Error](cause); ok {
		p.retryAfter = llmErr.RetryAfter
	}
	p.log.Warn("reply failed", "err", cause, "partialBytes", p.text.Len())
	if err := p.saveReply(ctx, tokens, sentence, false); err != nil {
		p.log.Error("save partial reply", "err", err)
		p.gone = agent.IsCode(err, agent.NotFound)
	}
	sink.Error(StreamError{Error: "Stream error: " + sentence, Code: string(code)})
	return agent.TurnFailed
}

// saveReply writes the assistant message once: the text that went out. A
// saved reply with text is something the turn kept.
func (p *producer) saveReply(ctx context.Context, tokens llm.Tokens, failure string, stopped bool) error {
	p.savedAt = p.svc.Now()
	m := agent.Message{
		ID: p.replyID, ConversationID: p.conv.ID, Role: agent.RoleAssistant, Content: p.text.String(),
		ReplyTo: p.userMsg.ID, CreatedAt: p.savedAt, Error: failure, Stopped: stopped,
		PromptTokens: tokens.PromptTokens, OutputTokens: tokens.OutputTokens,
	}
	// The append is safe to run again (a message sent again is found
	// saved), and an attempt whose answer was lost may have saved it.
	_, err := whileUnavailable(ctx, p.log, "save reply", func(ctx context.Context) error {
		return p.svc.Store.AppendMessage(ctx, p.user.ID, m)
	})
	if err != nil {
		return fmt.Errorf("save assistant message %s: %w", m.ID, err)
	}
	if m.Content != "" {
		p.kept++
	}
	return nil
}

// ended records the outcome of a turn that err ended, when none is
// recorded yet: the first failure is the one that ended it.
func (p *producer) ended(err error) {
	if p.outcome != "" {
		return
	}
	var llmErr *llm.Error
	switch {
	case errors.Is(err, llm.ErrRateLimited):
		p.outcome = metrics.TurnModelRateLimited
	case errors.Is(err, llm.ErrBlocked):
		p.outcome = metrics.TurnModelBlocked
	case errors.Is(err, context.DeadlineExceeded):
		p.outcome = metrics.TurnTimeout
	case agent.IsCode(err, agent.NotFound):
		p.outcome = metrics.TurnConversationDeleted
	case errors.As(err, &llmErr):
		p.outcome = metrics.TurnModelError
	case p.calledModel:
		p.outcome = metrics.TurnModelError
	default:
		p.outcome = metrics.TurnStoreError
	}
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

// failure is the error event of a turn that err ended, as describe tells
// it.
func failure(err error) StreamError {
	sentence, code := describe(err)
	return StreamError{Error: "Stream error: " + sentence, Code: string(code)}
}

// refineTitle asks the model for a short title after the first reply and
// keeps it unless the user renamed the conversation meanwhile. Any failure
// keeps the provisional title.
func (p *producer) refineTitle(ctx context.Context, reply string) string {
	s := p.svc
	res, err := s.Model.Generate(ctx, llm.Request{
		System: "You name conversations. Reply with a title of at most six words for the conversation below: no quotes, no punctuation at the end, nothing else.",
		Messages: []llm.Message{{Role: llm.RoleUser, Text: "Write a title for this conversation.\n\nUser: " + llm.Clip(p.message, 2000) +
			"\n\nAssistant: " + llm.Clip(reply, 2000)}},
		MaxOutputTokens: 64,
	})
	if err != nil {
		p.log.Warn("refine title", "err", err)
		return p.conv.Title
	}
	title := modelTitle(res.Text)
	if title == "" || title == p.conv.Title {
		return p.conv.Title
	}
	ok, err := s.Store.RefineTitle(ctx, p.conv.ID, p.conv.Title, title)
	if err != nil || !ok {
		return p.conv.Title
	}
	p.conv.Title = title
	return title
}

// modelTitle is the title in a model's answer: its first line, without the
// quotes, emphasis or "Title:" label models add, cleaned as every title is.
func modelTitle(answer string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(answer), "\n")
	return codeblock.CleanTitle(strings.TrimPrefix(strings.Trim(line, "\"'`*#. "), "Title: "))
}
