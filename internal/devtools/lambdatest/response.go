package lambdatest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/zocket/agent/internal/devtools/runtimeapi"
	"github.com/zocket/agent/routes"
)

// Response is what a function answered, whatever its kind.
type Response struct {
	Status  int // 0 for a function behind no HTTP route
	Headers map[string]string
	Body    string
}

// Decode reads f's invoke payload: an API Gateway HTTP API response, a
// Function URL response in the streamed format (as the emulator returns
// it), or the plain payload of a function behind no HTTP route.
func Decode(f routes.Function, payload []byte) (Response, error) {
	switch {
	case f.StreamURL:
		p, body, err := runtimeapi.SplitStreamed(payload)
		return Response{Status: p.StatusCode, Headers: p.Headers, Body: string(body)}, err
	case f.Path == "":
		return Response{Body: string(payload)}, nil
	}
	var r events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &r); err != nil {
		return Response{}, fmt.Errorf("decode %s: %w", payload, err)
	}
	if r.IsBase64Encoded {
		raw, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil {
			return Response{}, err
		}
		r.Body = string(raw)
	}
	return Response{Status: r.StatusCode, Headers: r.Headers, Body: r.Body}, nil
}
