// Command artifacts-diff is the Lambda function behind GET
// /api/artifacts/{id}/diff: a unified diff of two versions of an artifact.
package main

import (
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartAPI("artifacts-diff", app.ArtifactsDiff) }
