// Command chat-stream serves every chat route (send, resume, stop) from a
// Lambda Function URL in RESPONSE_STREAM mode, so each reply event reaches
// the client as the model produces it. CloudFront sends it /api/chat/*. It
// checks the JWT itself and answers CORS.
package main

import (
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/lambdahost"
)

func main() { lambdahost.StartStream("chat-stream", chatapp.Stream()) }
