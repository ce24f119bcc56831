package chat

import (
	"context"
	"slices"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/history"
	"github.com/zocket/agent/internal/llm"
)

// buildRequest builds the model's request: the conversation as it was read
// when the turn began and the user's message (up to the message answered
// again, for another answer), within the budget, with the summary as it
// stands. When the messages waiting for the summary make up a batch, it
// notes their fold, which the turn starts beside the reply.
func (p *producer) buildRequest() (llm.Request, error) {
	conv, messages, err := p.thread()
	if err != nil {
		return llm.Request{}, err
	}
	b := p.svc.budget()
	plan := history.NewPlan(conv, messages, b, llm.EstimateTokens)
	if !p.again && plan.FoldDue(b) {
		// A summary of the past of an earlier message is not the
		// conversation's: another answer never folds.
		p.foldDue = &plan
	}
	if p.fix != nil && len(plan.Recent) > 0 {
		// The code and how to answer reach the model, not the history.
		plan.Recent[len(plan.Recent)-1].Text += p.fix.context()
	}
	return llm.Request{System: history.System(llm.SystemInstruction, plan.Summary), Messages: plan.Recent}, nil
}

// thread is the conversation the model sees, and its messages as it reads,
// oldest first, ending with the user's message. Decoding the conversation
// read, it notes the latest artifact versions a new block may follow.
func (p *producer) thread() (agent.Conversation, []agent.Message, error) {
	if p.raw == nil {
		return p.conv, []agent.Message{p.userMsg}, nil
	}
	th, err := p.raw.Decode()
	if err != nil {
		return agent.Conversation{}, nil, err
	}
	p.latest = latestVersions(th.Artifacts)
	if p.fix != nil {
		p.fix.next = p.nextVersion(th.Artifacts, p.fix.art.LineageID)
	}
	messages, _ := agent.Linear(th.Messages)
	if p.again {
		return p.upToMessage(th.Conversation, messages)
	}
	return th.Conversation, append(messages, p.userMsg), nil
}

// upToMessage is the conversation as another answer to the user's message
// sees it: its messages up to that one, and no summary of what came after.
func (p *producer) upToMessage(conv agent.Conversation, messages []agent.Message) (agent.Conversation, []agent.Message, error) {
	i := slices.IndexFunc(messages, func(m agent.Message) bool { return m.ID == p.userMsg.ID })
	if i < 0 {
		return agent.Conversation{}, nil, errTurnNotFound
	}
	p.userMsg = messages[i]
	if conv.SummaryThrough >= p.userMsg.ID {
		// The summary tells of what came after: not this answer's.
		conv.Summary, conv.SummaryThrough = "", ""
	}
	return conv, messages[:i+1], nil
}

func (s *Service) budget() history.Budget {
	if s.Budget.Recent == 0 {
		return history.DefaultBudget
	}
	return s.Budget
}

// folding is a fold of the summary running beside a reply.
type folding struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// foldAside folds plan's waiting messages into the conversation's summary,
// for the turns after this one, while the reply is produced; it has the
// model's time, and settle ends it.
func (p *producer) foldAside(convID string, plan history.Plan, b history.Budget) *folding {
	ctx, cancel := p.clock.work()
	f := &folding{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		summary, through, err := history.Fold(ctx, p.svc.Model, plan, b, llm.EstimateTokens)
		if err == nil {
			err = p.svc.Store.SetSummary(ctx, convID, summary, through)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			// Ended with its turn: the next turn folds again.
			p.log.Debug("fold summary", "err", err)
		default:
			p.log.Warn("fold summary", "err", err)
		}
	}()
	return f
}

// settle waits for the fold to end, or ends it now unless wait. A Lambda
// may not work after its response, so a fold ends with its turn's
// response: a stream waits for it after its last event (the client has its
// reply), a JSON answer does not.
func (f *folding) settle(wait bool) {
	if f == nil {
		return
	}
	if !wait {
		f.cancel()
	}
	<-f.done
	f.cancel()
}
