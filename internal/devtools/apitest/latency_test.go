package apitest_test

import (
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/apitest"
)

// TestSpans counts sequential round trips and the time waited on them from
// calls laid out on a clock of milliseconds.
func TestSpans(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	span := func(from, to int) apitest.Span {
		return apitest.Span{Service: "DynamoDB", Start: at(from), End: at(to)}
	}
	tests := []struct {
		name       string
		spans      apitest.Spans
		wantRounds int
		wantWaited time.Duration
	}{
		{"none", nil, 0, 0},
		{"one", apitest.Spans{span(0, 10)}, 1, 10 * time.Millisecond},
		{"two at once", apitest.Spans{span(0, 10), span(1, 12)}, 1, 11 * time.Millisecond},
		{"one after the other", apitest.Spans{span(0, 10), span(11, 21)}, 2, 20 * time.Millisecond},
		// The third waits for the first only: the longest chain is 0-10 then 11-30.
		{"a round of two, then one", apitest.Spans{span(0, 10), span(0, 4), span(11, 30)}, 2, 29 * time.Millisecond},
		{"overlapping is not after", apitest.Spans{span(0, 10), span(9, 20)}, 1, 11 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.spans.Sequential(); got != tt.wantRounds {
				t.Errorf("Sequential = %d, want %d", got, tt.wantRounds)
			}
			if got := tt.spans.Waited(); got != tt.wantWaited {
				t.Errorf("Waited = %v, want %v", got, tt.wantWaited)
			}
		})
	}
	all := apitest.Spans{span(0, 10), {Service: "S3", Start: at(0), End: at(5)}, span(11, 21)}
	if got := len(all.Of("DynamoDB").StartedBefore(at(11))); got != 1 {
		t.Errorf("DynamoDB calls started before 11 ms: %d, want 1", got)
	}
	if got := len(all.AnsweredBy(at(10))); got != 2 {
		t.Errorf("calls answered by 10 ms: %d, want 2", got)
	}
}
