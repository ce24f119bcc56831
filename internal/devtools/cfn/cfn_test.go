package cfn_test

import (
	"reflect"
	"testing"

	"github.com/zocket/agent/internal/devtools/cfn"
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

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    map[string]any
		wantErr bool
	}{
		{"sections and attributes Parse drops", `
Rules: { R: { Assertions: [] } }
Resources:
  T:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties: { TableName: !Sub "${AWS::StackName}-t" }
`, map[string]any{
			"Rules": map[string]any{"R": map[string]any{"Assertions": []any{}}},
			"Resources": map[string]any{"T": map[string]any{
				"Type":           "AWS::DynamoDB::Table",
				"DeletionPolicy": "Retain",
				"Properties":     map[string]any{"TableName": map[string]any{"Fn::Sub": "${AWS::StackName}-t"}},
			}},
		}, false},
		{"JSON", `{"Resources": {"T": {"Type": "X", "Properties": {"N": 3}}}}`, map[string]any{
			"Resources": map[string]any{"T": map[string]any{"Type": "X", "Properties": map[string]any{"N": float64(3)}}},
		}, false},
		{"not a mapping", "- a\n- b\n", nil, true},
		{"empty", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cfn.Decode([]byte(tt.src))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}
