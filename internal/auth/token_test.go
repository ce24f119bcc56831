package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/zocket/agent/internal/auth"
)

func TestUserAndPreviewTokens(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Hour).WithClock(func() time.Time { return now })
	user, err := s.IssueUser("u1")
	if err != nil {
		t.Fatal(err)
	}
	preview, err := s.IssuePreview("u1", "art-1", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	later := s.WithClock(func() time.Time { return now.Add(2 * time.Hour) })
	other := auth.NewSigner([]byte("another secret of thirty-two bytes!!"), time.Hour).WithClock(func() time.Time { return now })

	tests := []struct {
		name    string
		verify  func() (string, error)
		wantSub string
	}{
		{"user token as user", func() (string, error) { return s.VerifyUser(user) }, "u1"},
		{"preview token for its artifact", func() (string, error) { return s.VerifyPreview(preview, "art-1") }, "u1"},
		{"preview token for another artifact", func() (string, error) { return s.VerifyPreview(preview, "art-2") }, ""},
		{"preview token as user token", func() (string, error) { return s.VerifyUser(preview) }, ""},
		{"user token as preview token", func() (string, error) { return s.VerifyPreview(user, "art-1") }, ""},
		{"expired user token", func() (string, error) { return later.VerifyUser(user) }, ""},
		{"other secret", func() (string, error) { return other.VerifyUser(user) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := tt.verify()
			if tt.wantSub == "" {
				if !errors.Is(err, auth.ErrInvalidToken) {
					t.Errorf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || sub != tt.wantSub {
				t.Errorf("got %q, %v; want %q", sub, err, tt.wantSub)
			}
		})
	}
}
