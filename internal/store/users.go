package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// CreateUser writes the user with its email record (which also holds the
// password hash) and its username record in one transaction, so two
// registrations of one email or one username can never both succeed. A
// taken email or username is an agent.Conflict.
func (s *Store) CreateUser(ctx context.Context, u agent.User, passwordHash string) error {
	tx := s.db.WriteTx()
	tx.Put(s.table.Put(newUserItem(u)).If("attribute_not_exists(PK)"))
	tx.Put(s.table.Put(credentialsItem{PK: emailKey(u.Email), SK: skEmail, UserID: u.ID, PasswordHash: passwordHash}).If("attribute_not_exists(PK)"))
	tx.Put(s.table.Put(credentialsItem{PK: usernameKey(u.Username), SK: skUsername, UserID: u.ID}).If("attribute_not_exists(PK)"))
	err := tx.Run(ctx)
	if err == nil {
		return nil
	}
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
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

// LoginState is what a login attempt needs: the user id and password hash
// the email belongs to (empty if none) and the recent failure counts for the
// email and for the client address.
type LoginState struct {
	UserID        string
	PasswordHash  string
	EmailFailures int
	IPFailures    int
}

// Throttle scopes and windows for failed logins.
func emailThrottle(email string) string { return "THROTTLE#login-email#" + email }
func ipThrottle(ip string) string       { return "THROTTLE#login-ip#" + ip }
func windowKey(start time.Time) string  { return strconv.FormatInt(start.Unix(), 10) }

// loginItem is any of the records LoginState reads: credentials or a
// throttle counter.
type loginItem struct {
	PK           string `dynamo:"PK,hash"`
	UserID       string `dynamo:"userId"`
	PasswordHash string `dynamo:"passwordHash"`
	Count        int    `dynamo:"count"`
}

// LoginState reads the email record and both failure counters of the
// current window in one BatchGetItem.
func (s *Store) LoginState(ctx context.Context, email, ip string, window time.Duration) (LoginState, error) {
	start := s.now().Truncate(window)
	keys := []dynamo.Keyed{
		dynamo.Keys{emailKey(email), skEmail},
		dynamo.Keys{emailThrottle(email), windowKey(start)},
	}
	if ip != "" {
		keys = append(keys, dynamo.Keys{ipThrottle(ip), windowKey(start)})
	}
	var items []loginItem
	err := s.table.Batch(AttrPK, AttrSK).Get(keys...).Consistent(true).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return LoginState{}, fmt.Errorf("login state: %w", err)
	}
	var st LoginState
	for _, it := range items {
		switch {
		case it.PK == emailKey(email):
			st.UserID, st.PasswordHash = it.UserID, it.PasswordHash
		case it.PK == emailThrottle(email):
			st.EmailFailures = it.Count
		case ip != "" && it.PK == ipThrottle(ip):
			st.IPFailures = it.Count
		}
	}
	return st, nil
}

// RecordLoginFailure counts one failed login against the email and the
// client address in the current window, in one transaction. The counters
// expire by TTL two windows later.
func (s *Store) RecordLoginFailure(ctx context.Context, email, ip string, window time.Duration) error {
	start := s.now().Truncate(window)
	expires := start.Add(2 * window).Unix()
	tx := s.db.WriteTx()
	tx.Update(s.table.Update(AttrPK, emailThrottle(email)).Range(AttrSK, windowKey(start)).
		Add("count", 1).Set(AttrTTL, expires))
	if ip != "" {
		tx.Update(s.table.Update(AttrPK, ipThrottle(ip)).Range(AttrSK, windowKey(start)).
			Add("count", 1).Set(AttrTTL, expires))
	}
	if err := tx.Run(ctx); err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	return nil
}

// WindowEnd is when the throttle window containing now ends.
func (s *Store) WindowEnd(window time.Duration) time.Time {
	return s.now().Truncate(window).Add(window)
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

// ChargeCredit takes one credit from the user, atomically and never below
// zero, and returns what is left; with none left it is
// agent.CreditsExhausted. Callers do not charge users with unlimited
// (negative) credits.
func (s *Store) ChargeCredit(ctx context.Context, userID string) (int, error) {
	var it userItem
	err := s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, skProfile).
		Add("credits", -1).If("credits > ?", 0).Value(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return 0, agent.WrapError(err, agent.CreditsExhausted, agent.CreditsExhaustedMessage)
	}
	if err != nil {
		return 0, fmt.Errorf("charge credit of %s: %w", userID, err)
	}
	return it.Credits, nil
}
