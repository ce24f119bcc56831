package emfproof

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zocket/agent/internal/metrics"
)

// Problem is a watch that no emission feeds, or a reference to nothing of
// the stack.
type Problem struct {
	Source, What string
}

func (p Problem) String() string { return p.Source + ": " + p.What }

// aws reports whether namespace is AWS's own (AWS/Lambda, AWS/DynamoDB):
// the service publishes those, no function emits them.
func aws(namespace string) bool { return strings.HasPrefix(namespace, "AWS/") }

// Check checks every watch against the series the functions emitted. A
// metric of the stack's namespace must have been emitted under exactly the
// dimensions read (a search: under exactly the dimension names it
// searches by), and be read with a statistic the catalogue lists for it.
// A metric of an AWS namespace must name a resource of the stack in each
// dimension (a function, the table, its index). A reference must be an
// alarm or a log group of the stack.
func (r *Watchlist) Check(emitted []Series) []Problem {
	have := map[string]bool{}    // namespace|name|dims=values
	schemas := map[string]bool{} // namespace|name|dim names
	namespaces := map[string]bool{}
	for _, s := range emitted {
		have[s.Key()] = true
		schemas[schemaKey(s.Namespace, s.Name, s.Dimensions)] = true
		namespaces[s.Namespace] = true
	}
	var out []Problem
	for _, w := range r.Watches {
		switch {
		case aws(w.Namespace):
			for _, k := range sortedKeys(w.Dimensions) {
				if r.names[w.Dimensions[k]] == "" {
					out = append(out, Problem{w.Source, fmt.Sprintf("%s %s: dimension %s=%q names nothing of the stack", w.Namespace, w.Name, k, w.Dimensions[k])})
				}
			}
			continue
		case !namespaces[w.Namespace]:
			out = append(out, Problem{w.Source, fmt.Sprintf("namespace %q: no function emitted any metric there", w.Namespace)})
			continue
		}
		id, ok := metrics.ByName(w.Name)
		if !ok {
			out = append(out, Problem{w.Source, fmt.Sprintf("%s is not a metric of the catalogue", w.Name)})
			continue
		}
		if !slices.Contains(id.Metric().Statistics, w.Stat) {
			out = append(out, Problem{w.Source, fmt.Sprintf("%s read as %s: the catalogue gives it %v", w.Name, w.Stat, id.Metric().Statistics)})
		}
		emittedSo := have[key(w.Namespace, w.Name, w.Dimensions)]
		if w.Search {
			emittedSo = schemas[schemaKey(w.Namespace, w.Name, w.Dimensions)]
		}
		if !emittedSo {
			out = append(out, Problem{w.Source, fmt.Sprintf("no function emitted %s %s", w.Name, showDims(w))})
		}
	}
	for _, ref := range r.References {
		if r.names[ref.Value] != ref.Kind {
			out = append(out, Problem{ref.Source, fmt.Sprintf("%s %q is not one of the stack's", ref.Kind, ref.Value)})
		}
	}
	return out
}

func schemaKey(namespace, name string, dims map[string]string) string {
	return namespace + "|" + name + "|" + strings.Join(sortedKeys(dims), ",")
}

func showDims(w Watch) string {
	var parts []string
	for _, k := range sortedKeys(w.Dimensions) {
		if w.Search {
			parts = append(parts, k)
		} else {
			parts = append(parts, k+"="+w.Dimensions[k])
		}
	}
	what := "with dimensions"
	if w.Search {
		what = "searched by"
	}
	return fmt.Sprintf("%s {%s} in %s", what, strings.Join(parts, ", "), w.Namespace)
}

// Report summarises a check: the alarms checked and those without data
// (any of whose metrics has a problem), the dashboards' widgets likewise.
func (r *Watchlist) Report(problems []Problem) string {
	bad := map[string]bool{}
	for _, p := range problems {
		bad[p.Source] = true
	}
	alarms, awsAlarms, badAlarms := map[string]bool{}, map[string]bool{}, 0
	widgets, badWidgets := map[string]bool{}, 0
	for _, w := range r.Watches {
		if w.Alarm == "" {
			widgets[w.Source] = true
			continue
		}
		alarms[w.Alarm] = true
		if aws(w.Namespace) {
			awsAlarms[w.Alarm] = true
		}
	}
	for src := range bad {
		if strings.HasPrefix(src, "alarm ") {
			badAlarms++
		} else {
			badWidgets++
		}
	}
	for _, ref := range r.References {
		widgets[ref.Source] = true
	}
	return fmt.Sprintf("Alarms: %d checked, %d without data (%d of them on AWS/Lambda or AWS/DynamoDB metrics, each naming a resource of the stack)\n"+
		"Dashboard: %d widgets, %d of them reading metrics, alarms or logs: %d watches and %d references checked, %d without data",
		len(alarms), badAlarms, len(awsAlarms), r.Widgets, len(widgets), len(r.Watches)-countAlarmWatches(r), len(r.References), badWidgets)
}

func countAlarmWatches(r *Watchlist) int {
	n := 0
	for _, w := range r.Watches {
		if w.Alarm != "" {
			n++
		}
	}
	return n
}

// Mutate shows that the check can fail: each metric of the stack's
// namespace that something watches is, in turn, dropped from the
// emissions, then renamed; every watch of it must then be reported. It
// returns how many mutants it tried and what survived.
func (r *Watchlist) Mutate(emitted []Series) (int, []string) {
	watched := map[string][]string{} // namespace|name → sources
	for _, w := range r.Watches {
		if !aws(w.Namespace) {
			k := w.Namespace + "|" + w.Name
			watched[k] = append(watched[k], w.Source)
		}
	}
	baseline := map[Problem]bool{}
	for _, p := range r.Check(emitted) {
		baseline[p] = true
	}
	var survivors []string
	mutants := 0
	for _, k := range slices.Sorted(maps.Keys(watched)) {
		for _, mutation := range []string{"dropped", "renamed"} {
			mutants++
			var mutant []Series
			for _, s := range emitted {
				if s.Namespace+"|"+s.Name == k {
					if mutation == "dropped" {
						continue
					}
					s.Name += "Renamed"
				}
				mutant = append(mutant, s)
			}
			reported := map[string]bool{}
			for _, p := range r.Check(mutant) {
				if !baseline[p] {
					reported[p.Source] = true
				}
			}
			for _, src := range watched[k] {
				if !reported[src] {
					survivors = append(survivors, fmt.Sprintf("%s %s: %s still passes", strings.SplitN(k, "|", 2)[1], mutation, src))
				}
			}
		}
	}
	return mutants, survivors
}
