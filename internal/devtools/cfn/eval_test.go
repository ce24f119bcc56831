package cfn_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/zocket/agent/internal/devtools/cfn"
)

// evaluator is a template's evaluator with a parameter, a list parameter,
// an empty one, a condition on it, a resource with an attribute and one
// SSM parameter of each kind.
func evaluator(t *testing.T) *cfn.Evaluator {
	t.Helper()
	tpl, err := cfn.Parse([]byte(`
Parameters:
  P: { Type: String, Default: v }
  List: { Type: CommaDelimitedList, Default: "a, b" }
  Empty: { Type: String, Default: "" }
Conditions:
  HasP: !Not [!Equals [!Ref Empty, ""]]
  Both: !And [!Condition HasP, !Equals [a, a]]
`))
	if err != nil {
		t.Fatal(err)
	}
	params, err := cfn.ParameterValues(tpl, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfn.NewEvaluator(tpl, cfn.Values{
		Parameters: params,
		Refs:       map[string]any{"AWS::Region": "us-east-1", "Res": "res-name"},
		Attributes: map[string]any{"Res.Arn": "arn:res", "Res.Meta.Id": "id-1"},
		SSM: func(name string) (string, bool, bool) {
			switch name {
			case "/plain":
				return "plain-value", false, true
			case "/secure":
				return "s3cr3t", true, true
			}
			return "", false, false
		},
	})
}

func TestEval(t *testing.T) {
	tests := []struct {
		name, src string
		want      any
	}{
		{"Ref of a parameter", "!Ref P", "v"},
		{"Ref of a resource", "!Ref Res", "res-name"},
		{"GetAtt, short form", "!GetAtt Res.Arn", "arn:res"},
		{"GetAtt, long form with a dotted attribute", `{ "Fn::GetAtt": [Res, Meta.Id] }`, "id-1"},
		{"Sub of a parameter, a pseudo parameter and an attribute", "!Sub ${P}-${AWS::Region}-${Res.Arn}", "v-us-east-1-arn:res"},
		{"Sub with its own variables", `!Sub ["${X}/${P}", { X: !Ref Res }]`, "res-name/v"},
		{"Sub literal", `!Sub "${!P}"`, "${P}"},
		{"Join of a list parameter", `!Join ["+", !Ref List]`, "a+b"},
		{"Join of values", `!Join ["", ["arn:", !Ref AWS::Region, ":", !GetAtt Res.Arn]]`, "arn:us-east-1:arn:res"},
		{"Select of Split", `!Select [2, !Split ["/", "https://host.example/"]]`, "host.example"},
		{"Split", `!Split [",", "a,b"]`, []any{"a", "b"}},
		{"If false", "!If [HasP, yes, no]", "no"},
		{"And of a condition", "!If [Both, yes, no]", "no"},
		{"NoValue dropped from a list", "[!Ref P, !Ref AWS::NoValue]", []any{"v"}},
		{"NoValue dropped from a map", "{ A: !If [HasP, x, !Ref AWS::NoValue], B: b }", map[string]any{"B": "b"}},
		{"NoValue itself", "!Ref AWS::NoValue", cfn.NoValue{}},
		{"an SSM dynamic reference", `!Sub "{{resolve:ssm:/plain}}"`, "plain-value"},
		{"an SSM dynamic reference with a version", `"x{{resolve:ssm:/plain:3}}"`, "xplain-value"},
		{"a number", "20", 20.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evaluator(t).Eval("test", value(t, tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestEvalFailsLoudly: what it cannot evaluate is an error naming it.
func TestEvalFailsLoudly(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"an unsupported intrinsic", "!FindInMap [M, a, b]", "Fn::FindInMap is not supported"},
		{"a Ref to nothing", "!Ref Nothing", "Ref Nothing"},
		{"an attribute without a value", "!Sub ${Res.StreamArn}", "Fn::GetAtt Res.StreamArn"},
		{"an unknown condition", "!If [Nope, a, b]", "no condition Nope"},
		{"a missing SSM parameter", `"{{resolve:ssm:/missing}}"`, "does not exist"},
		{"a SecureString through resolve:ssm", `"{{resolve:ssm:/secure}}"`, "SecureString"},
		{"another dynamic reference", `"{{resolve:secretsmanager:s}}"`, "only resolve:ssm"},
		{"Select out of range", `!Select [3, [a]]`, "no element 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := evaluator(t).Eval("test", value(t, tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParameterValues(t *testing.T) {
	tpl, err := cfn.Parse([]byte(`
Parameters:
  Stage: { Type: String, Default: dev, AllowedValues: [dev, prod] }
  N: { Type: Number, Default: 20 }
  Required: { Type: String }
`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfn.ParameterValues(tpl, map[string]string{"Required": "r"})
	if want := map[string]any{"Stage": "dev", "N": "20", "Required": "r"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	for given, want := range map[string]string{
		"Stage=qa":   `"qa" is not one of`,
		"N=x":        "not a number",
		"Nope=1":     "no such parameter",
		"Stage=prod": "Required has no default",
	} {
		k, v, _ := strings.Cut(given, "=")
		values := map[string]string{k: v}
		if k != "Stage" || v != "prod" {
			values["Required"] = "r"
		}
		if _, err := cfn.ParameterValues(tpl, values); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want one containing %q", given, err, want)
		}
	}
}

// value is the YAML src read as a template value.
func value(t *testing.T, src string) any {
	t.Helper()
	doc, err := cfn.Decode([]byte("V: " + src + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return doc["V"]
}
