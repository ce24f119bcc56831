// Package localcloud runs the stack template.yaml describes on one machine,
// as AWS would deploy it: every function as processes of its real bootstrap
// under a Runtime API host of this package (several instances at once,
// streamed responses passed on as they arrive), behind local stand-ins for
// API Gateway's HTTP API, Lambda Function URLs, the CloudFront distribution
// and the Lambda Invoke API, with DynamoDB, S3 and SSM Parameter Store from
// package localaws. Environment variables, names and URLs are resolved from
// the template's intrinsic functions; what it cannot emulate faithfully
// fails the start instead of being ignored.
package localcloud
