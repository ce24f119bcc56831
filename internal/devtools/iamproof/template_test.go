package iamproof_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/internal/devtools/iamproof"
	"github.com/zocket/agent/routes"
)

// resolver names the tests' stack: made-up physical names for the
// templates' logical IDs and parameters.
var resolver = iamproof.Resolver{Account: account, Names: map[string]string{
	"Table":                     table,
	"Bucket":                    bucket,
	"BuildFunction":             build,
	"JwtSecretParameterName":    jwtParam,
	"GeminiApiKeyParameterName": "/iam/gemini-key",
	"OriginVerifyParameterName": "/iam/origin-verify",
}}

// arns are what the routes table's resources are in the tests' stack.
var arns = map[routes.Resource]string{
	routes.Table:         tableARN,
	routes.TableIndexes:  tableARN + "/index/*",
	routes.Bucket:        bucketARN,
	routes.CodeObjects:   bucketARN + "/code-artifacts/*",
	routes.BuildObjects:  bucketARN + "/builds/*",
	routes.ExportObjects: bucketARN + "/exports/*",
	routes.BuildFunc:     buildARN,
	routes.JWTSecret:     paramARN + jwtParam,
	routes.GeminiKey:     paramARN + "/iam/gemini-key",
	routes.OriginVerify:  paramARN + "/iam/origin-verify",
}

func parseFile(t *testing.T, path string) *cfn.Template {
	t.Helper()
	tpl, err := cfn.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func samPolicies(t *testing.T) iamproof.Policies {
	t.Helper()
	p, err := iamproof.FromSAM(parseFile(t, "../../../template.yaml"), resolver)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func cdkPolicies(t *testing.T) iamproof.Policies {
	t.Helper()
	p, err := iamproof.FromCDK(parseFile(t, "testdata/cdk.template.json"), resolver)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// grants flattens statements to "Effect action on resource", sorted.
func grants(stmts []iamproof.Statement) []string {
	var out []string
	for _, s := range stmts {
		for _, a := range s.Actions {
			for _, r := range s.Resources {
				out = append(out, fmt.Sprintf("%s %s on %s", s.Effect, a, r))
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestFromSAM reads the real template.yaml: every function of the routes
// table with grants has statements (one without has none: its role only
// writes logs), and they grant, resolved to ARNs, exactly what the table
// says.
func TestFromSAM(t *testing.T) {
	p := samPolicies(t)
	if len(p) != len(routes.All()) {
		t.Errorf("%d functions in template.yaml, the routes table has %d", len(p), len(routes.All()))
	}
	for _, f := range routes.All() {
		stmts := p[f.LogicalID()]
		if len(stmts) == 0 && len(f.Grants) > 0 {
			t.Errorf("%s: no statements", f.LogicalID())
		}
		var want []string
		for _, g := range f.Grants {
			for _, a := range g.Actions {
				want = append(want, fmt.Sprintf("Allow %s on %s", a, arns[g.Resource]))
			}
		}
		slices.Sort(want)
		if diff := cmp.Diff(want, grants(stmts)); diff != "" {
			t.Errorf("%s grants (-routes table +template.yaml):\n%s", f.LogicalID(), diff)
		}
	}
	want := iamproof.Statement{Effect: "Allow", Actions: []string{"ssm:GetParameter"}, Resources: []string{paramARN + "/iam/gemini-key"},
		Source: "SAM ChatStreamFunction Policies[0] Statement[5]"}
	if diff := cmp.Diff(want, p["ChatStreamFunction"][5]); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
}

// TestFromCDK reads a template shaped like the CDK app's synthesized one
// (roles, DefaultPolicy resources, an inline role policy whose ARN is built
// with Fn::Select and Fn::Split, a role of no function) and finds the same
// grants as template.yaml.
func TestFromCDK(t *testing.T) {
	cdk, sam := cdkPolicies(t), samPolicies(t)
	want := []string{"ArtifactsGetFunction", "BuildFunction", "ChatSendFunction", "ConversationsGetFunction"}
	if got := slices.Sorted(maps.Keys(cdk)); !slices.Equal(got, want) {
		t.Fatalf("functions %v, want %v", got, want)
	}
	for fn, stmts := range cdk {
		if diff := cmp.Diff(grants(sam[fn]), grants(stmts)); diff != "" {
			t.Errorf("%s (-SAM +CDK):\n%s", fn, diff)
		}
	}
	if got, want := cdk["BuildFunction"][0].Source, "CDK BuildFunctionServiceRole02D6BC44 Policies[0] Statement[0]"; got != want {
		t.Errorf("source %q, want %q", got, want)
	}
	if got, want := cdk["ChatSendFunction"][3].Source, "CDK ChatSendFunctionServiceRoleDefaultPolicy98F0865F Statement[3]"; got != want {
		t.Errorf("source %q, want %q", got, want)
	}
}

// samWith is a SAM template of one function whose policy is the given YAML.
func samWith(policies string) string {
	return `
Parameters:
  Param: { Type: String }
Resources:
  Table: { Type: AWS::DynamoDB::Table }
  Bucket: { Type: AWS::S3::Bucket }
  BuildFunction: { Type: AWS::Serverless::Function }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
` + policies
}

// statementWith is a SAM template of one function with one Allow
// statement on the given Resource.
func statementWith(resource string) string {
	return samWith(`        - Statement:
            - Effect: Allow
              Action: s3:GetObject
              Resource: ` + resource + "\n")
}

// TestIntrinsics resolves each intrinsic function as the templates write it.
func TestIntrinsics(t *testing.T) {
	r := resolver
	r.Names = map[string]string{"Table": table, "Bucket": bucket, "BuildFunction": build, "Param": "/p", "Table.StreamArn": "stream-arn"}
	tests := []struct {
		resource string
		want     []string
	}{
		{"!Ref Param", []string{"/p"}},
		{"!GetAtt Table.Arn", []string{tableARN}},
		{`{ "Fn::GetAtt": [Bucket, Arn] }`, []string{bucketARN}},
		{"!GetAtt BuildFunction.Arn", []string{buildARN}},
		{"!GetAtt Table.StreamArn", []string{"stream-arn"}},
		{`!Sub "${Bucket.Arn}/code/*"`, []string{bucketARN + "/code/*"}},
		{`!Sub ["${B}/x", { B: !GetAtt Bucket.Arn }]`, []string{bucketARN + "/x"}},
		{"!Sub arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Param}", []string{paramARN + "/p"}},
		{`!Join ["", ["arn:", !Ref AWS::Partition, ":s3:::", !Ref Bucket, "/*"]]`, []string{bucketARN + "/*"}},
		{`!Select [1, !Split [",", "a,b,c"]]`, []string{"b"}},
		{`!Split [",", !Sub "${Bucket.Arn},${Table.Arn}"]`, []string{bucketARN, tableARN}},
		{"[!GetAtt Table.Arn, !Ref AWS::NoValue]", []string{tableARN}},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			tpl, err := cfn.Parse([]byte(statementWith(tt.resource)))
			if err != nil {
				t.Fatal(err)
			}
			p, err := iamproof.FromSAM(tpl, r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p["Fn"][0].Resources); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnsupported checks that what the proof cannot evaluate fails with a
// message naming it, instead of being skipped.
func TestUnsupported(t *testing.T) {
	tests := []struct {
		name, policies, want string
	}{
		{"NotAction", "        - Statement: [{ Effect: Allow, NotAction: s3:DeleteObject, Resource: '*' }]\n", "NotAction is not supported"},
		{"NotResource", "        - Statement: [{ Effect: Allow, Action: s3:GetObject, NotResource: 'arn:aws:s3:::b/private/*' }]\n", "NotResource is not supported"},
		{"Condition", "        - Statement: [{ Effect: Allow, Action: s3:ListBucket, Resource: '*', Condition: { StringLike: { s3:prefix: [a/*] } } }]\n", "Condition is not supported"},
		{"an Effect of another case", "        - Statement: [{ Effect: allow, Action: s3:GetObject, Resource: '*' }]\n", "neither Allow nor Deny"},
		{"no Resource", "        - Statement: [{ Effect: Allow, Action: s3:GetObject }]\n", "needs an Action and a Resource"},
		{"a managed policy", "        - AmazonS3ReadOnlyAccess\n", "only policy documents"},
		{"a policy template", "        - DynamoDBCrudPolicy: { TableName: !Ref Table }\n", "only policy documents"},
		{"an unknown parameter", "        - Statement: [{ Effect: Allow, Action: ssm:GetParameter, Resource: !Sub 'arn:aws:ssm:::parameter${Other}' }]\n", "Ref Other: no parameter or resource of that name has a value"},
		{"a condition the template lacks", "        - Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: !If [C, '*', 'arn:aws:s3:::b'] }]\n", "no condition C"},
		{"an intrinsic it does not evaluate", "        - Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: !FindInMap [M, a, b] }]\n", "Fn::FindInMap is not supported"},
		{"a policy variable", "        - Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: !Sub 'arn:aws:s3:::b/${!aws:username}/*' }]\n", "policy variables are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := cfn.Parse([]byte(samWith(tt.policies)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = iamproof.FromSAM(tpl, resolver)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	t.Run("a CDK managed policy", func(t *testing.T) {
		tpl := parseFile(t, "testdata/cdk.template.json")
		role := tpl.Resources["BuildFunctionServiceRole02D6BC44"]
		role.Properties["ManagedPolicyArns"] = []any{"arn:aws:iam::aws:policy/AmazonS3FullAccess"}
		_, err := iamproof.FromCDK(tpl, resolver)
		if err == nil || !strings.Contains(err.Error(), "managed policy \"arn:aws:iam::aws:policy/AmazonS3FullAccess\" is not read") {
			t.Errorf("error %v", err)
		}
	})
}
