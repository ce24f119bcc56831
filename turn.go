package agent

import "time"

// Turn is the record of one reply being written: it outlives the request
// that started it, so that another connection (on any instance) can follow
// the reply, resume it after a drop, or stop it.
type Turn struct {
	// MessageID is the reply's message id, which names the turn.
	MessageID      string
	UserID         string
	ConversationID string
	// ReplyTo is the user message the reply answers.
	ReplyTo string
	State   TurnState
	// StopRequested is set by a stop; the producer ends the turn as stopped.
	StopRequested bool
	StartedAt     time.Time
	// Deadline is when a running turn's producer is gone for sure (its
	// Lambda's end): a turn still running after it died without ending.
	Deadline time.Time
}

// TurnState is where a turn is.
type TurnState string

// The states of a turn.
const (
	TurnRunning   TurnState = "running"
	TurnCompleted TurnState = "completed"
	TurnStopped   TurnState = "stopped"
	TurnFailed    TurnState = "failed"
)

// Running reports whether the turn is still being written at now.
func (t Turn) Running(now time.Time) bool {
	return t.State == TurnRunning && now.Before(t.Deadline)
}
