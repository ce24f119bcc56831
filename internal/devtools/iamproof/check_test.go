package iamproof_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamotypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	stypes "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"

	"github.com/zocket/agent/internal/devtools/iamproof"
)

func TestCheckUnusedReport(t *testing.T) {
	const fn = "Fn"
	p := iamproof.Policies{fn: {
		{Effect: "Allow", Actions: []string{"dynamodb:GetItem", "dynamodb:PutItem"}, Resources: []string{tableARN}, Source: "S0"},
		{Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: []string{bucketARN + "/code/*", bucketARN + "/builds/*"}, Source: "S1"},
		{Effect: "Deny", Actions: []string{"s3:GetObject"}, Resources: []string{bucketARN + "/code/secret/*"}, Source: "S2"},
	}}
	stranger := iamproof.Call{Operation: "GetItem", Action: "dynamodb:GetItem", Resource: tableARN, Problem: `unknown access key id "X"`}
	calls := []iamproof.Call{
		call(fn, "GetItem", "dynamodb:GetItem", tableARN),
		call(fn, "DeleteItem", "dynamodb:DeleteItem", tableARN),
		call(fn, "GetObject", "s3:GetObject", bucketARN+"/code/a"),
		call(fn, "GetObject", "s3:GetObject", bucketARN+"/code/secret/k"),
		call(fn, "GetItem", "dynamodb:GetItem", tableARN),
		call(fn, "DeleteItem", "dynamodb:DeleteItem", tableARN),
		stranger,
	}
	wantDenied := []iamproof.Denial{
		{Call: stranger, Reason: `unknown access key id "X"`, Count: 1},
		{Call: call(fn, "DeleteItem", "dynamodb:DeleteItem", tableARN), Reason: "no statement allows it", Count: 2},
		{Call: call(fn, "GetObject", "s3:GetObject", bucketARN+"/code/secret/k"), Reason: "explicitly denied by S2", Count: 1},
	}
	if diff := cmp.Diff(wantDenied, iamproof.Check(calls, p)); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}
	wantUnused := []iamproof.Grant{
		{Function: fn, Statement: "S0", Action: "dynamodb:PutItem", Resource: tableARN},
		{Function: fn, Statement: "S1", Action: "s3:GetObject", Resource: bucketARN + "/builds/*"},
	}
	if diff := cmp.Diff(wantUnused, iamproof.Unused(calls, p)); diff != "" {
		t.Errorf("Unused (-want +got):\n%s", diff)
	}
	want := `IAM: 7 calls checked, 4 denied
  denied: (unknown caller) dynamodb:GetItem on ` + tableARN + ` (GetItem, 1×): unknown access key id "X"
  denied: Fn dynamodb:DeleteItem on ` + tableARN + ` (DeleteItem, 2×): no statement allows it
  denied: Fn s3:GetObject on arn:aws:s3:::iam-bucket/code/secret/k (GetObject, 1×): explicitly denied by S2
  unused: Fn dynamodb:PutItem on ` + tableARN + ` (S0)
  unused: Fn s3:GetObject on arn:aws:s3:::iam-bucket/builds/* (S1)
`
	if diff := cmp.Diff(want, iamproof.Report(calls, p)); diff != "" {
		t.Errorf("Report (-want +got):\n%s", diff)
	}
}

// recordArtifactsGet records, through the recorders, one call on each grant
// of ArtifactsGetFunction: reading the user, an artifact's versions, its
// code through a presigned link, the JWT secret and the origin's value.
func recordArtifactsGet(t *testing.T) []iamproof.Call {
	t.Helper()
	st := newStack(t)
	c := st.as("AKIAARTIFACTSGET")
	ctx := context.Background()
	_, err := c.dynamo.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("U#1", "PROFILE")})
	must(t, err)
	_, err = c.dynamo.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]dynamotypes.AttributeValue{":pk": &dynamotypes.AttributeValueMemberS{Value: "LIN#1"}}})
	must(t, err)
	fetchPresigned(t, c, "code-artifacts/a.js")
	_, err = c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(jwtParam), WithDecryption: aws.Bool(true)})
	must(t, err)
	_, err = c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/iam/origin-verify"), WithDecryption: aws.Bool(true)})
	must(t, err)
	return st.rec.Take()
}

// TestMutation shows the proof has teeth: with ArtifactsGetFunction's
// policy as written every recorded call passes and every grant is used;
// without any one of its statements, a recorded call is denied.
func TestMutation(t *testing.T) {
	const fn = "ArtifactsGetFunction"
	calls := recordArtifactsGet(t)
	for name, p := range map[string]iamproof.Policies{"SAM": samPolicies(t), "CDK": cdkPolicies(t)} {
		t.Run(name, func(t *testing.T) {
			if denied := iamproof.Check(calls, p); len(denied) != 0 {
				t.Errorf("denied as written: %+v", denied)
			}
			for _, g := range iamproof.Unused(calls, p) {
				if g.Function == fn {
					t.Errorf("unused as written: %+v", g)
				}
			}
			for i, dropped := range p[fn] {
				mutant := maps.Clone(p)
				mutant[fn] = slices.Delete(slices.Clone(p[fn]), i, i+1)
				denied := iamproof.Check(calls, mutant)
				if len(denied) == 0 {
					t.Errorf("without %s, nothing is denied", dropped.Source)
				}
				for _, d := range denied {
					if d.Function != fn || d.Reason != "no statement allows it" || !slices.Contains(dropped.Actions, d.Action) {
						t.Errorf("without %s: denied %+v", dropped.Source, d)
					}
				}
			}
		})
	}
}

// TestPresignedBuildWithoutGrant is the bug class the proof exists for: a
// function whose role reads only code-artifacts/* presigns a GET under
// builds/. Locally the link works; deployed, S3 answers 403.
func TestPresignedBuildWithoutGrant(t *testing.T) {
	st := newStack(t)
	if got := fetchPresigned(t, st.as("AKIACONVGET"), "builds/a/index.html"); got != "content of builds/a/index.html" {
		t.Fatalf("the local stand-in answered %q", got)
	}
	calls := st.rec.Take()
	want := []iamproof.Denial{{
		Call:   call("ConversationsGetFunction", "GetObject (presigned URL)", "s3:GetObject", bucketARN+"/builds/a/index.html"),
		Reason: "no statement allows it",
		Count:  1,
	}}
	for name, p := range map[string]iamproof.Policies{"SAM": samPolicies(t), "CDK": cdkPolicies(t)} {
		if diff := cmp.Diff(want, iamproof.Check(calls, p)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

// TestMissingKeyWithoutListBucket is the same class of bug for errors: a
// function reads a key that does not exist and expects NoSuchKey, as the
// local stand-in answers; deployed without s3:ListBucket, S3 answers 403.
func TestMissingKeyWithoutListBucket(t *testing.T) {
	st := newStack(t)
	_, err := st.as("AKIACONVGET").s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/none.js")})
	var missing *stypes.NoSuchKey
	if !errors.As(err, &missing) {
		t.Fatalf("the local stand-in answered %v", err)
	}
	want := []iamproof.Denial{{
		Call:   call("ConversationsGetFunction", "GetObject of a missing key", "s3:ListBucket", bucketARN),
		Reason: "no statement allows it",
		Count:  1,
	}}
	if diff := cmp.Diff(want, iamproof.Check(st.rec.Take(), samPolicies(t))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
