package localcloud_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/zocket/agent/internal/devtools/lambdatest"
	"github.com/zocket/agent/internal/devtools/localcloud"
	"github.com/zocket/agent/internal/devtools/runtimeapi"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/internal/store"
	"github.com/zocket/agent/routes"
)

// setupConfig signs the test's own calls to the stack's AWS endpoints as
// the stack's set-up does: they are the operator's, no function's, and the
// IAM proof lets them through unrecorded.
func setupConfig() aws.Config {
	return aws.Config{
		Region:           localcloud.DefaultRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(localcloud.SetupAccessKeyID, "local", ""),
		RetryMaxAttempts: 1,
	}
}

// replayEvents invokes every function of the stack through its Lambda
// Invoke API with its events/ file, in lambdatest's replay order, filling
// the placeholders from earlier answers and checking each answer as the
// replay under the emulator does; but here each runs as deployed, with the
// template's environment and its own credentials, behind the IAM proof.
func replayEvents(t *testing.T, c *localcloud.Cloud) {
	t.Helper()
	names, err := lambdatest.EventFiles("../../../events")
	if err != nil {
		t.Fatal(err)
	}
	cfg := setupConfig()
	values := lambdatest.NewEventValues(store.New(settings.DynamoDBClient(cfg, c.Endpoints.DynamoDB), c.TableName))
	client := settings.LambdaClient(cfg, c.Endpoints.Lambda)
	deployed := map[string]string{} // logical ID → name
	for _, f := range c.Functions() {
		deployed[f.LogicalID] = f.Name
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			f, _ := routes.ByName(name)
			event, err := values.Event("../../../events", name)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(deployed[f.LogicalID()]), Payload: event})
			if err != nil {
				t.Fatalf("invoke %s: %v", f.LogicalID(), err)
			}
			if out.FunctionError != nil {
				t.Fatalf("%s: function error %s: %s", f.LogicalID(), aws.ToString(out.FunctionError), out.Payload)
			}
			status, body, err := answer(f, out.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if err := lambdatest.CheckAnswer(name, status, body); err != nil {
				t.Fatal(err)
			}
			if err := values.Learn(ctx, name, body); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// answer reads an invocation's payload: a Function URL's streamed
// response, an HTTP API response (payload format 2.0), or a plain payload
// (status 0).
func answer(f routes.Function, payload []byte) (status int, body string, err error) {
	switch {
	case f.StreamURL:
		p, b, err := runtimeapi.SplitStreamed(payload)
		return p.StatusCode, string(b), err
	case f.Path == "":
		return 0, string(payload), nil
	}
	var r events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &r); err != nil {
		return 0, "", err
	}
	if r.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(r.Body)
		return r.StatusCode, string(b), err
	}
	return r.StatusCode, r.Body, nil
}
