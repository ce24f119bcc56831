// Package apperr defines the one error type the API returns to clients: a
// machine-readable code, a sentence safe to show a user, and optional field
// details. Everything else that fails is an internal error whose detail is
// logged, never sent.
package apperr

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Code is a stable, machine-readable error code of the API contract.
type Code string

// The codes of SPEC.md. Each maps to exactly one HTTP status in Status.
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
	Unavailable      Code = "unavailable"
	Internal         Code = "internal"
)

// Detail is one field-level (or build-message-level) explanation.
type Detail struct {
	Field    string `json:"field,omitempty"`
	Message  string `json:"message,omitempty"`
	Text     string `json:"text,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	LineText string `json:"lineText,omitempty"`
}

// Error is an error whose Message may be shown to the client.
type Error struct {
	Code       Code
	Message    string
	Details    []Detail
	RetryAfter time.Duration // set for RateLimited
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

// Status is the HTTP status of the error's code.
func (e *Error) Status() int { return Status(e.Code) }

// Title is the short title the envelope carries in its "error" field.
func (e *Error) Title() string { return titles[e.Code] }

// Status maps a code to its HTTP status; an unknown code is a 500.
func Status(c Code) int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return 500
}

var statuses = map[Code]int{
	Invalid: 400, InvalidJSON: 400, Unauthorized: 401, CreditsExhausted: 403,
	NotFound: 404, Conflict: 409, TooLarge: 413, BuildFailed: 422,
	NotPreviewable: 422, RateLimited: 429, Internal: 500, Upstream: 502,
	Unavailable: 503,
}

var titles = map[Code]string{
	Invalid: "Validation failed", InvalidJSON: "Invalid JSON",
	Unauthorized: "Unauthorized", CreditsExhausted: "Credits exhausted",
	NotFound: "Not found", Conflict: "Conflict", TooLarge: "Payload too large",
	BuildFailed: "Build failed", NotPreviewable: "Not previewable",
	RateLimited: "Too many requests", Upstream: "Upstream error",
	Unavailable: "Service unavailable", Internal: "Internal error",
}

// New returns an error with a code and a client-safe message.
func New(code Code, message string) *Error { return &Error{Code: code, Message: message} }

// Newf is New with a formatted message.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with a code and message that keeps err as its cause.
func Wrap(err error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// Validation returns a validation_error listing every field problem.
func Validation(details ...Detail) *Error {
	msg := "The request is invalid."
	if len(details) > 0 {
		msg = details[0].Field + " " + details[0].Message
		if len(details) > 1 {
			msg += " (and " + strconv.Itoa(len(details)-1) + " more)"
		}
	}
	return &Error{Code: Invalid, Message: msg, Details: details}
}

// From finds the *Error in err's chain, or wraps err as an internal error.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "Something went wrong on our side. Please try again.", Err: err}
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
