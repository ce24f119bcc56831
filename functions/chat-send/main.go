// Command chat-send is the Lambda function behind POST /api/chat/send on API
// Gateway's HTTP API, whose integration buffers the response: `stream: true`
// answers the whole event stream in one body there. Streaming clients use
// chat-stream's Function URL.
package main

import (
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartAPI("chat-send", chatapp.Send) }
