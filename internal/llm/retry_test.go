package llm

import (
	"net/http"
	"testing"
	"time"
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
