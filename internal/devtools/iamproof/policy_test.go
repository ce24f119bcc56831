package iamproof_test

import (
	"testing"

	"github.com/zocket/agent/internal/devtools/iamproof"
)

// TestMatchAction follows the IAM User Guide's Action element: the prefix
// and the name are case-insensitive, * and ? are wildcards.
func TestMatchAction(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"sqs:SendMessage", "sqs:SendMessage", true},
		{"iam:ListAccessKeys", "IAM:listaccesskeys", true}, // the guide's example of case
		{"s3:*", "s3:GetObject", true},
		{"iam:*AccessKey*", "iam:CreateAccessKey", true}, // the guide's example of *
		{"iam:*AccessKey*", "iam:ListAccessKeys", true},
		{"iam:*AccessKey*", "iam:UpdateAccessKey", true},
		{"iam:*AccessKey*", "iam:ListUsers", false},
		{"dynamodb:Get*", "dynamodb:GetItem", true},
		{"dynamodb:Get*", "dynamodb:BatchGetItem", false},
		{"s3:?etObject", "s3:GetObject", true},
		{"s3:?etObject", "s3:PutObject", false},
		{"s3:GetObject", "s3:GetObjectVersion", false},
		{"s3:GetObject", "s4:GetObject", false},
		{"*", "lambda:InvokeFunction", true},
	}
	for _, tt := range tests {
		if got := iamproof.MatchAction(tt.pattern, tt.action); got != tt.want {
			t.Errorf("MatchAction(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

// TestMatchResource follows the IAM User Guide's Resource element: ARNs are
// case-sensitive, * matches any characters including a slash (its
// amzn-s3-demo-bucket/*/test/* example) and ? one character.
func TestMatchResource(t *testing.T) {
	const s3test = "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:user/Bob", true},
		{"arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:user/bob", false},
		{"arn:aws:iam::123456789012:user/accounting/*", "arn:aws:iam::123456789012:user/accounting/Alice", true},
		{"arn:aws:iam::123456789012:user/accounting/*", "arn:aws:iam::123456789012:user/accounting/managers/Alice", true},
		{"arn:aws:iam::123456789012:user/accounting/*", "arn:aws:iam::123456789012:user/Alice", false},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket/1/test/object.jpg", true},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/object.jpg", true},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/3/object.jpg", true},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket/1/2/3/test/4/object.jpg", true},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket/1///test///object.jpg", true},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket/1/test/.jpg", true},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket//test/object.jpg", true},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket/1/test/", true},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket/1-test/object.jpg", false},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket/test/object.jpg", false},
		{s3test, "arn:aws:s3:::amzn-s3-demo-bucket/1/2/test.jpg", false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false}, // objects, not the bucket
		{"arn:aws:s3:::bucket/code-artifacts/*", "arn:aws:s3:::bucket/builds/a/index.html", false},
		{"arn:aws:s3:::bucket/file?.txt", "arn:aws:s3:::bucket/file1.txt", true},
		{"arn:aws:s3:::bucket/file?.txt", "arn:aws:s3:::bucket/file10.txt", false},
		{"arn:aws:s3:::bucket/file?.txt", "arn:aws:s3:::bucket/file.txt", false},
		// A table's ARN does not cover its indexes (DynamoDB's IAM guide).
		{"arn:aws:dynamodb:us-east-2:123456789012:table/books_table", "arn:aws:dynamodb:us-east-2:123456789012:table/books_table/index/GSI1", false},
		{"arn:aws:dynamodb:us-east-2:123456789012:table/books_table/index/*", "arn:aws:dynamodb:us-east-2:123456789012:table/books_table/index/GSI1", true},
		// A function's, version's and alias's ARNs are distinct (Lambda's guide).
		{"arn:aws:lambda:us-west-2:123456789012:function:my-function", "arn:aws:lambda:us-west-2:123456789012:function:my-function:TEST", false},
		{"arn:aws:lambda:us-west-2:123456789012:function:my-function:*", "arn:aws:lambda:us-west-2:123456789012:function:my-function:1", true},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/app/*", "arn:aws:ssm:us-east-1:123456789012:parameter/app/dev/jwt", true},
		{"*", "arn:aws:s3:::anything/at/all", true},
	}
	for _, tt := range tests {
		if got := iamproof.MatchResource(tt.pattern, tt.arn); got != tt.want {
			t.Errorf("MatchResource(%q, %q) = %v, want %v", tt.pattern, tt.arn, got, tt.want)
		}
	}
}

// TestAllows checks IAM's evaluation: an explicit deny wins over any allow,
// and nothing matching is a deny.
func TestAllows(t *testing.T) {
	p := iamproof.Policies{
		"Fn": {
			{Effect: "Allow", Actions: []string{"s3:Get*"}, Resources: []string{"arn:aws:s3:::b/*"}, Source: "allow-all"},
			{Effect: "Deny", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/secret/*"}, Source: "deny-secret"},
			{Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/secret/*"}, Source: "allow-secret"},
		},
		"Bare": {},
	}
	tests := []struct {
		fn, action, resource string
		want                 bool
		reason               string
	}{
		{"Fn", "s3:GetObject", "arn:aws:s3:::b/public/x", true, "allowed by allow-all"},
		{"Fn", "S3:GETOBJECT", "arn:aws:s3:::b/public/x", true, "allowed by allow-all"},
		{"Fn", "s3:GetObject", "arn:aws:s3:::b/secret/x", false, "explicitly denied by deny-secret"},
		{"Fn", "s3:GetObjectTagging", "arn:aws:s3:::b/secret/x", true, "allowed by allow-all"},
		{"Fn", "s3:PutObject", "arn:aws:s3:::b/public/x", false, "no statement allows it"},
		{"Bare", "s3:GetObject", "arn:aws:s3:::b/public/x", false, "no statement allows it"},
		{"Other", "s3:GetObject", "arn:aws:s3:::b/public/x", false, "the templates give Other no role"},
	}
	for _, tt := range tests {
		got, reason := p.Allows(tt.fn, tt.action, tt.resource)
		if got != tt.want || reason != tt.reason {
			t.Errorf("Allows(%s, %s, %s) = %v, %q; want %v, %q", tt.fn, tt.action, tt.resource, got, reason, tt.want, tt.reason)
		}
	}
}
