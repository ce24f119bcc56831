package httpapi

import (
	"io"
	"log/slog"
	"strings"
)

// redacted lists attribute keys whose values never reach a log, whatever a
// caller passes: defence in depth behind handlers that do not log them.
var redacted = map[string]bool{
	"password": true, "passwordhash": true, "hash": true, "token": true,
	"authorization": true, "secret": true, "jwtsecret": true, "apikey": true,
	"cookie": true, "query": true, "rawquery": true,
}

// NewLogger returns a JSON slog logger that writes to w and redacts
// sensitive attributes by key.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if redacted[strings.ToLower(a.Key)] {
				return slog.String(a.Key, "[redacted]")
			}
			return a
		},
	}))
}
