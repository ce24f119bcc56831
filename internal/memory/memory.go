// Package memory decides what of a conversation the model sees: the most
// recent messages verbatim, as many as fit a token budget, and everything
// older folded into a running summary kept on the conversation. It replaces
// the Node backend's LangChain buffer memory, which grew without bound.
package memory

import (
	"context"
	"fmt"
	"strings"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/llm"
)

// Budget sizes the history sent with each turn, in estimated tokens.
type Budget struct {
	// History is the most the verbatim messages may take.
	History int
	// Summary is the most the running summary may take.
	Summary int
}

// DefaultBudget keeps about 12k tokens of recent messages and a summary of
// up to 1k: ample context for coding turns at a small fraction of the
// model's window.
var DefaultBudget = Budget{History: 12000, Summary: 1000}

// Summarizer folds messages into a summary with a model call.
type Summarizer interface {
	Generate(ctx context.Context, req llm.Request) (llm.Result, error)
}

// Plan is what a turn sends and what it must fold first.
type Plan struct {
	// Recent are the verbatim messages, oldest first, ending with the
	// user's new message.
	Recent []llm.Message
	// Summary is the running summary as stored.
	Summary string
	// Unfolded are older messages not in the summary yet, oldest first:
	// they must be folded (Fold) before the turn is sent.
	Unfolded []agent.Message
}

// NewPlan splits history (oldest first, the new user message last) under
// budget. estimate counts a text's tokens (llm.EstimateTokens).
func NewPlan(conv agent.Conversation, history []agent.Message, b Budget, estimate func(string) int) Plan {
	p := Plan{Summary: conv.Summary}
	used := 0
	cut := len(history)
	for i := len(history) - 1; i >= 0; i-- {
		n := estimate(history[i].Content)
		// The newest message always goes, whatever its size.
		if i < len(history)-1 && used+n > b.History {
			break
		}
		used += n
		cut = i
	}
	// The model wants the user first: an assistant message at the start of
	// the window goes to the summary instead.
	for cut < len(history)-1 && history[cut].Role != agent.RoleUser {
		cut++
	}
	for _, m := range history[cut:] {
		p.Recent = append(p.Recent, llm.Message{Role: role(m.Role), Text: m.Content})
	}
	for _, m := range history[:cut] {
		// Ids sort in time order: what is not newer than the last message
		// folded is in the summary (a reply regenerated since is newer).
		if conv.SummaryThrough != "" && m.ID <= conv.SummaryThrough {
			continue
		}
		p.Unfolded = append(p.Unfolded, m)
	}
	return p
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
