// Package emfproof proves the metrics the way package iamproof proves the
// grants: from what the functions really did. It reads every log line the
// functions wrote during `make test-cloud`'s scenario, validates each
// Embedded Metric Format document against the specification (Validate),
// and checks that every metric an alarm or a dashboard widget of a
// template watches (namespace, name, dimensions, statistic) is one a
// function emitted (Check): an alarm on a metric nobody emits never fires,
// and CloudWatch would not say so.
//
// The specification's rules, as checked here
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
// the log event is one JSON object and nothing else; its _aws member is an
// object with a Timestamp (an integer, milliseconds since the epoch) and a
// CloudWatchMetrics array of MetricDirectives, each with a Namespace (1 to
// 1,024 characters), Dimensions (an array of DimensionSets, each at most 30
// names of root members whose values are strings of at most 1,024
// characters) and Metrics (at most 100 MetricDefinitions, each with the
// Name of a root member that is a number or an array of at most 100
// numbers, and optionally a Unit from CloudWatch's list and a
// StorageResolution of 1 or 60); those objects have no other members; the
// document is at most 256 KB. CloudWatch's own limits are checked beside
// them: a dimension's value holds ASCII and a character that is not a
// space, a namespace or a metric's name at most 255 characters.
package emfproof

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// MaxDocumentBytes is the largest document CloudWatch Logs takes.
const MaxDocumentBytes = 256 << 10

// Units are CloudWatch's units (MetricDatum).
var Units = []string{
	"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
	"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
	"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
	"Count/Second", "None",
}

// Series is one metric a document publishes: one MetricDefinition under
// one DimensionSet of its directive.
type Series struct {
	Namespace, Name string
	// Dimensions are the set's names with their values.
	Dimensions map[string]string
	Unit       string
	Values     []float64
}

// Key identifies the series as CloudWatch does: namespace, name and
// dimensions (names and values), in a stable order.
func (s Series) Key() string { return key(s.Namespace, s.Name, s.Dimensions) }

func key(namespace, name string, dims map[string]string) string {
	var b strings.Builder
	b.WriteString(namespace + "|" + name)
	for _, k := range sortedKeys(dims) {
		b.WriteString("|" + k + "=" + dims[k])
	}
	return b.String()
}

// Document is a log line that is an Embedded Metric Format document.
type Document struct {
	Line   string
	Series []Series
}

// IsDocument reports whether line is meant as an EMF document: a JSON
// object with an _aws member. Other lines (the access log, audit records)
// are not checked.
func IsDocument(line []byte) bool {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return false
	}
	var probe struct {
		AWS json.RawMessage `json:"_aws"`
	}
	return json.Unmarshal(line, &probe) == nil && probe.AWS != nil
}

// Validate checks one log line, an EMF document, against the
// specification, and returns the series it publishes; every rule it breaks
// is an error of the joined error.
func Validate(line []byte, now time.Time) (Document, error) {
	doc := Document{Line: string(line)}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(line) > MaxDocumentBytes {
		fail("%d bytes, more than %d", len(line), MaxDocumentBytes)
	}
	root, err := decodeObject(line)
	if err != nil {
		return doc, err
	}
	meta, ok := root["_aws"].(map[string]any)
	if !ok {
		return doc, errors.New("_aws: not an object")
	}
	extra(meta, "_aws", fail, "Timestamp", "CloudWatchMetrics")
	switch ts, ok := meta["Timestamp"].(json.Number); {
	case !ok:
		fail("_aws.Timestamp: missing, or not a number")
	default:
		ms, err := ts.Int64()
		if err != nil {
			fail("_aws.Timestamp %s: not an integer", ts)
			break
		}
		// Milliseconds, not seconds: within a day of now.
		if d := now.Sub(time.UnixMilli(ms)); d > 24*time.Hour || d < -24*time.Hour {
			fail("_aws.Timestamp %d: not milliseconds since the epoch near now (%s)", ms, time.UnixMilli(ms).UTC().Format(time.RFC3339))
		}
	}
	directives, ok := meta["CloudWatchMetrics"].([]any)
	if !ok {
		fail("_aws.CloudWatchMetrics: missing, or not an array")
	}
	dimensionNames, metricNames := map[string]bool{}, map[string]bool{}
	for i, d := range directives {
		path := fmt.Sprintf("_aws.CloudWatchMetrics[%d]", i)
		dir, ok := d.(map[string]any)
		if !ok {
			fail("%s: not an object", path)
			continue
		}
		extra(dir, path, fail, "Namespace", "Dimensions", "Metrics")
		ns, ok := dir["Namespace"].(string)
		if !ok || len(ns) < 1 || len(ns) > 255 || strings.HasPrefix(ns, ":") || !ascii(ns) {
			fail("%s.Namespace %v: want 1 to 255 ASCII characters, not starting with a colon", path, dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok || len(sets) == 0 {
			fail("%s.Dimensions: want an array of at least one DimensionSet", path)
		}
		var dimSets [][]string
		for j, s := range sets {
			spath := fmt.Sprintf("%s.Dimensions[%d]", path, j)
			names, ok := s.([]any)
			if !ok {
				fail("%s: not an array", spath)
				continue
			}
			if len(names) > 30 {
				fail("%s: %d dimensions, more than 30", spath, len(names))
			}
			var set []string
			for k, n := range names {
				name, ok := n.(string)
				if !ok || len(name) < 1 || len(name) > 250 {
					fail("%s[%d] %v: want a name of 1 to 250 characters", spath, k, n)
					continue
				}
				if slices.Contains(set, name) {
					fail("%s: %s twice", spath, name)
				}
				set = append(set, name)
				dimensionNames[name] = true
				v, ok := root[name].(string)
				switch {
				case !ok:
					fail("%s: the target member %s is missing, or not a string", spath, name)
				case len(v) > 1024 || !ascii(v) || strings.TrimSpace(v) == "":
					fail("%s: the value of %s, %q: want 1 to 1,024 ASCII characters, not all spaces", spath, name, v)
				}
			}
			dimSets = append(dimSets, set)
		}
		defs, ok := dir["Metrics"].([]any)
		if !ok {
			fail("%s.Metrics: missing, or not an array", path)
		}
		if len(defs) > 100 {
			fail("%s.Metrics: %d MetricDefinitions, more than 100", path, len(defs))
		}
		seen := map[string]bool{}
		for j, m := range defs {
			mpath := fmt.Sprintf("%s.Metrics[%d]", path, j)
			def, ok := m.(map[string]any)
			if !ok {
				fail("%s: not an object", mpath)
				continue
			}
			extra(def, mpath, fail, "Name", "Unit", "StorageResolution")
			name, ok := def["Name"].(string)
			if !ok || len(name) < 1 || len(name) > 255 || !ascii(name) {
				fail("%s.Name %v: want 1 to 255 ASCII characters", mpath, def["Name"])
				continue
			}
			if seen[name] {
				fail("%s: %s twice in the directive", mpath, name)
			}
			seen[name] = true
			metricNames[name] = true
			unit := "None"
			if u, ok := def["Unit"]; ok {
				s, ok := u.(string)
				if !ok || !slices.Contains(Units, s) {
					fail("%s.Unit %v: not a CloudWatch unit", mpath, u)
				}
				unit = s
			}
			if r, ok := def["StorageResolution"]; ok {
				if n, ok := r.(json.Number); !ok || (n.String() != "1" && n.String() != "60") {
					fail("%s.StorageResolution %v: want 1 or 60", mpath, r)
				}
			}
			values, err := metricValues(root[name])
			if err != nil {
				fail("%s: the target member %s: %v", mpath, name, err)
				continue
			}
			for _, set := range dimSets {
				dims := map[string]string{}
				for _, d := range set {
					dims[d], _ = root[d].(string)
				}
				doc.Series = append(doc.Series, Series{Namespace: ns, Name: name, Dimensions: dims, Unit: unit, Values: values})
			}
		}
	}
	for name := range dimensionNames {
		if metricNames[name] {
			fail("%s is both a dimension and a metric", name)
		}
	}
	return doc, errors.Join(errs...)
}

// metricValues reads a metric's target member: a number, or an array of
// at most 100 numbers.
func metricValues(v any) ([]float64, error) {
	number := func(x any) (float64, error) {
		n, ok := x.(json.Number)
		if !ok {
			return 0, fmt.Errorf("%v is not a number", x)
		}
		f, err := n.Float64()
		if err != nil || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%s is not a number CloudWatch takes", n)
		}
		return f, nil
	}
	switch v := v.(type) {
	case nil:
		return nil, errors.New("missing")
	case []any:
		if len(v) > 100 {
			return nil, fmt.Errorf("an array of %d values, more than 100", len(v))
		}
		out := make([]float64, 0, len(v))
		for _, x := range v {
			f, err := number(x)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
		return out, nil
	}
	f, err := number(v)
	if err != nil {
		return nil, err
	}
	return []float64{f}, nil
}

// decodeObject reads line as exactly one JSON object (nothing before or
// after it), numbers as json.Number, and fails on a member named twice.
func decodeObject(line []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New("the log event is not a JSON object")
	}
	root := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		name := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("not JSON: member %s: %w", name, err)
		}
		if _, dup := root[name]; dup {
			return nil, fmt.Errorf("member %s twice", name)
		}
		root[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return root, nil
}

// extra reports the members of obj the specification does not define.
func extra(obj map[string]any, path string, fail func(string, ...any), allowed ...string) {
	for _, k := range sortedKeys(obj) {
		if !slices.Contains(allowed, k) {
			fail("%s: member %s is not the specification's", path, k)
		}
	}
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Read validates every EMF document among lines (log lines; others are
// skipped) and returns the series they publish, or the first document
// that breaks a rule.
func Read(lines []string, now time.Time) ([]Series, error) {
	var series []Series
	for _, line := range lines {
		if !IsDocument([]byte(line)) {
			continue
		}
		doc, err := Validate([]byte(strings.TrimSpace(line)), now)
		if err != nil {
			return nil, fmt.Errorf("%w\nin %s", err, line)
		}
		series = append(series, doc.Series...)
	}
	return series, nil
}

// Select returns the series of the metric name whose dimensions are
// exactly dims.
func Select(series []Series, name string, dims map[string]string) []Series {
	want := key("", name, dims)
	var out []Series
	for _, s := range series {
		if key("", s.Name, s.Dimensions) == want {
			out = append(out, s)
		}
	}
	return out
}

// Values are the values of every series of Select(series, name, dims), in
// order.
func Values(series []Series, name string, dims map[string]string) []float64 {
	var out []float64
	for _, s := range Select(series, name, dims) {
		out = append(out, s.Values...)
	}
	return out
}
