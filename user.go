package agent

import "time"

// User is an account. Its password hash is not part of it: the hash lives
// only with the credentials, so no read of a user can leak it.
type User struct {
	ID       string
	Email    string // trimmed and lower case; unique
	Username string // unique, case-insensitively
	// Credits is what is left to spend on chats; UnlimitedCredits means the
	// user is never charged.
	Credits           int
	ConversationCount int
	// TokenVersion is the version of the user's tokens: a token issued
	// under an older one is revoked.
	TokenVersion int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// UnlimitedCredits is the credit balance of a user who is never charged.
const UnlimitedCredits = -1

// CreditsExhaustedMessage is the message of credits_exhausted; the frontend
// opens its credits dialog on its first sentence.
const CreditsExhaustedMessage = "You have exhausted your credits. Please contact support to get more."

// Session is what a token speaks for: a user, the version of the user's
// tokens it was issued under (logging out and changing the password move the
// version on, revoking every older token), and when its session began (a
// refresh keeps it; sessions end SESSION_MAX_AGE after it).
type Session struct {
	UserID  string
	Version int
	Start   time.Time
}
