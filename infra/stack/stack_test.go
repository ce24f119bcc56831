package stack_test

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/zocket/agent/deploy"
	"github.com/zocket/agent/infra/stack"
	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/routes"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func requireNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH: the CDK needs it")
		}
		t.Skip("node is not on PATH: the CDK needs it")
	}
}

var synth struct {
	once sync.Once
	data []byte
	err  error
}

// cdkTemplate is the CloudFormation the CDK app synthesizes (once per test
// binary: it starts Node), read by package cfn.
func cdkTemplate(t *testing.T) *cfn.Template {
	t.Helper()
	requireNode(t)
	synth.once.Do(func() { synth.data, synth.err = stack.Template() })
	if synth.err != nil {
		t.Fatal(synth.err)
	}
	tpl, err := cfn.Parse(synth.data)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// same reports whether two template values are the same JSON.
func same(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

func show(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

// TestStackRendersTheDescription reads what the CDK synthesized and finds
// in it what package deploy describes (and template.yaml says): the
// parameters, conditions, resources and outputs as they are; each function
// with its properties, environment and policy, its route on the HTTP API
// (a Lambda proxy integration, payload 2.0, as events/ are) or its
// Function URL; the API's CORS and stage. It is what is left of a parity
// check between the two templates once both render one description: the
// constructs that do in the CDK what SAM's transform does.
func TestStackRendersTheDescription(t *testing.T) {
	tpl := cdkTemplate(t)
	d, err := deploy.New(nil)
	if err != nil {
		t.Fatal(err)
	}

	for _, p := range d.Parameters {
		got, _ := tpl.Parameters[p.Name].(map[string]any)
		want := map[string]any{"Type": p.Type, "Default": p.Default}
		if len(p.AllowedValues) > 0 {
			want["AllowedValues"] = p.AllowedValues
		}
		if p.Description != "" {
			want["Description"] = p.Description
		}
		if !same(got, want) {
			t.Errorf("parameter %s: %s, want %s", p.Name, show(got), show(want))
		}
	}
	if got, want := len(tpl.Parameters), len(d.Parameters)+1; got != want { // and the CDK's BootstrapVersion
		t.Errorf("%d parameters, want %d", got, want)
	}
	for _, c := range d.Conditions {
		if got := tpl.Conditions[c.Name]; !same(got, c.Expression) {
			t.Errorf("condition %s: %s, want %s", c.Name, show(got), show(c.Expression))
		}
	}
	for _, r := range d.Resources {
		got := tpl.Resources[r.LogicalID]
		if got.Type != r.Type || !same(got.Properties, r.Properties) {
			t.Errorf("resource %s: %s %s, want %s %s", r.LogicalID, got.Type, show(got.Properties), r.Type, show(r.Properties))
		}
		if got.Condition != r.Condition {
			t.Errorf("resource %s: condition %q, want %q", r.LogicalID, got.Condition, r.Condition)
		}
		if retained := got.DeletionPolicy == "Retain" && got.UpdateReplacePolicy == "Retain"; retained != r.Retain {
			t.Errorf("resource %s: deletion policy %q, update replace policy %q; retain: %v", r.LogicalID, got.DeletionPolicy, got.UpdateReplacePolicy, r.Retain)
		}
	}
	for _, o := range d.Outputs {
		got, _ := tpl.Outputs[o.Name].(map[string]any)
		if !same(got["Value"], o.Value) || got["Description"] != map[bool]any{true: o.Description}[o.Description != ""] {
			t.Errorf("output %s: %s", o.Name, show(got))
		}
	}

	// Names for what the CDK names: every resource's Ref is its logical ID,
	// its Arn "arn:" and the ID.
	values := cfn.Values{Refs: map[string]any{}, Attributes: map[string]any{}}
	for id := range tpl.Resources {
		values.Refs[id], values.Attributes[id+".Arn"] = id, "arn:"+id
	}
	ev := cfn.NewEvaluator(tpl, values)
	str := func(path string, v any) string {
		s, err := ev.String(path, v)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	api := tpl.Resources[d.API.LogicalID]
	if api.Type != "AWS::ApiGatewayV2::Api" || !same(api.Properties["CorsConfiguration"], d.API.CorsConfiguration) {
		t.Errorf("API %s: %s %s", d.API.LogicalID, api.Type, show(api.Properties))
	}
	routeTargets := map[string]string{} // route key → integration
	integrations := map[string]string{} // integration → function ARN
	statements := map[string][]any{}    // role → statements of the policies on it
	stages := 0
	for id, r := range tpl.Resources {
		switch r.Type {
		case "AWS::ApiGatewayV2::Stage":
			stages++
			if str(id, r.Properties["ApiId"]) != d.API.LogicalID || r.Properties["StageName"] != d.API.StageName ||
				!same(r.Properties["DefaultRouteSettings"], d.API.DefaultRouteSettings) || r.Properties["AutoDeploy"] != true {
				t.Errorf("stage %s: %s", id, show(r.Properties))
			}
		case "AWS::ApiGatewayV2::Route":
			routeTargets[r.Properties["RouteKey"].(string)] = strings.TrimPrefix(str(id, r.Properties["Target"]), "integrations/")
		case "AWS::ApiGatewayV2::Integration":
			if r.Properties["IntegrationType"] != "AWS_PROXY" || r.Properties["PayloadFormatVersion"] != "2.0" {
				t.Errorf("integration %s: %s, want AWS_PROXY, payload format 2.0", id, show(r.Properties))
			}
			integrations[id] = str(id, r.Properties["IntegrationUri"])
		case "AWS::IAM::Policy":
			doc, _ := r.Properties["PolicyDocument"].(map[string]any)
			stmts, _ := doc["Statement"].([]any)
			for _, role := range r.Properties["Roles"].([]any) {
				statements[str(id, role)] = append(statements[str(id, role)], stmts...)
			}
		}
	}
	if stages != 1 {
		t.Errorf("%d stages, want 1", stages)
	}

	lambdas := 0
	for _, r := range tpl.Resources {
		if r.Type == "AWS::Lambda::Function" {
			lambdas++
		}
	}
	if lambdas != len(d.Functions) {
		t.Errorf("%d Lambda functions, the description %d", lambdas, len(d.Functions))
	}
	routes := 0
	for _, f := range d.Functions {
		fn, ok := tpl.Resources[f.LogicalID]
		if !ok || fn.Type != "AWS::Lambda::Function" {
			t.Errorf("no Lambda function %s", f.LogicalID)
			continue
		}
		for k, want := range d.FunctionProperties(f) {
			if got := fn.Properties[k]; !same(got, want) {
				t.Errorf("%s %s: %s, want %s", f.LogicalID, k, show(got), show(want))
			}
		}
		env, _ := fn.Properties["Environment"].(map[string]any)
		wantEnv := maps.Clone(d.Function.Environment)
		maps.Copy(wantEnv, f.Environment)
		if got := env["Variables"]; !same(got, wantEnv) {
			t.Errorf("%s environment: %s, want %s", f.LogicalID, show(got), show(wantEnv))
		}
		var want []any
		for _, s := range f.Statements {
			var action any = s.Actions
			if len(s.Actions) == 1 {
				action = s.Actions[0] // as the CDK writes one action
			}
			want = append(want, map[string]any{"Effect": "Allow", "Action": action, "Resource": s.Resource})
		}
		role := strings.TrimPrefix(str(f.LogicalID, fn.Properties["Role"]), "arn:")
		if got := statements[role]; !same(got, want) {
			t.Errorf("%s policy:\n%s\nwant\n%s", f.LogicalID, show(got), show(want))
		}
		if f.Path != "" {
			routes++
			key := f.Method + " " + f.Path
			if got := integrations[routeTargets[key]]; got != "arn:"+f.LogicalID {
				t.Errorf("route %s: integrated with %q, want %s", key, got, f.LogicalID)
			}
		}
		url, hasURL := tpl.Resources[f.URLLogicalID()]
		if hasURL != (f.URL != nil) {
			t.Errorf("%s: Function URL %v, want %v", f.LogicalID, hasURL, f.URL != nil)
		}
		if hasURL {
			props := url.Properties
			if str(f.URLLogicalID(), props["TargetFunctionArn"]) != "arn:"+f.LogicalID {
				t.Errorf("%s: the URL of %s", f.URLLogicalID(), show(props["TargetFunctionArn"]))
			}
			for k, want := range f.URL {
				if !same(props[k], want) {
					t.Errorf("%s %s: %s, want %s", f.URLLogicalID(), k, show(props[k]), show(want))
				}
			}
		}
	}
	if len(routeTargets) != routes {
		t.Errorf("%d routes, want %d", len(routeTargets), routes)
	}
}

// stubCode is a deployment package of one placeholder file.
func stubCode(t *testing.T) func(routes.Function) awslambda.Code {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("stub"), 0o755); err != nil {
		t.Fatal(err)
	}
	return func(routes.Function) awslambda.Code { return awslambda.Code_FromAsset(jsii.String(dir), nil) }
}

// TestNewRejects: what deploy.New rejects (see its tests), and a stack
// without code.
func TestNewRejects(t *testing.T) {
	requireNode(t)
	fns := []routes.Function{{Name: "x", Grants: []routes.Grant{{Resource: "queue", Actions: []string{"sqs:SendMessage"}}}}}
	if _, err := stack.New(awscdk.NewApp(nil), "Test", stack.Props{Functions: fns, Code: stubCode(t)}); err == nil || !strings.Contains(err.Error(), `unknown resource "queue"`) {
		t.Errorf("err = %v", err)
	}
	if _, err := stack.New(awscdk.NewApp(nil), "Test", stack.Props{}); err == nil {
		t.Error("a stack without code accepted")
	}
}

// TestOneFunction: a stack of any part of the routes table synthesizes,
// without the distribution when no function streams.
func TestOneFunction(t *testing.T) {
	requireNode(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	st, err := stack.New(app, "Test", stack.Props{
		Functions: []routes.Function{{Name: "health", Method: "GET", Path: "/health"}},
		Code:      stubCode(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(*app.Synth(nil).GetStackArtifact(st.ArtifactId()).TemplateFullPath())
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, r := range tpl.Resources {
		if !slices.Contains(types, r.Type) {
			types = append(types, r.Type)
		}
	}
	if slices.Contains(types, "AWS::CloudFront::Distribution") || !slices.Contains(types, "AWS::Lambda::Function") {
		t.Errorf("resource types %v", types)
	}
}
