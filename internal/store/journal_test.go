package store_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/store"
)

func startTurn(t *testing.T, s *store.Store, userID, convID string) agent.Turn {
	t.Helper()
	turn := agent.Turn{
		MessageID: id(), UserID: userID, ConversationID: convID, ReplyTo: id(),
		StartedAt: time.Now(), Deadline: time.Now().Add(time.Minute),
	}
	if err := s.StartTurn(ctx, turn); err != nil {
		t.Fatal(err)
	}
	return turn
}

func batch(seq int, events ...string) store.Batch {
	return store.Batch{Seq: seq, Events: events, Expires: time.Now().Add(store.JournalTTL)}
}

// TestJournal writes a turn's batches and reads them back from any point:
// in order, the turn's state with them, expired batches left out, and
// another user's turn not found.
func TestJournal(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		s := newStore(t, tb)
		user := id()
		turn := startTurn(t, s, user, id())
		for seq := 1; seq <= 12; seq++ {
			if err := s.AppendEvents(ctx, turn.MessageID, batch(seq, fmt.Sprintf("e%d.a", seq), fmt.Sprintf("e%d.b", seq))); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			after int
			want  []int
		}{
			{0, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
			{9, []int{10, 11, 12}},
			{12, nil},
		}
		for _, tc := range tests {
			got, batches, err := s.Journal(ctx, user, turn.MessageID, tc.after)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != agent.TurnRunning || got.ConversationID != turn.ConversationID || got.ReplyTo != turn.ReplyTo || !got.Running(time.Now()) {
				t.Errorf("turn = %+v", got)
			}
			var seqs []int
			for _, b := range batches {
				seqs = append(seqs, b.Seq)
				if want := []string{fmt.Sprintf("e%d.a", b.Seq), fmt.Sprintf("e%d.b", b.Seq)}; !slices.Equal(b.Events, want) {
					t.Errorf("batch %d = %q", b.Seq, b.Events)
				}
			}
			if !slices.Equal(seqs, tc.want) {
				t.Errorf("after %d: batches %v, want %v", tc.after, seqs, tc.want)
			}
		}

		expired := batch(13, "old")
		expired.Expires = time.Now().Add(-time.Second)
		if err := s.EndTurnJournal(ctx, turn.MessageID, expired, agent.TurnCompleted); err != nil {
			t.Fatal(err)
		}
		got, batches, err := s.Journal(ctx, user, turn.MessageID, 12)
		if err != nil || len(batches) != 0 || got.State != agent.TurnCompleted || got.Running(time.Now()) {
			t.Errorf("after the end: %+v, %d batches, %v", got, len(batches), err)
		}
		if _, _, err := s.Journal(ctx, id(), turn.MessageID, 0); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("another user's journal: %v", err)
		}
		if _, _, err := s.Journal(ctx, user, id(), 0); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("a missing journal: %v", err)
		}
	})
}

// TestStopTurn stops a running turn: the next batch is refused and nothing
// of it is written; a second stop stands; a finished turn is a conflict and
// another user's turn not found.
func TestStopTurn(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		user := id()
		turn := startTurn(t, s, user, id())
		if err := s.AppendEvents(ctx, turn.MessageID, batch(1, "a")); err != nil {
			t.Fatal(err)
		}
		if stopped, err := s.StopRequested(ctx, turn.MessageID); err != nil || stopped {
			t.Fatalf("before the stop: %v, %v", stopped, err)
		}
		if err := s.StopTurn(ctx, id(), turn.MessageID); !agent.IsCode(err, agent.NotFound) {
			t.Fatalf("another user's stop: %v", err)
		}
		if err := s.StopTurn(ctx, user, turn.MessageID); err != nil {
			t.Fatal(err)
		}
		if err := s.StopTurn(ctx, user, turn.MessageID); err != nil {
			t.Fatalf("stopped twice: %v", err)
		}
		if stopped, err := s.StopRequested(ctx, turn.MessageID); err != nil || !stopped {
			t.Fatalf("after the stop: %v, %v", stopped, err)
		}
		if err := s.AppendEvents(ctx, turn.MessageID, batch(2, "b")); !errors.Is(err, store.ErrTurnStopped) {
			t.Fatalf("a batch after the stop: %v", err)
		}
		if err := s.EndTurnJournal(ctx, turn.MessageID, batch(2, "b", "end"), agent.TurnStopped); err != nil {
			t.Fatal(err)
		}
		// The stop took slot 2 (and the second stop slot 3): the last batch
		// goes after them.
		got, batches, err := s.Journal(ctx, user, turn.MessageID, 0)
		if err != nil || got.State != agent.TurnStopped || len(batches) != 4 || len(batches[1].Events)+len(batches[2].Events) != 0 ||
			batches[3].Seq != 4 || !slices.Equal(batches[3].Events, []string{"b", "end"}) {
			t.Fatalf("journal after the stop: %+v %+v %v", got, batches, err)
		}
		if err := s.StopTurn(ctx, user, turn.MessageID); !agent.IsCode(err, agent.Conflict) {
			t.Fatalf("stopping a finished turn: %v", err)
		}

		// A turn whose producer died (past its deadline) cannot be stopped.
		dead := agent.Turn{MessageID: id(), UserID: user, ConversationID: id(), StartedAt: time.Now(), Deadline: time.Now().Add(-time.Second)}
		if err := s.StartTurn(ctx, dead); err != nil {
			t.Fatal(err)
		}
		if err := s.StopTurn(ctx, user, dead.MessageID); !agent.IsCode(err, agent.Conflict) {
			t.Fatalf("stopping a dead turn: %v", err)
		}
		if stopped, err := s.StopRequested(ctx, id()); err != nil || !stopped {
			t.Fatalf("a turn that is gone: %v, %v", stopped, err)
		}
	})
}

// TestPurgeRemovesJournals deletes a conversation whose reply has a turn
// and a journal: both go with it, and a turn that lost the race drops its
// own.
func TestPurgeRemovesJournals(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		user := id()
		conv := agent.Conversation{ID: id(), UserID: user, Title: "t", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := s.PutConversationPlain(ctx, conv); err != nil {
			t.Fatal(err)
		}
		turn := startTurn(t, s, user, conv.ID)
		for seq := 1; seq <= 30; seq++ {
			if err := s.AppendEvents(ctx, turn.MessageID, batch(seq, "x")); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range []agent.Message{
			{ID: turn.ReplyTo, ConversationID: conv.ID, Role: agent.RoleUser, Content: "q", CreatedAt: time.Now()},
			{ID: turn.MessageID, ConversationID: conv.ID, Role: agent.RoleAssistant, ReplyTo: turn.ReplyTo, Content: "a", CreatedAt: time.Now()},
		} {
			if err := s.PutMessagePlain(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		msg, _, err := s.Reply(ctx, turn)
		if err != nil || msg.Content != "a" || msg.ReplyTo != turn.ReplyTo {
			t.Fatalf("reply = %+v, %v", msg, err)
		}
		if _, err := s.PurgeConversation(ctx, conv.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Journal(ctx, user, turn.MessageID, 0); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("journal after the purge: %v", err)
		}
		if n, err := s.TurnPartitionSize(ctx, turn.MessageID); err != nil || n != 0 {
			t.Errorf("after the purge the turn has %d items (%v)", n, err)
		}

		late := startTurn(t, s, user, conv.ID)
		if err := s.AppendEvents(ctx, late.MessageID, batch(1, "y")); err != nil {
			t.Fatal(err)
		}
		if err := s.DropJournal(ctx, late.MessageID); err != nil {
			t.Fatal(err)
		}
		if n, err := s.TurnPartitionSize(ctx, late.MessageID); err != nil || n != 0 {
			t.Errorf("after the drop the turn has %d items (%v)", n, err)
		}
	})
}

// TestBatchWrittenAgain writes a batch twice, as the SDK does when the
// first write's answer was lost: the second is no error, and a different
// batch in a written slot is one.
func TestBatchWrittenAgain(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		s := newStore(t, tb)
		turn := agent.Turn{MessageID: id()}
		for range 2 {
			if err := s.AppendEvents(ctx, turn.MessageID, batch(1, "a", "b")); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AppendEvents(ctx, turn.MessageID, batch(1, "other")); err == nil || errors.Is(err, store.ErrTurnStopped) {
			t.Fatalf("another batch in a written slot: %v", err)
		}
	})
}

// TestStopRacesBatches stops a turn while its producer writes batches as
// fast as it can: the stop takes the slot of the first batch refused, so
// every batch written is before it and nothing after it but the last.
func TestStopRacesBatches(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		user := id()
		for range 5 {
			turn := startTurn(t, s, user, id())
			refused := make(chan int, 1)
			go func() {
				for seq := 1; ; seq++ {
					err := s.AppendEvents(ctx, turn.MessageID, batch(seq, fmt.Sprint(seq)))
					if errors.Is(err, store.ErrTurnStopped) {
						refused <- seq
						return
					}
					if err != nil {
						t.Error(err)
						refused <- -1
						return
					}
				}
			}()
			time.Sleep(5 * time.Millisecond)
			if err := s.StopTurn(ctx, user, turn.MessageID); err != nil {
				t.Fatal(err)
			}
			k := <-refused
			if err := s.EndTurnJournal(ctx, turn.MessageID, batch(k, "last"), agent.TurnStopped); err != nil {
				t.Fatal(err)
			}
			_, batches, err := s.Journal(ctx, user, turn.MessageID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(batches) != k+1 {
				t.Fatalf("%d batches; want %d before the stop, the stop and the last", len(batches), k-1)
			}
			for i, b := range batches {
				var want []string
				switch seq := i + 1; {
				case seq < k:
					want = []string{fmt.Sprint(seq)}
				case seq == k+1:
					want = []string{"last"}
				}
				if b.Seq != i+1 || !slices.Equal(b.Events, want) {
					t.Errorf("batch %d = %d %q, want %q (the stop took slot %d)", i+1, b.Seq, b.Events, want, k)
				}
			}
		}
	})
}
