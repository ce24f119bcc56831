package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/auth"
)

func TestUserAndPreviewTokens(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Hour).WithClock(func() time.Time { return now })
	sess := agent.Session{UserID: "u1", Version: 3, Start: now.Add(-time.Minute)}
	user, err := s.IssueUser(sess)
	if err != nil {
		t.Fatal(err)
	}
	preview, err := s.IssuePreview(sess, "art-1", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	later := s.WithClock(func() time.Time { return now.Add(2 * time.Hour) })
	other := auth.NewSigner([]byte("another secret of thirty-two bytes!!"), time.Hour).WithClock(func() time.Time { return now })

	tests := []struct {
		name   string
		verify func() (agent.Session, error)
		want   agent.Session // zero: the token must not verify
	}{
		{"user token as user", func() (agent.Session, error) { return s.VerifyUser(user) }, sess},
		{"preview token for its artifact", func() (agent.Session, error) { return s.VerifyPreview(preview, "art-1") }, sess},
		{"preview token for another artifact", func() (agent.Session, error) { return s.VerifyPreview(preview, "art-2") }, agent.Session{}},
		{"preview token as user token", func() (agent.Session, error) { return s.VerifyUser(preview) }, agent.Session{}},
		{"user token as preview token", func() (agent.Session, error) { return s.VerifyPreview(user, "art-1") }, agent.Session{}},
		{"expired user token", func() (agent.Session, error) { return later.VerifyUser(user) }, agent.Session{}},
		{"other secret", func() (agent.Session, error) { return other.VerifyUser(user) }, agent.Session{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.verify()
			if tt.want.UserID == "" {
				if !errors.Is(err, auth.ErrInvalidToken) {
					t.Errorf("err = %v, want ErrInvalidToken", err)
				}
				return
			}
			if err != nil || got.UserID != tt.want.UserID || got.Version != tt.want.Version || !got.Start.Equal(tt.want.Start) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
