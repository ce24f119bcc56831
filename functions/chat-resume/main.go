// Command chat-resume is the Lambda function behind GET
// /api/chat/stream/{messageId} on API Gateway's HTTP API, which buffers:
// it answers a finished turn's stream in one body, and a running one's as
// far as it gets before its timeout. Streaming clients reach the same route
// through chat-stream's Function URL.
package main

import (
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartAPI("chat-resume", chatapp.Resume) }
