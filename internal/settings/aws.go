// AWS clients are built once per cold start from the settings. With a custom
// endpoint (the local stack, or any compatible service) they use static
// placeholder credentials so nothing probes the instance metadata service,
// and path-style S3 addressing.

package settings

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/middleware"
	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// Endpoints names non-AWS endpoints; empty fields mean the real service.
type Endpoints struct {
	DynamoDB string
	S3       string
	Lambda   string
	SSM      string
}

func (e Endpoints) local() bool {
	return e.DynamoDB != "" || e.S3 != "" || e.Lambda != "" || e.SSM != ""
}

// LoadAWS reads the shared AWS configuration for region. When any endpoint is
// local and the environment holds no credentials, credentials are fixed
// placeholders (local servers do not check signatures) so no credential
// chain lookup can stall a start.
func LoadAWS(ctx context.Context, region string, ep Endpoints) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	// Credentials in the environment win: the local deployed-shape test
	// gives each function its own, to tell the callers apart.
	if ep.local() && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	cfg.APIOptions = append(cfg.APIOptions, unavailable)
	return cfg, nil
}

// UnavailableRetryAfter is how long a client is told to wait when an AWS
// service stayed unavailable through the SDK's retries.
const UnavailableRetryAfter = 2 * time.Second

// unavailable is an SDK middleware, outside the retries, that turns a
// failure they did not absorb (a throttle, a 5xx, a connection error) into
// agent.Unavailable: the client is told to try again (503 with
// Retry-After), not that the service broke (500). A call whose context
// ended is left as it is.
func unavailable(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("Unavailable",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if err != nil && ctx.Err() == nil && transient(err) {
				err = &agent.Error{Code: agent.Unavailable, Message: "The service is busy right now. Please try again in a moment.",
					RetryAfter: UnavailableRetryAfter, Err: err}
			}
			return out, md, err
		}), middleware.Before)
}

// transient reports whether err is one the SDK retries: it is still
// failing after the last attempt.
func transient(err error) bool {
	if _, ok := errors.AsType[*retry.MaxAttemptsError](err); ok {
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// DynamoDBClient returns a DynamoDB client, pointed at endpoint when it is set.
// Besides what the SDK retries, it retries writes that met a transaction in
// progress on the same item (TransactionConflict), of which DynamoDB applied
// nothing.
func DynamoDBClient(cfg aws.Config, endpoint string, extra ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(dynamo.RetryTxConflicts, func(so *retry.StandardOptions) {
			// The SDK's defaults for DynamoDB, which a retryer of our own
			// replaces (AWS_MAX_ATTEMPTS still applies).
			so.MaxAttempts, so.BaseDelay = 4, 25*time.Millisecond
			so.Retryables = append(so.Retryables, retry.RetryableErrorCode{Codes: map[string]struct{}{"TransactionConflictException": {}}})
		})
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			// Local stand-ins do not send DynamoDB's CRC32 header; without
			// this the SDK warns on every response.
			o.DisableValidateResponseChecksum = true
		}
	}}, extra...)...)
}

// S3Client returns an S3 client, pointed at endpoint with path-style addressing
// when it is set.
func S3Client(cfg aws.Config, endpoint string, extra ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
	}}, extra...)...)
}

// LambdaClient returns a Lambda client, pointed at endpoint when it is set (a
// runtime interface emulator, or a test's Invoke server).
func LambdaClient(cfg aws.Config, endpoint string) *lambda.Client {
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// SSMClient returns an SSM client, pointed at endpoint when it is set.
func SSMClient(cfg aws.Config, endpoint string) *ssm.Client {
	return ssm.NewFromConfig(cfg, func(o *ssm.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}
