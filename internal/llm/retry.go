package llm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genai"
)

// Retries happen in two layers that share one budget of maxRetries+1
// requests per call. The genai SDK retries, with its own backoff, a request
// that failed in transport or was answered with one of sdkRetryStatuses. do
// retries what the SDK cannot see or would get wrong: a stream that fails
// after its 200 header but before its first piece of text, and a 429 or 503,
// which may come with a wait that the SDK would ignore.

// sdkRetryStatuses are the SDK's default retry statuses without 429 and 503.
var sdkRetryStatuses = []int32{408, 500, 502, 504}

// retryPolicy decides how often and how long to wait between attempts.
type retryPolicy struct {
	maxRetries int
	baseDelay  time.Duration
	maxDelay   time.Duration
}

func newRetryPolicy(cfg Config) retryPolicy {
	p := retryPolicy{maxRetries: cfg.MaxRetries, baseDelay: cfg.BaseDelay, maxDelay: cfg.MaxDelay}
	switch {
	case p.maxRetries == 0:
		p.maxRetries = DefaultMaxRetries
	case p.maxRetries < 0:
		p.maxRetries = 0
	}
	if p.baseDelay <= 0 {
		p.baseDelay = DefaultBaseDelay
	}
	if p.maxDelay <= 0 {
		p.maxDelay = DefaultMaxDelay
	}
	return p
}

// do runs call until it succeeds, fails for good or the budget is spent.
// call gets config with the SDK's retry options for the requests left. A
// *StreamError from call is returned as it is: text has reached the caller.
func (p retryPolicy) do(ctx context.Context, op string, config *genai.GenerateContentConfig,
	call func(context.Context, *genai.GenerateContentConfig) error) error {
	budget, made := p.maxRetries+1, 0
	for n := 1; ; n++ {
		a := &attempt{}
		cfg := *config
		cfg.HTTPOptions = &genai.HTTPOptions{RetryOptions: p.sdkOptions(budget - made)}
		err := call(context.WithValue(ctx, attemptKey{}, a), &cfg)
		made += max(a.requests, 1)
		if err == nil {
			return nil
		}
		if _, ok := errors.AsType[*StreamError](err); ok {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("llm: %s: %w", op, ctx.Err())
		}
		e := classify(op, err, a.retryAfter)
		e.Attempts, e.calls = made, n
		if !e.retryable() || made >= budget {
			return e
		}
		wait, ok := p.wait(n, e.RetryAfter)
		if !ok {
			return e
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("llm: %s: %w", op, ctx.Err())
		case <-timer.C:
		}
	}
}

// sdkOptions lets the SDK make up to attempts requests. Its wait before its
// retry n, min(base/2·2^(n-1) + U(0, base/2), maxDelay), lies within the
// bounds of wait's.
func (p retryPolicy) sdkOptions(attempts int) *genai.HTTPRetryOptions {
	half := p.baseDelay.Seconds() / 2
	return &genai.HTTPRetryOptions{
		Attempts:        genai.Ptr(int32(min(attempts, math.MaxInt32))),
		InitialDelay:    genai.Ptr(half),
		ExpBase:         genai.Ptr(2.0),
		Jitter:          genai.Ptr(half),
		MaxDelay:        genai.Ptr(p.maxDelay.Seconds()),
		HTTPStatusCodes: sdkRetryStatuses,
	}
}

// wait returns the pause before retry number n (1 for the first): the
// nominal delay baseDelay·2^(n-1), capped at maxDelay, jittered uniformly into
// its upper half, and never shorter than the server's hint. It reports false
// when the hint is longer than maxDelay, which is not worth waiting for.
func (p retryPolicy) wait(n int, hint time.Duration) (time.Duration, bool) {
	if hint > p.maxDelay {
		return 0, false
	}
	d := p.baseDelay
	for i := 1; i < n && d < p.maxDelay; i++ {
		d *= 2
	}
	d = min(d, p.maxDelay)
	d = d/2 + rand.N(d/2+1)
	return max(d, hint), true
}

// attemptKey is the context key under which the transport finds the
// attempt of the current call of the SDK.
type attemptKey struct{}

// attempt is what the transport saw of one call of the SDK: how many
// requests it sent, its own retries included, and the Retry-After header of
// the last response, which the SDK does not pass on.
type attempt struct {
	requests   int
	retryAfter time.Duration
}

// attemptTransport records each request and response into the attempt of
// the request's context.
type attemptTransport struct {
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	a, _ := req.Context().Value(attemptKey{}).(*attempt)
	if a != nil {
		a.requests++
	}
	resp, err := base.RoundTrip(req)
	if a != nil && resp != nil {
		a.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return resp, err
}

// parseRetryAfter reads a Retry-After value, in seconds or as an HTTP date;
// anything else is 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
