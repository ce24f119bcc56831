package chat

import (
	"context"
	"testing"
	"time"
)

// TestClock checks the deadlines of a turn's two phases: the model's ends
// in time for the save, and the save's is its own, live after the model's
// has run out, and still before the request's deadline.
func TestClock(t *testing.T) {
	type key struct{}
	deadline := func(t *testing.T, ctx context.Context) time.Time {
		t.Helper()
		d, ok := ctx.Deadline()
		if !ok {
			t.Fatal("no deadline")
		}
		return d
	}

	t.Run("request deadline", func(t *testing.T) {
		end := time.Now().Add(time.Minute)
		req, cancel := context.WithDeadline(context.WithValue(context.Background(), key{}, "v"), end)
		defer cancel()
		c := (&Service{}).detach(req)
		work, cancelWork := c.work()
		defer cancelWork()
		if got, want := deadline(t, work), end.Add(-DeadlineMargin-SaveBudget); !got.Equal(want) {
			t.Errorf("model's deadline = %s, want %s", got, want)
		}
		// A model that finished early leaves the save the rest of its time.
		save, cancelSave := c.save()
		defer cancelSave()
		if got, want := deadline(t, save), end.Add(-DeadlineMargin-SaveBudget); !got.Equal(want) {
			t.Errorf("save's deadline = %s, want %s", got, want)
		}
		if save.Value(key{}) != "v" {
			t.Error("the save's context lost the request's values")
		}
	})

	t.Run("model out of time before the request deadline", func(t *testing.T) {
		end := time.Now().Add(DeadlineMargin + SaveBudget + 20*time.Millisecond)
		req, cancel := context.WithDeadline(context.Background(), end)
		defer cancel()
		c := (&Service{}).detach(req)
		work, cancelWork := c.work()
		defer cancelWork()
		<-work.Done()
		save, cancelSave := c.save()
		defer cancelSave()
		if save.Err() != nil {
			t.Fatalf("the save starts with an ended context: %v", save.Err())
		}
		if got, want := deadline(t, save), end.Add(-DeadlineMargin); !got.Equal(want) {
			t.Errorf("save's deadline = %s, want %s (the margin before the request's)", got, want)
		}
	})

	t.Run("turn timeout before the request deadline", func(t *testing.T) {
		req, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		before := time.Now()
		c := (&Service{TurnTimeout: time.Second}).detach(req)
		after := time.Now()
		work, cancelWork := c.work()
		defer cancelWork()
		if got := deadline(t, work); got.Before(before.Add(time.Second)) || got.After(after.Add(time.Second)) {
			t.Errorf("model's deadline = %s, want TurnTimeout after %s", got, before)
		}
	})

	t.Run("no request deadline", func(t *testing.T) {
		c := (&Service{TurnTimeout: 20 * time.Millisecond}).detach(context.Background())
		work, cancelWork := c.work()
		defer cancelWork()
		<-work.Done()
		before := time.Now()
		save, cancelSave := c.save()
		defer cancelSave()
		after := time.Now()
		if got := deadline(t, save); save.Err() != nil || got.Before(before.Add(SaveBudget)) || got.After(after.Add(SaveBudget)) {
			t.Errorf("save's deadline = %s (err %v), want SaveBudget after %s", got, save.Err(), before)
		}
	})

	t.Run("client leaves", func(t *testing.T) {
		req, cancel := context.WithCancel(context.Background())
		c := (&Service{}).detach(req)
		work, cancelWork := c.work()
		defer cancelWork()
		cancel()
		if work.Err() != nil {
			t.Errorf("the model's context ended with the request's: %v", work.Err())
		}
	})
}
