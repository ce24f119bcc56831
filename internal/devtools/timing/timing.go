// Package timing summarises measured durations the same way for the
// benchmarks (`make bench`, the esbuild builds) and the measuring scripts
// (bench-load, bench-coldstart, bench-memory).
package timing

import (
	"math"
	"slices"
	"time"
)

// Percentile is the p-th percentile of ds (0 < p ≤ 100) by nearest rank:
// the smallest of ds that at least p percent of them do not exceed, so the
// 50th of an even count is the lower of the middle two. It is 0 for no
// durations, and leaves ds as it is.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(ds))
	rank := int(math.Ceil(p * float64(len(sorted)) / 100))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Milliseconds is d in milliseconds, to the microsecond: the unit of the
// reports.
func Milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
