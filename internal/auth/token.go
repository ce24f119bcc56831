// The service's JWTs: user tokens (the bearer token of every API call) and
// preview tokens (scoped to one artifact, carried in an iframe URL). Both are
// HS256 only, with issuer, audience, expiry and issued-at checked; the two
// audiences differ, so a preview token can never act as a user token.

package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
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

// Claims are the registered claims plus the artifact of a preview token.
type Claims struct {
	jwt.RegisteredClaims
	Artifact string `json:"art,omitempty"`
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

// IssueUser returns a user token for userID, valid for the configured TTL.
func (s *Signer) IssueUser(userID string) (string, error) {
	return s.sign(userID, UserAudience, "", s.ttl)
}

// IssuePreview returns a token that opens only artifactID's preview, for ttl.
func (s *Signer) IssuePreview(userID, artifactID string, ttl time.Duration) (string, error) {
	return s.sign(userID, PreviewAudience, artifactID, ttl)
}

func (s *Signer) sign(sub, aud, artifact string, ttl time.Duration) (string, error) {
	now := s.now()
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   sub,
			Audience:  jwt.ClaimStrings{aud},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        uuid.NewString(),
		},
		Artifact: artifact,
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return tok, nil
}

// VerifyUser returns the user id of a valid user token.
func (s *Signer) VerifyUser(raw string) (string, error) {
	c, err := s.verify(raw, UserAudience)
	if err != nil {
		return "", err
	}
	if c.Artifact != "" {
		return "", fmt.Errorf("%w: user token carries an artifact scope", ErrInvalidToken)
	}
	return c.Subject, nil
}

// VerifyPreview returns the user id of a valid preview token for artifactID.
func (s *Signer) VerifyPreview(raw, artifactID string) (string, error) {
	c, err := s.verify(raw, PreviewAudience)
	if err != nil {
		return "", err
	}
	if c.Artifact == "" || c.Artifact != artifactID {
		return "", fmt.Errorf("%w: preview token for another artifact", ErrInvalidToken)
	}
	return c.Subject, nil
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
	return &c, nil
}
