package chat

import (
	"context"
	"log/slog"
	"time"

	"github.com/zocket/agent"
)

// Sessions says whether the session a stream was opened with is still
// current: a logout or a password change ends it.
type Sessions interface {
	// Current is agent.Unauthorized for a session ended since, when asked
	// every interval; any other error is a failure to find out.
	Current(ctx context.Context, sess agent.Session, every time.Duration) error
}

// SessionCheckInterval is how often an open stream asks whether its
// session is still current.
const SessionCheckInterval = time.Second

// sessionEnded is the last event of a stream whose session ended: it has
// no id, so that a client that signs in again resumes from the last event
// it had.
var sessionEnded = StreamError{Error: "Stream error: Your session has ended. Please sign in again.", Code: string(agent.Unauthorized)}

// watchSession asks every SessionCheckInterval, until stop, whether sess
// is still current, and calls ended once, when it is not. A failure to
// find out is logged, and asked again.
func (s *Service) watchSession(ctx context.Context, sess agent.Session, log *slog.Logger, ended func()) (stop func()) {
	if s.Sessions == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(SessionCheckInterval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			err := s.Sessions.Current(ctx, sess, SessionCheckInterval)
			switch {
			case err == nil:
			case agent.IsCode(err, agent.Unauthorized):
				ended()
				return
			case ctx.Err() == nil:
				log.Warn("check session", "err", err)
			}
		}
	}()
	return func() { close(done) }
}
