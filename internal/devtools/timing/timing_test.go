package timing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/timing"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond // 100 ms down to 1 ms
	}
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of an odd count", ms(5, 1, 3), 50, 3 * time.Millisecond},
		{"median of an even count: the lower middle", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p99 of 100 is the 99th, not the largest", hundred, 99, 99 * time.Millisecond},
		{"p95 of 100", hundred, 95, 95 * time.Millisecond},
		{"p100 is the largest", hundred, 100, 100 * time.Millisecond},
		{"a tiny p is the smallest", hundred, 0.1, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.ds)
			if got := timing.Percentile(tt.ds, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.ds, tt.p, got, tt.want)
			}
			if !slices.Equal(tt.ds, before) {
				t.Errorf("ds changed: %v, was %v", tt.ds, before)
			}
		})
	}
}

func TestMilliseconds(t *testing.T) {
	if got, want := timing.Milliseconds(1500*time.Microsecond+700), 1.5; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}
