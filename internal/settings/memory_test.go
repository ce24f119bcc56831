package settings_test

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/zocket/agent/internal/settings"
)

func TestLimitMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	tests := []struct {
		name, size string
		want       int64
	}{
		{"outside Lambda", "", math.MaxInt64},
		{"256 MB function", "256", 256 << 20 / 10 * 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			settings.LimitMemory(func(k string) string {
				if k == "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" {
					return tt.size
				}
				return ""
			})
			if got := debug.SetMemoryLimit(-1); got != tt.want {
				t.Errorf("memory limit = %d, want %d", got, tt.want)
			}
		})
	}
}
