package metrics

import (
	"context"
	"math"
	"sync"
	"time"
)

// Sink receives finished records. Emit must not keep the record: the
// caller may reuse it as soon as Emit returns.
type Sink interface {
	Emit(*Record)
}

// MaxSamples is the most values a record carries for a metric of Samples:
// the Embedded Metric Format's limit for an array of values.
const MaxSamples = 100

// Record is what one request, turn or build measured: the values of its
// dimensions and of the metrics of its kind it has values for. A nil
// *Record takes every value and emits nothing, so code that measures need
// not know whether anything listens.
type Record struct {
	Kind Kind
	// The values of the dimensions the kind has (Service is the sink's).
	Function, Route, Outcome string
	// Start is when the request (or the build) began: times are measured
	// from it.
	Start time.Time

	sink    Sink
	set     uint32 // bit id: the metric has a value
	values  [numMetrics]float64
	samples map[ID]*sampleSet
}

// New returns a record of kind for sink, begun at start.
func New(kind Kind, sink Sink, start time.Time) *Record {
	return &Record{Kind: kind, sink: sink, Start: start}
}

var pool = sync.Pool{New: func() any { return new(Record) }}

// Acquire is New from a pool: for the record of every request, which
// Release returns once emitted.
func Acquire(kind Kind, sink Sink, start time.Time) *Record {
	r := pool.Get().(*Record)
	r.Kind, r.sink, r.Start = kind, sink, start
	return r
}

// Release returns a record of Acquire to the pool; r must not be used
// after.
func (r *Record) Release() {
	if r == nil {
		return
	}
	samples := r.samples
	clear(samples)
	*r = Record{samples: samples}
	pool.Put(r)
}

// Derive returns a new record of kind for the same sink, function and
// route, begun at the same time: a turn's record from its request's.
func (r *Record) Derive(kind Kind) *Record {
	if r == nil {
		return nil
	}
	return &Record{Kind: kind, sink: r.sink, Function: r.Function, Route: r.Route, Start: r.Start}
}

// accepts reports whether id may have a value in r: a metric of another
// kind would lack the dimensions it is published under.
func (r *Record) accepts(id ID, v float64) bool {
	return r != nil && id < numMetrics && catalogue[id].Kind == r.Kind && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// Set gives metric id the value v.
func (r *Record) Set(id ID, v float64) {
	if r.accepts(id, v) {
		r.values[id] = v
		r.set |= 1 << id
	}
}

// Add adds v to metric id's value.
func (r *Record) Add(id ID, v float64) {
	if r.accepts(id, v) {
		r.values[id] += v
		r.set |= 1 << id
	}
}

// Flag gives metric id the value 1 when on, else 0.
func (r *Record) Flag(id ID, on bool) {
	v := 0.0
	if on {
		v = 1
	}
	r.Set(id, v)
}

// Since gives metric id the milliseconds from the record's start to now.
func (r *Record) Since(id ID, now time.Time) {
	if r != nil {
		r.Set(id, Millis(now.Sub(r.Start)))
	}
}

// Observe adds v to the values of metric id, a metric of Samples. Past
// MaxSamples it keeps an evenly spread part of them: every second value,
// then every fourth, and so on.
func (r *Record) Observe(id ID, v float64) {
	if !r.accepts(id, v) || !catalogue[id].Samples {
		return
	}
	if r.samples == nil {
		r.samples = map[ID]*sampleSet{}
	}
	s := r.samples[id]
	if s == nil {
		s = &sampleSet{every: 1}
		r.samples[id] = s
	}
	s.add(v)
	r.set |= 1 << id
}

// Has reports whether metric id has a value.
func (r *Record) Has(id ID) bool { return r != nil && id < numMetrics && r.set&(1<<id) != 0 }

// Empty reports whether no metric has a value.
func (r *Record) Empty() bool { return r == nil || r.set == 0 }

// Value is metric id's value (0 when it has none).
func (r *Record) Value(id ID) float64 {
	if !r.Has(id) {
		return 0
	}
	return r.values[id]
}

// Samples are the values of metric id, a metric of Samples.
func (r *Record) Samples(id ID) []float64 {
	if !r.Has(id) || r.samples[id] == nil {
		return nil
	}
	return r.samples[id].vals
}

// Dimension is the record's value of dimension d ("" for Service, which
// is the sink's, and for one the kind does not have).
func (r *Record) Dimension(d Dimension) string {
	switch d {
	case Function:
		return r.Function
	case Route:
		return r.Route
	case Outcome:
		return r.Outcome
	}
	return ""
}

// Emit sends the record to its sink, when it has any value.
func (r *Record) Emit() {
	if r != nil && r.sink != nil && r.set != 0 {
		r.sink.Emit(r)
	}
}

// Millis is d in milliseconds, to the microsecond.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sampleSet keeps at most MaxSamples values, evenly spread: the values
// whose rank is a multiple of every.
type sampleSet struct {
	vals  []float64
	every int
	seen  int
}

func (s *sampleSet) add(v float64) {
	n := s.seen
	s.seen++
	if n%s.every != 0 {
		return
	}
	if len(s.vals) == MaxSamples {
		// Keep every second value, and from now on one in twice as many.
		for i := range MaxSamples / 2 {
			s.vals[i] = s.vals[2*i]
		}
		s.vals = s.vals[:MaxSamples/2]
		s.every *= 2
		if n%s.every != 0 {
			return
		}
	}
	s.vals = append(s.vals, v)
}

type contextKey struct{}

// NewContext returns ctx carrying the request's record.
func NewContext(ctx context.Context, r *Record) context.Context {
	return context.WithValue(ctx, contextKey{}, r)
}

// FromContext is the record of the request ctx belongs to, or nil.
func FromContext(ctx context.Context) *Record {
	r, _ := ctx.Value(contextKey{}).(*Record)
	return r
}
