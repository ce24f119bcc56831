// Command openapi is the Lambda function behind GET /api/openapi.json: the
// route of that name in the API's route table, served through API Gateway's
// HTTP API.
package main

import (
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartAPI("openapi", app.OpenAPI) }
