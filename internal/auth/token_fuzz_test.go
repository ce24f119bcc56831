package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/auth"
)

// fuzzSecret signs every token of FuzzVerifyToken: what is fuzzed is what a
// holder of the secret (the service itself, or whoever stole it) could sign.
const fuzzSecret = "0123456789abcdef0123456789abcdef"

// signClaims is a token of the raw claims payload, signed with HS256 and
// fuzzSecret, whatever the payload holds.
func signClaims(payload []byte) string {
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(fuzzSecret))
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil))
}

// versions is a VersionReader where every user exists at token version 1,
// but "gone", which does not exist.
type versions struct{}

func (versions) UserByID(_ context.Context, id string) (agent.User, error) {
	if id == "gone" {
		return agent.User{}, agent.NewError(agent.NotFound, "no such user")
	}
	return agent.User{ID: id, TokenVersion: 1}, nil
}

// FuzzVerifyToken signs arbitrary claims with the right key and verifies
// them as a user token, as a preview token and through Sessions: none
// panics, every refusal is ErrInvalidToken (Unauthorized through Sessions),
// and every session let through has a user and a start.
func FuzzVerifyToken(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	signer := auth.NewSigner([]byte(fuzzSecret), time.Hour).WithClock(func() time.Time { return now })
	sessions := &auth.Sessions{Signer: signer, Users: versions{}, Now: func() time.Time { return now }}

	const iat, exp = `"iat":1767322945`, `"exp":1767326545` // now, an hour on
	for _, claims := range []string{
		`{"iss":"ai-coding-agent","sub":"u1","aud":["ai-coding-agent-users"],` + iat + `,` + exp + `,"ver":1,"auth_time":1767322900}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-users",` + iat + `,` + exp + `}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-users",` + exp + `}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-users",` + exp + `,"auth_time":1767322900}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-users","iat":null,` + exp + `}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-users",` + iat + `,` + exp + `,"auth_time":-62135596800}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-users","iat":-62135596800,` + exp + `}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-users",` + iat + `,` + exp + `,"auth_time":1e300}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-users",` + iat + `,` + exp + `,"auth_time":"soon"}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-preview",` + iat + `,` + exp + `,"art":"a1"}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-preview",` + exp + `,"art":"a1"}`,
		`{"iss":"ai-coding-agent","sub":"gone","aud":"ai-coding-agent-users",` + iat + `,` + exp + `,"ver":1}`,
		`{"iss":"ai-coding-agent","sub":"u1","aud":"ai-coding-agent-users",` + iat + `,` + exp + `,"ver":0}`,
		`{"iss":"ai-coding-agent","sub":"","aud":"ai-coding-agent-users",` + iat + `,` + exp + `}`,
		`{"sub":["u1"]}`,
		`[]`,
		`null`,
		``,
	} {
		f.Add([]byte(claims), "a1")
	}
	f.Fuzz(func(t *testing.T, claims []byte, artifact string) {
		tok := signClaims(claims)
		check := func(via string, sess agent.Session, err error) {
			t.Helper()
			if err != nil {
				return
			}
			if sess.UserID == "" || sess.Start.IsZero() {
				t.Errorf("%s let %s through as %+v: a session without a user or a start", via, claims, sess)
			}
		}
		sess, err := signer.VerifyUser(tok)
		if err != nil && !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("VerifyUser(%s) = %v, want ErrInvalidToken", claims, err)
		}
		check("VerifyUser", sess, err)

		sess, err = signer.VerifyPreview(tok, artifact)
		if err != nil && !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("VerifyPreview(%s) = %v, want ErrInvalidToken", claims, err)
		}
		check("VerifyPreview", sess, err)

		sess, err = sessions.Authenticate(context.Background(), tok)
		if err != nil && !agent.IsCode(err, agent.Unauthorized) {
			t.Errorf("Authenticate(%s) = %v, want Unauthorized", claims, err)
		}
		check("Authenticate", sess, err)
		if err == nil && sess.Version < 1 {
			t.Errorf("Authenticate(%s) let version %d through; the user is at 1", claims, sess.Version)
		}
	})
}
