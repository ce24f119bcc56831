package history_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/history"
	"github.com/zocket/agent/internal/llm"
)

// words counts one token per word: easy to reason about in tables.
func words(s string) int { return len(strings.Fields(s)) }

func messages(n, wordsEach int) []agent.Message {
	var out []agent.Message
	for i := range n {
		role := agent.RoleUser
		if i%2 == 1 {
			role = agent.RoleAssistant
		}
		out = append(out, agent.Message{ID: fmt.Sprintf("m%03d", i), Role: role, Content: strings.TrimSpace(strings.Repeat("w ", wordsEach))})
	}
	return out
}

func TestNewPlan(t *testing.T) {
	tests := []struct {
		name         string
		conv         agent.Conversation
		messages     []agent.Message
		budget       int
		backlog      int
		wantRecent   int
		wantUnfolded []string // first and last id
	}{
		{"all fit", agent.Conversation{}, messages(5, 10), 100, 0, 5, nil},
		{"oldest fold", agent.Conversation{}, messages(9, 10), 45, 0, 3, []string{"m000", "m005"}},
		// 4 would fit, but the window must start with the user's message.
		{"window starts with a user turn", agent.Conversation{}, messages(7, 10), 40, 0, 3, []string{"m000", "m003"}},
		{"already folded", agent.Conversation{Summary: "s", SummaryThrough: "m003"}, messages(9, 10), 45, 0, 3, []string{"m004", "m005"}},
		{"everything older folded", agent.Conversation{Summary: "s", SummaryThrough: "m005"}, messages(9, 10), 45, 0, 3, nil},
		{"a huge new message still goes", agent.Conversation{}, append(messages(2, 10), agent.Message{ID: "big", Role: agent.RoleUser, Content: strings.Repeat("w ", 500)}), 45, 0, 1, []string{"m000", "m001"}},
		// The backlog carries the newest waiting messages, from a user's.
		{"the backlog carries what waits", agent.Conversation{}, messages(9, 10), 45, 20, 5, []string{"m000", "m005"}},
		{"the backlog starts with a user turn", agent.Conversation{}, messages(9, 10), 45, 30, 5, []string{"m000", "m005"}},
		{"the backlog holds it all", agent.Conversation{Summary: "s", SummaryThrough: "m001"}, messages(9, 10), 45, 40, 7, []string{"m002", "m005"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := history.NewPlan(tt.conv, tt.messages, history.Budget{Recent: tt.budget, Summary: 50, Backlog: tt.backlog}, words)
			if len(p.Recent) != tt.wantRecent {
				t.Errorf("recent = %d, want %d", len(p.Recent), tt.wantRecent)
			}
			if len(p.Recent) > 0 && p.Recent[0].Role != llm.RoleUser {
				t.Errorf("recent starts with %s", p.Recent[0].Role)
			}
			var got []string
			if len(p.Unfolded) > 0 {
				got = []string{p.Unfolded[0].ID, p.Unfolded[len(p.Unfolded)-1].ID}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantUnfolded) {
				t.Errorf("unfolded = %v, want %v", got, tt.wantUnfolded)
			}
		})
	}
}

func TestFoldDue(t *testing.T) {
	tests := []struct {
		unfolded, turns int
		want            bool
	}{
		{0, 0, false}, {1, 0, true}, {1, 1, false}, {2, 1, true}, {7, 4, false}, {8, 4, true}, {9, 4, true},
	}
	for _, tt := range tests {
		p := history.Plan{Unfolded: messages(tt.unfolded, 1)}
		if got := p.FoldDue(history.Budget{FoldTurns: tt.turns}); got != tt.want {
			t.Errorf("%d waiting, batches of %d turns: due %v, want %v", tt.unfolded, tt.turns, got, tt.want)
		}
	}
}

type fakeSummarizer struct {
	got  llm.Request
	text string
	err  error
}

func (f *fakeSummarizer) Generate(_ context.Context, req llm.Request) (llm.Result, error) {
	f.got = req
	return llm.Result{Text: f.text}, f.err
}

func TestFold(t *testing.T) {
	p := history.Plan{Summary: "They chose Tailwind.", Unfolded: messages(4, 3)}
	f := &fakeSummarizer{text: strings.Repeat("long summary ", 100)}
	summary, through, err := history.Fold(context.Background(), f, p, history.Budget{Recent: 100, Summary: 20}, words)
	if err != nil {
		t.Fatal(err)
	}
	if through != "m003" || words(summary) > 20 {
		t.Errorf("through %q, summary of %d words", through, words(summary))
	}
	if in := f.got.Messages[0].Text; !strings.Contains(in, "They chose Tailwind.") || !strings.Contains(in, "Assistant: w w w") {
		t.Errorf("summary request lacks the old summary or the messages:\n%s", in)
	}
	if history.System("I", "") != "I" || !strings.Contains(history.System("I", "S"), "S") {
		t.Error("System does not carry the summary only when there is one")
	}
}
