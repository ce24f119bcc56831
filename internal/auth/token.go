// The service's JWTs: user tokens (the bearer token of every API call) and
// preview tokens (scoped to one artifact, carried in an iframe URL). Both are
// HS256 only, with issuer, audience, expiry and issued-at required; the two
// audiences differ, so a preview token can never act as a user token. Both
// carry the session they belong to (ver, auth_time), which Sessions checks
// against the user's current token version.

package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/zocket/agent"
)

// The claims of SPEC.md.
const (
	Issuer          = "ai-coding-agent"
	UserAudience    = "ai-coding-agent-users"
	PreviewAudience = "ai-coding-agent-preview"
)

// ErrInvalidToken is returned for any token that does not verify. The cause is
// wrapped for logs; clients only ever learn "invalid".
var ErrInvalidToken = errors.New("invalid token")

// Claims are the registered claims plus the session's version and start,
// and the artifact of a preview token.
type Claims struct {
	jwt.RegisteredClaims
	Version  int              `json:"ver,omitempty"`
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
	Artifact string           `json:"art,omitempty"`
}

// session is the session c speaks for. It began at auth_time, or, for a
// token issued before sessions had one, at iat (which verify requires); a
// token whose start is the zero time has none.
func (c *Claims) session() (agent.Session, error) {
	start := c.AuthTime
	if start == nil {
		start = c.IssuedAt
	}
	if start.IsZero() {
		return agent.Session{}, fmt.Errorf("%w: no session start", ErrInvalidToken)
	}
	return agent.Session{UserID: c.Subject, Version: c.Version, Start: start.Time}, nil
}

// Signer signs and verifies tokens with one secret.
type Signer struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewSigner returns a Signer; secret must be at least 32 bytes (config
// enforces it).
func NewSigner(secret []byte, ttl time.Duration) *Signer {
	return &Signer{secret: secret, ttl: ttl, now: time.Now}
}

// WithClock returns a copy of s that reads time from now (tests).
func (s *Signer) WithClock(now func() time.Time) *Signer {
	c := *s
	c.now = now
	return &c
}

// IssueUser returns a user token for sess, valid for the configured TTL.
func (s *Signer) IssueUser(sess agent.Session) (string, error) {
	return s.sign(sess, UserAudience, "", s.ttl)
}

// IssuePreview returns a token of sess that opens only artifactID's
// preview, for ttl.
func (s *Signer) IssuePreview(sess agent.Session, artifactID string, ttl time.Duration) (string, error) {
	return s.sign(sess, PreviewAudience, artifactID, ttl)
}

func (s *Signer) sign(sess agent.Session, aud, artifact string, ttl time.Duration) (string, error) {
	now := s.now()
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   sess.UserID,
			Audience:  jwt.ClaimStrings{aud},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        uuid.NewString(),
		},
		Version:  sess.Version,
		AuthTime: jwt.NewNumericDate(sess.Start),
		Artifact: artifact,
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return tok, nil
}

// VerifyUser returns the session of a valid user token. Whether the session
// was revoked since is for Sessions to say.
func (s *Signer) VerifyUser(raw string) (agent.Session, error) {
	c, err := s.verify(raw, UserAudience)
	if err != nil {
		return agent.Session{}, err
	}
	if c.Artifact != "" {
		return agent.Session{}, fmt.Errorf("%w: user token carries an artifact scope", ErrInvalidToken)
	}
	return c.session()
}

// VerifyPreview returns the session of a valid preview token for
// artifactID.
func (s *Signer) VerifyPreview(raw, artifactID string) (agent.Session, error) {
	c, err := s.verify(raw, PreviewAudience)
	if err != nil {
		return agent.Session{}, err
	}
	if c.Artifact == "" || c.Artifact != artifactID {
		return agent.Session{}, fmt.Errorf("%w: preview token for another artifact", ErrInvalidToken)
	}
	return c.session()
}

func (s *Signer) verify(raw, audience string) (*Claims, error) {
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second),
		jwt.WithTimeFunc(s.now),
	)
	var c Claims
	_, err := p.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return s.secret, nil })
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Subject == "" {
		return nil, fmt.Errorf("%w: no subject", ErrInvalidToken)
	}
	// WithIssuedAt checks iat only where a token has one.
	if c.IssuedAt == nil {
		return nil, fmt.Errorf("%w: no issued-at", ErrInvalidToken)
	}
	return &c, nil
}
