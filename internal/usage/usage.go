// Package usage serves GET /api/usage: what the caller spent per UTC day and
// in total (the model's prompt and output tokens for replies, the turns
// charged and the credits they took), read from the per-day counters the
// chat turns keep in the same writes that save a reply and take its credit.
package usage

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/store"
)

// Store is the storage the endpoint needs.
type Store interface {
	Usage(ctx context.Context, userID string, from, to time.Time) ([]agent.DayUsage, error)
}

var _ Store = (*store.Store)(nil)

// Service implements the usage endpoint.
type Service struct {
	Store Store
	Now   func() time.Time
}

// The range of days a request covers, both ends included.
const (
	// DefaultDays is the range without from: the days up to to.
	DefaultDays = 30
	// MaxDays is the longest range, a leap year.
	MaxDays = 366
)

// Counts are what was spent: the model's tokens, the turns charged and
// the credits they took.
type Counts struct {
	PromptTokens int `json:"promptTokens"`
	OutputTokens int `json:"outputTokens"`
	Turns        int `json:"turns"`
	Credits      int `json:"credits"`
}

func newCounts(u agent.Usage) Counts {
	return Counts{PromptTokens: u.PromptTokens, OutputTokens: u.OutputTokens, Turns: u.Turns, Credits: u.Credits}
}

// Day is what was spent on one UTC day.
type Day struct {
	Date string `json:"date"`
	Counts
}

// Response is the answer of GET /api/usage.
type Response struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Days  []Day  `json:"days"` // days with usage only, oldest first
	Total Counts `json:"total"`
}

// Get handles GET /api/usage?from=&to=: dates YYYY-MM-DD (UTC), both
// included; to defaults to today, from to DefaultDays-1 days before to. One
// Query.
func (s *Service) Get(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var c httpapi.Checker
	to, toErr := dateParam(q.Get("to"), today)
	c.Check(toErr == nil, "to", "must be a date YYYY-MM-DD")
	from, fromErr := dateParam(q.Get("from"), to.AddDate(0, 0, 1-DefaultDays))
	c.Check(fromErr == nil, "from", "must be a date YYYY-MM-DD")
	if fromErr == nil && toErr == nil {
		c.Check(!from.After(to), "from", "must not be after to")
		c.Check(from.After(to) || !to.After(from.AddDate(0, 0, MaxDays-1)), "to", fmt.Sprintf("must be at most %d days from from, both included", MaxDays))
	}
	if err := c.Err(); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	days, err := s.Store.Usage(r.Context(), httpapi.UserID(r.Context()), from, to)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := Response{From: from.Format(agent.DateFormat), To: to.Format(agent.DateFormat), Days: make([]Day, 0, len(days))}
	var total agent.Usage
	for _, d := range days {
		out.Days = append(out.Days, Day{Date: d.Day.Format(agent.DateFormat), Counts: newCounts(d.Usage)})
		total = total.Plus(d.Usage)
	}
	out.Total = newCounts(total)
	httpapi.JSON(w, http.StatusOK, out)
}

// dateParam is the day a query parameter names, or def when it is empty.
func dateParam(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	return time.Parse(agent.DateFormat, s)
}
