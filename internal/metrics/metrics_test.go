package metrics_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/emfproof"
	"github.com/zocket/agent/internal/metrics"
)

// TestCatalogue checks the rules every metric must follow: a unique name,
// dimension sets made of the dimensions its record has values for, the
// service dimension in each, statistics.
func TestCatalogue(t *testing.T) {
	names := map[string]bool{}
	for _, id := range metrics.Catalogue() {
		m := id.Metric()
		if m.Name == "" || names[m.Name] {
			t.Errorf("metric %d: name %q empty or taken", id, m.Name)
		}
		names[m.Name] = true
		if got, ok := metrics.ByName(m.Name); !ok || got != id {
			t.Errorf("ByName(%s) = %d, %v", m.Name, got, ok)
		}
		if len(m.Dimensions) == 0 || len(m.Statistics) == 0 || m.About == "" {
			t.Errorf("%s: dimensions, statistics and a description are required", m.Name)
		}
		for _, set := range m.Dimensions {
			if len(set) == 0 || set[0] != metrics.Service {
				t.Errorf("%s: dimension set %v does not start with service", m.Name, set)
			}
			for _, d := range set {
				if !slices.Contains(m.Kind.Dimensions(), d) {
					t.Errorf("%s: dimension %s, which a %s record does not have", m.Name, d, m.Kind)
				}
			}
		}
	}
	for _, outcomes := range [][]metrics.Ending{metrics.TurnOutcomes, metrics.BuildOutcomes} {
		for _, o := range outcomes {
			if metrics.Failed(outcomes, o.Name) != o.Failed {
				t.Errorf("Failed(%s) is not %v", o.Name, o.Failed)
			}
		}
	}
}

// emitted validates every line of out against the EMF specification and
// returns the series they publish.
func emitted(t *testing.T, out string) []emfproof.Series {
	t.Helper()
	var series []emfproof.Series
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !emfproof.IsDocument([]byte(line)) {
			t.Fatalf("not an EMF document: %s", line)
		}
		doc, err := emfproof.Validate([]byte(line), time.Now())
		if err != nil {
			t.Fatalf("%v\n%s", err, line)
		}
		series = append(series, doc.Series...)
	}
	return series
}

func find(series []emfproof.Series, name string, dims map[string]string) *emfproof.Series {
	for i, s := range series {
		if s.Name == name && len(s.Dimensions) == len(dims) {
			same := true
			for k, v := range dims {
				same = same && s.Dimensions[k] == v
			}
			if same {
				return &series[i]
			}
		}
	}
	return nil
}

// TestEMF writes a record of each kind and reads them back as CloudWatch
// would: valid documents, each metric under each of its dimension sets,
// with its unit and value.
func TestEMF(t *testing.T) {
	var out bytes.Buffer
	sink := metrics.NewEMF(&out, "stack-dev", "agent")
	start := time.Now().Add(-120 * time.Millisecond)

	req := metrics.New(metrics.Request, sink, start)
	req.Function, req.Route = "chat-stream", `POST /api/chat/send`
	req.Set(metrics.Requests, 1)
	req.Since(metrics.Latency, time.Now())
	req.Flag(metrics.HTTP4xx, false)
	req.Flag(metrics.HTTP5xx, true)
	req.Set(metrics.TimeToFirstToken, 5) // a turn's: dropped
	for i := range 3 {
		req.Observe(metrics.ResumeLag, float64(100+i))
	}
	req.Emit()

	turn := req.Derive(metrics.Turn)
	turn.Outcome = metrics.TurnComplete
	turn.Set(metrics.Turns, 1)
	turn.Flag(metrics.TurnFailed, false)
	turn.Set(metrics.TimeToFirstToken, 812.5)
	turn.Add(metrics.TokensOut, 20)
	turn.Add(metrics.TokensOut, 22)
	turn.Emit()

	build := metrics.New(metrics.Build, sink, start)
	build.Function, build.Outcome = "build", metrics.BuildCacheHit
	build.Set(metrics.Builds, 1)
	build.Set(metrics.BuildDuration, 3)
	build.Emit()

	metrics.New(metrics.Request, sink, start).Emit() // nothing to say: no line

	series := emitted(t, out.String())
	svc := map[string]string{"service": "agent"}
	route := map[string]string{"service": "agent", "function": "chat-stream", "route": "POST /api/chat/send"}
	for _, tt := range []struct {
		name string
		dims map[string]string
		unit string
		want []float64
	}{
		{"Requests", svc, "Count", []float64{1}},
		{"Requests", route, "Count", []float64{1}},
		{"Http5xx", route, "Count", []float64{1}},
		{"Http4xx", svc, "Count", []float64{0}},
		{"ResumeLag", svc, "Milliseconds", []float64{100, 101, 102}},
		{"Turns", map[string]string{"service": "agent", "outcome": "complete"}, "Count", []float64{1}},
		{"TimeToFirstToken", map[string]string{"service": "agent", "route": "POST /api/chat/send"}, "Milliseconds", []float64{812.5}},
		{"TokensOut", svc, "Count", []float64{42}},
		{"BuildDuration", map[string]string{"service": "agent", "outcome": "cache_hit"}, "Milliseconds", []float64{3}},
	} {
		s := find(series, tt.name, tt.dims)
		if s == nil {
			t.Errorf("no %s %v among\n%v", tt.name, tt.dims, series)
			continue
		}
		if s.Namespace != "stack-dev" || s.Unit != tt.unit || !slices.Equal(s.Values, tt.want) {
			t.Errorf("%s %v: %s %s %v, want stack-dev %s %v", tt.name, tt.dims, s.Namespace, s.Unit, s.Values, tt.unit, tt.want)
		}
	}
	if find(series, "Latency", svc) == nil || find(series, "TimeToFirstToken", route) != nil {
		t.Error("Latency missing, or a turn's metric on a request's record")
	}
	if n := strings.Count(out.String(), "\n"); n != 3 {
		t.Errorf("%d lines, want 3", n)
	}
}

// TestDimensionValues: a value CloudWatch would refuse (empty, not ASCII)
// is made one it takes, and JSON stays JSON.
func TestDimensionValues(t *testing.T) {
	var out bytes.Buffer
	r := metrics.New(metrics.Request, metrics.NewEMF(&out, "", ""), time.Now())
	r.Function, r.Route = "", "GET /x/\"é\"\n"
	r.Set(metrics.Requests, 1)
	r.Emit()
	series := emitted(t, out.String())
	if s := find(series, "Requests", map[string]string{"service": metrics.DefaultService, "function": "unknown", "route": `GET /x/""`}); s == nil || s.Namespace != metrics.DefaultNamespace {
		t.Errorf("series %v", series)
	}
}

// TestSamples: past MaxSamples, a record keeps an evenly spread half, then
// a quarter, and never more than MaxSamples.
func TestSamples(t *testing.T) {
	r := metrics.New(metrics.Request, nil, time.Now())
	for i := range 1000 {
		r.Observe(metrics.ResumeLag, float64(i))
	}
	got := r.Samples(metrics.ResumeLag)
	if len(got) > metrics.MaxSamples || len(got) < metrics.MaxSamples/2 {
		t.Fatalf("%d samples", len(got))
	}
	step := got[1] - got[0]
	for i := 1; i < len(got); i++ {
		if got[i]-got[i-1] != step {
			t.Fatalf("samples not evenly spread: %v", got)
		}
	}
	if got[0] != 0 || got[len(got)-1] < 900 {
		t.Errorf("samples do not span the values: %v", got)
	}
	var nothing *metrics.Record // a nil record takes everything, and says nothing
	nothing.Set(metrics.Requests, 1)
	nothing.Observe(metrics.ResumeLag, 1)
	nothing.Emit()
	if metrics.FromContext(context.Background()) != nil {
		t.Error("a record out of nowhere")
	}
}

// BenchmarkRequestRecord is what the metrics cost a request: a record from
// the pool, its four values, one EMF line, the record back.
func BenchmarkRequestRecord(b *testing.B) {
	sink := metrics.NewEMF(io.Discard, "ai-coding-agent-prod", "ai-coding-agent")
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		r := metrics.Acquire(metrics.Request, sink, start)
		r.Function, r.Route = "conversations-get", "GET /api/conversations/{id}"
		r.Set(metrics.Requests, 1)
		r.Since(metrics.Latency, time.Now())
		r.Flag(metrics.HTTP4xx, false)
		r.Flag(metrics.HTTP5xx, false)
		r.Emit()
		r.Release()
	}
}

// BenchmarkTurnRecord is what they cost a chat turn beside its request's
// record.
func BenchmarkTurnRecord(b *testing.B) {
	sink := metrics.NewEMF(io.Discard, "ai-coding-agent-prod", "ai-coding-agent")
	req := metrics.New(metrics.Request, sink, time.Now())
	req.Function, req.Route = "chat-stream", "POST /api/chat/send"
	b.ReportAllocs()
	for b.Loop() {
		r := req.Derive(metrics.Turn)
		r.Outcome = metrics.TurnComplete
		r.Set(metrics.Turns, 1)
		r.Flag(metrics.TurnFailed, false)
		r.Set(metrics.TimeToModelRequest, 31.2)
		r.Set(metrics.TimeToFirstToken, 812.4)
		r.Set(metrics.TurnDuration, 6230)
		r.Set(metrics.TokensIn, 1840)
		r.Set(metrics.TokensOut, 912)
		r.Set(metrics.JournalWriteFailures, 0)
		r.Emit()
	}
}
