// Package buildrpc carries builds between the artifact endpoints and the
// build Lambda: a typed JSON request (build.Request) and response through
// the Lambda Invoke API. The devserver and the tests build in process
// (package buildhost) behind the same Builder interface. Build outcomes the client caused (a source that
// does not compile, a language no browser runs) travel as data in the
// response, so a Lambda error only ever means the build function failed.
package buildrpc

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/zocket/agent/internal/build"
)

// Response is the build Lambda's answer: exactly one of Result, Failure and
// NotPreviewable is set.
type Response struct {
	Result *build.Result `json:"result,omitempty"`
	// Failure holds esbuild's messages for a source that does not build.
	Failure []build.Message `json:"failure,omitempty"`
	// NotPreviewable says why the artifact cannot run in a browser.
	NotPreviewable string `json:"notPreviewable,omitempty"`
}

// Builder builds artifacts; the artifact endpoints hold one.
type Builder interface {
	Build(ctx context.Context, req build.Request) (Response, error)
}

// Invoker is the part of the Lambda client a Remote needs.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Remote builds in the build Lambda, through the Invoke API.
type Remote struct {
	Client   Invoker
	Function string // name or ARN of the build function
}

// Build implements Builder.
func (r Remote) Build(ctx context.Context, req build.Request) (Response, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return Response{}, fmt.Errorf("encode build request: %w", err)
	}
	out, err := r.Client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(r.Function), Payload: payload})
	if err != nil {
		return Response{}, fmt.Errorf("invoke %s: %w", r.Function, err)
	}
	if out.FunctionError != nil {
		return Response{}, fmt.Errorf("build function %s failed (%s): %s", r.Function, aws.ToString(out.FunctionError), out.Payload)
	}
	var resp Response
	if err := json.Unmarshal(out.Payload, &resp); err != nil {
		return Response{}, fmt.Errorf("decode build response: %w", err)
	}
	return resp, nil
}
