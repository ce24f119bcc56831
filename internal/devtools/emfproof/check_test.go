package emfproof_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/internal/devtools/emfproof"
	"github.com/zocket/agent/internal/metrics"
)

const stack = "proof-stack"

// values name the template's resources as a stack called stack would.
func values(t *testing.T, tpl *cfn.Template) cfn.Values {
	t.Helper()
	params, err := cfn.ParameterValues(tpl, nil)
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]any{"AWS::StackName": stack, "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
	for id, r := range tpl.Resources {
		if r.Type == "AWS::Serverless::Function" || r.Type == "AWS::DynamoDB::Table" {
			refs[id] = stack + "-" + id
		}
	}
	return cfn.Values{Parameters: params, Refs: refs, Attributes: map[string]any{}}
}

func template(t *testing.T) *cfn.Template {
	t.Helper()
	tpl, err := cfn.ReadFile("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// emitEverything writes, as the functions would, a record of each kind
// with every metric of the catalogue and every outcome.
func emitEverything(t *testing.T) []emfproof.Series {
	t.Helper()
	var logs bytes.Buffer
	sink := metrics.NewEMF(&logs, stack, "")
	req := metrics.New(metrics.Request, sink, time.Now())
	req.Function, req.Route = "chat-stream", "POST /api/chat/send"
	for _, id := range metrics.Catalogue() {
		if id.Metric().Kind == metrics.Request {
			req.Set(id, 1)
			req.Observe(id, 1)
		}
	}
	req.Emit()
	for _, o := range metrics.TurnOutcomes {
		turn := req.Derive(metrics.Turn)
		turn.Outcome = o.Name
		for _, id := range metrics.Catalogue() {
			turn.Set(id, 1)
		}
		turn.Emit()
	}
	for _, o := range metrics.BuildOutcomes {
		b := metrics.New(metrics.Build, sink, time.Now())
		b.Function, b.Outcome = "build", o.Name
		for _, id := range metrics.Catalogue() {
			b.Set(id, 1)
		}
		b.Emit()
	}
	series, err := emfproof.Read(strings.Split(logs.String(), "\n"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return series
}

// TestTemplateWatchesWhatIsEmitted: template.yaml's alarms and dashboard
// all watch metrics the functions' records carry, read with statistics
// the catalogue allows; dropping or renaming any watched metric leaves
// every alarm and widget that reads it without data.
func TestTemplateWatchesWhatIsEmitted(t *testing.T) {
	tpl := template(t)
	w, err := emfproof.Watched(tpl, values(t, tpl))
	if err != nil {
		t.Fatal(err)
	}
	if w.Alarms < 10 || w.Widgets < 10 || len(w.References) == 0 {
		t.Fatalf("%d alarms, %d widgets, %d references read", w.Alarms, w.Widgets, len(w.References))
	}
	emitted := emitEverything(t)
	problems := w.Check(emitted)
	for _, p := range problems {
		t.Error(p)
	}
	t.Log(w.Report(problems))
	mutants, survivors := w.Mutate(emitted)
	if mutants == 0 {
		t.Error("no mutant")
	}
	for _, s := range survivors {
		t.Error(s)
	}

	// One emission dropped: the alarm on it has no data.
	var without []emfproof.Series
	for _, s := range emitted {
		if s.Name != metrics.HTTP5xx.Name() {
			without = append(without, s)
		}
	}
	report := w.Report(w.Check(without))
	if !strings.Contains(report, "1 without data") {
		t.Errorf("without Http5xx: %s", report)
	}
	// The namespace of another stack: nothing has data.
	var elsewhere []emfproof.Series
	for _, s := range emitted {
		s.Namespace = "another-stack"
		elsewhere = append(elsewhere, s)
	}
	if len(w.Check(elsewhere)) == 0 {
		t.Error("metrics emitted under another namespace feed the alarms")
	}
}

// TestCheckReadsEveryShape: an alarm on one metric, a dashboard with "."
// rows, a search, a wrong statistic, an AWS metric naming nothing of the
// stack, an alarm widget naming another alarm.
func TestCheckReadsEveryShape(t *testing.T) {
	tpl, err := cfn.Parse([]byte(`
Resources:
  Fn:
    Type: AWS::Serverless::Function
  One:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: !Ref AWS::StackName
      MetricName: Requests
      Dimensions: [{Name: service, Value: ai-coding-agent}]
      Statistic: Sum
  Lambda:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions: [{Name: FunctionName, Value: somebody-else}]
      Statistic: Sum
  Board:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardBody: !Sub |
        {"widgets": [
        {"type": "metric", "properties": {"title": "rows", "stat": "p90", "metrics": [
          ["${AWS::StackName}", "Latency", "service", "ai-coding-agent"],
          [".", "Requests", ".", "."],
          [{"expression": "SEARCH('{\"${AWS::StackName}\",service,outcome} MetricName=\"Turns\"', 'Sum', 300)", "id": "s"}]]}},
        {"type": "alarm", "properties": {"title": "alarms", "alarms": ["${One.Arn}", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:other"]}}
        ]}
`))
	if err != nil {
		t.Fatal(err)
	}
	w, err := emfproof.Watched(tpl, values(t, tpl))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range w.Check(emitEverything(t)) {
		got = append(got, p.String())
	}
	slices.Sort(got)
	want := []string{
		`Board widget "alarms": alarm "arn:aws:cloudwatch:us-east-1:123456789012:alarm:other" is not one of the stack's`,
		`Board widget "rows": Requests read as p90: the catalogue gives it [Sum]`,
		`alarm Lambda: AWS/Lambda Errors: dimension FunctionName="somebody-else" names nothing of the stack`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(w.Watches) != 5 {
		t.Errorf("%d watches: %+v", len(w.Watches), w.Watches)
	}
}
