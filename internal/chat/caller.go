package chat

import (
	"log/slog"
	"net/http"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/artifactview"
	"github.com/zocket/agent/internal/httpapi"
)

// caller is who asked for a turn or a stream, as the work outliving the
// request needs it: the session (the user, and the version of their tokens
// the slot's write checks), the viewer their artifacts are rendered for, and
// the request's logger.
type caller struct {
	session agent.Session
	viewer  artifactview.Viewer
	log     *slog.Logger
}

func (s *Service) callerOf(r *http.Request) caller {
	return caller{session: httpapi.SessionFrom(r.Context()), viewer: s.Artifacts.ViewerOf(r), log: httpapi.Logger(r.Context())}
}
