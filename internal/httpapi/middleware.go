package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/metrics"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyLogger
	keySession
	keyState
)

// requestState is what the middleware learns of a request as it is served,
// for the access log, the audit trail and the metrics at its end.
type requestState struct {
	start  time.Time
	user   string     // the signed-in user (WithSession, or NoteUser)
	client string     // ClientAddress, once Forwarded decided what to trust
	code   agent.Code // the error code it was answered with (Error)
}

// state is the request's state; a request outside Chain has a fresh one,
// which nothing reads.
func state(ctx context.Context) *requestState {
	if s, ok := ctx.Value(keyState).(*requestState); ok {
		return s
	}
	return &requestState{}
}

// RequestID returns the id of the request in ctx ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// Logger returns the request's logger (with its request id), or the default.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain applies the standard middleware to h: request id, access log and
// metrics, panic recovery, CORS and the trust of what a CDN forwards,
// outermost first. A request's metrics go to sink (nil: none).
func Chain(h http.Handler, log *slog.Logger, sink metrics.Sink, cors CORS, fwd Forwarded) http.Handler {
	return WithRequestID(log, sink)(AccessLog(Recover(cors.Handler(fwd.Handler(h)))))
}

// WithRequestID gives every request an id (a valid incoming X-Request-Id, or a
// new one), returns it in X-Request-Id, and a logger carrying it; and, with
// a sink, the record of its metrics (metrics.FromContext), which AccessLog
// emits.
func WithRequestID(log *slog.Logger, sink metrics.Sink) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st := &requestState{start: time.Now()}
			id := r.Header.Get("X-Request-Id")
			if !validRequestID(id) {
				id = newRequestID()
			}
			w.Header().Set("X-Request-Id", id)
			ctx := context.WithValue(r.Context(), keyRequestID, id)
			ctx = context.WithValue(ctx, keyLogger, log.With("requestId", id))
			ctx = context.WithValue(ctx, keyState, st)
			if sink != nil {
				rec := metrics.Acquire(metrics.Request, sink, st.start)
				defer rec.Release()
				ctx = metrics.NewContext(ctx, rec)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// Route serves next as function's route pattern: the dimensions of the
// request's metrics. A request no route serves has no metrics.
func Route(function, pattern string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec := metrics.FromContext(r.Context()); rec != nil {
			rec.Function, rec.Route = function, pattern
		}
		next.ServeHTTP(w, r)
	})
}

func validRequestID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// statusWriter records the status and size of a response. It forwards
// Flush and Unwrap so streaming handlers keep working through it.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// AccessLog writes one structured line per request, and emits its metrics
// record (once the answer is written: nothing waits for it). It logs the
// path but never the query string (preview tokens travel there) nor any
// header.
func AccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := state(r.Context()).start
		if start.IsZero() {
			start = time.Now()
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			// A handler that wrote nothing still answers: the Lambda adapter
			// would otherwise turn a missing status into a 504.
			sw.WriteHeader(http.StatusOK)
		}
		// A failure is reported once, where it happens (report); the
		// access line is information.
		Logger(r.Context()).LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("userId", state(r.Context()).user),
		)
		if rec := metrics.FromContext(r.Context()); rec != nil && rec.Route != "" {
			rec.Set(metrics.Requests, 1)
			rec.Since(metrics.Latency, time.Now())
			rec.Flag(metrics.HTTP4xx, sw.status >= 400 && sw.status < 500)
			rec.Flag(metrics.HTTP5xx, sw.status >= 500)
			rec.Flag(metrics.Unavailable, sw.status == http.StatusServiceUnavailable)
			rec.Emit()
		}
	})
}

// Recover turns a panic into a 500 envelope (when nothing was written yet)
// and a log line with the stack, so one bad request never kills the process.
// lambdaurl runs handlers in a goroutine without recovering, so every host
// needs this.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
			if sw, ok := w.(*statusWriter); !ok || sw.status == 0 {
				Error(w, r, err) // logs it, once
				return
			}
			Logger(r.Context()).Error("request failed", "code", agent.Internal, "err", err)
		}()
		next.ServeHTTP(w, r)
	})
}

// CORS answers preflights and marks responses for allowed origins.
type CORS struct {
	Origins []string
}

// AllowedHeaders and AllowedMethods are the CORS lists of SPEC.md.
const (
	AllowedHeaders = "Authorization, Content-Type, Last-Event-ID"
	AllowedMethods = "GET, POST, PUT, DELETE, OPTIONS"
)

func (c CORS) allowed(origin string) bool {
	return origin != "" && (slices.Contains(c.Origins, origin) || slices.Contains(c.Origins, "*"))
}

// Handler wraps next with CORS.
func (c CORS) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		if c.allowed(origin) {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, Content-Disposition")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if c.allowed(origin) {
				h.Set("Access-Control-Allow-Methods", AllowedMethods)
				h.Set("Access-Control-Allow-Headers", AllowedHeaders)
				h.Set("Access-Control-Max-Age", "600")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Authenticator returns the session of a user token. A token that is not
// (or no longer) valid is an agent.Unauthorized error; any other error is
// the authenticator's own failure.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (agent.Session, error)
}

// AuthenticatorFunc is a function that is an Authenticator.
type AuthenticatorFunc func(ctx context.Context, token string) (agent.Session, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, token string) (agent.Session, error) {
	return f(ctx, token)
}

// BearerToken returns the token of an "Authorization: Bearer <token>" header.
func BearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || scheme != "Bearer" || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

// RequireUser rejects requests without a valid user token with 401 and puts
// the token's session in the context of the others.
func RequireUser(a Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := BearerToken(r)
		if !ok {
			Error(w, r, agent.NewError(agent.Unauthorized, "Sign in to continue: the request has no bearer token."))
			return
		}
		sess, err := a.Authenticate(r.Context(), tok)
		if err != nil {
			if errors.Is(err, agent.ErrSessionEnded) {
				Audit(r.Context(), AuditSession, AuditRefused, sess.UserID)
			}
			Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithSession(r.Context(), sess)))
	})
}

// WithSession returns ctx carrying the authenticated session.
func WithSession(ctx context.Context, s agent.Session) context.Context {
	state(ctx).user = s.UserID
	return context.WithValue(ctx, keySession, s)
}

// NoteUser records who a request without a session turned out to be (a
// sign-in, a registration): the access log and the audit trail name them.
func NoteUser(ctx context.Context, userID string) { state(ctx).user = userID }

// SessionFrom returns the authenticated session; handlers behind
// RequireUser can rely on it being set.
func SessionFrom(ctx context.Context) agent.Session {
	s, _ := ctx.Value(keySession).(agent.Session)
	return s
}

// UserID returns the authenticated user id; handlers behind RequireUser can
// rely on it being set.
func UserID(ctx context.Context) string { return SessionFrom(ctx).UserID }
