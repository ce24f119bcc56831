package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// CreateUser writes the user with its email record (which also holds the
// password hash) and its username record in one transaction, so two
// registrations of one email or one username can never both succeed, and
// counts the registration against attempts in the same transaction. A taken
// email or username is an agent.Conflict; a counter at its limit is
// agent.RateLimited, and nothing is written.
func (s *Store) CreateUser(ctx context.Context, u agent.User, passwordHash string, attempts Attempts) error {
	tx := s.db.WriteTx()
	tx.Put(s.table.Put(newUserItem(u)).If("attribute_not_exists(PK)"))
	tx.Put(s.table.Put(credentialsItem{PK: emailKey(u.Email), SK: skEmail, UserID: u.ID, PasswordHash: passwordHash}).If("attribute_not_exists(PK)"))
	tx.Put(s.table.Put(credentialsItem{PK: usernameKey(u.Username), SK: skUsername, UserID: u.ID}).If("attribute_not_exists(PK)"))
	for _, up := range s.updates(attempts) {
		tx.Update(up)
	}
	err := tx.Run(ctx)
	if err == nil {
		return nil
	}
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		// The user's id is new: a profile under it is this registration's,
		// applied by an attempt whose answer was lost.
		if mine, readErr := s.UserByID(ctx, u.ID); readErr == nil && mine.Email == u.Email {
			return nil
		}
		reasons := canceled.CancellationReasons
		failed := func(i int) bool {
			return i < len(reasons) && reasons[i].Code != nil && *reasons[i].Code == "ConditionalCheckFailed"
		}
		switch {
		case failed(1):
			return agent.WrapError(err, agent.Conflict, "An account with this email already exists.")
		case failed(2):
			return agent.WrapError(err, agent.Conflict, "This username is already taken.")
		case failed(0):
			return fmt.Errorf("create user %s: id collision: %w", u.ID, err)
		case len(reasons) > 3 && slices.ContainsFunc(reasons[3:], func(r types.CancellationReason) bool {
			return r.Code != nil && *r.Code == "ConditionalCheckFailed"
		}):
			return s.rateLimited(err, attempts, "Too many accounts were created from this address. Please try again later.")
		}
		// Without per-item reasons (some implementations), a condition
		// failure still means one of the records exists.
		if len(reasons) == 0 && strings.Contains(err.Error(), "ConditionalCheckFailed") {
			return agent.WrapError(err, agent.Conflict, "An account with this email or username already exists.")
		}
	}
	return fmt.Errorf("create user %s: %w", u.ID, err)
}

// UserByID returns the user, or agent.NotFound.
func (s *Store) UserByID(ctx context.Context, id string) (agent.User, error) {
	var it userItem
	err := s.table.Get(AttrPK, userKey(id)).Range(AttrSK, dynamo.Equal, skProfile).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return agent.User{}, agent.NewError(agent.NotFound, "User not found.")
	}
	if err != nil {
		return agent.User{}, fmt.Errorf("get user %s: %w", id, err)
	}
	return it.user(), nil
}

// Credentials returns the user id and password hash that email belongs to,
// or empty strings when it belongs to nobody.
func (s *Store) Credentials(ctx context.Context, email string) (userID, passwordHash string, err error) {
	var it credentialsItem
	err = s.table.Get(AttrPK, emailKey(email)).Range(AttrSK, dynamo.Equal, skEmail).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("read credentials: %w", err)
	}
	return it.UserID, it.PasswordHash, nil
}

// Attempts are counters of attempts in fixed windows of Window, each
// allowing at most its Limit per window.
type Attempts struct {
	Window   time.Duration
	Counters []Counter
}

// Counter counts attempts of one scope (an email and an address, an
// address, ...); a Limit of 0 or less counts nothing and allows everything.
type Counter struct {
	Scope string
	Limit int
}

func windowKey(start time.Time) string { return strconv.FormatInt(start.Unix(), 10) }

// updates are the conditional increments of a's counters in the current
// window: each fails at its limit, so that counting and deciding are one
// atomic step however many requests race. Counters expire by TTL two
// windows later.
func (s *Store) updates(a Attempts) []*dynamo.Update {
	start := s.now().Truncate(a.Window)
	var out []*dynamo.Update
	for _, c := range a.Counters {
		if c.Limit <= 0 {
			continue
		}
		out = append(out, s.table.Update(AttrPK, "THROTTLE#"+c.Scope).Range(AttrSK, windowKey(start)).
			Add("count", 1).Set(AttrTTL, start.Add(2*a.Window).Unix()).
			If("attribute_not_exists($) OR $ < ?", "count", "count", c.Limit))
	}
	return out
}

// rateLimited is the error of an attempt past a limit of a: it may be tried
// again when the window ends.
func (s *Store) rateLimited(err error, a Attempts, message string) error {
	e := agent.WrapError(err, agent.RateLimited, message)
	e.RetryAfter = time.Until(s.now().Truncate(a.Window).Add(a.Window))
	return e
}

// CountAttempts counts one attempt against every counter of a, in one
// transaction, only when each is under its limit. Otherwise nothing is
// counted and the error is agent.RateLimited, to try again when the window
// ends.
func (s *Store) CountAttempts(ctx context.Context, a Attempts, message string) error {
	updates := s.updates(a)
	if len(updates) == 0 {
		return nil
	}
	tx := s.db.WriteTx()
	for _, u := range updates {
		tx.Update(u)
	}
	err := tx.Run(ctx)
	if isConditionFailure(err) {
		return s.rateLimited(err, a, message)
	}
	if err != nil {
		return fmt.Errorf("count attempts: %w", err)
	}
	return nil
}

// ClearAttempts forgets the attempts of scope in the current window (after
// a success, so that earlier typos do not count against the next login).
func (s *Store) ClearAttempts(ctx context.Context, window time.Duration, scope string) error {
	err := s.table.Delete(AttrPK, "THROTTLE#"+scope).Range(AttrSK, windowKey(s.now().Truncate(window))).Run(ctx)
	if err != nil {
		return fmt.Errorf("clear attempts of %s: %w", scope, err)
	}
	return nil
}

// ReplacePasswordHash swaps the hash on the email record for a new one, only
// if it is still old (an upgrade must not undo a concurrent password change).
func (s *Store) ReplacePasswordHash(ctx context.Context, email, old, replacement string) error {
	err := s.table.Update(AttrPK, emailKey(email)).Range(AttrSK, skEmail).
		Set("passwordHash", replacement).
		If("passwordHash = ?", old).Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("replace password hash: %w", err)
	}
	return nil
}

// RevokeTokens moves the user's token version on, so that every token
// issued so far is refused, and returns the new version.
func (s *Store) RevokeTokens(ctx context.Context, userID string) (int, error) {
	var it userItem
	err := s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, skProfile).
		Add("tokenVersion", 1).If("attribute_exists(PK)").Value(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return 0, agent.WrapError(err, agent.NotFound, "User not found.")
	}
	if err != nil {
		return 0, fmt.Errorf("revoke tokens of %s: %w", userID, err)
	}
	return it.TokenVersion, nil
}

// ChangePassword replaces u's password hash, only while it is still old,
// and moves u's token version on past u.TokenVersion, in one transaction:
// a concurrent change of either makes this one an agent.Conflict.
func (s *Store) ChangePassword(ctx context.Context, u agent.User, old, replacement string) error {
	version := "tokenVersion = ?"
	if u.TokenVersion == 0 {
		version = "(attribute_not_exists(tokenVersion) OR tokenVersion = ?)"
	}
	err := s.db.WriteTx().
		Update(s.table.Update(AttrPK, emailKey(u.Email)).Range(AttrSK, skEmail).
			Set("passwordHash", replacement).If("passwordHash = ?", old)).
		Update(s.table.Update(AttrPK, userKey(u.ID)).Range(AttrSK, skProfile).
			Set("tokenVersion", u.TokenVersion+1).Set("updatedAt", stamp(s.now())).
			If(version, u.TokenVersion)).
		Run(ctx)
	if isConditionFailure(err) {
		return agent.WrapError(err, agent.Conflict, "The password was changed meanwhile. Please sign in again.")
	}
	if err != nil {
		return fmt.Errorf("change password of %s: %w", u.ID, err)
	}
	return nil
}
