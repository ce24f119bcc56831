package deploy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zocket/agent/internal/metrics"
)

// Alarms: each watches what users feel or what stops them, fires to the
// AlertTopic (an e-mail when AlertEmail is set), and says in its
// description what it means and what to do; docs/operating.md has the
// same from Alarm (make template writes it).

// Alarm is one alarm of the deployment.
type Alarm struct {
	// Name is its logical ID less "Alarm", and its name less the stack's.
	Name string
	// Means is what it means when it fires, and Do what to do first: the
	// alarm's description, and docs/operating.md's.
	Means, Do string
	// Why explains the threshold and the window.
	Why string
	// Queries are what it evaluates: metrics, and the expression whose
	// result it watches (Return).
	Queries []Query
	// Threshold, Comparison (CloudWatch's ComparisonOperator), Period
	// (seconds), Evaluation (periods) and DatapointsToAlarm: it fires when
	// DatapointsToAlarm of the last Evaluation periods compare so.
	Threshold                     float64
	Comparison                    string
	Period, Evaluation, Datapoint int
}

// LogicalID is the alarm's logical ID.
func (a Alarm) LogicalID() string { return a.Name + "Alarm" }

// Query is a metric an alarm or a widget reads (Metric), or an expression
// over others (Expression), by Id.
type Query struct {
	ID         string
	Metric     *MetricStat
	Expression string
	Label      string
	Return     bool
}

// MetricStat is a metric and the statistic read of it.
type MetricStat struct {
	Namespace  any // a string, or Ref AWS::StackName for the catalogue's
	Name       string
	Dimensions []Dim
	Stat       string
}

// Dim is a dimension's name and value.
type Dim struct {
	Name  string
	Value any
}

// ours is metric id of the catalogue, read with stat, under the dimension
// set of service and dims.
func ours(id metrics.ID, stat string, dims ...Dim) *MetricStat {
	return &MetricStat{
		Namespace: Ref("AWS::StackName"), Name: id.Name(), Stat: stat,
		Dimensions: append([]Dim{{string(metrics.Service), metrics.DefaultService}}, dims...),
	}
}

// check reports a metric of the catalogue read under a dimension set it is
// not published under, or with a statistic that means nothing for it.
func (m *MetricStat) check() error {
	if m.Namespace == nil || !isStackName(m.Namespace) {
		return nil // an AWS namespace
	}
	id, ok := metrics.ByName(m.Name)
	if !ok {
		return fmt.Errorf("metric %s is not in the catalogue", m.Name)
	}
	var names []metrics.Dimension
	for _, d := range m.Dimensions {
		names = append(names, metrics.Dimension(d.Name))
	}
	if !slices.ContainsFunc(id.Metric().Dimensions, func(set []metrics.Dimension) bool { return slices.Equal(set, names) }) {
		return fmt.Errorf("metric %s is not published under dimensions %v", m.Name, names)
	}
	if !slices.Contains(id.Metric().Statistics, m.Stat) {
		return fmt.Errorf("statistic %s of %s: it has %v", m.Stat, m.Name, id.Metric().Statistics)
	}
	return nil
}

func isStackName(v any) bool {
	r, ok := v.(map[string]any)
	return ok && r["Ref"] == "AWS::StackName"
}

// rate is the percentage of 1s among a 0/1 flag's values in a period, 0
// while there are fewer than least: a single failure on a quiet night is
// not a rate.
func rate(id metrics.ID, least int, label string) []Query {
	return []Query{
		{ID: "failed", Metric: ours(id, "Sum")},
		{ID: "all", Metric: ours(id, "SampleCount")},
		{ID: "rate", Expression: fmt.Sprintf("IF(all >= %d, 100 * failed / all, 0)", least), Label: label, Return: true},
	}
}

// fiveMinutes is every alarm's period: CloudWatch's standard resolution
// gives a datapoint a minute, and five smooth out a single slow turn or a
// cold start's burst while still paging within a quarter of an hour.
const fiveMinutes = 300

func alarms(fns []Function) []Alarm {
	out := []Alarm{
		{
			Name:    "Api5xxRate",
			Means:   "More than 5% of the API's requests are answered with a 5xx: users see errors on every screen.",
			Do:      "Open the dashboard's Http5xx by route to find the routes, then the Errors log widget (or Logs Insights: filter level = \"ERROR\") for their requestIds and causes: a DynamoDB or S3 failure, a bad deploy (roll back), the model upstream (502s on chat-send).",
			Why:     "5% over 2 of 3 five-minute periods, with at least 20 requests a period: a single 500 on a quiet night is 50% of two requests and not worth waking for; a dependency down or a bad deploy is 5% within minutes, and stays.",
			Queries: rate(metrics.HTTP5xx, 20, "5xx %"), Threshold: 5, Comparison: "GreaterThanThreshold",
			Period: fiveMinutes, Evaluation: 3, Datapoint: 2,
		},
		{
			Name:    "ChatFailureRate",
			Means:   "More than 10% of chat turns end in an error: the model fails (by kind in Turns by outcome), times out, or our saves fail.",
			Do:      "Check Turns by outcome: model_rate_limited means Gemini's quota (raise it, or lower TURNS_PER_MINUTE); model_error the model's availability (Google's status page); timeout a slow model; store_error DynamoDB (its throttles, the Errors log widget).",
			Why:     "10% over 2 of 3 five-minute periods, with at least 5 turns: the model's own hiccups are retried before its first token and stay well under it; an outage or a quota reached is far above it and lasts.",
			Queries: rate(metrics.TurnFailed, 5, "failed turns %"), Threshold: 10, Comparison: "GreaterThanThreshold",
			Period: fiveMinutes, Evaluation: 3, Datapoint: 2,
		},
		{
			Name:  "TimeToFirstTokenP90",
			Means: "One turn in ten waits more than 5 s for its first text: chat feels broken even when it works.",
			Do:    "Compare TimeToModelRequest p90 (ours: DynamoDB round trips, cold starts) with TimeToFirstToken p90 (the model's): if ours grew, look at DynamoDB latency and throttles and chat-stream's cold starts (Lambda Duration, Init); if the model's, it is Gemini's latency (a busier model, longer prompts).",
			Why:   "p90 over 5 s for 3 five-minute periods in a row, with at least 5 turns: the model answers its first token in about a second (a published figure for Gemini Flash, not measured here) and our part, with 10 ms a DynamoDB round trip, takes 25 to 70 ms (make bench), so 5 s sustained for a quarter of an hour is a degradation, not a long prompt.",
			Queries: []Query{
				{ID: "p90", Metric: ours(metrics.TimeToFirstToken, "p90")},
				{ID: "turns", Metric: ours(metrics.TimeToFirstToken, "SampleCount")},
				{ID: "slow", Expression: "IF(turns >= 5, p90, 0)", Label: "time to first token p90 (ms)", Return: true},
			},
			Threshold: 5000, Comparison: "GreaterThanThreshold", Period: fiveMinutes, Evaluation: 3, Datapoint: 3,
		},
	}
	for _, g := range functionGroups(fns) {
		out = append(out, lambdaAlarm(g, "Errors", 5, 1,
			"invocations of the "+g.name+" group's functions failed: crashed, timed out or failed to start (Lambda's Errors; an answer with a 5xx is not one)",
			"The Lambda errors widget shows which; the function's log group has its last lines (a panic's stack, \"init failed\", a Task timed out line). A deploy that broke init: roll back.",
			"5 in one five-minute period: the handlers recover panics and save before their deadline, so a Lambda error is a bug or a broken start, and a handful of them is already users failing."))
		out = append(out, lambdaAlarm(g, "Throttles", 10, 2,
			"invocations of the "+g.name+" group's functions were throttled: Lambda refused them for want of concurrency",
			"The chat functions are held to ChatReservedConcurrency when it is set; others share the account's concurrency (1,000 by default, 10 in a new account). Raise the reservation or the account's quota, or find the client hammering (Requests by route).",
			"10 in 2 of 3 five-minute periods: a burst that the clients retry is not worth waking for; a ceiling reached stays."))
	}
	out = append(out,
		Alarm{
			Name:  "DynamoDBThrottles",
			Means: "DynamoDB throttles the table's or GSI1's reads or writes: requests slow down through the SDK's retries, then fail.",
			Do:    "On-demand tables throttle a partition past 3,000 reads or 1,000 writes a second, or traffic that more than doubles its previous peak within 30 minutes: check the dashboard for a hot key (one user's burst) or a surge; a sustained surge may want the table pre-warmed (warm throughput).",
			Why:   "10 throttle events in 2 of 3 five-minute periods: the SDK retries a few (3 attempts) without a user noticing; more, for ten minutes, fail requests. ThrottledRequests is published per operation only, so the table's and the index's throttle events are summed instead.",
			Queries: []Query{
				{ID: "reads", Metric: &MetricStat{Namespace: "AWS/DynamoDB", Name: "ReadThrottleEvents", Stat: "Sum", Dimensions: []Dim{{"TableName", Ref("Table")}}}},
				{ID: "writes", Metric: &MetricStat{Namespace: "AWS/DynamoDB", Name: "WriteThrottleEvents", Stat: "Sum", Dimensions: []Dim{{"TableName", Ref("Table")}}}},
				{ID: "indexReads", Metric: &MetricStat{Namespace: "AWS/DynamoDB", Name: "ReadThrottleEvents", Stat: "Sum", Dimensions: []Dim{{"TableName", Ref("Table")}, {"GlobalSecondaryIndexName", "GSI1"}}}},
				{ID: "indexWrites", Metric: &MetricStat{Namespace: "AWS/DynamoDB", Name: "WriteThrottleEvents", Stat: "Sum", Dimensions: []Dim{{"TableName", Ref("Table")}, {"GlobalSecondaryIndexName", "GSI1"}}}},
				{ID: "throttled", Expression: "SUM([reads, writes, indexReads, indexWrites])", Label: "throttle events", Return: true},
			},
			Threshold: 10, Comparison: "GreaterThanOrEqualToThreshold", Period: fiveMinutes, Evaluation: 3, Datapoint: 2,
		},
		Alarm{
			Name:    "BuildFailureRate",
			Means:   "More than 20% of preview builds fail for a reason of ours: the cache (S3) or the builder itself, not code that does not build.",
			Do:      "Builds by outcome says which: cache_error is S3 (the build function's log for AccessDenied or throttling), timeout a build over its time (the build function's Duration near 60 s), internal the builder (its log: a broken deploy of the package set).",
			Why:     "20% over 2 of 3 five-minute periods, with at least 5 builds: code the model wrote that does not build is the model's, and not counted; a failure of ours should be none at all, so a fifth of them for ten minutes is an outage of previews.",
			Queries: rate(metrics.BuildFailed, 5, "failed builds %"), Threshold: 20, Comparison: "GreaterThanThreshold",
			Period: fiveMinutes, Evaluation: 3, Datapoint: 2,
		},
		Alarm{
			Name:  "LoginThrottleSpike",
			Means: "More than 50 sign-ins were refused by the throttle in five minutes: someone is guessing passwords, likely credential stuffing from many addresses.",
			Do:    "Look at the audit records (filter msg = \"audit\" and action = \"login\") for the clientAddress and userId spread: one address or a few can be blocked at CloudFront (a WAF rate rule); many accounts targeted means leaked credentials: consider forcing their password change. The throttle itself holds (10 per account and address, 100 per address, 15 minutes).",
			Why:   "50 refusals in one five-minute period: a user who forgot a password meets the throttle a few times at most; 50 is a tool, and the sooner someone looks the fewer accounts it reaches.",
			Queries: []Query{
				{ID: "refused", Metric: ours(metrics.LoginThrottled, "Sum"), Label: "sign-ins throttled", Return: true},
			},
			Threshold: 50, Comparison: "GreaterThanThreshold", Period: fiveMinutes, Evaluation: 1, Datapoint: 1,
		},
	)
	return out
}

// lambdaAlarm sums Lambda's metric over the group's functions.
func lambdaAlarm(g functionGroup, metric string, threshold float64, datapoints int, means, do, why string) Alarm {
	var qs []Query
	var ids []string
	for i, f := range g.functions {
		id := fmt.Sprintf("f%d", i)
		ids = append(ids, id)
		qs = append(qs, Query{ID: id, Metric: &MetricStat{Namespace: "AWS/Lambda", Name: metric, Stat: "Sum", Dimensions: []Dim{{"FunctionName", Ref(f.LogicalID)}}}})
	}
	qs = append(qs, Query{ID: "total", Expression: "SUM([" + strings.Join(ids, ", ") + "])", Label: g.name + " " + strings.ToLower(metric), Return: true})
	evaluation := 1
	if datapoints > 1 {
		evaluation = 3
	}
	return Alarm{
		Name:  "Lambda" + metric + title(g.name),
		Means: fmt.Sprintf("At least %v %s.", threshold, means),
		Do:    do, Why: why, Queries: qs,
		Threshold: threshold, Comparison: "GreaterThanOrEqualToThreshold", Period: fiveMinutes, Evaluation: evaluation, Datapoint: datapoints,
	}
}

// functionGroup is functions alarmed on together: what a person paged
// would look at together.
type functionGroup struct {
	name      string
	functions []Function
}

// maxGroup is the most functions an alarm can sum: an alarm's metric math
// reads at most 10 metrics.
const maxGroup = 10

// functionGroups puts every function in one group: chat (the functions
// that stream or call the model), previews (the build function and those
// that invoke it), auth, artifacts (the rest under /api/artifacts), api
// (everything else); a group of more than maxGroup is split in parts.
func functionGroups(fns []Function) []functionGroup {
	order := []string{"chat", "previews", "auth", "artifacts", "api"}
	byName := map[string][]Function{}
	for _, f := range fns {
		g := "api"
		switch {
		case f.StreamURL || f.NeedsModel() || strings.HasPrefix(f.Path, "/api/chat/"):
			g = "chat"
		case f.Name == buildFunction || f.InvokesBuild():
			g = "previews"
		case strings.HasPrefix(f.Path, "/api/auth/"):
			g = "auth"
		case strings.HasPrefix(f.Path, "/api/artifacts/"):
			g = "artifacts"
		}
		byName[g] = append(byName[g], f)
	}
	var out []functionGroup
	for _, name := range order {
		fs := byName[name]
		for part := 1; len(fs) > 0; part++ {
			n := min(len(fs), maxGroup)
			g := functionGroup{name: name, functions: fs[:n]}
			if len(byName[name]) > maxGroup {
				g.name = fmt.Sprintf("%s%d", name, part)
			}
			out = append(out, g)
			fs = fs[n:]
		}
	}
	return out
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// alarmResource is a as CloudFormation's AWS::CloudWatch::Alarm, firing to
// (and back from) the AlertTopic.
func alarmResource(a Alarm) Resource {
	var qs []any
	for _, q := range a.Queries {
		m := map[string]any{"Id": q.ID, "ReturnData": q.Return}
		if q.Label != "" {
			m["Label"] = q.Label
		}
		if q.Metric != nil {
			var dims []any
			for _, d := range q.Metric.Dimensions {
				dims = append(dims, map[string]any{"Name": d.Name, "Value": d.Value})
			}
			m["MetricStat"] = map[string]any{
				"Metric": map[string]any{"Namespace": q.Metric.Namespace, "MetricName": q.Metric.Name, "Dimensions": dims},
				"Period": a.Period, "Stat": q.Metric.Stat,
			}
		} else {
			m["Expression"] = q.Expression
		}
		qs = append(qs, m)
	}
	return Resource{
		LogicalID: a.LogicalID(), Type: "AWS::CloudWatch::Alarm",
		Properties: map[string]any{
			"AlarmName":          Sub("${AWS::StackName}-" + a.Name),
			"AlarmDescription":   a.Means + " " + a.Do,
			"AlarmActions":       []any{Ref(alertTopic)},
			"OKActions":          []any{Ref(alertTopic)},
			"Metrics":            qs,
			"Threshold":          a.Threshold,
			"ComparisonOperator": a.Comparison,
			"EvaluationPeriods":  a.Evaluation,
			"DatapointsToAlarm":  a.Datapoint,
			// A metric the functions emit only when something happens has
			// no data in a quiet period: that is no alarm.
			"TreatMissingData": "notBreaching",
		},
	}
}

// alertTopic is the logical ID of the topic every alarm fires to.
const alertTopic = "AlertTopic"

// hasAlertEmail is the condition that AlertEmail was given.
const hasAlertEmail = "HasAlertEmail"

// alerting is the topic, and its e-mail subscription when AlertEmail is
// set (its owner confirms it from the first message).
func alerting() []Resource {
	return []Resource{
		{
			LogicalID: alertTopic, Type: "AWS::SNS::Topic",
			Comment:    "Where every alarm fires (and says when it is OK again); subscribe a pager to it.",
			Properties: map[string]any{"DisplayName": Sub("${AWS::StackName} alarms")},
		},
		{
			LogicalID: "AlertEmailSubscription", Type: "AWS::SNS::Subscription", Condition: hasAlertEmail,
			Properties: map[string]any{"TopicArn": Ref(alertTopic), "Protocol": "email", "Endpoint": Ref("AlertEmail")},
		},
	}
}

// Alarms are the deployment's alarms, for docs/operating.md.
func (s *Stack) Alarms() []Alarm { return s.alarms }

// checkAlarms reports an alarm that reads the catalogue wrongly, or sums
// more metrics than an alarm may.
func checkAlarms(as []Alarm) error {
	for _, a := range as {
		n, returns := 0, 0
		for _, q := range a.Queries {
			if q.Return {
				returns++
			}
			if q.Metric == nil {
				continue
			}
			n++
			if err := q.Metric.check(); err != nil {
				return fmt.Errorf("alarm %s: %w", a.Name, err)
			}
		}
		if n > maxGroup || returns != 1 {
			return fmt.Errorf("alarm %s: %d metrics (at most %d) and %d results (want one)", a.Name, n, maxGroup, returns)
		}
	}
	return nil
}
