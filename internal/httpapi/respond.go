// Package httpapi is the HTTP layer shared by every endpoint: JSON decoding
// with a size cap and strict fields, the error envelope of SPEC.md, request
// ids, panic recovery, CORS, access logs, and authentication of the bearer
// token. Handlers are plain http.Handlers; the devserver, the Lambda adapters
// and the tests all serve them through Chain.
package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/zocket/agent/internal/apperr"
)

// envelope is the JSON body of every non-2xx response.
type envelope struct {
	Error   string          `json:"error"`
	Message string          `json:"message"`
	Code    apperr.Code     `json:"code"`
	Details []apperr.Detail `json:"details,omitempty"`
	// RequestID lets a user quote the failing request to support.
	RequestID string `json:"requestId,omitempty"`
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// A value that cannot be encoded is a programming error.
		body = []byte(`{"error":"Internal error","message":"Something went wrong on our side. Please try again.","code":"internal"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Error writes err as the error envelope. Errors that are not *apperr.Error
// are internal: their detail is logged with the request id and never sent.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.From(err)
	status := e.Status()
	log := Logger(r.Context())
	switch {
	case status >= 500:
		log.Error("request failed", "code", e.Code, "err", err)
	case e.Err != nil:
		log.Info("request rejected", "code", e.Code, "err", e.Err)
	}
	if e.Code == apperr.RateLimited && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	JSON(w, status, envelope{
		Error:     e.Title(),
		Message:   e.Message,
		Code:      e.Code,
		Details:   e.Details,
		RequestID: RequestID(r.Context()),
	})
}

// MaxBodyBytes is the request body cap of SPEC.md.
const MaxBodyBytes = 1 << 20

// Decode reads one JSON object into dst: at most MaxBodyBytes, no fields
// dst does not declare, nothing after the object. The error is an
// *apperr.Error with the right code (invalid_json, payload_too_large or
// validation_error naming the field).
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.Body == nil || r.Body == http.NoBody {
		return apperr.New(apperr.InvalidJSON, "The request body must be a JSON object.")
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return apperr.New(apperr.InvalidJSON, "The request body must hold exactly one JSON object.")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err == nil {
		return apperr.New(apperr.InvalidJSON, "The request body must hold exactly one JSON object.")
	} else if !errors.Is(err, io.EOF) {
		return decodeError(err)
	}
	return nil
}
