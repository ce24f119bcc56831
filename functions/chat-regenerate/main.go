// Command chat-regenerate is the Lambda function behind POST
// /api/chat/regenerate/{messageId} on API Gateway's HTTP API, which
// buffers (like chat-send); streaming clients reach the same route through
// chat-stream's Function URL.
package main

import (
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartAPI("chat-regenerate", chatapp.Regenerate) }
