// Package localcloud runs the stack a SAM template describes on one machine
// as AWS would deploy it: each function from its real bootstrap under a
// Runtime API of its own (package runtimeapi), behind local stand-ins for
// API Gateway's HTTP API, Lambda Function URLs, CloudFront and the Lambda
// Invoke API, on the DynamoDB, S3 and SSM stand-ins of package localaws.
package localcloud
