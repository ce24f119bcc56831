package emfproof

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/zocket/agent/internal/devtools/cfn"
)

// Watch is a metric an alarm or a dashboard widget of a template reads.
type Watch struct {
	// Source names the alarm or the widget: "alarm Api5xxRateAlarm",
	// `Dashboard widget "API: latency"`.
	Source string
	// Alarm is the alarm's logical ID ("" for a widget).
	Alarm           string
	Namespace, Name string
	// Dimensions are the metric's dimensions with their values; for a
	// search, the names it searches by, with no value: any value matches.
	Dimensions map[string]string
	Search     bool
	Stat       string
}

// Reference is something a widget names that must be the stack's: an
// alarm's ARN, a log group.
type Reference struct {
	Source, Kind, Value string
}

// Watchlist is what the alarms and the dashboards of a template watch.
type Watchlist struct {
	Watches    []Watch
	References []Reference
	// Alarms, Widgets count what was read: the alarms (under a condition
	// that holds), the dashboards' widgets.
	Alarms, Widgets int
	// names are what the stack's resources are called: what a dimension of
	// an AWS metric may name, a log group, an alarm's ARN.
	names map[string]string // value → the kind of resource it names
}

// Watched reads every alarm and dashboard of t, their intrinsic functions
// evaluated with v (which names the functions, the table and the
// parameters as the stack has them; the alarms, the log groups and the
// topic are named here, after the stack's name as localcloud names
// resources).
func Watched(t *cfn.Template, v cfn.Values) (*Watchlist, error) {
	v.Refs, v.Attributes = maps.Clone(v.Refs), maps.Clone(v.Attributes)
	if v.Refs == nil {
		v.Refs = map[string]any{}
	}
	if v.Attributes == nil {
		v.Attributes = map[string]any{}
	}
	stack, _ := v.Refs["AWS::StackName"].(string)
	region, _ := v.Refs["AWS::Region"].(string)
	account, _ := v.Refs["AWS::AccountId"].(string)
	out := &Watchlist{names: map[string]string{}}
	ids := slices.Sorted(maps.Keys(t.Resources))
	for _, id := range ids {
		switch t.Resources[id].Type {
		case "AWS::CloudWatch::Alarm":
			name := stack + "-" + id
			v.Refs[id] = name
			v.Attributes[id+".Arn"] = fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, account, name)
		case "AWS::SNS::Topic":
			v.Refs[id] = fmt.Sprintf("arn:aws:sns:%s:%s:%s-%s", region, account, stack, id)
		case "AWS::CloudWatch::Dashboard":
			v.Refs[id] = stack + "-" + id
		}
	}
	ev := cfn.NewEvaluator(t, v)
	for _, id := range ids {
		if t.Resources[id].Type != "AWS::Logs::LogGroup" {
			continue
		}
		name, err := ev.String("Resources."+id+".Properties.LogGroupName", t.Resources[id].Properties["LogGroupName"])
		if err != nil {
			return nil, err
		}
		v.Refs[id] = name
		out.names[name] = "log group"
	}
	for id, res := range t.Resources {
		switch res.Type {
		case "AWS::Serverless::Function", "AWS::Lambda::Function", "AWS::DynamoDB::Table":
			if name, ok := v.Refs[id].(string); ok {
				out.names[name] = res.Type
			}
		case "AWS::CloudWatch::Alarm":
			out.names[v.Attributes[id+".Arn"].(string)] = "alarm"
		}
		if res.Type == "AWS::DynamoDB::Table" {
			gsis, _ := res.Properties["GlobalSecondaryIndexes"].([]any)
			for _, g := range gsis {
				if m, ok := g.(map[string]any); ok {
					if n, ok := m["IndexName"].(string); ok {
						out.names[n] = "index"
					}
				}
			}
		}
	}
	ev = cfn.NewEvaluator(t, v)
	for _, id := range ids {
		res := t.Resources[id]
		if res.Type != "AWS::CloudWatch::Alarm" && res.Type != "AWS::CloudWatch::Dashboard" {
			continue
		}
		if res.Condition != "" {
			on, err := ev.Condition(res.Condition)
			if err != nil {
				return nil, err
			}
			if !on {
				continue
			}
		}
		path := "Resources." + id + ".Properties"
		x, err := ev.Eval(path, res.Properties)
		if err != nil {
			return nil, err
		}
		props, _ := x.(map[string]any)
		if res.Type == "AWS::CloudWatch::Alarm" {
			out.Alarms++
			ws, err := alarmWatches(id, props)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			out.Watches = append(out.Watches, ws...)
			continue
		}
		body, _ := props["DashboardBody"].(string)
		if err := out.dashboard(id, body); err != nil {
			return nil, fmt.Errorf("%s.DashboardBody: %w", path, err)
		}
	}
	return out, nil
}

// alarmWatches reads an alarm: one metric (Namespace, MetricName,
// Dimensions, Statistic or ExtendedStatistic), or the MetricStats of its
// Metrics.
func alarmWatches(id string, p map[string]any) ([]Watch, error) {
	src := "alarm " + id
	if name, ok := p["MetricName"].(string); ok {
		stat, _ := p["Statistic"].(string)
		if ext, ok := p["ExtendedStatistic"].(string); ok {
			stat = ext
		}
		ns, _ := p["Namespace"].(string)
		dims, err := nameValues(p["Dimensions"])
		return []Watch{{Source: src, Alarm: id, Namespace: ns, Name: name, Dimensions: dims, Stat: stat}}, err
	}
	queries, ok := p["Metrics"].([]any)
	if !ok {
		return nil, fmt.Errorf("alarm %s: neither MetricName nor Metrics", id)
	}
	var out []Watch
	for i, q := range queries {
		m, _ := q.(map[string]any)
		ms, ok := m["MetricStat"].(map[string]any)
		if !ok {
			continue // an expression over the others
		}
		metric, _ := ms["Metric"].(map[string]any)
		ns, _ := metric["Namespace"].(string)
		name, _ := metric["MetricName"].(string)
		stat, _ := ms["Stat"].(string)
		dims, err := nameValues(metric["Dimensions"])
		if err != nil || ns == "" || name == "" || stat == "" {
			return nil, fmt.Errorf("alarm %s: Metrics[%d]: namespace %q, name %q, stat %q: %v", id, i, ns, name, stat, err)
		}
		out = append(out, Watch{Source: src, Alarm: id, Namespace: ns, Name: name, Dimensions: dims, Stat: stat})
	}
	return out, nil
}

func nameValues(v any) (map[string]string, error) {
	out := map[string]string{}
	list, _ := v.([]any)
	for _, d := range list {
		m, _ := d.(map[string]any)
		name, ok1 := m["Name"].(string)
		value, ok2 := m["Value"].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("dimension %v: want a Name and a Value", d)
		}
		out[name] = value
	}
	return out, nil
}

// searchExpression is a dashboard's SEARCH('{Namespace,Dim,...}
// MetricName="Name"', 'Stat', Period), the form this repository writes.
var searchExpression = regexp.MustCompile(`^SEARCH\('\{([^}]*)\} MetricName="([^"]+)"', '([^']+)', \d+\)$`)

// dashboard reads a dashboard's body: each metric widget's metrics (with
// CloudWatch's "." for the previous row's value), searches and the stat of
// each (its own, the widget's, or Average); the alarms of alarm widgets;
// the log groups of log widgets.
func (r *Watchlist) dashboard(id, body string) error {
	var d struct {
		Widgets []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return err
	}
	for i, w := range d.Widgets {
		r.Widgets++
		title, _ := w.Properties["title"].(string)
		src := fmt.Sprintf("%s widget %q", id, title)
		if title == "" {
			src = fmt.Sprintf("%s widget %d", id, i)
		}
		switch w.Type {
		case "text":
		case "alarm":
			arns, _ := w.Properties["alarms"].([]any)
			for _, a := range arns {
				s, _ := a.(string)
				r.References = append(r.References, Reference{Source: src, Kind: "alarm", Value: s})
			}
		case "log":
			q, _ := w.Properties["query"].(string)
			for _, m := range regexp.MustCompile(`SOURCE '([^']*)'`).FindAllStringSubmatch(q, -1) {
				r.References = append(r.References, Reference{Source: src, Kind: "log group", Value: m[1]})
			}
		case "metric":
			stat, _ := w.Properties["stat"].(string)
			if stat == "" {
				stat = "Average"
			}
			rows, _ := w.Properties["metrics"].([]any)
			var prev []any
			for j, rw := range rows {
				row, _ := rw.([]any)
				if len(row) == 0 {
					return fmt.Errorf("%s: metrics[%d] is empty", src, j)
				}
				opts, _ := row[len(row)-1].(map[string]any)
				if opts != nil {
					row = row[:len(row)-1]
				}
				if len(row) == 0 {
					expr, _ := opts["expression"].(string)
					if m := searchExpression.FindStringSubmatch(expr); m != nil {
						names := strings.Split(m[1], ",")
						dims := map[string]string{}
						for _, n := range names[1:] {
							dims[strings.TrimSpace(n)] = ""
						}
						r.Watches = append(r.Watches, Watch{Source: src, Namespace: strings.Trim(names[0], `" `), Name: m[2], Dimensions: dims, Search: true, Stat: m[3]})
					} else if strings.Contains(expr, "SEARCH(") {
						return fmt.Errorf("%s: a search this proof does not read: %s", src, expr)
					}
					continue
				}
				vals := make([]string, len(row))
				for k, x := range row {
					s, _ := x.(string)
					if s == "." && k < len(prev) {
						s, _ = prev[k].(string)
					}
					vals[k] = s
				}
				prev = row
				for k := range row {
					row[k] = vals[k]
				}
				if len(vals) < 2 || len(vals)%2 != 0 {
					return fmt.Errorf("%s: metrics[%d] %v: want a namespace, a name and dimension pairs", src, j, vals)
				}
				dims := map[string]string{}
				for k := 2; k < len(vals); k += 2 {
					dims[vals[k]] = vals[k+1]
				}
				s := stat
				if st, ok := opts["stat"].(string); ok {
					s = st
				}
				r.Watches = append(r.Watches, Watch{Source: src, Namespace: vals[0], Name: vals[1], Dimensions: dims, Stat: s})
			}
		default:
			return fmt.Errorf("%s: a widget of type %q this proof does not read", src, w.Type)
		}
	}
	return nil
}
