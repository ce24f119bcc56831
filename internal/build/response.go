package build

import (
	"errors"
	"fmt"
)

// Response is the build Lambda's JSON response: the Result of a build, or
// what made it fail, typed so that the caller gets the same errors back that
// Build returned (see Response.Outcome).
type Response struct {
	Result *Result `json:"result,omitempty"`
	// Error is the class of a failed build: "build_failed",
	// "not_previewable", "invalid_request" or "internal".
	Error string `json:"error,omitempty"`
	// Message describes the error; for "internal" it is for logs only.
	Message string `json:"message,omitempty"`
	// Details are a build_failed build's diagnostics.
	Details []Message `json:"details,omitempty"`
}

// Error classes of a Response.
const (
	ErrorBuildFailed    = "build_failed"
	ErrorNotPreviewable = "not_previewable"
	ErrorInvalidRequest = "invalid_request"
	ErrorInternal       = "internal"
)

// NewResponse wraps what Build returned for the trip through the Lambda
// Invoke API.
func NewResponse(res Result, err error) Response {
	var f *Failure
	switch {
	case err == nil:
		return Response{Result: &res}
	case errors.As(err, &f):
		return Response{Error: ErrorBuildFailed, Message: f.Error(), Details: f.Messages}
	case errors.Is(err, ErrNotPreviewable):
		return Response{Error: ErrorNotPreviewable, Message: err.Error()}
	case errors.Is(err, ErrInvalidRequest):
		return Response{Error: ErrorInvalidRequest, Message: err.Error()}
	default:
		return Response{Error: ErrorInternal, Message: err.Error()}
	}
}

// Outcome returns the Result, or an error that matches what Build returned:
// a *Failure, or one wrapping ErrNotPreviewable or ErrInvalidRequest.
func (r Response) Outcome() (Result, error) {
	switch r.Error {
	case "":
		if r.Result == nil {
			return Result{}, errors.New("build response: no result")
		}
		return *r.Result, nil
	case ErrorBuildFailed:
		return Result{}, &Failure{Messages: r.Details}
	case ErrorNotPreviewable:
		return Result{}, fmt.Errorf("%w (%s)", ErrNotPreviewable, r.Message)
	case ErrorInvalidRequest:
		return Result{}, fmt.Errorf("%w (%s)", ErrInvalidRequest, r.Message)
	default:
		return Result{}, fmt.Errorf("build lambda: %s", r.Message)
	}
}
