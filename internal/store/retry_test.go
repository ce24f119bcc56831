package store_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/faults"
	"github.com/zocket/agent/internal/store"
)

// lostAnswers loses the answer of the next request of an armed operation,
// once: the write is applied, the client sees a 500 and the SDK sends it
// again.
type lostAnswers struct {
	mu    sync.Mutex
	armed map[string]bool
	lost  int
}

func (l *lostAnswers) arm(op string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.armed == nil {
		l.armed = map[string]bool{}
	}
	l.armed[op] = true
}

func (l *lostAnswers) policy(r faults.Request) faults.Fault {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.armed[r.Operation] {
		return faults.None
	}
	delete(l.armed, r.Operation)
	l.lost++
	return faults.LoseAnswer
}

// lossyStore is a store on tb's table through an injector that loses the
// answers lost arms.
func lossyStore(t *testing.T, tb dynamotest.Table) (*store.Store, *lostAnswers) {
	t.Helper()
	lost := &lostAnswers{}
	behind := dynamotest.Behind(t, tb, &faults.Injector{Policy: lost.policy})
	return store.New(behind.Client, behind.Name), lost
}

// TestWritesSafeToRetry loses the answer of each conditional write a turn
// makes, once: the SDK sends the write again, finds it done, and the
// outcome is the write's, applied once.
func TestWritesSafeToRetry(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s, lost := lossyStore(t, tb)
		limits := store.TurnLimits{MaxConcurrent: 1, PerMinute: 5}

		t.Run("reservation", func(t *testing.T) {
			u := newUserWith(t, s, 3)
			sess := agent.Session{UserID: u.ID}
			// The first of the minute, then one counted on in the same window.
			for i := range 2 {
				turn := id()
				lost.arm("UpdateItem")
				got, err := s.ReserveSlot(ctx, sess, turn, time.Now().Add(time.Minute), limits)
				if err != nil {
					t.Fatalf("reservation %d: %v (a retry must find its own slot, not a limit)", i+1, err)
				}
				if got.ID != u.ID {
					t.Errorf("reservation returned %+v", got)
				}
				if _, err := s.ReleaseSlot(ctx, u.ID, turn, store.Charge{}); err != nil {
					t.Fatal(err)
				}
			}
			if n := minuteTurns(t, tb, u.ID); n != 2 {
				t.Errorf("minuteTurns = %d after two reservations, want 2", n)
			}
		})

		t.Run("registration", func(t *testing.T) {
			uid := id()
			u := agent.User{ID: uid, Email: uid + "@example.com", Username: "r" + uid[len(uid)-12:], Credits: 3, CreatedAt: time.Now(), UpdatedAt: time.Now()}
			lost.arm("TransactWriteItems")
			if err := s.CreateUser(ctx, u, "hash", store.Attempts{}); err != nil {
				t.Fatalf("a registration whose answer was lost: %v", err)
			}
			if got, err := s.UserByID(ctx, uid); err != nil || got.Credits != 3 {
				t.Errorf("user = %+v, %v", got, err)
			}
		})
		t.Run("refund", func(t *testing.T) {
			u := newUserWith(t, s, 3)
			turn := reserve(t, s, u.ID)
			lost.arm("UpdateItem")
			got, err := s.ReleaseSlot(ctx, u.ID, turn, store.Charge{})
			if err != nil || got.Credits != 3 {
				t.Fatalf("refund: %+v, %v", got, err)
			}
			checkFree(t, s, u.ID)
		})

		t.Run("charge", func(t *testing.T) {
			u := newUserWith(t, s, 3)
			turn := reserve(t, s, u.ID)
			at := time.Now()
			lost.arm("TransactWriteItems")
			got, err := s.ReleaseSlot(ctx, u.ID, turn, store.Charge{Charged: true, At: at})
			if err != nil || got.Credits != 2 {
				t.Fatalf("charge: balance %d, %v; want 2: one credit taken", got.Credits, err)
			}
			days, err := s.Usage(ctx, u.ID, at, at)
			if err != nil || len(days) != 1 || days[0].Usage != (agent.Usage{Turns: 1, Credits: 1}) {
				t.Errorf("usage %+v, %v; want one turn and one credit", days, err)
			}
			checkFree(t, s, u.ID)
		})

		t.Run("conversation and message", func(t *testing.T) {
			u := newUserWith(t, s, 3)
			now := time.Now().Truncate(time.Millisecond)
			c := agent.Conversation{ID: id(), UserID: u.ID, Title: "T", CreatedAt: now}
			first := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleUser, Content: "hi", CreatedAt: now}
			lost.arm("TransactWriteItems")
			if err := s.CreateConversation(ctx, c, first); err != nil {
				t.Fatal(err)
			}
			reply := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleAssistant, Content: "hello", CreatedAt: now.Add(time.Millisecond), OutputTokens: 3}
			lost.arm("TransactWriteItems")
			if err := s.AppendMessage(ctx, u.ID, reply); err != nil {
				t.Fatal(err)
			}
			th, err := s.Thread(ctx, u.ID, c.ID)
			if err != nil || len(th.Messages) != 2 || th.Conversation.MessageCount != 2 {
				t.Fatalf("thread %+v, %v; want two messages counted once each", th, err)
			}
			if me, _ := s.UserByID(ctx, u.ID); me.ConversationCount != 1 {
				t.Errorf("conversationCount = %d, want 1", me.ConversationCount)
			}
			days, _ := s.Usage(ctx, u.ID, now, now)
			if len(days) != 1 || days[0].OutputTokens != 3 {
				t.Errorf("usage %+v, want the reply's tokens once", days)
			}
			lost.arm("UpdateItem")
			if ok, err := s.RefineTitle(ctx, c.ID, "T", "Greetings"); !ok || err != nil {
				t.Errorf("refine title: %v, %v; want it refined", ok, err)
			}
		})

		t.Run("journal batch", func(t *testing.T) {
			msg := id()
			lost.arm("PutItem")
			if err := s.AppendEvents(ctx, msg, batch(1, "a")); err != nil {
				t.Fatal(err)
			}
		})
		if lost.lost != 9 {
			t.Errorf("%d answers lost, want 9: a case did not make the write it arms", lost.lost)
		}
	})
}

func reserve(t *testing.T, s *store.Store, userID string) string {
	t.Helper()
	turn := id()
	if _, err := s.ReserveSlot(ctx, agent.Session{UserID: userID}, turn, time.Now().Add(time.Minute), store.TurnLimits{}); err != nil {
		t.Fatal(err)
	}
	return turn
}

// checkFree checks that the user holds no slot: another turn takes one.
func checkFree(t *testing.T, s *store.Store, userID string) {
	t.Helper()
	if _, err := s.ReserveSlot(ctx, agent.Session{UserID: userID}, id(), time.Now().Add(time.Minute), store.TurnLimits{MaxConcurrent: 1}); err != nil {
		t.Errorf("a slot outlived its turn: %v", err)
	}
}

// minuteTurns reads the turns counted in the user's minute window.
func minuteTurns(t *testing.T, tb dynamotest.Table, userID string) int {
	t.Helper()
	out, err := tb.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(tb.Name),
		Key:            map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "USER#" + userID}, "SK": &types.AttributeValueMemberS{Value: "PROFILE"}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := out.Item["minuteTurns"].(*types.AttributeValueMemberN)
	if n == nil {
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
