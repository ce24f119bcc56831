// Command artifacts-fix is the Lambda function behind POST
// /api/artifacts/{id}/fix on API Gateway's HTTP API, which buffers (like
// chat-send); through the one URL the route streams from chat-stream's
// Function URL.
package main

import (
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartAPI("artifacts-fix", chatapp.Fix) }
