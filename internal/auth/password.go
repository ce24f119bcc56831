// Passwords are hashed with argon2id (OWASP parameters) in the PHC string
// format; bcrypt hashes the Node backend stored still verify, so old
// accounts keep working and are upgraded at their next login.

package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// HashParams are argon2id cost parameters.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// OWASP is the OWASP-recommended argon2id configuration: 19 MiB, 2
// iterations, 1 lane.
var OWASP = HashParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// ErrPasswordMismatch is returned when a password does not match its hash.
var ErrPasswordMismatch = errors.New("password does not match")

// ErrUnknownHashFormat is returned for a hash that is neither argon2id nor bcrypt.
var ErrUnknownHashFormat = errors.New("unknown password hash format")

// Hasher hashes and verifies passwords.
type Hasher struct {
	HashParams HashParams
	dummy      func() string
}

// NewHasher returns a Hasher with p. The dummy hash that unknown accounts are
// checked against is made at its first use, not at start-up.
func NewHasher(p HashParams) *Hasher {
	h := &Hasher{HashParams: p}
	h.dummy = sync.OnceValue(func() string { return h.Hash("dummy password for unknown accounts") })
	return h
}

// Hash returns the argon2id PHC string of pw with a random salt.
func (h *Hasher) Hash(pw string) string {
	salt := make([]byte, h.HashParams.SaltLen)
	rand.Read(salt) // never fails since Go 1.24: it crashes the program instead

	p := h.HashParams
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify checks pw against hash (argon2id or bcrypt). needsRehash is true
// when the match is good but the hash should be replaced: bcrypt, or argon2id
// with parameters other than h.HashParams.
func (h *Hasher) Verify(hash, pw string) (needsRehash bool, err error) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		p, salt, key, err := decodeArgon2id(hash)
		if err != nil {
			return false, err
		}
		got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
		if subtle.ConstantTimeCompare(got, key) != 1 {
			return false, ErrPasswordMismatch
		}
		cur := h.HashParams
		return p.Memory != cur.Memory || p.Time != cur.Time || p.Threads != cur.Threads, nil
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)); err != nil {
			if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
				return false, ErrPasswordMismatch
			}
			return false, fmt.Errorf("bcrypt: %w", err)
		}
		return true, nil
	}
	return false, ErrUnknownHashFormat
}

// VerifyDummy spends the time of one Verify against a hash no password
// matches, so unknown accounts answer as slowly as wrong passwords.
func (h *Hasher) VerifyDummy(pw string) {
	_, _ = h.Verify(h.dummy(), pw+"\x00")
}

func decodeArgon2id(hash string) (HashParams, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 {
		return HashParams{}, nil, nil, ErrUnknownHashFormat
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return HashParams{}, nil, nil, fmt.Errorf("argon2id version %q: %w", parts[2], ErrUnknownHashFormat)
	}
	var p HashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return HashParams{}, nil, nil, fmt.Errorf("argon2id params %q: %w", parts[3], ErrUnknownHashFormat)
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 1<<22 || p.Time > 64 {
		return HashParams{}, nil, nil, fmt.Errorf("argon2id params out of range: %w", ErrUnknownHashFormat)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return HashParams{}, nil, nil, fmt.Errorf("argon2id salt: %w", ErrUnknownHashFormat)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return HashParams{}, nil, nil, fmt.Errorf("argon2id key: %w", ErrUnknownHashFormat)
	}
	return p, salt, key, nil
}
