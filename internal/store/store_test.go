package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/store"
)

var ctx = context.Background()

func newStore(t *testing.T, tb dynamotest.Table) *store.Store {
	t.Helper()
	return store.New(tb.Client, tb.Name)
}

func id() string { return uuid.Must(uuid.NewV7()).String() }

// seedConversations writes n conversations of user with activity one second
// apart (the i-th is the i-th newest... oldest first) and titles from title(i).
func seedConversations(t *testing.T, s *store.Store, user string, n int, title func(i int) string) []agent.Conversation {
	t.Helper()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]agent.Conversation, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		ts := base.Add(time.Duration(i) * time.Second)
		out[i] = agent.Conversation{ID: id(), UserID: user, Title: title(i), CreatedAt: ts, UpdatedAt: ts}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := s.PutConversationPlain(ctx, out[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	return out
}

// pageAll follows Next until the end and returns the ids in order.
func pageAll(t *testing.T, s *store.Store, q store.ListQuery) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		page, err := s.ListConversations(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Conversations) > q.Limit {
			t.Fatalf("page of %d for limit %d", len(page.Conversations), q.Limit)
		}
		if page.Next != nil && len(page.Conversations) < q.Limit {
			t.Fatalf("short page (%d of %d) that says more follow", len(page.Conversations), q.Limit)
		}
		for _, c := range page.Conversations {
			ids = append(ids, c.ID)
		}
		if page.Next == nil {
			return ids
		}
		q.After = page.Next
	}
}

func newestFirst(cs []agent.Conversation, keep func(agent.Conversation) bool) []string {
	var ids []string
	for i := len(cs) - 1; i >= 0; i-- {
		if keep == nil || keep(cs[i]) {
			ids = append(ids, cs[i].ID)
		}
	}
	return ids
}

func TestListPaging(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		s := newStore(t, tb)
		user, other := id(), id()
		convs := seedConversations(t, s, user, 120, func(i int) string { return fmt.Sprintf("Conversation %d", i) })
		seedConversations(t, s, other, 5, func(int) string { return "someone else's" })
		want := newestFirst(convs, nil)

		t.Run("by cursor", func(t *testing.T) {
			got := pageAll(t, s, store.ListQuery{UserID: user, Limit: 50})
			assertSameOrder(t, got, want)
		})
		t.Run("by page", func(t *testing.T) {
			var got []string
			for page := 1; ; page++ {
				res, err := s.ListConversations(ctx, store.ListQuery{UserID: user, Limit: 50, Skip: (page - 1) * 50})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range res.Conversations {
					got = append(got, c.ID)
				}
				if res.Next == nil {
					break
				}
			}
			assertSameOrder(t, got, want)
		})
	})
}

// TestSearchPagingSparse has long runs of non-matching conversations between
// matches: on a strict DynamoDB (dynalite), where Limit applies before the
// filter, single Query calls return short or empty pages, and only a loop on
// LastEvaluatedKey fills them.
func TestSearchPagingSparse(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		s := newStore(t, tb)
		user := id()
		isMatch := func(i int) bool { return i%41 == 7 }
		convs := seedConversations(t, s, user, 500, func(i int) string {
			if isMatch(i) {
				return []string{"Build a NEEDLE counter", "needle in React", "A NeEdLe form"}[i%3]
			}
			return fmt.Sprintf("Unrelated chat %d", i)
		})
		want := newestFirst(convs, func(c agent.Conversation) bool { return strings.Contains(strings.ToLower(c.Title), "needle") })
		if len(want) != 13 {
			t.Fatalf("fixture has %d matches", len(want))
		}
		for _, limit := range []int{1, 5, 50} {
			t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
				got := pageAll(t, s, store.ListQuery{UserID: user, Limit: limit, Search: "nEEdle"})
				assertSameOrder(t, got, want)
			})
		}
		t.Run("by page", func(t *testing.T) {
			res, err := s.ListConversations(ctx, store.ListQuery{UserID: user, Limit: 5, Skip: 10, Search: "needle"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range res.Conversations {
				got = append(got, c.ID)
			}
			assertSameOrder(t, got, want[10:])
			if res.Next != nil {
				t.Error("last page says more follow")
			}
		})
		n, err := s.CountConversations(ctx, user, "NEEDLE")
		if err != nil || n != len(want) {
			t.Errorf("count = %d, %v; want %d", n, err, len(want))
		}
	})
}

func assertSameOrder(t *testing.T, got, want []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g] {
			t.Fatalf("%s returned twice", g)
		}
		seen[g] = true
	}
	if len(got) != len(want) {
		t.Fatalf("got %d conversations, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("position %d: got %s, want %s", i, got[i], want[i])
		}
	}
}

func TestThreadAndPurgeLargeConversation(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		s := newStore(t, tb)
		user := id()
		conv := seedConversations(t, s, user, 1, func(int) string { return "long" })[0]
		const messages = 1500
		big := strings.Repeat("x", 2000) // ~3 MB in all: several Query pages
		msgIDs := make([]string, messages)
		base := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := range messages {
			msgIDs[i] = uuid.Must(uuid.NewV7()).String()
			time.Sleep(time.Microsecond)
		}
		for i := range messages {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				role := agent.RoleUser
				if i%2 == 1 {
					role = agent.RoleAssistant
				}
				m := agent.Message{ID: msgIDs[i], ConversationID: conv.ID, Role: role, Content: fmt.Sprintf("%d %s", i, big), CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}
				if err := s.PutMessagePlain(ctx, m); err != nil {
					t.Error(err)
				}
				if i%50 == 1 {
					a := agent.Artifact{ID: id(), UserID: user, ConversationID: conv.ID, MessageID: m.ID, Title: "A", Language: "tsx", Type: agent.TypeReact}
					if err := s.PutArtifactPlain(ctx, a); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()

		th, err := s.Thread(ctx, user, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(th.Messages) != messages {
			t.Fatalf("thread has %d messages, want %d", len(th.Messages), messages)
		}
		for i, m := range th.Messages {
			if m.ID != msgIDs[i] {
				t.Fatalf("message %d out of order", i)
			}
		}
		arts := 0
		for _, as := range th.Artifacts {
			arts += len(as)
		}
		if arts != 30 {
			t.Errorf("thread has %d artifacts, want 30", arts)
		}
		if _, err := s.Thread(ctx, id(), conv.ID); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("another user's thread: err = %v, want not found", err)
		}

		removed, err := s.PurgeConversation(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(removed) != 30 {
			t.Errorf("purge removed %d artifacts, want 30", len(removed))
		}
		if err := s.FinishDeleteConversation(ctx, conv.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := s.PartitionSize(ctx, conv.ID); err != nil || n != 0 {
			t.Errorf("after delete the partition has %d items (%v)", n, err)
		}
		for _, a := range removed {
			if _, err := s.ArtifactByID(ctx, user, a); !agent.IsCode(err, agent.NotFound) {
				t.Errorf("artifact %s still readable: %v", a, err)
			}
		}
	})
}

func TestOversizeItemsRejectedBeforeTheCall(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		s := newStore(t, tb)
		m := agent.Message{ID: id(), ConversationID: id(), Role: agent.RoleUser, Content: strings.Repeat("é", store.MaxContentBytes/2+1), CreatedAt: time.Now()}
		err := s.AppendMessage(ctx, id(), m)
		if !agent.IsCode(err, agent.TooLarge) {
			t.Fatalf("err = %v, want payload_too_large", err)
		}
	})
}

// TestLongMessagesKeptWhole saves replies longer than an item may be (450
// KB, and 1 MiB of two-byte runes after one byte, so that a part's end
// falls inside a rune): the conversation, the
// reply's own read and the purge see every part, and each item is within
// DynamoDB's limit (dynalite enforces it).
func TestLongMessagesKeptWhole(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		s := newStore(t, tb)
		user := id()
		conv := agent.Conversation{ID: id(), UserID: user, Title: "long", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := s.PutConversationPlain(ctx, conv); err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("0123456789abcdef", 450*1024/16)
		wide := "x" + strings.Repeat("é", 512*1024)
		var want []agent.Message
		for i, content := range []string{"short", long, wide} {
			m := agent.Message{ID: id(), ConversationID: conv.ID, Role: agent.RoleAssistant, Content: content, CreatedAt: time.Now().Add(time.Duration(i) * time.Millisecond)}
			if err := s.PutMessagePlain(ctx, m); err != nil {
				t.Fatal(err)
			}
			want = append(want, m)
		}
		th, err := s.Thread(ctx, user, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(th.Messages) != len(want) {
			t.Fatalf("%d messages, want %d", len(th.Messages), len(want))
		}
		for i, m := range th.Messages {
			if m.ID != want[i].ID || m.Content != want[i].Content {
				t.Errorf("message %d: %d bytes, want %d", i, len(m.Content), len(want[i].Content))
			}
		}
		reply, _, err := s.Reply(ctx, agent.Turn{MessageID: want[2].ID, ConversationID: conv.ID})
		if err != nil || reply.Content != wide {
			t.Errorf("reply read alone: %d bytes, %v", len(reply.Content), err)
		}
		// META and the messages in items of up to 256 KiB: 1 + 2 + 5.
		if n, err := s.PartitionSize(ctx, conv.ID); err != nil || n != 9 {
			t.Errorf("partition of %d items (%v), want 9", n, err)
		}
		if _, err := s.PurgeConversation(ctx, conv.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := s.PartitionSize(ctx, conv.ID); err != nil || n != 1 {
			t.Errorf("after the purge the partition has %d items (%v), want META alone", n, err)
		}
	})
}
