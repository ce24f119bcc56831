// Builds reach the build Lambda through the Invoke API: a Request in, a
// Response out, and the typed errors of a build back as errors. The
// devserver and the tests build in process (esbuild.Local) behind the same
// Builder interface.

package build

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Builder builds artifacts. What the source caused is an *agent.Error (see
// Failed and NotPreviewable); any other error is the builder's own.
type Builder interface {
	Build(ctx context.Context, req Request) (Result, error)
}

// Invoker is the part of the Lambda client a Remote needs.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Remote builds in the build Lambda.
type Remote struct {
	Client   Invoker
	Function string // name or ARN of the build function
}

var _ Builder = Remote{}

// Build implements Builder.
func (r Remote) Build(ctx context.Context, req Request) (Result, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return Result{}, fmt.Errorf("encode build request: %w", err)
	}
	out, err := r.Client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(r.Function), Payload: payload})
	if err != nil {
		return Result{}, fmt.Errorf("invoke %s: %w", r.Function, err)
	}
	if out.FunctionError != nil {
		return Result{}, fmt.Errorf("build function %s failed (%s): %s", r.Function, aws.ToString(out.FunctionError), out.Payload)
	}
	var resp Response
	if err := json.Unmarshal(out.Payload, &resp); err != nil {
		return Result{}, fmt.Errorf("decode build response: %w", err)
	}
	return resp.Outcome()
}
