package deploy

import (
	"strings"
	"testing"

	"github.com/zocket/agent/internal/metrics"
)

// TestMetricCheck: a metric of the catalogue read under a dimension set it
// is not published under, or with a statistic that means nothing for it,
// is refused; an AWS metric is not the catalogue's to check.
func TestMetricCheck(t *testing.T) {
	for _, tt := range []struct {
		m    *MetricStat
		want string
	}{
		{ours(metrics.HTTP5xx, "Sum"), ""},
		{ours(metrics.TimeToFirstToken, "p90", Dim{"route", "POST /api/chat/send"}), ""},
		{ours(metrics.HTTP5xx, "Sum", Dim{"outcome", "x"}), "not published under"},
		{ours(metrics.Requests, "p90"), "statistic p90"},
		{&MetricStat{Namespace: Ref("AWS::StackName"), Name: "Nope", Stat: "Sum"}, "not in the catalogue"},
		{&MetricStat{Namespace: "AWS/Lambda", Name: "Errors", Stat: "Sum"}, ""},
	} {
		err := tt.m.check()
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %s: %v, want %q", tt.m.Name, tt.m.Stat, err, tt.want)
		}
	}
	if err := checkAlarms([]Alarm{{Name: "Two", Queries: []Query{{ID: "a", Expression: "1", Return: true}, {ID: "b", Expression: "2", Return: true}}}}); err == nil {
		t.Error("an alarm with two results accepted")
	}
}

// TestFunctionGroups: every function in one group, none over what an
// alarm can sum.
func TestFunctionGroups(t *testing.T) {
	s, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, g := range functionGroups(s.Functions) {
		if len(g.functions) == 0 || len(g.functions) > maxGroup {
			t.Errorf("group %s: %d functions", g.name, len(g.functions))
		}
		for _, f := range g.functions {
			if other, ok := seen[f.Name]; ok {
				t.Errorf("%s in %s and %s", f.Name, other, g.name)
			}
			seen[f.Name] = g.name
		}
	}
	if len(seen) != len(s.Functions) {
		t.Errorf("%d functions grouped of %d", len(seen), len(s.Functions))
	}
	many := make([]Function, 23)
	for i := range many {
		many[i].Path = "/api/x"
	}
	if gs := functionGroups(many); len(gs) != 3 || gs[0].name != "api1" || len(gs[2].functions) != 3 {
		t.Errorf("23 functions of one group: %d groups", len(gs))
	}
}
