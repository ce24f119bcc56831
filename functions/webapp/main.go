// Command webapp is the Lambda function behind GET /: the web app's page,
// served through API Gateway's HTTP API (CloudFront's default behaviour).
package main

import (
	"github.com/zocket/agent/internal/lambdahost"
	"github.com/zocket/agent/internal/webapp"
)

func main() { lambdahost.StartAPI("webapp", webapp.ServePage) }
