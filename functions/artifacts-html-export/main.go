// Command artifacts-html-export is the Lambda function behind POST /api/artifacts/{id}/html-export: the route of that
// name in the API's route table, served through API Gateway's HTTP API.
package main

import (
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartAPI("artifacts-html-export", app.ArtifactsHTMLExport) }
