// Package livemetrics is the devserver's metrics: the records the same code
// emits in Lambda (package metrics), kept in memory since the devserver
// started, each metric under each of its dimension sets as CloudWatch would
// publish it, and served at /metrics on DEBUG_ADDR: JSON for a client
// that asks for it (Accept: application/json), a small page for a browser.
// Counts and sums are exact; percentiles come from at most MaxSamples
// values of each series, a uniform sample of all of them.
package livemetrics

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zocket/agent/internal/devtools/timing"
	"github.com/zocket/agent/internal/metrics"
)

// MaxSamples is how many values a series keeps for its percentiles.
const MaxSamples = 10000

// Store keeps every record emitted to it. It is a metrics.Sink, safe for
// concurrent use.
type Store struct {
	service string
	start   time.Time

	mu     sync.Mutex
	series map[string]*series // by Key
	rand   *rand.Rand
}

var _ metrics.Sink = (*Store)(nil)

// New returns an empty store, started now; its records' service dimension
// is metrics.DefaultService, as the devserver has no deployment to name it.
func New() *Store {
	return &Store{service: metrics.DefaultService, start: time.Now(), series: map[string]*series{}, rand: rand.New(rand.NewPCG(1, 2))}
}

// series is one metric under one set of dimension values.
type series struct {
	id      metrics.ID
	dims    []dimValue
	count   int // values seen
	sum     float64
	samples []float64
}

type dimValue struct{ name, value string }

// Emit adds the values of r to each series they belong to.
func (s *Store) Emit(r *metrics.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range metrics.Catalogue() {
		if !r.Has(id) {
			continue
		}
		m := id.Metric()
		values := []float64{r.Value(id)}
		if m.Samples {
			values = r.Samples(id)
		}
		for _, set := range m.Dimensions {
			dims := make([]dimValue, len(set))
			var key strings.Builder
			key.WriteString(m.Name)
			for i, d := range set {
				v := s.service
				if d != metrics.Service {
					v = r.Dimension(d)
				}
				dims[i] = dimValue{string(d), v}
				key.WriteString("|" + string(d) + "=" + v)
			}
			ser := s.series[key.String()]
			if ser == nil {
				ser = &series{id: id, dims: dims}
				s.series[key.String()] = ser
			}
			for _, v := range values {
				s.add(ser, v)
			}
		}
	}
}

// add counts v in ser, keeping it as a sample with the probability that
// keeps the samples uniform (reservoir sampling).
func (s *Store) add(ser *series, v float64) {
	ser.count++
	ser.sum += v
	switch {
	case len(ser.samples) < MaxSamples:
		ser.samples = append(ser.samples, v)
	default:
		if i := s.rand.IntN(ser.count); i < MaxSamples {
			ser.samples[i] = v
		}
	}
}

// Series is one metric under one set of dimension values, summed up since
// the store started.
type Series struct {
	Metric     string            `json:"metric"`
	Unit       metrics.Unit      `json:"unit"`
	Dimensions map[string]string `json:"dimensions"`
	// Count is how many values the series had; Sum their sum. For a count
	// or a 0/1 flag, Sum is how many times it happened.
	Count int     `json:"count"`
	Sum   float64 `json:"sum"`
	// P50, P90 and P99 are the percentiles of a time (nearest rank).
	P50 *float64 `json:"p50,omitempty"`
	P90 *float64 `json:"p90,omitempty"`
	P99 *float64 `json:"p99,omitempty"`
}

// Snapshot is every series, in the catalogue's order, then by dimensions.
type Snapshot struct {
	Since  time.Time `json:"since"`
	Series []Series  `json:"series"`
}

// Snapshot sums up every series now.
func (s *Store) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Snapshot{Since: s.start, Series: []Series{}}
	keys := make([]string, 0, len(s.series))
	for k := range s.series {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		sa, sb := s.series[a], s.series[b]
		if sa.id != sb.id {
			return int(sa.id) - int(sb.id)
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys {
		ser := s.series[k]
		m := ser.id.Metric()
		o := Series{Metric: m.Name, Unit: m.Unit, Dimensions: map[string]string{}, Count: ser.count, Sum: ser.sum}
		for _, d := range ser.dims {
			o.Dimensions[d.name] = d.value
		}
		if m.Unit == metrics.Milliseconds && len(ser.samples) > 0 {
			ds := make([]time.Duration, len(ser.samples))
			for i, v := range ser.samples {
				ds[i] = time.Duration(v * float64(time.Millisecond))
			}
			p := func(q float64) *float64 { v := timing.Milliseconds(timing.Percentile(ds, q)); return &v }
			o.P50, o.P90, o.P99 = p(50), p(90), p(99)
		}
		out.Series = append(out.Series, o)
	}
	return out
}
