// Command openapi-docs is the Lambda function behind GET /api/docs: the API
// reference (Swagger UI, bundled with the web app) rendering
// /api/openapi.json, served through API Gateway's HTTP API.
package main

import (
	"github.com/zocket/agent/internal/lambdahost"
	"github.com/zocket/agent/internal/webapp"
)

func main() { lambdahost.StartAPI("openapi-docs", webapp.ServeDocs) }
