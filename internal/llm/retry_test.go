package llm

import (
	"cmp"
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/geminitest"
)

func TestWaitGrowsExponentiallyWithJitter(t *testing.T) {
	p := newRetryPolicy(Config{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second})
	tests := []struct {
		retry   int
		nominal time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, time.Second},
		{60, time.Second},
	}
	for _, tt := range tests {
		for range 50 {
			got, ok := p.wait(tt.retry, 0)
			if !ok || got < tt.nominal/2 || got > tt.nominal {
				t.Fatalf("wait(%d) = %v, %v, want within [%v, %v]", tt.retry, got, ok, tt.nominal/2, tt.nominal)
			}
		}
	}
}

func TestWaitHonoursTheServersHint(t *testing.T) {
	p := newRetryPolicy(Config{BaseDelay: time.Millisecond, MaxDelay: time.Second})
	if got, ok := p.wait(1, 300*time.Millisecond); !ok || got != 300*time.Millisecond {
		t.Errorf("wait with a 300ms hint = %v, %v, want 300ms, true", got, ok)
	}
	if _, ok := p.wait(1, 2*time.Second); ok {
		t.Error("wait with a hint above MaxDelay = true, want false")
	}
}

func TestSDKWaitsWithinTheBoundsOfWait(t *testing.T) {
	p := newRetryPolicy(Config{MaxRetries: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second})
	o := p.sdkOptions(4)
	if *o.Attempts != 4 || slices.Contains(o.HTTPStatusCodes, 429) || slices.Contains(o.HTTPStatusCodes, 503) {
		t.Errorf("Attempts, HTTPStatusCodes = %d, %v, want 4 and neither 429 nor 503", *o.Attempts, o.HTTPStatusCodes)
	}
	// The SDK waits min(InitialDelay·ExpBase^(n-1) + U(0, Jitter), MaxDelay)
	// seconds before its retry n.
	seconds := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	for n, nominal := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		nominal *= time.Millisecond
		low := seconds(*o.InitialDelay * math.Pow(*o.ExpBase, float64(n)))
		high := min(low+seconds(*o.Jitter), seconds(*o.MaxDelay))
		low = min(low, seconds(*o.MaxDelay))
		if low < nominal/2 || high > nominal {
			t.Errorf("SDK retry %d waits within [%v, %v], want within [%v, %v]", n+1, low, high, nominal/2, nominal)
		}
	}
}

func TestRetryPolicyDefaults(t *testing.T) {
	tests := []struct {
		cfg  Config
		want retryPolicy
	}{
		{Config{}, retryPolicy{DefaultMaxRetries, DefaultBaseDelay, DefaultMaxDelay}},
		{Config{MaxRetries: -1}, retryPolicy{0, DefaultBaseDelay, DefaultMaxDelay}},
		{Config{MaxRetries: 5, BaseDelay: time.Millisecond, MaxDelay: time.Second}, retryPolicy{5, time.Millisecond, time.Second}},
	}
	for _, tt := range tests {
		if got := newRetryPolicy(tt.cfg); got != tt.want {
			t.Errorf("newRetryPolicy(%+v) = %+v, want %+v", tt.cfg, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 2 ", 2 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRetryInfoDelay(t *testing.T) {
	tests := []struct {
		name    string
		details []map[string]any
		want    time.Duration
	}{
		{"none", nil, 0},
		{"retry info", []map[string]any{{"@type": retryInfoType, "retryDelay": "37s"}}, 37 * time.Second},
		{"fractional", []map[string]any{{"@type": retryInfoType, "retryDelay": "0.250s"}}, 250 * time.Millisecond},
		{"other details first", []map[string]any{
			{"@type": "type.googleapis.com/google.rpc.QuotaFailure"},
			{"@type": retryInfoType, "retryDelay": "2s"},
		}, 2 * time.Second},
		{"malformed", []map[string]any{{"@type": retryInfoType, "retryDelay": 5}}, 0},
	}
	for _, tt := range tests {
		if got := retryInfoDelay(tt.details); got != tt.want {
			t.Errorf("%s: retryInfoDelay = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestRetryLayers tells the SDK's retries from this package's by the calls
// of the SDK that Error counts: every request beyond the first of a call is
// the SDK's retry.
func TestRetryLayers(t *testing.T) {
	const maxRetries = 3
	persistent := func(r geminitest.Reply) []geminitest.Reply {
		return slices.Repeat([]geminitest.Reply{r}, maxRetries+1)
	}
	tests := []struct {
		name         string
		replies      []geminitest.Reply
		generate     bool
		maxRetries   int
		wantRequests int // the server's count, and Error.Attempts
		wantCalls    int // how many of them this package made
	}{
		// The SDK retries the statuses without a wait, and failed requests.
		{name: "500", replies: []geminitest.Reply{{Fail: 500}}, wantRequests: 4, wantCalls: 1},
		{name: "500, generate", replies: []geminitest.Reply{{Fail: 500}}, generate: true, wantRequests: 4, wantCalls: 1},
		{name: "502", replies: []geminitest.Reply{{Fail: 502}}, wantRequests: 4, wantCalls: 1},
		{name: "504", replies: []geminitest.Reply{{Fail: 504}}, wantRequests: 4, wantCalls: 1},
		{name: "408", replies: []geminitest.Reply{{Fail: 408}}, wantRequests: 4, wantCalls: 1},
		{name: "connection cut, generate", replies: persistent(geminitest.Reply{Cut: true}), generate: true, wantRequests: 4, wantCalls: 1},
		{name: "500 without retries", replies: []geminitest.Reply{{Fail: 500}}, maxRetries: -1, wantRequests: 1, wantCalls: 1},
		// This package retries the statuses that may carry a wait, other
		// 5xx, and streams that fail after their 200 header.
		{name: "429", replies: []geminitest.Reply{{Fail: 429}}, wantRequests: 4, wantCalls: 4},
		{name: "429, generate", replies: []geminitest.Reply{{Fail: 429}}, generate: true, wantRequests: 4, wantCalls: 4},
		{name: "503", replies: []geminitest.Reply{{Fail: 503}}, wantRequests: 4, wantCalls: 4},
		{name: "501", replies: []geminitest.Reply{{Fail: 501}}, wantRequests: 4, wantCalls: 4},
		{name: "connection cut, stream", replies: persistent(geminitest.Reply{Cut: true}), wantRequests: 4, wantCalls: 4},
		{name: "error event, stream", replies: persistent(geminitest.Reply{Cut: true, CutWith: 500}), wantRequests: 4, wantCalls: 4},
		// One budget for both: two 500s and a cut body take the first call
		// three requests, which leaves one for the next call.
		{name: "500s, then ours", replies: []geminitest.Reply{{Fail: 500, FailTimes: 2, Cut: true}, {Fail: 429}}, wantRequests: 4, wantCalls: 2},
		// A 429 and a cut body take one request each, which leaves the SDK
		// two for the third call.
		{name: "ours, then 500s", replies: []geminitest.Reply{{Fail: 429, FailTimes: 1, Cut: true}, {Fail: 500}}, wantRequests: 4, wantCalls: 3},
		// A 429 takes one request, which leaves the SDK three for the
		// second call: a failed request and two 500s.
		{name: "ours, then the SDK's, generate", replies: []geminitest.Reply{{Fail: 429, FailTimes: 1, Cut: true}, {Fail: 500}}, generate: true, wantRequests: 4, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := geminitest.New()
			t.Cleanup(srv.Close)
			srv.Enqueue(tt.replies...)
			c, err := New(context.Background(), Config{
				APIKey:     "test-key",
				BaseURL:    srv.URL(),
				MaxRetries: cmp.Or(tt.maxRetries, maxRetries),
				BaseDelay:  time.Millisecond,
				MaxDelay:   5 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			// The timeout only turns a hang into a failure.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req := Request{System: "sys", Messages: []Message{{Role: RoleUser, Text: "hi"}}}
			if tt.generate {
				_, err = c.Generate(ctx, req)
			} else {
				_, err = c.Stream(ctx, req, func(string) error { return nil })
			}
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if got := len(srv.Requests()); got != tt.wantRequests {
				t.Errorf("server saw %d requests, want %d", got, tt.wantRequests)
			}
			if e.Attempts != tt.wantRequests || e.calls != tt.wantCalls {
				t.Errorf("Attempts, calls = %d, %d, want %d, %d", e.Attempts, e.calls, tt.wantRequests, tt.wantCalls)
			}
			if got, want := strings.Contains(e.Error(), "retried by the SDK"), tt.wantCalls < tt.wantRequests; got != want {
				t.Errorf("Error() = %q, mentions the SDK's retries: %v, want %v", e.Error(), got, want)
			}
		})
	}
}
