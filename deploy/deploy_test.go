package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zocket/agent/deploy"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/routes"
)

const root = ".."

// TestTemplateIsCurrent fails while template.yaml is not what `make
// template` writes from the routes table and this package: CI runs it, so
// a change to either that was not rendered does not land.
func TestTemplateIsCurrent(t *testing.T) {
	s, err := deploy.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.SAM()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		g, w := line(gotLines, i), line(wantLines, i)
		if g != w {
			t.Fatalf("template.yaml is stale: run `make template`.\nline %d is\n\t%s\nwant\n\t%s", i+1, g, w)
		}
	}
}

// TestOperatingDocIsCurrent fails while docs/operating.md's generated
// sections (the metrics, the alarms, the dashboard) are not what `make
// template` writes.
func TestOperatingDocIsCurrent(t *testing.T) {
	s, err := deploy.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "operating.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := deploy.ReplaceSections(string(doc), s.OperatingSections())
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != want {
		gotLines, wantLines := strings.Split(string(doc), "\n"), strings.Split(want, "\n")
		for i := range max(len(gotLines), len(wantLines)) {
			if g, w := line(gotLines, i), line(wantLines, i); g != w {
				t.Fatalf("docs/operating.md is stale: run `make template`.\nline %d is\n\t%s\nwant\n\t%s", i+1, g, w)
			}
		}
	}
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of file)"
}

func TestNewRejects(t *testing.T) {
	grant := func(r routes.Resource, action string) []routes.Grant {
		return []routes.Grant{{Resource: r, Actions: []string{action}}}
	}
	tests := []struct {
		name string
		fns  []routes.Function
		want string
	}{
		{"a resource it does not know", []routes.Function{{Name: "x", Grants: grant("queue", "sqs:SendMessage")}}, `unknown resource "queue"`},
		{"invoking a build function that is not there", []routes.Function{{Name: "x", Grants: grant(routes.BuildFunc, "lambda:InvokeFunction")}}, `no "build"`},
		{"a setting it has no value for", []routes.Function{{Name: "x", Settings: []string{"NOPE"}}}, "no value for NOPE"},
		{"two streaming URLs", []routes.Function{
			{Name: "a", Method: "POST", Path: "/a", StreamURL: true},
			{Name: "b", Method: "POST", Path: "/b", StreamURL: true},
		}, "second streaming Function URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := deploy.New(tt.fns)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %s", err, tt.want)
			}
		})
	}
}

// TestEveryFunctionIsBuilt checks that functions/ and the routes table
// name the same functions, that each main starts its own, and that the
// Makefile's target `sam build` runs for it (build-<LogicalId>) builds its
// directory.
func TestEveryFunctionIsBuilt(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, ok := routes.ByName(d.Name()); !ok {
			t.Errorf("functions/%s is not in the routes table", d.Name())
		}
	}
	var targets []string
	for _, f := range routes.All() {
		targets = append(targets, "build-"+f.LogicalID())
		main, err := os.ReadFile(filepath.Join(root, "functions", f.Name, "main.go"))
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
		} else if (f.Path != "" || f.StreamURL) && !strings.Contains(string(main), fmt.Sprintf("%q", f.Name)) {
			t.Errorf("functions/%s/main.go does not start its own function", f.Name)
		}
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not on PATH")
	}
	cmd := exec.Command("make", append([]string{"-n", "ARTIFACTS_DIR=/artifacts"}, targets...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n: %v\n%s", err, out)
	}
	for _, f := range routes.All() {
		if want := "-o /artifacts/bootstrap ./functions/" + f.Name + "\n"; !strings.Contains(string(out), want) {
			t.Errorf("make build-%s does not build functions/%s", f.LogicalID(), f.Name)
		}
	}
}

// TestMonitoring checks what is deployed to operate the service: a log
// group per function with the retention parameter, which the function
// writes to in JSON; every alarm firing to the topic, with a description
// CloudWatch takes; every function's errors and throttles alarmed on
// exactly once; every metric of the catalogue on the dashboard; the e-mail
// subscription only when an address is given.
func TestMonitoring(t *testing.T) {
	s, err := deploy.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]deploy.Resource{}
	for _, r := range s.Resources {
		res[r.LogicalID] = r
	}
	for _, f := range s.Functions {
		lg, ok := res[f.LogGroupID()]
		if !ok || lg.Type != "AWS::Logs::LogGroup" || lg.Properties["RetentionInDays"].(map[string]any)["Ref"] != "LogRetentionDays" ||
			lg.Properties["LogGroupName"].(map[string]any)["Fn::Sub"] != "/aws/lambda/${AWS::StackName}/"+f.Name {
			t.Errorf("%s: log group %+v", f.Name, lg)
		}
		lc, _ := s.FunctionProperties(f)["LoggingConfig"].(map[string]any)
		if lc["LogFormat"] != "JSON" || lc["LogGroup"].(map[string]any)["Ref"] != f.LogGroupID() {
			t.Errorf("%s: LoggingConfig %v", f.Name, lc)
		}
	}
	watched := map[string]int{} // "Errors FunctionLogicalID" → alarms
	for _, a := range s.Alarms() {
		r := res[a.LogicalID()]
		desc, _ := r.Properties["AlarmDescription"].(string)
		if len(desc) > 1024 || a.Means == "" || a.Do == "" || a.Why == "" {
			t.Errorf("alarm %s: a description of %d characters (at most 1,024), means, do and why are required", a.Name, len(desc))
		}
		if fmt.Sprint(r.Properties["AlarmActions"]) != "[map[Ref:AlertTopic]]" {
			t.Errorf("alarm %s fires to %v", a.Name, r.Properties["AlarmActions"])
		}
		for _, q := range a.Queries {
			if q.Metric != nil && q.Metric.Namespace == "AWS/Lambda" {
				watched[q.Metric.Name+" "+q.Metric.Dimensions[0].Value.(map[string]any)["Ref"].(string)]++
			}
		}
	}
	for _, f := range s.Functions {
		for _, m := range []string{"Errors", "Throttles"} {
			if n := watched[m+" "+f.LogicalID]; n != 1 {
				t.Errorf("%s's %s: in %d alarms, want 1", f.Name, m, n)
			}
		}
	}
	shown := map[string]bool{}
	for _, w := range s.Dashboard() {
		for _, q := range w.Queries {
			if q.Metric != nil {
				shown[q.Metric.Name] = true
			}
			if _, rest, ok := strings.Cut(q.Expression, `MetricName="`); ok {
				name, _, _ := strings.Cut(rest, `"`)
				shown[name] = true
			}
		}
	}
	for _, id := range metrics.Catalogue() {
		if !shown[id.Name()] {
			t.Errorf("%s is not on the dashboard", id.Name())
		}
	}
	if sub := res["AlertEmailSubscription"]; sub.Condition != "HasAlertEmail" {
		t.Errorf("the e-mail subscription exists under condition %q", sub.Condition)
	}
}
