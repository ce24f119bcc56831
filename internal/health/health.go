// Package health answers GET /health: the service's version and whether its
// dependencies (DynamoDB, S3) answer, with 503 when one does not.
package health

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/store"
)

// Pinger is a dependency that can be checked.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Handler reports the state of its checks.
type Handler struct {
	Version string
	Checks  map[string]Pinger
	Timeout time.Duration // per check; default 2s
	Now     func() time.Time
}

type response struct {
	Status    string            `json:"status"`
	Timestamp string            `json:"timestamp"`
	Version   string            `json:"version"`
	Checks    map[string]string `json:"checks"`
}

// ServeHTTP runs every check concurrently and answers 200 when all pass.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	resp := response{Status: "ok", Timestamp: store.Timestamp(h.Now()), Version: h.Version, Checks: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, p := range h.Checks {
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
