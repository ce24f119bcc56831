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

// Roles are the roles of SPEC.md.
func Roles() []Role { return []Role{RoleUser, RoleAssistant, RoleSystem} }

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

// Alternatives are the replies to one user message, oldest first: a
// regenerated reply is another answer, and the conversation reads the
// newest.
type Alternatives struct {
	IDs   []string
	Index int // the one the conversation reads
}

// Linear is the conversation as it reads, from its messages in id order:
// each user message followed by the newest of its replies. A reply saved
// without ReplyTo answers the user message before it. alts holds, by the
// id of the reply shown, the alternatives of every message with more than
// one reply.
func Linear(messages []Message) (thread []Message, alts map[string]Alternatives) {
	replies := map[string][]Message{} // by the id of the message they answer
	var order []Message               // user messages, and replies that answer none
	last := ""
	for _, m := range messages {
		if m.Role != RoleAssistant {
			order = append(order, m)
			if m.Role == RoleUser {
				last = m.ID
			}
			continue
		}
		to := m.ReplyTo
		if to == "" {
			to = last
		}
		if to == "" {
			order = append(order, m)
			continue
		}
		replies[to] = append(replies[to], m)
	}
	alts = map[string]Alternatives{}
	thread = make([]Message, 0, len(order)+len(replies))
	for _, m := range order {
		thread = append(thread, m)
		rs := replies[m.ID]
		if len(rs) == 0 {
			continue
		}
		newest := rs[len(rs)-1]
		thread = append(thread, newest)
		if len(rs) > 1 {
			a := Alternatives{Index: len(rs) - 1}
			for _, r := range rs {
				a.IDs = append(a.IDs, r.ID)
			}
			alts[newest.ID] = a
		}
	}
	return thread, alts
}
