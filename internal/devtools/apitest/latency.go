package apitest

import (
	"context"
	"slices"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Latency is SDK middleware that delays every AWS call by Delay, as the
// round trip to AWS would (local stand-ins answer in microseconds), and
// records each call's span, so that a test can count the sequential round
// trips of a request and a benchmark can show what they cost.
type Latency struct {
	Delay time.Duration

	mu    sync.Mutex
	spans []Span
}

// Span is one AWS call, from its start to its answer.
type Span struct {
	Service, Operation string
	Start, End         time.Time
}

// APIOption installs the middleware on a client (aws.Config.APIOptions).
func (l *Latency) APIOption(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("InjectLatency",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			span := Span{Service: awsmiddleware.GetServiceID(ctx), Operation: awsmiddleware.GetOperationName(ctx), Start: time.Now()}
			if l.Delay > 0 {
				time.Sleep(l.Delay)
			}
			out, md, err := next.HandleInitialize(ctx, in)
			span.End = time.Now()
			l.mu.Lock()
			l.spans = append(l.spans, span)
			l.mu.Unlock()
			return out, md, err
		}), middleware.Before)
}

// Take returns the calls recorded since the last Take, by start time, and
// forgets them.
func (l *Latency) Take() Spans {
	l.mu.Lock()
	out := l.spans
	l.spans = nil
	l.mu.Unlock()
	slices.SortFunc(out, func(a, b Span) int { return a.Start.Compare(b.Start) })
	return out
}

// Spans are calls, by start time.
type Spans []Span

// Of are the calls to service ("DynamoDB", "S3").
func (ss Spans) Of(service string) Spans {
	return ss.filter(func(s Span) bool { return s.Service == service })
}

// StartedBefore are the calls that started before t.
func (ss Spans) StartedBefore(t time.Time) Spans {
	return ss.filter(func(s Span) bool { return s.Start.Before(t) })
}

// AnsweredBy are the calls that had answered by t.
func (ss Spans) AnsweredBy(t time.Time) Spans {
	return ss.filter(func(s Span) bool { return !s.End.After(t) })
}

func (ss Spans) filter(keep func(Span) bool) Spans {
	var out Spans
	for _, s := range ss {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// Waited is how long a request that made the calls waited on them: the
// longest chain of calls each of which started after the one before it had
// answered, by the time its calls took. What a request took beyond it is
// its own.
func (ss Spans) Waited() time.Duration {
	done := make([]time.Duration, len(ss))
	var longest time.Duration
	for i, s := range ss {
		var before time.Duration
		for j, p := range ss[:i] {
			if !p.End.After(s.Start) {
				before = max(before, done[j])
			}
		}
		done[i] = before + s.End.Sub(s.Start)
		longest = max(longest, done[i])
	}
	return longest
}

// Sequential is the number of sequential round trips among the calls: the
// longest chain of calls each of which started after the one before it had
// answered. Calls made at the same time count once.
func (ss Spans) Sequential() int {
	depth := make([]int, len(ss))
	longest := 0
	for i, s := range ss {
		depth[i] = 1
		for j, p := range ss[:i] {
			if !p.End.After(s.Start) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		longest = max(longest, depth[i])
	}
	return longest
}
