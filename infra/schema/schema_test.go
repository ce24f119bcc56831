package schema_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/zocket/agent/infra/schema"
	"github.com/zocket/agent/infra/stack"
	"github.com/zocket/agent/internal/devtools/cfn"
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

// cdkTemplate is a fresh copy of the CloudFormation the CDK app
// synthesizes (once per test binary: it starts Node), a stub standing in
// for every binary.
func cdkTemplate(t *testing.T) map[string]any {
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
	doc, err := cfn.Decode(synth.data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// samTemplate is a fresh copy of template.yaml.
func samTemplate(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := cfn.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func check(t *testing.T, doc map[string]any, spec schema.Spec) []schema.Problem {
	t.Helper()
	problems, err := schema.Check(doc, spec)
	if err != nil {
		t.Fatal(err)
	}
	return problems
}

// TestTemplatesFollowTheSpec checks both deployable templates against the
// resource specification: template.yaml as SAM, the CDK app's as the CDK's.
func TestTemplatesFollowTheSpec(t *testing.T) {
	tests := []struct {
		name string
		load func(*testing.T) map[string]any
		spec schema.Spec
	}{
		{"template.yaml", samTemplate, schema.SAM},
		{"CDK", cdkTemplate, schema.CDK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range check(t, tt.load(t), tt.spec) {
				t.Error(p)
			}
		})
	}
}

// TestCheckCatchesMistakes makes the mistakes a hand edit makes, to one
// template at a time, and checks each is reported where it is.
func TestCheckCatchesMistakes(t *testing.T) {
	tests := []struct {
		name   string
		side   string // "sam" (template.yaml) or "cdk"
		change func(doc map[string]any)
		want   schema.Problem // the message as a substring
	}{
		{"misspelled distribution property in template.yaml", "sam", func(doc map[string]any) {
			rename(distributionConfig(doc), "PriceClass", "PriseClass")
		}, schema.Problem{Path: "Resources.Distribution.Properties.DistributionConfig", Message: "Additional property PriseClass is not allowed"}},
		{"misspelled origin property in the CDK", "cdk", func(doc map[string]any) {
			origin := distributionConfig(doc)["Origins"].([]any)[1].(map[string]any)
			rename(origin["CustomOriginConfig"].(map[string]any), "OriginReadTimeout", "OriginReadTimeOut")
		}, schema.Problem{Path: "Resources.Distribution.Properties.DistributionConfig.Origins.1.CustomOriginConfig", Message: "Additional property OriginReadTimeOut is not allowed"}},
		{"misspelled table property in the CDK", "cdk", func(doc map[string]any) {
			rename(properties(doc, "Table"), "BillingMode", "BilingMode")
		}, schema.Problem{Path: "Resources.Table.Properties", Message: "Additional property BilingMode is not allowed"}},
		{"a string where a list goes in template.yaml", "sam", func(doc map[string]any) {
			distributionConfig(doc)["DefaultCacheBehavior"].(map[string]any)["AllowedMethods"] = "GET"
		}, schema.Problem{Path: "Resources.Distribution.Properties.DistributionConfig.DefaultCacheBehavior.AllowedMethods", Message: "Expected: array, given: string"}},
		{"a list where an object goes in the CDK", "cdk", func(doc map[string]any) {
			properties(doc, "Table")["PointInTimeRecoverySpecification"] = []any{true}
		}, schema.Problem{Path: "Resources.Table.Properties.PointInTimeRecoverySpecification", Message: "Expected: object, given: array"}},
		{"required origin property dropped in the CDK", "cdk", func(doc map[string]any) {
			origin := distributionConfig(doc)["Origins"].([]any)[0].(map[string]any)
			delete(origin["CustomOriginConfig"].(map[string]any), "OriginProtocolPolicy")
		}, schema.Problem{Path: "Resources.Distribution.Properties.DistributionConfig.Origins.0.CustomOriginConfig", Message: "OriginProtocolPolicy is required"}},
		{"required table key dropped in template.yaml", "sam", func(doc map[string]any) {
			delete(properties(doc, "Table"), "KeySchema")
		}, schema.Problem{Path: "Resources.Table.Properties", Message: "KeySchema is required"}},
		{"misspelling beside an intrinsic function", "sam", func(doc map[string]any) {
			rule := properties(doc, "Bucket")["CorsConfiguration"].(map[string]any)["CorsRules"].([]any)[0].(map[string]any)
			rename(rule, "AllowedMethods", "AllowedMethod") // its AllowedOrigins is a Fn::Split
		}, schema.Problem{Path: "Resources.Bucket.Properties.CorsConfiguration.CorsRules.0", Message: "AllowedMethods is required"}},
		{"unknown resource type in the CDK", "cdk", func(doc map[string]any) {
			doc["Resources"].(map[string]any)["Table"].(map[string]any)["Type"] = "AWS::DynamoDB::Tabel"
		}, schema.Problem{Path: "Resources.Table.Type", Message: "unknown resource type AWS::DynamoDB::Tabel"}},
		{"misspelled SAM function property", "sam", func(doc map[string]any) {
			rename(properties(doc, "BuildFunction"), "MemorySize", "MemorySise")
		}, schema.Problem{Path: "Resources.BuildFunction.Properties", Message: "Additional property MemorySise is not allowed"}},
		{"misspelled SAM Globals property", "sam", func(doc map[string]any) {
			rename(doc["Globals"].(map[string]any)["Function"].(map[string]any), "Runtime", "Runtme")
		}, schema.Problem{Path: "Globals.Function", Message: "Additional property Runtme is not allowed"}},
		{"misspelled SAM HttpApi event property", "sam", func(doc map[string]any) {
			event := properties(doc, "HealthFunction")["Events"].(map[string]any)["Api"].(map[string]any)
			rename(event["Properties"].(map[string]any), "Method", "Metod")
		}, schema.Problem{Path: "Resources.HealthFunction.Properties.Events.Api.Properties", Message: "Additional property Metod is not allowed"}},
		{"a number where a list goes in a SAM Function URL's CORS", "sam", func(doc map[string]any) {
			cors := properties(doc, "ChatStreamFunction")["FunctionUrlConfig"].(map[string]any)["Cors"].(map[string]any)
			cors["AllowMethods"] = 1.0
		}, schema.Problem{Path: "Resources.ChatStreamFunction.Properties.FunctionUrlConfig.Cors.AllowMethods", Message: "Expected: array, given: integer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			load, spec := samTemplate, schema.SAM
			if tt.side == "cdk" {
				load, spec = cdkTemplate, schema.CDK
			}
			doc := load(t)
			tt.change(doc)
			got := check(t, doc, spec)
			if !slices.ContainsFunc(got, func(p schema.Problem) bool {
				return p.Path == tt.want.Path && strings.Contains(p.Message, tt.want.Message)
			}) {
				t.Errorf("after the change the problems are\n  %s\nwant %s", strings.Join(strs(got), "\n  "), tt.want)
			}
		})
	}
}

// TestIntrinsicsAreNotChecked: where a value is an intrinsic function, only
// CloudFormation knows what it evaluates to.
func TestIntrinsicsAreNotChecked(t *testing.T) {
	doc := map[string]any{
		"Resources": map[string]any{
			"Table": map[string]any{
				"Type": "AWS::DynamoDB::Table",
				"Properties": map[string]any{
					"KeySchema": map[string]any{"Fn::If": []any{"C", []any{}, map[string]any{"Ref": "AWS::NoValue"}}},
					"TableName": map[string]any{"Fn::Sub": "${AWS::StackName}-t"},
					"SSESpecification": map[string]any{
						"SSEEnabled": map[string]any{"Ref": "Encrypt"},
					},
					"BillingMode": []any{"PAY_PER_REQUEST"},
				},
			},
		},
	}
	got := strs(check(t, doc, schema.CloudFormation))
	want := []string{"Resources.Table.Properties.BillingMode: Invalid type. Expected: string, given: array"}
	if !slices.Equal(got, want) {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestCustomResources: a Custom:: type is any type, with a ServiceToken.
func TestCustomResources(t *testing.T) {
	doc := map[string]any{
		"Resources": map[string]any{
			"Ok":      map[string]any{"Type": "Custom::Thing", "Properties": map[string]any{"ServiceToken": "arn", "Anything": 1.0}},
			"NoToken": map[string]any{"Type": "Custom::Thing", "Properties": map[string]any{"Anything": 1.0}},
		},
	}
	got := strs(check(t, doc, schema.CDK))
	want := []string{"Resources.NoToken.Properties: ServiceToken is required"}
	if !slices.Equal(got, want) {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func properties(doc map[string]any, id string) map[string]any {
	return doc["Resources"].(map[string]any)[id].(map[string]any)["Properties"].(map[string]any)
}

func distributionConfig(doc map[string]any) map[string]any {
	return properties(doc, "Distribution")["DistributionConfig"].(map[string]any)
}

func rename(m map[string]any, from, to string) {
	m[to] = m[from]
	delete(m, from)
}

func strs(problems []schema.Problem) []string {
	s := make([]string, len(problems))
	for i, p := range problems {
		s[i] = p.String()
	}
	return s
}
