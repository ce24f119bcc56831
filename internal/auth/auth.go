// Package auth provides accounts and sessions: the /api/auth endpoints of
// SPEC.md, password hashing (argon2id; bcrypt hashes from the Node backend
// verify and are upgraded at login), and the JWTs that carry a session (user
// tokens) or open one artifact's preview (preview tokens). Failed logins are
// counted per email and per client address and throttled.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/internal/store"
)

// Users is the storage auth needs.
type Users interface {
	CreateUser(ctx context.Context, u agent.User, passwordHash string, attempts store.Attempts) error
	UserByID(ctx context.Context, id string) (agent.User, error)
	Credentials(ctx context.Context, email string) (userID, passwordHash string, err error)
	CountAttempts(ctx context.Context, a store.Attempts, message string) error
	ClearAttempts(ctx context.Context, window time.Duration, scope string) error
	ReplacePasswordHash(ctx context.Context, email, old, replacement string) error
	RevokeTokens(ctx context.Context, userID string) (int, error)
	ChangePassword(ctx context.Context, u agent.User, old, replacement string) error
}

var _ Users = (*store.Store)(nil)

// Throttle limits sign-in attempts per window: per email and client address
// together, so that someone hammering an account from one address cannot
// lock its owner out of it from another, and per address.
type Throttle struct {
	Window          time.Duration
	PerEmailAddress int
	PerAddress      int
}

// DefaultThrottle allows 10 attempts per email and address and 100 per
// address in 15 minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, PerEmailAddress: 10, PerAddress: 100}

// Service implements the auth endpoints.
type Service struct {
	Users    Users
	Tokens   *Signer
	Sessions *Sessions
	Hasher   *Hasher
	// DefaultCredits are a new user's credits; negative means unlimited.
	DefaultCredits int
	Throttle       Throttle
	// RegistrationsPerHour limits the accounts one address creates; 0
	// allows any number.
	RegistrationsPerHour int
	// SessionMaxAge is how long after signing in a token can be refreshed.
	SessionMaxAge time.Duration
	Now           func() time.Time
}

// User is the user object of the API.
type User struct {
	ID                string `json:"id"`
	Email             string `json:"email"`
	Username          string `json:"username"`
	Credits           int    `json:"credits"`
	CreatedAt         string `json:"createdAt"`
	UpdatedAt         string `json:"updatedAt"`
	ConversationCount *int   `json:"conversationCount,omitempty"`
}

func apiUser(u agent.User, withCount bool) User {
	out := User{ID: u.ID, Email: u.Email, Username: u.Username, Credits: u.Credits, CreatedAt: agent.FormatTime(u.CreatedAt), UpdatedAt: agent.FormatTime(u.UpdatedAt)}
	if withCount {
		n := u.ConversationCount
		out.ConversationCount = &n
	}
	return out
}

// The limits of what a client may send, in characters.
const (
	MinUsername = 3
	MaxUsername = 32
	MinPassword = 8
	MaxPassword = 256
	// MaxEmail is the longest email address (RFC 5321's path).
	MaxEmail = 254
	// MaxPasswordTried is the longest password a sign-in checks, longer than
	// MaxPassword for the accounts whose password was set elsewhere.
	MaxPasswordTried = 1024
)

// UsernamePattern is the characters a username is made of.
const UsernamePattern = "^[A-Za-z0-9_-]+$"

// RegisterRequest is the body of POST /api/auth/register.
type RegisterRequest struct {
	Email    *string `json:"email"`
	Username *string `json:"username"`
	Password *string `json:"password"`
}

// LoginRequest is the body of POST /api/auth/login.
type LoginRequest struct {
	Email    *string `json:"email"`
	Password *string `json:"password"`
}

// SessionResponse answers a registration or a sign-in: the new session's
// token and its user.
type SessionResponse struct {
	Message string `json:"message"`
	User    User   `json:"user"`
	Token   string `json:"token"`
}

// MeResponse is the answer of GET /api/auth/me.
type MeResponse struct {
	User User `json:"user"`
}

// TokenResponse answers a refresh or a password change with a new token.
type TokenResponse struct {
	Message string `json:"message"`
	Token   string `json:"token"`
}

// LogoutResponse is the answer of POST /api/auth/logout.
type LogoutResponse struct {
	Message string `json:"message"`
}

// NormalizeEmail trims and lower-cases an email address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validEmail(s string) bool {
	if len(s) > MaxEmail || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

var usernameChars = regexp.MustCompile(UsernamePattern)

func validUsername(s string) bool {
	return len(s) >= MinUsername && len(s) <= MaxUsername && usernameChars.MatchString(s)
}

// Register handles POST /api/auth/register.
func (s *Service) Register(w http.ResponseWriter, r *http.Request) {
	var req RegisterRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var c httpapi.Checker
	email, username, pw := NormalizeEmail(httpapi.Value(req.Email)), strings.TrimSpace(httpapi.Value(req.Username)), httpapi.Value(req.Password)
	c.Check(req.Email != nil, "email", "is required")
	c.Check(req.Email == nil || validEmail(email), "email", "must be a valid email")
	c.Check(req.Username != nil, "username", "is required")
	c.Check(req.Username == nil || validUsername(username), "username", fmt.Sprintf("must be %d-%d letters, digits, _ or -", MinUsername, MaxUsername))
	c.Check(req.Password != nil, "password", "is required")
	n := utf8.RuneCountInString(pw)
	c.Check(req.Password == nil || n >= MinPassword && n <= MaxPassword, "password", passwordLength)
	if err := c.Err(); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	now := s.Now()
	u := agent.User{
		ID: uuid.Must(uuid.NewV7()).String(), Email: email, Username: username,
		Credits: s.DefaultCredits, CreatedAt: now, UpdatedAt: now,
	}
	if u.Credits < 0 {
		u.Credits = agent.UnlimitedCredits
	}
	registrations := store.Attempts{Window: time.Hour, Counters: []store.Counter{{Scope: "register-ip#" + httpapi.ClientAddress(r), Limit: s.RegistrationsPerHour}}}
	err := s.Users.CreateUser(r.Context(), u, s.Hasher.Hash(pw), registrations)
	metrics.FromContext(r.Context()).Flag(metrics.RegistrationThrottled, agent.IsCode(err, agent.RateLimited))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.NoteUser(r.Context(), u.ID)
	s.respondSignedIn(w, r, http.StatusCreated, "User registered successfully", u)
}

// respondSignedIn answers a new session of u: its token and u.
func (s *Service) respondSignedIn(w http.ResponseWriter, r *http.Request, status int, message string, u agent.User) {
	tok, err := s.Tokens.IssueUser(agent.Session{UserID: u.ID, Version: u.TokenVersion, Start: s.Now()})
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, status, SessionResponse{Message: message, User: apiUser(u, false), Token: tok})
}

var passwordLength = fmt.Sprintf("must be %d-%d characters", MinPassword, MaxPassword)

var errBadCredentials = agent.NewError(agent.Unauthorized, "Invalid email or password")

const tooManyAttempts = "Too many sign-in attempts. Please wait a few minutes and try again."

// attempts are the throttle counters of a password check for who (an email,
// or a user id) from the request's address.
func (s *Service) attempts(r *http.Request, who string) (store.Attempts, string) {
	ip := httpapi.ClientAddress(r)
	pair := "login#" + who + "#" + ip
	return store.Attempts{Window: s.Throttle.Window, Counters: []store.Counter{
		{Scope: pair, Limit: s.Throttle.PerEmailAddress},
		{Scope: "login-ip#" + ip, Limit: s.Throttle.PerAddress},
	}}, pair
}

// checkPassword checks pw against hash, after the attempt was counted: an
// empty hash (an unknown email) checks a dummy one, so that both fail alike
// and take about as long. It reports whether pw matched and whether the
// hash wants upgrading.
func (s *Service) checkPassword(ctx context.Context, hash, pw string) (ok, rehash bool) {
	if hash == "" {
		s.Hasher.VerifyDummy(pw)
		return false, false
	}
	rehash, err := s.Hasher.Verify(hash, pw)
	if err != nil && !errors.Is(err, ErrPasswordMismatch) {
		httpapi.Logger(ctx).Error("stored password hash unusable", "err", err)
	}
	return err == nil, rehash
}

// Login handles POST /api/auth/login. The attempt is counted before the
// password is checked, atomically at its limits, so racing requests cannot
// get more checks than the limit; an unknown email and a wrong password
// take the same path and give the same 401.
func (s *Service) Login(w http.ResponseWriter, r *http.Request) {
	var req LoginRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var c httpapi.Checker
	c.Check(req.Email != nil && strings.TrimSpace(*req.Email) != "", "email", "is required")
	c.Check(req.Password != nil && *req.Password != "", "password", "is required")
	c.Check(req.Password == nil || utf8.RuneCountInString(*req.Password) <= MaxPasswordTried, "password", "is too long")
	if err := c.Err(); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	email, pw := NormalizeEmail(*req.Email), *req.Password
	ctx := r.Context()
	attempts, pair := s.attempts(r, email)

	var userID, hash string
	var throttled error
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		throttled = s.Users.CountAttempts(gctx, attempts, tooManyAttempts)
		return throttled
	})
	g.Go(func() (err error) {
		userID, hash, err = s.Users.Credentials(gctx, email)
		return err
	})
	err := g.Wait()
	metrics.FromContext(ctx).Flag(metrics.LoginThrottled, agent.IsCode(throttled, agent.RateLimited))
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	ok, rehash := s.checkPassword(ctx, hash, pw)
	if !ok {
		httpapi.Error(w, r, errBadCredentials)
		return
	}

	var u agent.User
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		u, err = s.Users.UserByID(gctx, userID)
		return err
	})
	g.Go(func() error {
		// Earlier typos of the owner do not count against the next login.
		if err := s.Users.ClearAttempts(gctx, attempts.Window, pair); err != nil {
			httpapi.Logger(ctx).Warn("clear sign-in attempts", "err", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if rehash {
		if err := s.Users.ReplacePasswordHash(ctx, email, hash, s.Hasher.Hash(pw)); err != nil {
			httpapi.Logger(ctx).Error("upgrade password hash", "userId", u.ID, "err", err)
		}
	}
	httpapi.NoteUser(ctx, u.ID)
	s.respondSignedIn(w, r, http.StatusOK, "Login successful", u)
}

// Me handles GET /api/auth/me.
func (s *Service) Me(w http.ResponseWriter, r *http.Request) {
	u, err := s.currentUser(r)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, MeResponse{User: apiUser(u, true)})
}

// Refresh handles POST /api/auth/refresh: a current token of a session that
// began less than SessionMaxAge ago buys a new one with a fresh expiry, in
// the same session.
func (s *Service) Refresh(w http.ResponseWriter, r *http.Request) {
	sess := httpapi.SessionFrom(r.Context())
	if s.SessionMaxAge > 0 && s.Now().Sub(sess.Start) > s.SessionMaxAge {
		httpapi.Error(w, r, agent.NewError(agent.Unauthorized, "Your session is too old to refresh. Please sign in again."))
		return
	}
	tok, err := s.Tokens.IssueUser(sess)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, TokenResponse{Message: "Token refreshed successfully", Token: tok})
}

// Logout handles POST /api/auth/logout: every token of the user issued so
// far, preview tokens included, stops working.
func (s *Service) Logout(w http.ResponseWriter, r *http.Request) {
	uid := httpapi.UserID(r.Context())
	version, err := s.Users.RevokeTokens(r.Context(), uid)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	s.Sessions.Revoked(uid, version)
	httpapi.JSON(w, http.StatusOK, LogoutResponse{Message: "Logged out from every session"})
}

// PasswordRequest is the body of PUT /api/auth/password.
type PasswordRequest struct {
	CurrentPassword *string `json:"currentPassword"`
	NewPassword     *string `json:"newPassword"`
}

// ChangePassword handles PUT /api/auth/password: the current password,
// checked and throttled as a sign-in is, buys a new one; every other token
// of the user stops working and the answer carries a new one.
func (s *Service) ChangePassword(w http.ResponseWriter, r *http.Request) {
	var req PasswordRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var c httpapi.Checker
	current, next := httpapi.Value(req.CurrentPassword), httpapi.Value(req.NewPassword)
	c.Check(current != "" && utf8.RuneCountInString(current) <= MaxPasswordTried, "currentPassword", "is required")
	n := utf8.RuneCountInString(next)
	c.Check(n >= MinPassword && n <= MaxPassword, "newPassword", passwordLength)
	if err := c.Err(); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	ctx := r.Context()
	u, err := s.currentUser(r)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	attempts, pair := s.attempts(r, u.ID)
	var hash string
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.Users.CountAttempts(gctx, attempts, tooManyAttempts) })
	g.Go(func() (err error) {
		_, hash, err = s.Users.Credentials(gctx, u.Email)
		return err
	})
	if err := g.Wait(); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if ok, _ := s.checkPassword(ctx, hash, current); !ok {
		httpapi.Error(w, r, agent.ValidationError(agent.Detail{Field: "currentPassword", Message: "is not your password"}))
		return
	}
	if err := s.Users.ChangePassword(ctx, u, hash, s.Hasher.Hash(next)); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if err := s.Users.ClearAttempts(ctx, attempts.Window, pair); err != nil {
		httpapi.Logger(ctx).Warn("clear password attempts", "err", err)
	}
	s.Sessions.Revoked(u.ID, u.TokenVersion+1)
	u.TokenVersion++
	tok, err := s.Tokens.IssueUser(agent.Session{UserID: u.ID, Version: u.TokenVersion, Start: s.Now()})
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, TokenResponse{Message: "Password changed; every other session has ended", Token: tok})
}

// currentUser loads the authenticated user; a token of a deleted user is a
// 401, not a 404.
func (s *Service) currentUser(r *http.Request) (agent.User, error) {
	u, err := s.Users.UserByID(r.Context(), httpapi.UserID(r.Context()))
	if agent.IsCode(err, agent.NotFound) {
		return agent.User{}, agent.WrapError(err, agent.Unauthorized, "Your account no longer exists. Please sign in again.")
	}
	return u, err
}
