package llm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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

// do runs call until it succeeds, fails for good or the retries run out. A
// *StreamError from call is returned as it is: text has reached the caller.
func (p retryPolicy) do(ctx context.Context, op string, call func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		hint := &responseHint{}
		err := call(context.WithValue(ctx, hintKey{}, hint))
		if err == nil {
			return nil
		}
		if _, ok := errors.AsType[*StreamError](err); ok {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("llm: %s: %w", op, ctx.Err())
		}
		e := classify(op, err, hint)
		e.Attempts = attempt
		if !e.retryable() || attempt > p.maxRetries {
			return e
		}
		wait, ok := p.wait(attempt, e.RetryAfter)
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

// hintKey is the context key under which the transport finds the
// responseHint of the current attempt.
type hintKey struct{}

// responseHint is what the transport saw of an HTTP response that the SDK
// does not pass on: its Retry-After header.
type responseHint struct {
	retryAfter time.Duration
}

// hintTransport records the Retry-After header of each response into the
// attempt's responseHint.
type hintTransport struct {
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t hintTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if resp != nil {
		if hint, ok := req.Context().Value(hintKey{}).(*responseHint); ok {
			hint.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
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
