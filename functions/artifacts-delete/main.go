// Command artifacts-delete is the Lambda function behind DELETE /api/artifacts/{id}: the route of that
// name in the API's route table, served through API Gateway's HTTP API.
package main

import (
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartAPI("artifacts-delete", app.ArtifactsDelete) }
