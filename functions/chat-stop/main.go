// Command chat-stop is the Lambda function behind POST
// /api/chat/stop/{messageId}: it stops a running turn, wherever it runs.
package main

import (
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartAPI("chat-stop", chatapp.Stop) }
