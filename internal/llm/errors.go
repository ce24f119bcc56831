package llm

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/genai"
)

// The kinds of failure, to test with errors.Is. Every error of a call other
// than the end of its context matches exactly one of them.
var (
	// ErrRateLimited means Gemini answered 429 until the retries ran out, or
	// asked for a wait longer than Config.MaxDelay; *Error.RetryAfter holds
	// its hint when it gave one.
	ErrRateLimited = errors.New("llm: rate limited by the model API")
	// ErrUpstream means Gemini failed (5xx, 408), the connection broke or the
	// answer could not be read, after the retries.
	ErrUpstream = errors.New("llm: model API failure")
	// ErrRejected means Gemini refused the request (4xx other than 408 and
	// 429: a bad API key, a malformed request); it is never retried.
	ErrRejected = errors.New("llm: request rejected by the model API")
	// ErrBlocked means the prompt or the reply was blocked by Gemini's safety
	// filters; it is never retried.
	ErrBlocked = errors.New("llm: blocked by the model's safety filters")
)

// Error is a classified failure of a call. It matches its Kind and its cause
// with errors.Is and errors.As.
type Error struct {
	Kind       error         // ErrRateLimited, ErrUpstream, ErrRejected or ErrBlocked
	Status     int           // the HTTP status Gemini answered; 0 when there was none
	Attempts   int           // how many requests were made, the SDK's retries included
	RetryAfter time.Duration // the wait Gemini asked for, if it did
	Reason     string        // for ErrBlocked: Gemini's block or finish reason, such as "SAFETY"
	Err        error         // the cause, from the SDK or the network

	op    string // "stream" or "generate"
	calls int    // how many of the Attempts this package made; the rest were the SDK's retries
}

// Error describes the failure for logs; it is not meant for end users.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	if e.op != "" {
		fmt.Fprintf(&b, " (%s", e.op)
		if e.Reason != "" {
			fmt.Fprintf(&b, ", reason %s", e.Reason)
		}
		if e.Attempts > 1 {
			fmt.Fprintf(&b, ", %d attempts", e.Attempts)
		}
		if sdk := e.Attempts - e.calls; e.calls > 0 && sdk > 0 {
			fmt.Fprintf(&b, " (%d retried by the SDK)", sdk)
		}
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
		}
		b.WriteString(")")
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// retryable reports whether another attempt may succeed.
func (e *Error) retryable() bool {
	return e.Kind == ErrRateLimited || e.Kind == ErrUpstream
}

// StreamError is a failure after the first piece of text reached the
// caller: Text and Tokens are what the model produced until then, and Err
// (an *Error, the context's error or the error onDelta returned) is why the
// stream ended. It is never retried.
type StreamError struct {
	Text   string
	Tokens Tokens
	Err    error
}

// Error describes the failure for logs.
func (e *StreamError) Error() string {
	return fmt.Sprintf("llm: stream broke after %d bytes of reply: %v", len(e.Text), e.Err)
}

// Unwrap returns the cause.
func (e *StreamError) Unwrap() error { return e.Err }

// retryInfoType is the type URL of the google.rpc.RetryInfo detail Gemini
// adds to its 429 answers.
const retryInfoType = "type.googleapis.com/google.rpc.RetryInfo"

// classify turns an error of the SDK into an *Error. retryAfter is the
// Retry-After header of the HTTP response, or 0; a RetryInfo detail
// overrides it.
func classify(op string, err error, retryAfter time.Duration) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		e.op = op
		return e
	}
	apiErr, ok := errors.AsType[genai.APIError](err)
	if !ok {
		return &Error{Kind: ErrUpstream, Err: err, op: op}
	}
	e := &Error{Kind: ErrRejected, Status: apiErr.Code, Err: err, op: op}
	switch {
	case apiErr.Code == 429:
		e.Kind = ErrRateLimited
	case apiErr.Code == 408 || apiErr.Code >= 500:
		e.Kind = ErrUpstream
	}
	e.RetryAfter = retryInfoDelay(apiErr.Details)
	if e.RetryAfter == 0 {
		e.RetryAfter = retryAfter
	}
	return e
}

// retryInfoDelay returns the retryDelay of a RetryInfo detail, or 0.
func retryInfoDelay(details []map[string]any) time.Duration {
	for _, d := range details {
		if d["@type"] != retryInfoType {
			continue
		}
		s, _ := d["retryDelay"].(string)
		if delay, err := time.ParseDuration(s); err == nil && delay > 0 {
			return delay
		}
	}
	return 0
}
