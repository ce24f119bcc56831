package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/zocket/agent/internal/metrics"
)

// The dashboard, laid out for someone paged at night: what is firing and
// what to read first at the top; then what users feel (the API, chat),
// then where it breaks (Lambda, DynamoDB, previews, sign-in), then the
// errors themselves. docs/operating.md describes it from Dashboard.

// Widget is one widget of the dashboard.
type Widget struct {
	Title string
	// Type is CloudWatch's: "metric", "alarm", "text" or "log".
	Type string
	// X, Y, Width and Height place it on the 24-column grid.
	X, Y, Width, Height int
	// Queries are a metric widget's metrics and expressions; a metric an
	// expression reads is not drawn itself.
	Queries []Query
	Stacked bool
	// Markdown is a text widget's.
	Markdown string
	// Alarms are an alarm widget's, by logical ID.
	Alarms []string
	// LogQuery is a log widget's Logs Insights query, run over every
	// function's log group.
	LogQuery string
	// About says what it is for, in docs/operating.md.
	About string
}

// Dashboard is the deployment's dashboard, widget by widget.
func (s *Stack) Dashboard() []Widget { return s.dashboard }

// search is a dashboard expression that draws metric id, read with stat,
// for every value of dims (the service's besides): a line per route, per
// outcome. Alarms cannot search; dashboards can.
func search(id metrics.ID, stat string, dims ...metrics.Dimension) string {
	names := []string{`"${AWS::StackName}"`, string(metrics.Service)}
	for _, d := range dims {
		names = append(names, string(d))
	}
	return fmt.Sprintf(`SEARCH('{%s} MetricName="%s"', '%s', %d)`, strings.Join(names, ","), id.Name(), stat, fiveMinutes)
}

func dashboard(as []Alarm, fns []Function) []Widget {
	// row lays ws out side by side across the grid, at y.
	row := func(y int, ws ...Widget) []Widget {
		w := 24 / len(ws)
		for i := range ws {
			ws[i].X, ws[i].Y, ws[i].Width, ws[i].Height = i*w, y, w, 6
		}
		return ws
	}
	var alarmIDs []string
	for _, a := range as {
		alarmIDs = append(alarmIDs, a.LogicalID())
	}
	var ws []Widget
	ws = append(ws, Widget{
		Title: "Paged?", Type: "text", X: 0, Y: 0, Width: 24, Height: 3,
		Markdown: "## Paged? Start here\n" +
			"The alarm's description says what it means and what to do first; so does docs/operating.md (\"Operating it\"), alarm by alarm. " +
			"Below: what users feel (the API, chat), then where it breaks (Lambda, DynamoDB, previews, sign-in), then the errors with their requestId. " +
			"Every line of a request shares its requestId: Logs Insights `filter requestId = \"...\"` over the function's log group tells its story.",
		About: "where to start: the alarms' descriptions and this page",
	}, Widget{
		Title: "Alarms", Type: "alarm", X: 0, Y: 3, Width: 24, Height: 4, Alarms: alarmIDs,
		About: "every alarm's state: red first",
	})
	ws = append(ws, row(7,
		Widget{Title: "API: requests and 5xx %", Type: "metric", Queries: append([]Query{
			{ID: "requests", Metric: ours(metrics.Requests, "Sum"), Label: "requests"},
			{ID: "unavailable", Metric: ours(metrics.Unavailable, "Sum"), Label: "503 unavailable (AWS failing after retries)"},
		}, rate(metrics.HTTP5xx, 1, "5xx %")...), About: "how much traffic, and how much of it fails (the Api5xxRate alarm's expression); the 503s are DynamoDB, S3 or Lambda failing after the SDK's retries"},
		Widget{Title: "API: latency", Type: "metric", Queries: []Query{
			{ID: "p50", Metric: ours(metrics.Latency, "p50"), Label: "p50"},
			{ID: "p90", Metric: ours(metrics.Latency, "p90"), Label: "p90"},
			{ID: "p99", Metric: ours(metrics.Latency, "p99"), Label: "p99"},
		}, About: "how long answers take (a chat stream's whole length included: read chat's row for its first token)"},
		Widget{Title: "API: 5xx and 4xx by route", Type: "metric", Queries: []Query{
			{ID: "e5", Expression: search(metrics.HTTP5xx, "Sum", metrics.Function, metrics.Route), Label: "5xx"},
			{ID: "e4", Expression: search(metrics.HTTP4xx, "Sum", metrics.Function, metrics.Route), Label: "4xx"},
		}, About: "which routes fail: 5xx are ours, a surge of 4xx a client's (or a broken frontend)"},
	)...)
	ws = append(ws, row(13,
		Widget{Title: "Chat: turns by outcome", Type: "metric", Stacked: true, Queries: []Query{
			{ID: "outcomes", Expression: search(metrics.Turns, "Sum", metrics.Outcome), Label: ""},
		}, About: "how turns end: complete, stopped, client_gone, and the failures by kind (timeout, model_*, store_error)"},
		Widget{Title: "Chat: time to first token", Type: "metric", Queries: []Query{
			{ID: "t50", Metric: ours(metrics.TimeToFirstToken, "p50"), Label: "first token p50"},
			{ID: "t90", Metric: ours(metrics.TimeToFirstToken, "p90"), Label: "first token p90"},
			{ID: "m90", Metric: ours(metrics.TimeToModelRequest, "p90"), Label: "to the model request p90 (ours)"},
		}, About: "what a user waits for, and our part of it (the TimeToFirstTokenP90 alarm's metric)"},
		Widget{Title: "Chat: failures and refusals", Type: "metric", Queries: append(rate(metrics.TurnFailed, 1, "failed turns %"),
			Query{ID: "credits", Metric: ours(metrics.CreditsRefused, "Sum"), Label: "refused: no credits"},
			Query{ID: "limited", Metric: ours(metrics.TurnsLimited, "Sum"), Label: "refused: limits (429)"},
			Query{ID: "slots", Metric: ours(metrics.SlotReleaseFailed, "Sum"), Label: "slots not freed"},
		), About: "the ChatFailureRate alarm's rate, the turns refused before the model, and the turns whose slot stayed held (until it expires)"},
	)...)
	var errs, throttles []Query
	for i, g := range functionGroups(fns) {
		var ids []string
		for j, f := range g.functions {
			id := fmt.Sprintf("g%df%d", i, j)
			ids = append(ids, id)
			errs = append(errs, Query{ID: id, Metric: &MetricStat{Namespace: "AWS/Lambda", Name: "Errors", Stat: "Sum", Dimensions: []Dim{{"FunctionName", Ref(f.LogicalID)}}}})
			throttles = append(throttles, Query{ID: id, Metric: &MetricStat{Namespace: "AWS/Lambda", Name: "Throttles", Stat: "Sum", Dimensions: []Dim{{"FunctionName", Ref(f.LogicalID)}}}})
		}
		sum := "SUM([" + strings.Join(ids, ", ") + "])"
		errs = append(errs, Query{ID: fmt.Sprintf("g%d", i), Expression: sum, Label: g.name})
		throttles = append(throttles, Query{ID: fmt.Sprintf("g%d", i), Expression: sum, Label: g.name})
	}
	ws = append(ws, row(19,
		Widget{Title: "Lambda errors by group", Type: "metric", Queries: errs, About: "crashes, timeouts, failed starts, by group (the LambdaErrors alarms)"},
		Widget{Title: "Lambda throttles by group", Type: "metric", Queries: throttles, About: "invocations refused for want of concurrency (the LambdaThrottles alarms)"},
		Widget{Title: "DynamoDB throttle events", Type: "metric", Queries: alarmQueries(as, "DynamoDBThrottles"), About: "the table's and GSI1's throttled reads and writes (the DynamoDBThrottles alarm)"},
	)...)
	ws = append(ws, row(25,
		Widget{Title: "Previews: builds by outcome", Type: "metric", Stacked: true, Queries: []Query{
			{ID: "builds", Expression: search(metrics.Builds, "Sum", metrics.Outcome), Label: ""},
		}, About: "built, cache_hit, the code's failures (source_error, not_previewable) and ours (the BuildFailureRate alarm)"},
		Widget{Title: "Previews: failed builds %", Type: "metric", Queries: rate(metrics.BuildFailed, 1, "failed builds % (ours)"),
			About: "the BuildFailureRate alarm's rate: builds that failed for a reason of ours"},
		Widget{Title: "Previews: build time p90 by outcome", Type: "metric", Queries: []Query{
			{ID: "durations", Expression: search(metrics.BuildDuration, "p90", metrics.Outcome), Label: ""},
		}, About: "how long a build takes, a cache hit apart"},
		Widget{Title: "Sign-in: throttled", Type: "metric", Queries: []Query{
			{ID: "logins", Metric: ours(metrics.LoginThrottled, "Sum"), Label: "sign-ins throttled"},
			{ID: "registrations", Metric: ours(metrics.RegistrationThrottled, "Sum"), Label: "registrations throttled"},
		}, About: "the throttles at work (the LoginThrottleSpike alarm: credential stuffing)"},
	)...)
	ws = append(ws, row(31,
		Widget{Title: "Chat: tokens", Type: "metric", Queries: []Query{
			{ID: "in", Metric: ours(metrics.TokensIn, "Sum"), Label: "in"},
			{ID: "out", Metric: ours(metrics.TokensOut, "Sum"), Label: "out"},
		}, About: "what the model is asked and writes: its bill"},
		Widget{Title: "Chat: resume lag and journal", Type: "metric", Queries: []Query{
			{ID: "lag", Metric: ours(metrics.ResumeLag, "p90"), Label: "resume lag p90 (ms)"},
			{ID: "journal", Metric: ours(metrics.JournalWriteFailures, "Sum"), Label: "journal writes failed"},
		}, About: "how far behind a resumed stream follows, and the journal writes behind it that failed"},
		Widget{Title: "Chat: turn duration", Type: "metric", Queries: []Query{
			{ID: "d50", Metric: ours(metrics.TurnDuration, "p50"), Label: "p50"},
			{ID: "d90", Metric: ours(metrics.TurnDuration, "p90"), Label: "p90"},
		}, About: "a turn from its request to its saved reply: what the chat functions are billed for"},
	)...)
	ws = append(ws, Widget{
		Title: "Errors (the last 100, newest first)", Type: "log", X: 0, Y: 37, Width: 24, Height: 8,
		LogQuery: `fields @timestamp, @log, requestId, msg, code, err | filter level = "ERROR" | sort @timestamp desc | limit 100`,
		About:    "every function's error lines, with the requestId that finds the rest of the request",
	})
	return ws
}

// alarmQueries are the queries of the alarm called name.
func alarmQueries(as []Alarm, name string) []Query {
	for _, a := range as {
		if a.Name == name {
			return a.Queries
		}
	}
	return nil
}

// dashboardResource is the dashboard as CloudFormation's
// AWS::CloudWatch::Dashboard: its body is JSON, with the names of the
// stack's resources substituted (Fn::Sub).
func dashboardResource(ws []Widget, fns []Function) (Resource, error) {
	var widgets []any
	for _, w := range ws {
		props := map[string]any{"title": w.Title}
		switch w.Type {
		case "text":
			props = map[string]any{"markdown": w.Markdown}
		case "alarm":
			var arns []any
			for _, id := range w.Alarms {
				arns = append(arns, "${"+id+".Arn}")
			}
			props["alarms"] = arns
		case "log":
			var sources []string
			for _, f := range fns {
				sources = append(sources, "SOURCE '${"+f.LogGroupID()+"}'")
			}
			props["query"] = strings.Join(sources, " | ") + " | " + w.LogQuery
			props["region"] = "${AWS::Region}"
			props["view"] = "table"
		case "metric":
			var rows []any
			used := map[string]bool{}
			for _, q := range w.Queries {
				for _, id := range strings.FieldsFunc(q.Expression, func(r rune) bool {
					return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
				}) {
					used[id] = true
				}
			}
			for _, q := range w.Queries {
				opts := map[string]any{"id": q.ID}
				if q.Label != "" || q.Expression != "" {
					opts["label"] = q.Label
				}
				if q.Metric == nil {
					opts["expression"] = q.Expression
					rows = append(rows, []any{opts})
					continue
				}
				opts["stat"] = q.Metric.Stat
				if used[q.ID] {
					opts["visible"] = false
				}
				row := []any{subValue(q.Metric.Namespace), q.Metric.Name}
				for _, d := range q.Metric.Dimensions {
					row = append(row, d.Name, subValue(d.Value))
				}
				rows = append(rows, append(row, opts))
			}
			props["metrics"] = rows
			props["region"] = "${AWS::Region}"
			props["period"] = fiveMinutes
			props["view"] = "timeSeries"
			props["stacked"] = w.Stacked
		default:
			return Resource{}, fmt.Errorf("widget %q: type %q", w.Title, w.Type)
		}
		widgets = append(widgets, map[string]any{"type": w.Type, "x": w.X, "y": w.Y, "width": w.Width, "height": w.Height, "properties": props})
	}
	// One widget a line: the template stays readable, and a change to a
	// widget a change to its line.
	var body bytes.Buffer
	body.WriteString("{\"widgets\": [\n")
	for i, w := range widgets {
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(w); err != nil {
			return Resource{}, fmt.Errorf("dashboard: %w", err)
		}
		body.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
		if i < len(widgets)-1 {
			body.WriteByte(',')
		}
		body.WriteByte('\n')
	}
	body.WriteString("]}\n")
	return Resource{
		LogicalID: "Dashboard", Type: "AWS::CloudWatch::Dashboard",
		Comment: "One page for whoever is paged: alarms, then what users feel, then where it breaks\n" +
			"(docs/operating.md, \"The dashboard\").",
		Properties: map[string]any{
			"DashboardName": Sub("${AWS::StackName}"),
			"DashboardBody": Sub(body.String()),
		},
	}, nil
}

// subValue is v as Fn::Sub writes it: a Ref as ${Name}, a string as it is.
func subValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if name, ok := v["Ref"].(string); ok {
			return "${" + name + "}"
		}
	}
	panic(fmt.Sprintf("dashboard: cannot substitute %v", v))
}
