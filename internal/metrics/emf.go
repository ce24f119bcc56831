package metrics

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The variables deploy sets for every function, after Lambda Powertools':
// the metrics' namespace (the stack's name) and the service dimension's
// value.
const (
	NamespaceVariable = "POWERTOOLS_METRICS_NAMESPACE"
	ServiceVariable   = "POWERTOOLS_SERVICE_NAME"
)

// Defaults when the variables are unset (a function run by hand, the
// tests).
const (
	DefaultNamespace = "ai-coding-agent"
	DefaultService   = "ai-coding-agent"
)

// EMF writes each record as one line of CloudWatch Embedded Metric Format
// to w: a JSON object whose _aws member tells CloudWatch Logs which of its
// members are metrics and dimensions. It is safe for concurrent use; each
// record is one Write.
type EMF struct {
	namespace, service string

	mu  sync.Mutex
	w   io.Writer
	buf []byte
	// directives are the CloudWatchMetrics arrays, by the kind and the
	// metrics a record has: a handful, made once each.
	directives map[uint64][]byte
	now        func() time.Time
}

var _ Sink = (*EMF)(nil)

// NewEMF returns an EMF sink writing to w, under namespace, with service as
// the service dimension's value (the defaults when empty).
func NewEMF(w io.Writer, namespace, service string) *EMF {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if service == "" {
		service = DefaultService
	}
	return &EMF{namespace: namespace, service: service, w: w, directives: map[uint64][]byte{}, now: time.Now}
}

// EMFFromEnv is NewEMF with the namespace and the service from the
// environment deploy gives a function.
func EMFFromEnv(w io.Writer, getenv func(string) string) *EMF {
	return NewEMF(w, getenv(NamespaceVariable), getenv(ServiceVariable))
}

// Namespace is the namespace of the metrics e writes.
func (e *EMF) Namespace() string { return e.namespace }

// Emit writes r as one line.
func (e *EMF) Emit(r *Record) {
	if r.Empty() || r.Kind >= kinds {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	b := append(e.buf[:0], `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, e.now().UnixMilli(), 10)
	b = append(b, `,"CloudWatchMetrics":`...)
	b = append(b, e.directive(r.Kind, r.set)...)
	b = append(b, '}')
	b = appendMember(b, string(Service), e.service)
	for _, d := range dimensions[r.Kind] {
		b = appendMember(b, string(d), r.Dimension(d))
	}
	for id := range numMetrics {
		if r.set&(1<<id) == 0 {
			continue
		}
		b = append(b, ',')
		b = appendString(b, catalogue[id].Name)
		b = append(b, ':')
		if catalogue[id].Samples {
			b = append(b, '[')
			for i, v := range r.Samples(id) {
				if i > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, v, 'f', -1, 64)
			}
			b = append(b, ']')
			continue
		}
		b = strconv.AppendFloat(b, r.values[id], 'f', -1, 64)
	}
	b = append(b, "}\n"...)
	_, _ = e.w.Write(b)
	e.buf = b
}

// directive is the CloudWatchMetrics array of a record of kind with the
// metrics of set: one MetricDirective per dimension sets the metrics share.
func (e *EMF) directive(kind Kind, set uint32) []byte {
	key := uint64(kind)<<32 | uint64(set)
	if d, ok := e.directives[key]; ok {
		return d
	}
	type group struct {
		dims [][]Dimension
		ids  []ID
	}
	var groups []group
	for id := range numMetrics {
		if set&(1<<id) == 0 {
			continue
		}
		m := catalogue[id]
		i := slices.IndexFunc(groups, func(g group) bool {
			return slices.EqualFunc(g.dims, m.Dimensions, slices.Equal)
		})
		if i < 0 {
			groups = append(groups, group{dims: m.Dimensions})
			i = len(groups) - 1
		}
		groups[i].ids = append(groups[i].ids, id)
	}
	b := []byte{'['}
	for i, g := range groups {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Namespace":`...)
		b = appendString(b, e.namespace)
		b = append(b, `,"Dimensions":[`...)
		for j, set := range g.dims {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for k, d := range set {
				if k > 0 {
					b = append(b, ',')
				}
				b = appendString(b, string(d))
			}
			b = append(b, ']')
		}
		b = append(b, `],"Metrics":[`...)
		for j, id := range g.ids {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Name":`...)
			b = appendString(b, catalogue[id].Name)
			b = append(b, `,"Unit":`...)
			b = appendString(b, string(catalogue[id].Unit))
			b = append(b, '}')
		}
		b = append(b, "]}"...)
	}
	b = append(b, ']')
	e.directives[key] = b
	return b
}

// appendMember appends ,"name":"value" for a dimension: a value CloudWatch
// takes (ASCII, at least one character that is not a space, at most 1,024).
func appendMember(b []byte, name, value string) []byte {
	b = append(b, ',')
	b = appendString(b, name)
	b = append(b, ':')
	return appendString(b, dimensionValue(value))
}

// dimensionValue is v as CloudWatch takes a dimension's value: its ASCII
// printable characters, at most 1,024 of them, "unknown" when none is left.
func dimensionValue(v string) string {
	clean := true
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			clean = false
			break
		}
	}
	if !clean {
		v = strings.Map(func(c rune) rune {
			if c < 0x20 || c > 0x7e {
				return -1
			}
			return c
		}, v)
	}
	if len(v) > 1024 {
		v = v[:1024]
	}
	if strings.TrimSpace(v) == "" {
		return "unknown"
	}
	return v
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
