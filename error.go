// Errors: what a client did wrong, with a machine-readable code, a sentence
// safe to show a user and optional field details. Everything else that fails
// is an internal error whose detail is logged, never sent.

package agent

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Code is a stable, machine-readable error code of the API contract.
type Code string

// The codes of SPEC.md. Each maps to exactly one HTTP status (httpapi.Status).
const (
	Invalid          Code = "validation_error"
	InvalidJSON      Code = "invalid_json"
	Unauthorized     Code = "unauthorized"
	CreditsExhausted Code = "credits_exhausted"
	NotFound         Code = "not_found"
	Conflict         Code = "conflict"
	TooLarge         Code = "payload_too_large"
	BuildFailed      Code = "build_failed"
	NotPreviewable   Code = "not_previewable"
	RateLimited      Code = "rate_limited"
	Upstream         Code = "upstream_error"
	Timeout          Code = "timeout"
	Unavailable      Code = "unavailable"
	Internal         Code = "internal"
)

// Detail is one field-level (or build-message-level) explanation.
type Detail struct {
	Field    string
	Message  string
	Text     string
	File     string
	Line     int
	Column   int
	LineText string
}

// Error is an error whose Message may be shown to the client.
type Error struct {
	Code       Code
	Message    string
	Details    []Detail
	RetryAfter time.Duration // set for RateLimited and Unavailable
	Err        error         // the cause, logged but never sent
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError returns an error with a code and a client-safe message.
func NewError(code Code, message string) *Error { return &Error{Code: code, Message: message} }

// Errorf is NewError with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an error with a code and message that keeps err as its
// cause.
func WrapError(err error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ValidationError returns a validation_error listing every field problem.
func ValidationError(details ...Detail) *Error {
	msg := "The request is invalid."
	if len(details) > 0 {
		msg = details[0].Field + " " + details[0].Message
		if len(details) > 1 {
			msg += " (and " + strconv.Itoa(len(details)-1) + " more)"
		}
	}
	return &Error{Code: Invalid, Message: msg, Details: details}
}

// AsError finds the *Error in err's chain, or wraps err as an internal
// error.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "Something went wrong on our side. Please try again.", Err: err}
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// ErrSessionEnded is the cause of a token refused because its session was
// ended since it was issued (a logout, a password change): the audit trail
// records such refusals.
var ErrSessionEnded = errors.New("the session was ended")
