// Package history decides what of a conversation the model sees: the most
// recent messages verbatim, as many as fit a token budget, and everything
// older folded into a running summary kept on the conversation. It replaces
// the Node backend's LangChain buffer memory, which grew without bound.
//
// A fold is a model call of its own, so it is kept off the reply's path
// and made in batches: a turn sends the summary as it stands, with the
// messages it does not cover yet sent verbatim as far as a backlog budget
// allows, and folds those messages (for the next turns) only once they
// make up a batch of several turns, while the reply is produced.
package history

import (
	"context"
	"fmt"
	"strings"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/llm"
)

// Budget sizes the history sent with each turn, in estimated tokens.
type Budget struct {
	// Recent is the most the recent verbatim messages may take.
	Recent int
	// Summary is the most the running summary may take.
	Summary int
	// Backlog is the most that messages older than the recent ones and
	// not yet in the summary may add, verbatim, while a fold catches up.
	Backlog int
	// FoldTurns is how many turns (a message and its reply) a fold takes at
	// once: the messages waiting for the summary are folded once there are
	// twice as many. 0 or 1 folds whenever a message waits.
	FoldTurns int
}

// DefaultBudget keeps about 12k tokens of recent messages, up to 4k of
// messages waiting for the summary, and a summary of up to 1k: ample
// context for coding turns at a small fraction of the model's window. A
// fold takes 4 turns at once: a quarter of a model call per turn, once a
// conversation has outgrown the history budget.
var DefaultBudget = Budget{Recent: 12000, Summary: 1000, Backlog: 4000, FoldTurns: 4}

// Summarizer folds messages into a summary with a model call.
type Summarizer interface {
	Generate(ctx context.Context, req llm.Request) (llm.Result, error)
}

// Plan is what a turn sends, and what waits for the summary.
type Plan struct {
	// Recent are the verbatim messages, oldest first, ending with the
	// user's new message: the newest of those waiting for the summary that
	// fit the backlog, then those within the history budget.
	Recent []llm.Message
	// Summary is the running summary as stored.
	Summary string
	// Unfolded are the messages older than the history budget's and not in
	// the summary yet, oldest first: what the next fold takes.
	Unfolded []agent.Message
}

// NewPlan splits a conversation's messages (oldest first, the new user
// message last) under budget. estimate counts a text's tokens
// (llm.EstimateTokens).
func NewPlan(conv agent.Conversation, messages []agent.Message, b Budget, estimate func(string) int) Plan {
	p := Plan{Summary: conv.Summary}
	cut := window(messages, len(messages), b.Recent, estimate)
	for _, m := range messages[:cut] {
		// Ids sort in time order: what is not newer than the last message
		// folded is in the summary (a reply regenerated since is newer).
		if conv.SummaryThrough != "" && m.ID <= conv.SummaryThrough {
			continue
		}
		p.Unfolded = append(p.Unfolded, m)
	}
	// What waits for the summary goes verbatim, newest first, as far as the
	// backlog allows; a message too large for it ends the backlog.
	from := len(p.Unfolded)
	for used := 0; from > 0; from-- {
		n := estimate(p.Unfolded[from-1].Content)
		if used+n > b.Backlog {
			break
		}
		used += n
	}
	backlog := p.Unfolded[from:]
	for len(backlog) > 0 && backlog[0].Role != agent.RoleUser {
		backlog = backlog[1:]
	}
	for _, m := range append(backlog[:len(backlog):len(backlog)], messages[cut:]...) {
		p.Recent = append(p.Recent, llm.Message{Role: role(m.Role), Text: m.Content})
	}
	return p
}

// window returns where the newest of messages[:end] that fit within budget
// start: the last message always fits, whatever its size, and the window
// starts with a user's message, as the model wants.
func window(messages []agent.Message, end, budget int, estimate func(string) int) int {
	used, cut := 0, end
	for i := end - 1; i >= 0; i-- {
		n := estimate(messages[i].Content)
		if i < end-1 && used+n > budget {
			break
		}
		used += n
		cut = i
	}
	for cut < end-1 && messages[cut].Role != agent.RoleUser {
		cut++
	}
	return cut
}

// FoldDue reports whether the messages waiting for the summary make up a
// batch: a turn then folds them, beside its reply.
func (p Plan) FoldDue(b Budget) bool {
	return len(p.Unfolded) > 0 && len(p.Unfolded) >= 2*b.FoldTurns
}

func role(r agent.Role) llm.Role {
	if r == agent.RoleAssistant {
		return llm.RoleModel
	}
	return llm.RoleUser
}

// Fold asks the model for a new summary covering the old one and the
// unfolded messages, within the summary budget. It returns the summary and
// the id of the newest message it covers.
func Fold(ctx context.Context, m Summarizer, p Plan, b Budget, estimate func(string) int) (string, string, error) {
	if len(p.Unfolded) == 0 {
		return p.Summary, "", nil
	}
	var in strings.Builder
	if p.Summary != "" {
		in.WriteString("Summary so far:\n")
		in.WriteString(p.Summary)
		in.WriteString("\n\nNew messages:\n")
	}
	// A summary request is itself bounded: the newest unfolded messages
	// matter most, and each is clipped.
	for _, msg := range p.Unfolded {
		who := "User"
		if msg.Role == agent.RoleAssistant {
			who = "Assistant"
		}
		fmt.Fprintf(&in, "%s: %s\n\n", who, llm.Clip(msg.Content, 4000))
	}
	words := b.Summary * 3 / 4
	res, err := m.Generate(ctx, llm.Request{
		System: "You maintain the running summary of a conversation between a user and a coding assistant. " +
			"Write a factual summary that keeps what later turns need: the user's goals and preferences, decisions made, " +
			"names of components, files and APIs, and open questions. Do not include code. " +
			fmt.Sprintf("At most %d words.", words),
		Messages:        []llm.Message{{Role: llm.RoleUser, Text: in.String()}},
		MaxOutputTokens: b.Summary * 2,
	})
	if err != nil {
		return "", "", fmt.Errorf("summarize %d messages: %w", len(p.Unfolded), err)
	}
	summary := strings.TrimSpace(res.Text)
	for estimate(summary) > b.Summary && len(summary) > 0 {
		summary = llm.Clip(summary, len(summary)*3/4)
	}
	return summary, p.Unfolded[len(p.Unfolded)-1].ID, nil
}

// System is the system instruction of a turn: the agent's instruction and,
// when there is one, the summary of what came before the recent messages.
func System(instruction, summary string) string {
	if strings.TrimSpace(summary) == "" {
		return instruction
	}
	return instruction + "\n\nSummary of the earlier part of this conversation (older messages are not shown):\n" + summary
}
