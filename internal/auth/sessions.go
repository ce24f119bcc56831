package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zocket/agent"
)

// Sessions authenticates tokens: a token verifies (Signer) and the session
// it carries is still current, its version the user's token version. A
// logout or a password change moves the user's version on, so every older
// token fails here: at once where CacheTTL is 0, within CacheTTL where an
// instance keeps the versions it read.
type Sessions struct {
	Signer *Signer
	Users  VersionReader
	// CacheTTL is how long a user's token version read from the table is
	// trusted; 0 reads it for every request.
	CacheTTL time.Duration
	Now      func() time.Time

	mu       sync.Mutex
	versions map[string]cachedVersion
}

// VersionReader reads a user's current token version.
type VersionReader interface {
	UserByID(ctx context.Context, id string) (agent.User, error)
}

type cachedVersion struct {
	version int
	readAt  time.Time
}

// maxCachedVersions bounds the cache; past it the cache starts again.
const maxCachedVersions = 10000

var errRevoked = fmt.Errorf("%w: %w", ErrInvalidToken, agent.ErrSessionEnded)

// Authenticate returns the session of a current user token; any other
// token is agent.Unauthorized.
func (s *Sessions) Authenticate(ctx context.Context, token string) (agent.Session, error) {
	sess, err := s.Signer.VerifyUser(token)
	if err == nil {
		err = s.Check(ctx, sess)
	}
	return sess, unauthorized(err)
}

// Verify returns the session of a user token that verifies, without
// checking that it is still current: for a route whose own write on the
// user checks that (a chat turn's reservation). Any other token is
// agent.Unauthorized.
func (s *Sessions) Verify(_ context.Context, token string) (agent.Session, error) {
	sess, err := s.Signer.VerifyUser(token)
	return sess, unauthorized(err)
}

// AuthenticatePreview returns the session of a current preview token for
// artifactID; any other token is agent.Unauthorized.
func (s *Sessions) AuthenticatePreview(ctx context.Context, token, artifactID string) (agent.Session, error) {
	sess, err := s.Signer.VerifyPreview(token, artifactID)
	if err == nil {
		err = s.Check(ctx, sess)
	}
	return sess, unauthorized(err)
}

// unauthorized turns a token that does not verify into the 401 clients see;
// a failure to read the user's version stays what it is.
func unauthorized(err error) error {
	if errors.Is(err, ErrInvalidToken) {
		return agent.WrapError(err, agent.Unauthorized, "Your session is invalid or has expired. Please sign in again.")
	}
	return err
}

// Check reports an error wrapping ErrInvalidToken when sess was revoked
// (its version is older than its user's) or its user no longer exists.
func (s *Sessions) Check(ctx context.Context, sess agent.Session) error {
	return s.check(ctx, sess, s.CacheTTL)
}

// Current reports agent.Unauthorized when sess has ended since it was
// authenticated; any other error is a failure to read its user. It is for
// a caller that asks again every interval while a response streams: it
// trusts a version read less than CacheTTL-every ago, so that the caller
// learns of a revocation within CacheTTL (within every, when CacheTTL is
// no longer than every).
func (s *Sessions) Current(ctx context.Context, sess agent.Session, every time.Duration) error {
	return unauthorized(s.check(ctx, sess, s.CacheTTL-every))
}

func (s *Sessions) check(ctx context.Context, sess agent.Session, trust time.Duration) error {
	current, err := s.version(ctx, sess.UserID, trust)
	if err != nil {
		return err
	}
	if sess.Version < current {
		return errRevoked
	}
	return nil
}

// Revoked records that a user's tokens are now at version, so this
// instance refuses older ones at once whatever its CacheTTL.
func (s *Sessions) Revoked(userID string, version int) {
	s.remember(userID, version)
}

// version is userID's token version, as read less than trust ago.
func (s *Sessions) version(ctx context.Context, userID string, trust time.Duration) (int, error) {
	if trust > 0 {
		s.mu.Lock()
		c, ok := s.versions[userID]
		s.mu.Unlock()
		if ok && s.now().Sub(c.readAt) < trust {
			return c.version, nil
		}
	}
	u, err := s.Users.UserByID(ctx, userID)
	if agent.IsCode(err, agent.NotFound) {
		return 0, fmt.Errorf("%w: the user no longer exists", ErrInvalidToken)
	}
	if err != nil {
		return 0, fmt.Errorf("read token version of %s: %w", userID, err)
	}
	s.remember(userID, u.TokenVersion)
	return u.TokenVersion, nil
}

func (s *Sessions) remember(userID string, version int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.versions == nil || len(s.versions) >= maxCachedVersions {
		s.versions = make(map[string]cachedVersion)
	}
	if c, ok := s.versions[userID]; ok && c.version > version {
		version = c.version // a newer revocation already seen wins
	}
	s.versions[userID] = cachedVersion{version: version, readAt: s.now()}
}

func (s *Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
