// Package auth provides accounts and sessions: the /api/auth endpoints of
// SPEC.md, password hashing (argon2id; bcrypt hashes from the Node backend
// verify and are upgraded at login), and the JWTs that carry a session (user
// tokens) or open one artifact's preview (preview tokens). Failed logins are
// counted per email and per client address and throttled.
package auth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/store"
)

// Users is the storage auth needs.
type Users interface {
	CreateUser(ctx context.Context, u agent.User, passwordHash string) error
	UserByID(ctx context.Context, id string) (agent.User, error)
	LoginState(ctx context.Context, email, ip string, window time.Duration) (store.LoginState, error)
	RecordLoginFailure(ctx context.Context, email, ip string, window time.Duration) error
	ReplacePasswordHash(ctx context.Context, email, old, replacement string) error
	WindowEnd(window time.Duration) time.Time
}

// Tokens issues user tokens.
type Tokens interface {
	IssueUser(userID string) (string, error)
}

var _ Users = (*store.Store)(nil)

// Throttle limits failed logins per window.
type Throttle struct {
	Window     time.Duration
	PerEmail   int
	PerAddress int
}

// DefaultThrottle allows 10 failures per email and 100 per address in 15
// minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, PerEmail: 10, PerAddress: 100}

// Service implements the auth endpoints.
type Service struct {
	Users          Users
	Tokens         Tokens
	Hasher         *Hasher
	DefaultCredits int
	Throttle       Throttle
	Now            func() time.Time
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

type registerRequest struct {
	Email    *string `json:"email"`
	Username *string `json:"username"`
	Password *string `json:"password"`
}

type loginRequest struct {
	Email    *string `json:"email"`
	Password *string `json:"password"`
}

type authResponse struct {
	Message string `json:"message"`
	User    User   `json:"user"`
	Token   string `json:"token"`
}

// NormalizeEmail trims and lower-cases an email address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

func validUsername(s string) bool {
	if len(s) < 3 || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Register handles POST /api/auth/register.
func (s *Service) Register(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var c httpapi.Checker
	email, username, pw := NormalizeEmail(httpapi.Value(req.Email)), strings.TrimSpace(httpapi.Value(req.Username)), httpapi.Value(req.Password)
	c.Check(req.Email != nil, "email", "is required")
	c.Check(req.Email == nil || validEmail(email), "email", "must be a valid email")
	c.Check(req.Username != nil, "username", "is required")
	c.Check(req.Username == nil || validUsername(username), "username", "must be 3-32 letters, digits, _ or -")
	c.Check(req.Password != nil, "password", "is required")
	n := utf8.RuneCountInString(pw)
	c.Check(req.Password == nil || n >= 8 && n <= 256, "password", "must be 8-256 characters")
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
	if err := s.Users.CreateUser(r.Context(), u, s.Hasher.Hash(pw)); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	tok, err := s.Tokens.IssueUser(u.ID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusCreated, authResponse{Message: "User registered successfully", User: apiUser(u, false), Token: tok})
}

var errBadCredentials = agent.NewError(agent.Unauthorized, "Invalid email or password")

// Login handles POST /api/auth/login. An unknown email and a wrong password
// take the same path (a dummy hash check, a recorded failure) and give the
// same 401.
func (s *Service) Login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var c httpapi.Checker
	c.Check(req.Email != nil && strings.TrimSpace(*req.Email) != "", "email", "is required")
	c.Check(req.Password != nil && *req.Password != "", "password", "is required")
	c.Check(req.Password == nil || len(*req.Password) <= 1024, "password", "is too long")
	if err := c.Err(); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	email, pw := NormalizeEmail(*req.Email), *req.Password
	ctx, ip := r.Context(), clientIP(r)
	th := s.Throttle

	st, err := s.Users.LoginState(ctx, email, ip, th.Window)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if st.EmailFailures >= th.PerEmail || st.IPFailures >= th.PerAddress {
		e := agent.NewError(agent.RateLimited, "Too many failed sign-in attempts. Please wait a few minutes and try again.")
		e.RetryAfter = time.Until(s.Users.WindowEnd(th.Window))
		httpapi.Error(w, r, e)
		return
	}

	ok, rehash := false, false
	if st.PasswordHash == "" {
		s.Hasher.VerifyDummy(pw)
	} else {
		rehash, err = s.Hasher.Verify(st.PasswordHash, pw)
		switch {
		case err == nil:
			ok = true
		case !errors.Is(err, ErrPasswordMismatch):
			httpapi.Logger(ctx).Error("stored password hash unusable", "userId", st.UserID, "err", err)
		}
	}
	if !ok {
		if err := s.Users.RecordLoginFailure(ctx, email, ip, th.Window); err != nil {
			httpapi.Logger(ctx).Error("record login failure", "err", err)
		}
		httpapi.Error(w, r, errBadCredentials)
		return
	}

	u, err := s.Users.UserByID(ctx, st.UserID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if rehash {
		if err := s.Users.ReplacePasswordHash(ctx, email, st.PasswordHash, s.Hasher.Hash(pw)); err != nil {
			httpapi.Logger(ctx).Error("upgrade password hash", "userId", u.ID, "err", err)
		}
	}
	tok, err := s.Tokens.IssueUser(u.ID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, authResponse{Message: "Login successful", User: apiUser(u, false), Token: tok})
}

// Me handles GET /api/auth/me.
func (s *Service) Me(w http.ResponseWriter, r *http.Request) {
	u, err := s.currentUser(r)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, map[string]User{"user": apiUser(u, true)})
}

// Refresh handles POST /api/auth/refresh: a valid token of an existing user
// buys a new one with a fresh expiry.
func (s *Service) Refresh(w http.ResponseWriter, r *http.Request) {
	u, err := s.currentUser(r)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	tok, err := s.Tokens.IssueUser(u.ID)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, map[string]string{"message": "Token refreshed successfully", "token": tok})
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

// clientIP is the caller's address: API Gateway's source IP in Lambda, the
// peer address locally. Forwarding headers are not trusted.
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
