package agent

import "time"

// Conversation is a user's chat: its messages are read apart (Thread in
// package store), in order.
type Conversation struct {
	ID           string
	UserID       string
	Title        string
	MessageCount int
	LastMessage  *LastMessage // nil before the first message
	// Summary folds the messages up to SummaryThrough (a message id) that
	// no longer fit the model's history budget.
	Summary        string
	SummaryThrough string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// LastMessage is the preview of a conversation's newest message.
type LastMessage struct {
	Content   string
	Role      Role
	CreatedAt time.Time
}

// Role says who wrote a message.
type Role string

// The roles of SPEC.md.
const (
	RoleUser      Role = "USER"
	RoleAssistant Role = "ASSISTANT"
	RoleSystem    Role = "SYSTEM"
)

// Message is one turn of a conversation.
type Message struct {
	ID             string // a UUIDv7: ids sort in time order
	ConversationID string
	Role           Role
	Content        string
	CreatedAt      time.Time
	// ReplyTo is, on an assistant message, the id of the user message it
	// answers: a regenerated reply is another answer to the same message.
	// Empty on replies saved before alternatives existed, which answer the
	// user message before them.
	ReplyTo string
	// Error is set when the model failed mid-reply: Content is partial.
	Error string
	// Stopped is set when the user stopped the reply: Content is partial.
	Stopped      bool
	PromptTokens int
	OutputTokens int
}

// TimeFormat is the contract's timestamp format: ISO 8601 UTC with
// milliseconds, which the frontend passes to new Date.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime formats t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }
