package auth_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/zocket/agent/internal/auth"
)

func TestHashAndVerify(t *testing.T) {
	h := auth.NewHasher(auth.OWASP)
	hash := h.Hash("correct horse")
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %q, want an argon2id PHC string with OWASP parameters", hash)
	}
	if other := h.Hash("correct horse"); other == hash {
		t.Error("two hashes of one password are equal: salt not random")
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("demo123"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	weaker := auth.NewHasher(auth.HashParams{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}).Hash("pw")

	tests := []struct {
		name       string
		hash, pw   string
		wantErr    error
		wantRehash bool
	}{
		{"argon2id match", hash, "correct horse", nil, false},
		{"argon2id mismatch", hash, "correct horsE", auth.ErrPasswordMismatch, false},
		{"bcrypt match needs rehash", string(bc), "demo123", nil, true},
		{"bcrypt mismatch", string(bc), "demo124", auth.ErrPasswordMismatch, false},
		{"old argon2id parameters need rehash", weaker, "pw", nil, true},
		{"unknown format", "plaintext", "plaintext", auth.ErrUnknownHashFormat, false},
		{"truncated argon2id", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA", "x", auth.ErrUnknownHashFormat, false},
		{"absurd memory", "$argon2id$v=19$m=999999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "x", auth.ErrUnknownHashFormat, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rehash, err := h.Verify(tt.hash, tt.pw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if rehash != tt.wantRehash {
				t.Errorf("needsRehash = %v, want %v", rehash, tt.wantRehash)
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	h := auth.NewHasher(auth.OWASP)
	for b.Loop() {
		h.Hash("correct horse battery staple")
	}
}
