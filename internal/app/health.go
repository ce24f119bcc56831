// GET /health: the service's version and whether its dependencies
// (DynamoDB, S3) answer, with 503 when one does not.

package app

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/httpapi"
)

// pinger is a dependency that can be checked.
type pinger interface {
	Ping(ctx context.Context) error
}

// healthHandler reports the state of its checks, each bounded by 2 s.
type healthHandler struct {
	version string
	checks  map[string]pinger
	now     func() time.Time
}

// HealthResponse is the answer of GET /health: ok, or degraded (503) when a
// check failed.
type HealthResponse struct {
	Status    string            `json:"status"`
	Timestamp string            `json:"timestamp"`
	Version   string            `json:"version"`
	Checks    map[string]string `json:"checks"`
}

// ServeHTTP runs every check concurrently and answers 200 when all pass.
func (h *healthHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	resp := HealthResponse{Status: "ok", Timestamp: agent.FormatTime(h.now()), Version: h.version, Checks: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, p := range h.checks {
		wg.Go(func() {
			state := "ok"
			if err := p.Ping(ctx); err != nil {
				state = "error"
				httpapi.Logger(r.Context()).Warn("health check failed", "check", name, "err", err)
			}
			mu.Lock()
			resp.Checks[name] = state
			mu.Unlock()
		})
	}
	wg.Wait()
	status := http.StatusOK
	for _, state := range resp.Checks {
		if state != "ok" {
			resp.Status, status = "degraded", http.StatusServiceUnavailable
		}
	}
	httpapi.JSON(w, status, resp)
}
