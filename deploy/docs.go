package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/zocket/agent/internal/metrics"
)

// docs/operating.md's tables are written from the catalogue and from this
// package (`make template`), between markers, so that they never say
// other than what is deployed: deploy.TestOperatingDocIsCurrent fails
// while they do.

// OperatingSections are the generated sections of docs/operating.md, by
// name: "metrics", "outcomes", "alarms", "dashboard".
func (s *Stack) OperatingSections() map[string]string {
	return map[string]string{
		"metrics":   metricsTable() + "\n" + seriesLine(s.Functions),
		"outcomes":  outcomesTable(),
		"alarms":    alarmsTable(s.alarms),
		"dashboard": dashboardTable(s.dashboard),
	}
}

func metricsTable() string {
	var b strings.Builder
	b.WriteString("| metric | unit | record | dimension sets | statistics | what |\n|---|---|---|---|---|---|\n")
	for _, id := range metrics.Catalogue() {
		m := id.Metric()
		var sets []string
		for _, set := range m.Dimensions {
			var names []string
			for _, d := range set {
				names = append(names, string(d))
			}
			sets = append(sets, "`"+strings.Join(names, ", ")+"`")
		}
		unit := string(m.Unit)
		if m.Samples {
			unit += " (up to 100 a record)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", m.Name, unit, m.Kind, strings.Join(sets, " and "), strings.Join(m.Statistics, ", "), m.About)
	}
	return b.String()
}

// seriesLine says how many metrics CloudWatch keeps at most: a metric per
// dimension set and combination of values (function and route: each
// function's routes; route alone: the routes that start turns; outcome:
// each outcome of its record).
func seriesLine(fns []Function) string {
	pairs, turnRoutes := 0, map[string]bool{}
	for _, f := range fns {
		for _, g := range f.Served() {
			if g.Path == "" {
				continue
			}
			pairs++
			if g.NeedsModel() {
				turnRoutes[g.Method+" "+g.Path] = true
			}
		}
	}
	total := 0
	for _, id := range metrics.Catalogue() {
		m := id.Metric()
		for _, set := range m.Dimensions {
			n := 1
			switch {
			case slices.Contains(set, metrics.Function) && slices.Contains(set, metrics.Route):
				n = pairs
			case slices.Contains(set, metrics.Route):
				n = len(turnRoutes)
			case slices.Contains(set, metrics.Outcome) && m.Kind == metrics.Turn:
				n = len(metrics.TurnOutcomes)
			case slices.Contains(set, metrics.Outcome):
				n = len(metrics.BuildOutcomes)
			}
			total += n
		}
	}
	return fmt.Sprintf("At most %d metrics in CloudWatch (%d function and route pairs, %d routes that start turns, %d turn and %d build outcomes): "+
		"at $0.30 a metric a month (the first 10,000 custom metrics, us-east-1, a published price not checked on the day), at most $%.2f a month, less when some never occur (billed by the hour they are emitted).\n",
		total, pairs, len(turnRoutes), len(metrics.TurnOutcomes), len(metrics.BuildOutcomes), 0.30*float64(total))
}

func outcomesTable() string {
	var b strings.Builder
	b.WriteString("| record | outcome | a failure | what |\n|---|---|---|---|\n")
	for _, k := range []struct {
		kind     metrics.Kind
		outcomes []metrics.Ending
	}{{metrics.Turn, metrics.TurnOutcomes}, {metrics.Build, metrics.BuildOutcomes}} {
		for _, o := range k.outcomes {
			failed := ""
			if o.Failed {
				failed = "yes"
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", k.kind, o.Name, failed, o.About)
		}
	}
	return b.String()
}

// comparisons are the alarms' ComparisonOperators, as a sentence says them.
var comparisons = map[string]string{
	"GreaterThanThreshold":          ">",
	"GreaterThanOrEqualToThreshold": "≥",
}

func alarmsTable(as []Alarm) string {
	var b strings.Builder
	for _, a := range as {
		var watched string
		for _, q := range a.Queries {
			if q.Return {
				watched = q.Label
				if q.Expression != "" && !strings.HasPrefix(q.Expression, "SUM(") {
					watched += " (`" + q.Expression + "`)"
				}
			}
		}
		fmt.Fprintf(&b, "### %s\n\n", a.Name)
		fmt.Fprintf(&b, "- **Fires when** %s %s %s in %d of %d five-minute periods.\n", watched, comparisons[a.Comparison], number(a.Threshold), a.Datapoint, a.Evaluation)
		fmt.Fprintf(&b, "- **It means** %s\n- **Do** %s\n- **Why this threshold and window:** %s\n\n", a.Means, a.Do, a.Why)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func dashboardTable(ws []Widget) string {
	ws = slices.Clone(ws)
	slices.SortStableFunc(ws, func(a, b Widget) int {
		if a.Y != b.Y {
			return a.Y - b.Y
		}
		return a.X - b.X
	})
	var b strings.Builder
	b.WriteString("| row | widget | for |\n|---|---|---|\n")
	row, y := 0, -1
	for _, w := range ws {
		if w.Y != y {
			row, y = row+1, w.Y
		}
		fmt.Fprintf(&b, "| %d | %s | %s |\n", row, w.Title, w.About)
	}
	return b.String()
}

// generated finds a generated section: its begin marker, its text, its end
// marker.
var generated = regexp.MustCompile(`(?s)(<!-- begin ([a-z]+): written by make template from internal/metrics and deploy, do not edit -->\n)(.*?)(<!-- end [a-z]+ -->)`)

// ReplaceSections is doc with the text of each generated section replaced
// by sections' (every section of doc must have one).
func ReplaceSections(doc string, sections map[string]string) (string, error) {
	var missing []string
	out := generated.ReplaceAllStringFunc(doc, func(m string) string {
		parts := generated.FindStringSubmatch(m)
		text, ok := sections[parts[2]]
		if !ok {
			missing = append(missing, parts[2])
			return m
		}
		return parts[1] + text + parts[4]
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no section %v", missing)
	}
	for name := range sections {
		if !strings.Contains(out, "<!-- begin "+name+":") {
			return "", fmt.Errorf("the document has no section %s", name)
		}
	}
	return out, nil
}
