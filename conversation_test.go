package agent_test

import (
	"slices"
	"testing"

	"github.com/zocket/agent"
)

func TestLinear(t *testing.T) {
	u := func(id string) agent.Message { return agent.Message{ID: id, Role: agent.RoleUser} }
	a := func(id, to string) agent.Message {
		return agent.Message{ID: id, Role: agent.RoleAssistant, ReplyTo: to}
	}
	tests := []struct {
		name     string
		messages []agent.Message
		want     []string
		alts     map[string][]string
	}{
		{"plain turns", []agent.Message{u("1"), a("2", "1"), u("3"), a("4", "3")}, []string{"1", "2", "3", "4"}, nil},
		{"replies saved before ReplyTo", []agent.Message{u("1"), a("2", ""), u("3"), a("4", "")}, []string{"1", "2", "3", "4"}, nil},
		{"the last reply regenerated twice", []agent.Message{u("1"), a("2", "1"), a("3", "1"), a("4", "1")},
			[]string{"1", "4"}, map[string][]string{"4": {"2", "3", "4"}}},
		{"an earlier reply regenerated after later turns", []agent.Message{u("1"), a("2", ""), u("3"), a("4", "3"), a("5", "1")},
			[]string{"1", "5", "3", "4"}, map[string][]string{"5": {"2", "5"}}},
		{"a user message without a reply yet", []agent.Message{u("1"), a("2", "1"), u("3")}, []string{"1", "2", "3"}, nil},
		{"a reply that answers nothing", []agent.Message{a("0", ""), u("1")}, []string{"0", "1"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			thread, alts := agent.Linear(tc.messages)
			var ids []string
			for _, m := range thread {
				ids = append(ids, m.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("thread %v, want %v", ids, tc.want)
			}
			if len(alts) != len(tc.alts) {
				t.Errorf("alternatives %v, want %v", alts, tc.alts)
			}
			for id, want := range tc.alts {
				if got := alts[id]; !slices.Equal(got.IDs, want) || got.Index != len(want)-1 {
					t.Errorf("alternatives of %s: %+v, want %v", id, got, want)
				}
			}
		})
	}
}
