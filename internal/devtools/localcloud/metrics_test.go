package localcloud_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/internal/devtools/emfproof"
	"github.com/zocket/agent/internal/devtools/leaks"
	"github.com/zocket/agent/internal/devtools/localcloud"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/routes"
)

// The metrics proof of the deployed shape: every line the functions wrote
// went to their log groups (localcloud keeps them as CloudWatch Logs
// would); each Embedded Metric Format document among them must keep the
// specification's rules, and every alarm and dashboard widget of
// template.yaml and of the CDK app must watch a metric one of them
// emitted, as emitted: namespace, name, dimensions and a statistic the
// catalogue allows.

// stackValues name the template's resources as the local stack does, and
// give its parameters their defaults (template.yaml's: the CDK app's are
// the same, and a BootstrapVersion of its own the local stack cannot read).
func stackValues(t *testing.T, c *localcloud.Cloud, tpl *cfn.Template) cfn.Values {
	t.Helper()
	params, err := cfn.ParameterValues(tpl, nil)
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]any{
		"AWS::StackName": localcloud.DefaultStackName, "AWS::Region": localcloud.DefaultRegion,
		"AWS::AccountId": localcloud.DefaultAccount, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
		"Table": c.TableName, "Bucket": c.BucketName,
	}
	for _, f := range c.Functions() {
		refs[f.LogicalID] = f.Name
	}
	return cfn.Values{Parameters: params, Refs: refs, Attributes: map[string]any{}}
}

// emitted validates every EMF document the functions wrote and returns
// what they published; every function must have written one.
func emitted(t *testing.T, c *localcloud.Cloud) []emfproof.Series {
	t.Helper()
	now := time.Now()
	var series []emfproof.Series
	documents := map[string]int{} // by log group
	groups := c.LogGroups()
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		for _, e := range groups[g] {
			if !emfproof.IsDocument([]byte(e.Message)) {
				continue
			}
			documents[g]++
			doc, err := emfproof.Validate([]byte(e.Message), now)
			if err != nil {
				t.Errorf("%s, in %s: %v\n%s", e.Instance, g, err, e.Message)
				continue
			}
			series = append(series, doc.Series...)
		}
	}
	names := map[string]bool{}
	total := 0
	for _, f := range c.Functions() {
		total += documents[f.LogGroup]
		if documents[f.LogGroup] == 0 {
			t.Errorf("%s wrote no metrics to %s", f.LogicalID, f.LogGroup)
		}
	}
	for _, s := range series {
		names[s.Name] = true
	}
	t.Logf("EMF: %d documents from %d functions, all valid; %d series of %d metrics (the catalogue has %d)", total, len(c.Functions()), len(series), len(names), len(metrics.Catalogue()))
	return series
}

// checkMetrics is the proof, for each template: it prints "Alarms: N
// checked, 0 without data" and fails on any alarm or widget without data;
// then it shows it can fail, dropping and renaming each watched metric in
// turn.
func checkMetrics(t *testing.T, c *localcloud.Cloud, sam *cfn.Template) {
	t.Helper()
	series := emitted(t, c)
	templates := map[string]*cfn.Template{"template.yaml": sam}
	if cdk := cdkTemplate(t, "the CDK half of the metrics proof"); cdk != nil {
		templates["CDK"] = cdk
	}
	for _, name := range slices.Sorted(maps.Keys(templates)) {
		tpl := templates[name]
		w, err := emfproof.Watched(tpl, stackValues(t, c, sam))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		problems := w.Check(series)
		for _, p := range problems {
			t.Errorf("%s: %s", name, p)
		}
		t.Logf("%s:\n%s", name, w.Report(problems))
		mutants, survivors := w.Mutate(series)
		for _, s := range survivors {
			t.Errorf("%s: %s", name, s)
		}
		t.Logf("%s: the proof can fail: %d mutants (each watched metric dropped, then renamed), each left what watched it without data", name, mutants)
	}
}

// checkLogs scans every line the stack wrote for secrets: tokens, the
// scenario's passwords, the stack's secrets.
func checkLogs(t *testing.T, c *localcloud.Cloud, secrets *leaks.Secrets) {
	t.Helper()
	var all strings.Builder
	lines := 0
	for g, events := range c.LogGroups() {
		for _, e := range events {
			fmt.Fprintf(&all, "%s %s: %s\n", g, e.Instance, e.Message)
			lines++
		}
	}
	for _, l := range secrets.Find(all.String()) {
		t.Errorf("a log holds %s: %s", l.What, l.Line)
	}
	t.Logf("logs: %d lines scanned for secrets", lines)
}

// checkAudit finds, in each audited function's log group, the audit
// records of what the scenario did there: the action, ok, a user, the
// request's id and the client's address (the distribution's viewer).
func checkAudit(t *testing.T, c *localcloud.Cloud) {
	t.Helper()
	groups := c.LogGroups()
	for _, f := range c.Functions() {
		action, audited := app.Audited[nameOf(f.LogicalID)]
		if !audited {
			continue
		}
		found := 0
		for _, e := range groups[f.LogGroup] {
			var r struct{ Msg, Action, Outcome, UserID, RequestID, ClientAddress string }
			if json.Unmarshal([]byte(e.Message), &r) != nil || r.Msg != httpapi.AuditMessage {
				continue
			}
			if r.Action != string(action) || r.RequestID == "" || r.ClientAddress == "" || (r.Outcome == "ok") != (r.UserID != "") {
				t.Errorf("%s: audit record %s", f.LogicalID, e.Message)
			}
			if r.Outcome == string(httpapi.AuditOK) {
				found++
			}
		}
		if found == 0 {
			t.Errorf("%s: no audit record of a %s that succeeded", f.LogicalID, action)
		}
	}
}

// nameOf is the routes table's name of the function called logicalID.
func nameOf(logicalID string) string {
	for _, f := range routes.All() {
		if f.LogicalID() == logicalID {
			return f.Name
		}
	}
	return ""
}
