package store_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/store"
)

func day(s string) time.Time {
	d, err := time.Parse(agent.DateFormat, s)
	if err != nil {
		panic(err)
	}
	return d
}

// usageOn is the user's usage of one day, zero when it has none.
func usageOn(t *testing.T, s *store.Store, userID string, d time.Time) agent.Usage {
	t.Helper()
	days, err := s.Usage(ctx, userID, d, d)
	if err != nil {
		t.Fatal(err)
	}
	switch len(days) {
	case 0:
		return agent.Usage{}
	case 1:
		return days[0].Usage
	}
	t.Fatalf("usage of one day: %+v", days)
	return agent.Usage{}
}

// TestUsageRange reads a user's days in a range: only days with usage,
// oldest first, both ends included, nothing of another user's nor of the
// user's profile.
func TestUsageRange(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		s := newStore(t, tb)
		u, other := newUserWith(t, s, 5), newUserWith(t, s, 5)
		adds := []struct {
			user string
			day  string
			agent.Usage
		}{
			{u.ID, "2026-02-28", agent.Usage{PromptTokens: 1, OutputTokens: 1, Turns: 1, Credits: 1}},
			{u.ID, "2026-03-01", agent.Usage{PromptTokens: 100, OutputTokens: 20, Turns: 1, Credits: 1}},
			{u.ID, "2026-03-02", agent.Usage{PromptTokens: 10, OutputTokens: 20, Turns: 1, Credits: 1}},
			{u.ID, "2026-03-02", agent.Usage{PromptTokens: 5, OutputTokens: 5, Turns: 1}},
			{other.ID, "2026-03-02", agent.Usage{PromptTokens: 999, OutputTokens: 999, Turns: 9, Credits: 9}},
			{u.ID, "2026-03-05", agent.Usage{PromptTokens: 7, OutputTokens: 3}},
			{u.ID, "2026-03-31", agent.Usage{PromptTokens: 40, OutputTokens: 50, Turns: 2, Credits: 2}},
			{u.ID, "2026-04-01", agent.Usage{PromptTokens: 2, OutputTokens: 2, Turns: 1, Credits: 1}},
		}
		for _, a := range adds {
			if err := s.AddUsagePlain(ctx, a.user, day(a.day), a.Usage); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name     string
			from, to string
			want     []string // "day p/o/turns/credits"
		}{
			{"a month", "2026-03-01", "2026-03-31", []string{
				"2026-03-01 100/20/1/1", "2026-03-02 15/25/2/1", "2026-03-05 7/3/0/0", "2026-03-31 40/50/2/2"}},
			{"one day, summed", "2026-03-02", "2026-03-02", []string{"2026-03-02 15/25/2/1"}},
			{"both ends included", "2026-03-05", "2026-04-01", []string{"2026-03-05 7/3/0/0", "2026-03-31 40/50/2/2", "2026-04-01 2/2/1/1"}},
			{"days without usage", "2026-03-06", "2026-03-30", nil},
			{"across a year", "2025-04-02", "2026-04-01", []string{
				"2026-02-28 1/1/1/1", "2026-03-01 100/20/1/1", "2026-03-02 15/25/2/1", "2026-03-05 7/3/0/0", "2026-03-31 40/50/2/2", "2026-04-01 2/2/1/1"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				days, err := s.Usage(ctx, u.ID, day(tc.from), day(tc.to))
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, d := range days {
					got = append(got, fmt.Sprintf("%s %d/%d/%d/%d", d.Day.Format(agent.DateFormat), d.PromptTokens, d.OutputTokens, d.Turns, d.Credits))
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("usage %s to %s = %q, want %q", tc.from, tc.to, got, tc.want)
				}
			})
		}
	})
}

// TestEndTurnCharges ends turns each way a turn ends: a charged turn takes
// its credit and counts, with it, on the UTC day it is charged at; a
// refunded one costs and counts nothing; a turn with no credit to take
// counts without one.
func TestEndTurnCharges(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		// Late on the 4th in New York is the 5th in UTC.
		at := time.Date(2026, 5, 4, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
		utcDay := day("2026-05-05")
		tests := []struct {
			name    string
			credits int
			charge  store.Charge
			// spent has the turn's slot expire and another turn take its
			// credit (charged) before it ends.
			spent       bool
			wantBalance int
			want        agent.Usage
		}{
			{"charged", 3, store.Charge{Charged: true, At: at}, false, 2, agent.Usage{Turns: 1, Credits: 1}},
			{"refunded", 3, store.Charge{}, false, 3, agent.Usage{}},
			{"unlimited", agent.UnlimitedCredits, store.Charge{Charged: true, At: at, Unlimited: true}, false, agent.UnlimitedCredits, agent.Usage{Turns: 1}},
			{"unlimited since the reservation", agent.UnlimitedCredits, store.Charge{Charged: true, At: at}, false, agent.UnlimitedCredits, agent.Usage{Turns: 1}},
			// Its slot expired (its Lambda thought dead) and went, with its
			// credit, to another turn: it is neither charged nor counted,
			// since a slot gone is a charge done (see ReleaseSlot).
			{"its slot freed as expired", 1, store.Charge{Charged: true, At: at}, true, 0, agent.Usage{Turns: 1, Credits: 1}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				u := newUserWith(t, s, tc.credits)
				turn, expires := id(), time.Now().Add(time.Minute)
				if tc.spent {
					expires = time.Now().Add(-time.Second)
				}
				if _, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, turn, expires, store.TurnLimits{}); err != nil {
					t.Fatal(err)
				}
				if tc.spent {
					next := id()
					if _, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, next, time.Now().Add(time.Minute), store.TurnLimits{}); err != nil {
						t.Fatal(err)
					}
					if _, err := s.ReleaseSlot(ctx, u.ID, next, store.Charge{Charged: true, At: at}); err != nil {
						t.Fatal(err)
					}
				}
				got, err := s.ReleaseSlot(ctx, u.ID, turn, tc.charge)
				if err != nil {
					t.Fatal(err)
				}
				if got.Credits != tc.wantBalance {
					t.Errorf("balance returned %d, want %d", got.Credits, tc.wantBalance)
				}
				if me, _ := s.UserByID(ctx, u.ID); me.Credits != tc.wantBalance {
					t.Errorf("balance %d, want %d", me.Credits, tc.wantBalance)
				}
				if got := usageOn(t, s, u.ID, utcDay); got != tc.want {
					t.Errorf("usage of %s = %+v, want %+v", utcDay.Format(agent.DateFormat), got, tc.want)
				}
				if got := usageOn(t, s, u.ID, day("2026-05-04")); got != (agent.Usage{}) {
					t.Errorf("usage on the local day, not the UTC one: %+v", got)
				}
				// The slot is free: every credit left can be held again.
				for range tc.wantBalance {
					if _, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, id(), time.Now().Add(time.Minute), store.TurnLimits{}); err != nil {
						t.Fatalf("the slot was not freed: %v", err)
					}
				}
			})
		}
	})
}

// TestUsageSumsConcurrentTurns runs 16 turns of one user at once, each
// saving a reply with its tokens and then charged, with user messages in
// between: the day's counters are the exact sums, and the credits taken are
// the credits counted.
func TestUsageSumsConcurrentTurns(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		u := newUserWith(t, s, 100)
		now := time.Now()
		c := agent.Conversation{ID: id(), UserID: u.ID, Title: "Busy", CreatedAt: now.Add(-time.Minute)}
		if err := s.CreateConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		const n = 16
		var want agent.Usage
		var wg sync.WaitGroup
		for i := range n {
			reply := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleAssistant, Content: "reply",
				CreatedAt: now, PromptTokens: 100 + i, OutputTokens: 10 * (i + 1)}
			want = want.Plus(agent.Usage{PromptTokens: reply.PromptTokens, OutputTokens: reply.OutputTokens, Turns: 1, Credits: 1})
			wg.Go(func() {
				turn := id()
				if _, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, turn, time.Now().Add(time.Minute), store.TurnLimits{}); err != nil {
					t.Error(err)
					return
				}
				question := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleUser, Content: "question", CreatedAt: now}
				if err := s.AppendMessage(ctx, u.ID, question); err != nil {
					t.Error(err)
				}
				if err := s.AppendMessage(ctx, u.ID, reply); err != nil {
					t.Error(err)
				}
				if _, err := s.ReleaseSlot(ctx, u.ID, turn, store.Charge{Charged: true, At: reply.CreatedAt}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := usageOn(t, s, u.ID, now); got != want {
			t.Errorf("usage after %d concurrent turns = %+v, want %+v", n, got, want)
		}
		if me, _ := s.UserByID(ctx, u.ID); me.Credits != 100-n {
			t.Errorf("balance %d, want %d", me.Credits, 100-n)
		}
	})
}

// TestReplyTokensCountOnce appends replies the ways a save can be sent
// again: the tokens count once, and a reply that is refused counts nothing.
func TestReplyTokensCountOnce(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		u, other := newUserWith(t, s, 5), newUserWith(t, s, 5)
		now := time.Now()
		c := agent.Conversation{ID: id(), UserID: u.ID, Title: "Retries", CreatedAt: now.Add(-time.Minute)}
		if err := s.CreateConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		reply := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleAssistant, Content: "reply", CreatedAt: now, PromptTokens: 30, OutputTokens: 4}
		for range 2 {
			if err := s.AppendMessage(ctx, u.ID, reply); err != nil {
				t.Fatal(err)
			}
		}
		lost := storeWithFaults(t, tb, map[string]fault{"TransactWriteItems": lostAnswer})
		second := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleAssistant, Content: "again", CreatedAt: now, PromptTokens: 50, OutputTokens: 6}
		if err := lost.AppendMessage(ctx, u.ID, second); err != nil {
			t.Fatal(err)
		}
		stolen := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleAssistant, Content: "not yours", CreatedAt: now, PromptTokens: 1000, OutputTokens: 1000}
		if err := s.AppendMessage(ctx, other.ID, stolen); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("a reply into another user's conversation: %v", err)
		}
		if got, want := usageOn(t, s, u.ID, now), (agent.Usage{PromptTokens: 80, OutputTokens: 10}); got != want {
			t.Errorf("usage = %+v, want %+v", got, want)
		}
		if got := usageOn(t, s, other.ID, now); got != (agent.Usage{}) {
			t.Errorf("the refused reply counted: %+v", got)
		}
	})
}
