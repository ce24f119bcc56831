// Command artifacts-version is the Lambda function behind GET
// /api/artifacts/{id}/versions/{n}: one version of an artifact, with its
// code.
package main

import (
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartAPI("artifacts-version", app.ArtifactsVersion) }
