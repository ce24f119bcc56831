package parity_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/zocket/agent/infra/parity"
	"github.com/zocket/agent/infra/stack"
	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/routes"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

var synth struct {
	once sync.Once
	data []byte
	err  error
}

// cdkTemplate is the CloudFormation the CDK app synthesizes from the routes
// table (once per test binary: it starts Node). A stub stands in for every
// binary: the assets' content does not reach the template.
func cdkTemplate(t *testing.T) *cfn.Template {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH: the CDK app needs it to synthesize")
		}
		t.Skip("node is not on PATH: the CDK app needs it to synthesize")
	}
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

func samTemplate(t *testing.T) *cfn.Template {
	t.Helper()
	data, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func diff(t *testing.T, sam, cdk *cfn.Template) []string {
	t.Helper()
	a, err := parity.FromSAM(sam)
	if err != nil {
		t.Fatal(err)
	}
	b, err := parity.FromCDK(cdk)
	if err != nil {
		t.Fatal(err)
	}
	return parity.Diff(a, b, "template.yaml", "CDK")
}

// TestTemplatesAgree is the parity check: template.yaml and the CDK app
// deploy the same functions, routes, sizes, environment, IAM grants,
// Function URLs, table, bucket, API, parameters and outputs.
func TestTemplatesAgree(t *testing.T) {
	for _, d := range diff(t, samTemplate(t), cdkTemplate(t)) {
		t.Error(d)
	}
}

// TestFunctionsFollowTheRoutesTable checks the CDK side against the table
// itself, so that a row template.yaml lacks is reported as such.
func TestFunctionsFollowTheRoutesTable(t *testing.T) {
	sys, err := parity.FromCDK(cdkTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range routes.All() {
		got, ok := sys.Functions[f.LogicalID()]
		if !ok {
			t.Errorf("CDK has no %s", f.LogicalID())
			continue
		}
		var want []string
		if f.Path != "" && !f.StreamURL {
			want = []string{f.Method + " " + f.Path}
		}
		if strings.Join(got.Routes, ",") != strings.Join(want, ",") || got.Memory != f.Memory() || got.Timeout != f.Timeout() {
			t.Errorf("%s: routes %v memory %d timeout %d, table says %v %d %d", f.Name, got.Routes, got.Memory, got.Timeout, want, f.Memory(), f.Timeout())
		}
		if (got.URL != "") != f.StreamURL || (f.StreamURL && !strings.Contains(got.URL, `"InvokeMode":"RESPONSE_STREAM"`)) {
			t.Errorf("%s: Function URL %q, table says streaming %v", f.Name, got.URL, f.StreamURL)
		}
		n := 0
		for _, g := range f.Grants {
			for _, a := range g.Actions {
				n++
				if want := a + " on " + string(g.Resource); !slices.Contains(got.Grants, want) {
					t.Errorf("%s: CDK lacks grant %s", f.Name, want)
				}
			}
		}
		if len(got.Grants) != n {
			t.Errorf("%s: CDK grants %v, the table %d", f.Name, got.Grants, n)
		}
	}
	if len(sys.Functions) != len(routes.All()) {
		t.Errorf("CDK has %d functions, the table %d", len(sys.Functions), len(routes.All()))
	}
}

// TestDiffCatchesChanges changes one side at a time, as a careless edit
// would, and checks the parity check reports it.
func TestDiffCatchesChanges(t *testing.T) {
	tests := []struct {
		name   string
		side   string // which template the change is made to
		change func(t *testing.T, tpl *cfn.Template)
		want   string // a substring of the report
	}{
		{"route path in template.yaml", "sam", func(t *testing.T, tpl *cfn.Template) {
			event(t, tpl, "HealthFunction")["Path"] = "/healthz"
		}, "HealthFunction routes"},
		{"route method in the CDK", "cdk", func(t *testing.T, tpl *cfn.Template) {
			for _, res := range tpl.Resources {
				if res.Type == "AWS::ApiGatewayV2::Route" && res.Properties["RouteKey"] == "GET /health" {
					res.Properties["RouteKey"] = "POST /health"
				}
			}
		}, "HealthFunction routes"},
		{"permission widened in template.yaml", "sam", func(t *testing.T, tpl *cfn.Template) {
			st := statement(t, tpl, "AuthMeFunction", 0)
			st["Action"] = append(st["Action"].([]any), "dynamodb:DeleteItem")
		}, `AuthMeFunction grant "dynamodb:DeleteItem on table": only in template.yaml`},
		{"permission on another resource in the CDK", "cdk", func(t *testing.T, tpl *cfn.Template) {
			st := cdkStatement(t, tpl, "AuthMeFunction", 0)
			st["Resource"] = map[string]any{"Fn::GetAtt": []any{"Bucket", "Arn"}}
		}, `AuthMeFunction grant "dynamodb:GetItem on bucket": only in CDK`},
		{"permission on an unknown resource in the CDK", "cdk", func(t *testing.T, tpl *cfn.Template) {
			st := cdkStatement(t, tpl, "HealthFunction", 0)
			st["Resource"] = "*"
		}, `unknown resource *`},
		{"environment variable renamed in template.yaml", "sam", func(t *testing.T, tpl *cfn.Template) {
			vars := tpl.Resources["AuthMeFunction"].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
			vars["JWT_SECRET_PARAMETER"] = vars["JWT_SECRET_PARAM"]
			delete(vars, "JWT_SECRET_PARAM")
		}, "AuthMeFunction environment variable JWT_SECRET_PARAM"},
		{"environment variable value in the CDK", "cdk", func(t *testing.T, tpl *cfn.Template) {
			vars := tpl.Resources["HealthFunction"].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
			vars["TABLE_NAME"] = "hard-coded"
		}, "HealthFunction environment variable TABLE_NAME"},
		{"memory in the CDK", "cdk", func(t *testing.T, tpl *cfn.Template) {
			tpl.Resources["HealthFunction"].Properties["MemorySize"] = float64(1024)
		}, "HealthFunction memory"},
		{"Function URL invoke mode in template.yaml", "sam", func(t *testing.T, tpl *cfn.Template) {
			tpl.Resources["ChatStreamFunction"].Properties["FunctionUrlConfig"].(map[string]any)["InvokeMode"] = "BUFFERED"
		}, "ChatStreamFunction Function URL"},
		{"architecture in template.yaml's Globals", "sam", func(t *testing.T, tpl *cfn.Template) {
			tpl.Globals["Function"].(map[string]any)["Architectures"] = []any{"x86_64"}
		}, "runtime, architecture, handler or logging"},
		{"GSI projection in the CDK", "cdk", func(t *testing.T, tpl *cfn.Template) {
			gsi := tpl.Resources["Table"].Properties["GlobalSecondaryIndexes"].([]any)[0].(map[string]any)
			gsi["Projection"] = map[string]any{"ProjectionType": "ALL"}
		}, "table property GlobalSecondaryIndexes"},
		{"table key in template.yaml", "sam", func(t *testing.T, tpl *cfn.Template) {
			tpl.Resources["Table"].Properties["KeySchema"].([]any)[1].(map[string]any)["AttributeName"] = "SORT"
		}, "table property KeySchema"},
		{"a function only in the CDK", "cdk", func(t *testing.T, tpl *cfn.Template) {
			tpl.Resources["ExtraFunction"] = tpl.Resources["HealthFunction"]
		}, "function ExtraFunction: only in CDK"},
		{"reserved concurrency dropped in the CDK", "cdk", func(t *testing.T, tpl *cfn.Template) {
			delete(tpl.Resources["ChatStreamFunction"].Properties, "ReservedConcurrentExecutions")
		}, "ChatStreamFunction reserved concurrency"},
		{"distribution routing in the CDK", "cdk", func(t *testing.T, tpl *cfn.Template) {
			cfg := tpl.Resources["Distribution"].Properties["DistributionConfig"].(map[string]any)
			cfg["CacheBehaviors"].([]any)[0].(map[string]any)["PathPattern"] = "/api/chat/send"
		}, "resource Distribution"},
		{"the origin's value dropped in template.yaml", "sam", func(t *testing.T, tpl *cfn.Template) {
			cfg := tpl.Resources["Distribution"].Properties["DistributionConfig"].(map[string]any)
			delete(cfg["Origins"].([]any)[1].(map[string]any), "OriginCustomHeaders")
		}, "resource Distribution"},
		{"condition changed in template.yaml", "sam", func(t *testing.T, tpl *cfn.Template) {
			tpl.Conditions["ChatReservedConcurrencySet"] = map[string]any{"Fn::Equals": []any{"a", "a"}}
		}, "condition ChatReservedConcurrencySet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sam, cdk := samTemplate(t), cdkTemplate(t)
			before := diff(t, sam, cdk)
			tt.change(t, map[string]*cfn.Template{"sam": sam, "cdk": cdk}[tt.side])
			got := diff(t, sam, cdk)
			if !slices.ContainsFunc(got, func(line string) bool {
				return strings.Contains(line, tt.want) && !slices.Contains(before, line)
			}) {
				t.Errorf("after the change the report is\n  %s\nwant a new line with %q", strings.Join(got, "\n  "), tt.want)
			}
		})
	}
}

// event is the properties of fn's HttpApi event in template.yaml.
func event(t *testing.T, tpl *cfn.Template, fn string) map[string]any {
	t.Helper()
	for _, ev := range tpl.Resources[fn].Properties["Events"].(map[string]any) {
		return ev.(map[string]any)["Properties"].(map[string]any)
	}
	t.Fatalf("%s has no event", fn)
	return nil
}

// statement is the i-th statement of fn's inline policy in template.yaml.
func statement(t *testing.T, tpl *cfn.Template, fn string, i int) map[string]any {
	t.Helper()
	pol := tpl.Resources[fn].Properties["Policies"].([]any)[0].(map[string]any)
	return pol["Statement"].([]any)[i].(map[string]any)
}

// cdkStatement is the i-th statement of the policy on fn's role.
func cdkStatement(t *testing.T, tpl *cfn.Template, fn string, i int) map[string]any {
	t.Helper()
	role := strings.TrimSuffix(parity.Canonical(tpl.Resources[fn].Properties["Role"]), ".Arn}") + "}"
	for _, res := range tpl.Resources {
		if res.Type != "AWS::IAM::Policy" {
			continue
		}
		for _, r := range res.Properties["Roles"].([]any) {
			if parity.Canonical(r) == role {
				return res.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any)[i].(map[string]any)
			}
		}
	}
	t.Fatalf("no policy on the role of %s", fn)
	return nil
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"GetAtt", map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}}, "${Table.Arn}"},
		{"Sub", map[string]any{"Fn::Sub": "${Table.Arn}/index/*"}, "${Table.Arn}/index/*"},
		{"Join of a GetAtt", map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}}, "/index/*"}}}, "${Table.Arn}/index/*"},
		{"Join of pseudo parameters", map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":ssm"}}}, "arn:${AWS::Partition}:ssm"},
		{"Split", map[string]any{"Fn::Split": []any{",", map[string]any{"Ref": "CorsOrigins"}}}, `split(",", ${CorsOrigins})`},
		{"lists as sets", map[string]any{"A": []any{"b", "a"}}, `{"A":["a","b"]}`},
		{"nulls dropped", map[string]any{"A": nil, "B": float64(1)}, `{"B":1}`},
		{"Sub with variables stays structured", map[string]any{"Fn::Sub": []any{"${X}", map[string]any{"X": "y"}}}, `{"Fn::Sub":["${X}",{"X":"y"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parity.Canonical(tt.in); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
