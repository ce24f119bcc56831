package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/store"
)

// TestReserveSlotsRace reserves turns for a user with 3 credits from 12
// goroutines at once: exactly 3 get a slot, the others are out of credits,
// and a refunded turn's credit is free again. (Charges are transactions:
// TestEndTurnCharges.)
func TestReserveSlotsRace(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		s := newStore(t, tb)
		u := newUserWith(t, s, 3)
		const n = 12
		errs := make([]error, n)
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			ids[i] = id()
			wg.Go(func() {
				_, errs[i] = s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, ids[i], time.Now().Add(time.Minute), store.TurnLimits{})
			})
		}
		wg.Wait()
		var reserved []string
		for i, err := range errs {
			switch {
			case err == nil:
				reserved = append(reserved, ids[i])
			case !agent.IsCode(err, agent.CreditsExhausted):
				t.Errorf("turn %d: %v", i, err)
			}
		}
		if len(reserved) != 3 {
			t.Fatalf("%d turns reserved with 3 credits, want 3", len(reserved))
		}
		// One fails before any text (refunded).
		if got, err := s.ReleaseSlot(ctx, u.ID, reserved[0], store.Charge{}); err != nil || got.Credits != 3 {
			t.Fatalf("refunded: credits %d, %v; want 3", got.Credits, err)
		}
		// Three credits, two still held: one more turn fits, a second does not.
		if _, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, id(), time.Now().Add(time.Minute), store.TurnLimits{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, id(), time.Now().Add(time.Minute), store.TurnLimits{}); !agent.IsCode(err, agent.CreditsExhausted) {
			t.Fatalf("a turn past the held credits: %v", err)
		}
	})
}

func TestTurnLimits(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		s := newStore(t, tb)
		t.Run("in flight", func(t *testing.T) {
			u := newUserWith(t, s, agent.UnlimitedCredits)
			limits := store.TurnLimits{MaxConcurrent: 2}
			first, second := id(), id()
			for _, turn := range []string{first, second} {
				if _, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, turn, time.Now().Add(time.Minute), limits); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, id(), time.Now().Add(time.Minute), limits)
			if e, ok := err.(*agent.Error); !ok || e.Code != agent.RateLimited || e.RetryAfter <= 0 {
				t.Fatalf("a third turn in flight: %v", err)
			}
			if _, err := s.ReleaseSlot(ctx, u.ID, first, store.Charge{}); err != nil {
				t.Fatal(err)
			}
			got, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, id(), time.Now().Add(time.Minute), limits)
			if err != nil || got.Credits != agent.UnlimitedCredits {
				t.Fatalf("after one ended: credits %d, %v", got.Credits, err)
			}
		})
		t.Run("a dead Lambda's slot frees itself", func(t *testing.T) {
			u := newUserWith(t, s, 1)
			if _, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, id(), time.Now().Add(-time.Second), store.TurnLimits{MaxConcurrent: 1}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, id(), time.Now().Add(time.Minute), store.TurnLimits{MaxConcurrent: 1}); err != nil {
				t.Fatalf("the expired slot still counts: %v", err)
			}
		})
		t.Run("per minute", func(t *testing.T) {
			u := newUserWith(t, s, agent.UnlimitedCredits)
			limits := store.TurnLimits{PerMinute: 3}
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Go(func() {
					turn := id()
					if _, errs[i] = s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, turn, time.Now().Add(time.Minute), limits); errs[i] == nil {
						_, errs[i] = s.ReleaseSlot(ctx, u.ID, turn, store.Charge{})
					}
				})
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !agent.IsCode(err, agent.RateLimited) {
					t.Error(err)
				}
			}
			// A window may turn during the burst: then up to twice the limit.
			if ok < 3 || ok > 6 {
				t.Fatalf("%d turns started, want 3 (6 across a minute's end)", ok)
			}
		})
		t.Run("a user from before slots", func(t *testing.T) {
			u := newUserWith(t, s, 2)
			if err := s.DropTurnsPlain(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ReserveSlot(ctx, agent.Session{UserID: u.ID}, id(), time.Now().Add(time.Minute), store.TurnLimits{MaxConcurrent: 3}); err != nil {
				t.Fatalf("a user item without slots: %v", err)
			}
		})
	})
}

func newUserWith(t *testing.T, s *store.Store, credits int) agent.User {
	t.Helper()
	now := time.Now()
	uid := id()
	u := agent.User{ID: uid, Email: uid + "@example.com", Username: "u" + uid[len(uid)-12:], Credits: credits, CreatedAt: now, UpdatedAt: now}
	if err := s.PutUserPlain(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}
