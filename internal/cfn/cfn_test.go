package cfn_test

import (
	"reflect"
	"testing"

	"github.com/zocket/agent/internal/cfn"
)

func TestIntrinsics(t *testing.T) {
	src := `
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      A: !Ref Table
      B: !GetAtt Table.Arn
      C: !Sub arn:${AWS::Partition}:ssm
      D: !Split [",", !Ref Origins]
      E: 128
      F: true
      G: { "Fn::GetAtt": [Table, Arn] }
`
	tpl, err := cfn.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := tpl.Resources["Fn"].Properties
	want := map[string]any{
		"A": map[string]any{"Ref": "Table"},
		"B": map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}},
		"C": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ssm"},
		"D": map[string]any{"Fn::Split": []any{",", map[string]any{"Ref": "Origins"}}},
		"E": float64(128),
		"F": true,
		"G": map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if _, err := cfn.Parse([]byte("A: !Bogus x\n")); err == nil {
		t.Error("unknown tag accepted")
	}
}
