package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
)

// The audit trail: one structured record for each action a user takes on
// their account or their data, written to the log like any other record
// but with the message AuditMessage, so that it can be filtered (in
// CloudWatch Logs Insights: filter msg = "audit"). A record names the
// action, its outcome, the user, the request (requestId, as every record
// of the request's logger) and the client's address as the per-address
// throttles key it; never a password, a token or a message's text.

// AuditMessage is the msg of every audit record.
const AuditMessage = "audit"

// AuditAction is what an audit record is about.
type AuditAction string

// The audited actions.
const (
	AuditRegister           AuditAction = "register"
	AuditLogin              AuditAction = "login"
	AuditLogout             AuditAction = "logout"
	AuditPasswordChange     AuditAction = "password_change"
	AuditSession            AuditAction = "session" // a request refused because its session was ended
	AuditConversationDelete AuditAction = "conversation_delete"
	AuditConversationExport AuditAction = "conversation_export"
	AuditArtifactDelete     AuditAction = "artifact_delete"
	AuditArtifactExport     AuditAction = "artifact_export"
)

// AuditOutcome is how an audited action ended.
type AuditOutcome string

// The outcomes.
const (
	AuditOK        AuditOutcome = "ok"
	AuditFailed    AuditOutcome = "failed"    // refused as asked: bad credentials, not found, invalid
	AuditThrottled AuditOutcome = "throttled" // refused by a throttle or a limit (429)
	AuditRefused   AuditOutcome = "refused"   // a session that was ended
	AuditError     AuditOutcome = "error"     // our failure (5xx)
)

// auditSubjects name the record's attribute for the {id} of an audited
// route.
var auditSubjects = map[AuditAction]string{
	AuditConversationDelete: "conversationId",
	AuditConversationExport: "conversationId",
	AuditArtifactDelete:     "artifactId",
	AuditArtifactExport:     "artifactId",
}

// auditFormats are the export formats a record names (the query string
// itself is never logged).
var auditFormats = []string{"json", "markdown", "md", "zip"}

// Audit writes an audit record of the request in ctx: action, outcome,
// userID (the request's user when empty), the request's error code when it
// answered one, the client's address, and attrs.
func Audit(ctx context.Context, action AuditAction, outcome AuditOutcome, userID string, attrs ...slog.Attr) {
	st := state(ctx)
	if userID == "" {
		userID = st.user
	}
	base := []slog.Attr{
		slog.String("action", string(action)),
		slog.String("outcome", string(outcome)),
		slog.String("userId", userID),
		slog.String("clientAddress", st.client),
	}
	if st.code != "" {
		base = append(base, slog.String("code", string(st.code)))
	}
	Logger(ctx).LogAttrs(ctx, slog.LevelInfo, AuditMessage, append(base, attrs...)...)
}

// Audited writes an audit record of action once next has answered, its
// outcome from the status: 2xx and 3xx ok, 429 throttled, any other 4xx
// failed, 5xx error. The route's {id} is the record's subject.
func Audited(action AuditAction, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		next.ServeHTTP(sw, r)
		var attrs []slog.Attr
		if name, ok := auditSubjects[action]; ok && r.PathValue("id") != "" {
			attrs = append(attrs, slog.String(name, r.PathValue("id")))
		}
		if action == AuditConversationExport {
			format := r.URL.Query().Get("format")
			for _, f := range auditFormats {
				if format == f {
					attrs = append(attrs, slog.String("format", f))
				}
			}
		}
		Audit(r.Context(), action, outcomeOf(sw.status), "", attrs...)
	})
}

func outcomeOf(status int) AuditOutcome {
	switch {
	case status == 0 || status < 400:
		return AuditOK
	case status == http.StatusTooManyRequests:
		return AuditThrottled
	case status < 500:
		return AuditFailed
	}
	return AuditError
}

// ClientAddress is the key of the request's client in the per-address
// throttles and the audit trail: API Gateway's source IP in Lambda (a bare
// address), the peer address locally or the viewer's behind CloudFront
// (host:port, once Forwarded trusted it). An IPv4 address (IPv4-mapped
// IPv6 included) is itself; an IPv6 address is its /64, the least a single
// subscriber is given, so that one client cannot take a fresh count from
// every address of its prefix.
func ClientAddress(r *http.Request) string {
	a, err := netip.ParseAddr(r.RemoteAddr)
	if err != nil {
		ap, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		a = ap.Addr()
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
