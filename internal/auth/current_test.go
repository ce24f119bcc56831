package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/auth"
)

// versionTable is a user table of one user whose token version a test moves
// on, counting its reads.
type versionTable struct {
	version int
	reads   int
}

func (v *versionTable) UserByID(context.Context, string) (agent.User, error) {
	v.reads++
	return agent.User{ID: "u", TokenVersion: v.version}, nil
}

// TestCurrent asks, as an open stream does every second, whether a session
// is still current after its user's version moved on (a logout on another
// instance): within CacheTTL it learns of it, and it reads the user no more
// than that takes.
func TestCurrent(t *testing.T) {
	tests := []struct {
		ttl       time.Duration
		wantAfter time.Duration // the first check that sees the revocation
		wantReads int           // over the 5 s, the first read included
	}{
		{ttl: 0, wantAfter: time.Second, wantReads: 2},
		{ttl: time.Second, wantAfter: time.Second, wantReads: 2},
		{ttl: 3 * time.Second, wantAfter: 2 * time.Second, wantReads: 2},
		{ttl: time.Minute, wantAfter: -1, wantReads: 1},
	}
	for _, tc := range tests {
		t.Run(tc.ttl.String(), func(t *testing.T) {
			now := time.Unix(1_700_000_000, 0)
			users := &versionTable{version: 1}
			s := &auth.Sessions{Users: users, CacheTTL: tc.ttl, Now: func() time.Time { return now }}
			sess := agent.Session{UserID: "u", Version: 1}
			if err := s.Current(t.Context(), sess, time.Second); err != nil {
				t.Fatal(err)
			}
			users.version = 2 // ended elsewhere: this instance was not told
			got := time.Duration(-1)
			for i := 1; i <= 5; i++ {
				now = now.Add(time.Second)
				err := s.Current(t.Context(), sess, time.Second)
				if agent.IsCode(err, agent.Unauthorized) {
					got = time.Duration(i) * time.Second
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if got != tc.wantAfter || users.reads != tc.wantReads {
				t.Errorf("revocation seen after %v with %d reads; want %v and %d", got, users.reads, tc.wantAfter, tc.wantReads)
			}
		})
	}
}
