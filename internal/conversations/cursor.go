package conversations

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/store"
)

// Cursor is where the next page of one user's listing starts. It is bound to
// the user and the search it was made for.
type Cursor struct {
	UserID   string         `json:"u"`
	Search   string         `json:"q,omitempty"`
	Position store.Position `json:"p"`
	Page     int            `json:"n"`
}

// Cursors seals cursors into opaque, tamper-proof strings (JSON plus an
// HMAC-SHA256 under a key derived from the service secret).
type Cursors struct {
	key []byte
}

// NewCursors derives the cursor key from secret.
func NewCursors(secret []byte) *Cursors {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("conversation-cursor-v1"))
	return &Cursors{key: m.Sum(nil)}
}

var b64 = base64.RawURLEncoding

// Seal returns the opaque form of c.
func (cs *Cursors) Seal(c Cursor) string {
	payload, _ := json.Marshal(c) // plain strings and ints: cannot fail
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(cs.mac(payload))
}

func (cs *Cursors) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, cs.key)
	m.Write(payload)
	return m.Sum(nil)
}

var errBadCursor = agent.ValidationError(agent.Detail{Field: "cursor", Message: "is not a cursor from this listing; start again without it"})

// Open verifies raw and returns its cursor. A cursor that was altered, or
// made for another user or another search, is a 400.
func (cs *Cursors) Open(raw, userID, search string) (Cursor, error) {
	body, sig, ok := strings.Cut(raw, ".")
	if !ok || len(raw) > 2048 {
		return Cursor{}, errBadCursor
	}
	payload, err1 := b64.DecodeString(body)
	mac, err2 := b64.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, cs.mac(payload)) {
		return Cursor{}, errBadCursor
	}
	var c Cursor
	if err := json.Unmarshal(payload, &c); err != nil || c.UserID != userID || c.Search != search || c.Page < 2 {
		return Cursor{}, errBadCursor
	}
	return c, nil
}
