package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/dynamotest"
	"github.com/zocket/agent/internal/store"
)

func newUser(t *testing.T, s *store.Store) agent.User {
	t.Helper()
	now := time.Now()
	u := agent.User{ID: id(), Email: id() + "@example.com", Username: "u" + id()[:8], CreatedAt: now, UpdatedAt: now}
	if err := s.CreateUser(ctx, u, "$argon2id$x", store.Attempts{}); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestConversationWrites(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		u := newUser(t, s)
		start := time.Now().Add(-time.Minute)
		c := agent.Conversation{ID: id(), UserID: u.ID, Title: "Counter", CreatedAt: start}
		if err := s.CreateConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.UserByID(ctx, u.ID); got.ConversationCount != 1 {
			t.Errorf("conversationCount = %d, want 1", got.ConversationCount)
		}

		// Concurrent appends: every one is counted, the newest is the preview.
		const n = 20
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				m := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleUser, Content: "message", CreatedAt: start.Add(time.Duration(i+1) * time.Second)}
				if i == n-1 {
					m.Content = "the newest"
				}
				if err := s.AppendMessage(ctx, m); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.ConversationMeta(ctx, u.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MessageCount != n || got.LastMessage == nil || got.LastMessage.Content != "the newest" ||
			!got.UpdatedAt.Equal(start.Add(n*time.Second).Truncate(time.Millisecond)) {
			t.Errorf("after %d concurrent appends: count %d, last %+v, updatedAt %s", n, got.MessageCount, got.LastMessage, got.UpdatedAt)
		}

		if err := s.AppendMessage(ctx, agent.Message{ID: id(), ConversationID: id(), Role: agent.RoleUser, Content: "x", CreatedAt: time.Now()}); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("append to a missing conversation: %v", err)
		}
		if _, err := s.RenameConversation(ctx, id(), c.ID, "stolen", time.Now()); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("rename another user's conversation: %v", err)
		}

		// Delete: begin twice (a retry) counts once; writes to it now fail.
		for range 2 {
			if err := s.BeginDeleteConversation(ctx, u.ID, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := s.UserByID(ctx, u.ID); got.ConversationCount != 0 {
			t.Errorf("conversationCount after delete = %d, want 0", got.ConversationCount)
		}
		if _, err := s.ConversationMeta(ctx, u.ID, c.ID); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("a conversation being deleted is readable: %v", err)
		}
		a := agent.Artifact{ID: id(), UserID: u.ID, ConversationID: c.ID, MessageID: id(), Title: "late", Language: "tsx", Type: agent.TypeReact}
		if err := s.PutArtifact(ctx, a); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("artifact into a deleted conversation: %v", err)
		}
		if err := s.BeginDeleteConversation(ctx, id(), c.ID); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("another user deleting: %v", err)
		}
	})
}
