package agent

import "time"

// Usage is what a user spent on replies: the tokens the model reported for
// them, and the turns charged with the credits they took.
type Usage struct {
	PromptTokens int
	OutputTokens int
	// Turns are the turns charged: completed, or failed or stopped after
	// their text went out. A refunded turn is not counted.
	Turns int
	// Credits are the credits those turns took: none for a user whose
	// credits are unlimited.
	Credits int
}

// Plus is u and v summed.
func (u Usage) Plus(v Usage) Usage {
	return Usage{
		PromptTokens: u.PromptTokens + v.PromptTokens, OutputTokens: u.OutputTokens + v.OutputTokens,
		Turns: u.Turns + v.Turns, Credits: u.Credits + v.Credits,
	}
}

// DayUsage is a user's usage on one UTC day.
type DayUsage struct {
	Day time.Time // midnight UTC
	Usage
}

// DateFormat is the format of a day: YYYY-MM-DD.
const DateFormat = time.DateOnly
