// Package lambdahost turns the API's http.Handlers into Lambda functions:
// one route per function behind API Gateway's HTTP API (payload 2.0), built
// once per cold start. Function mains are one call to StartAPI.
package lambdahost

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdaurl"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"golang.org/x/sync/errgroup"

	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/routes"
)

// LambdaSessionCacheTTL is how long a Lambda instance trusts a token
// version it read, unless SESSION_CACHE_TTL says otherwise.
const LambdaSessionCacheTTL = time.Minute

// StartAPI serves function's route as an API Gateway HTTP API Lambda. A
// configuration error ends the process with a log line, which Lambda reports
// as an init failure.
func StartAPI(function string, newHandler app.Constructor) {
	lambda.Start(APIGatewayV2(mustSetup(function, map[string]app.Constructor{function: newHandler})))
}

// mustSetup is Setup in a Lambda's init phase, logging to stdout: a failure
// ends the process with a log line, which Lambda reports as an init error.
func mustSetup(function string, ctors map[string]app.Constructor) http.Handler {
	settings.LimitMemory(os.Getenv)
	h, err := Setup(context.Background(), function, ctors, os.Stdout, os.Getenv)
	if err != nil {
		httpapi.NewLogger(os.Stdout, slog.LevelInfo).Error("init failed", "function", function, "err", err)
		os.Exit(1)
	}
	return h
}

// Setup loads the configuration (with the JWT secret and the Gemini key
// from SSM when *_PARAM variables name parameters), builds the dependencies
// and returns the handler of the routes function serves (its own, or for
// the streaming function those it streams), each built by its constructor
// in ctors. It logs to out, JSON lines, and writes its metrics there too,
// in the Embedded Metric Format (namespace and service from the variables
// deploy sets, metrics.NamespaceVariable and metrics.ServiceVariable).
func Setup(ctx context.Context, function string, ctors map[string]app.Constructor, out io.Writer, getenv func(string) string) (http.Handler, error) {
	route, ok := routes.ByName(function)
	if !ok {
		return nil, fmt.Errorf("no route for function %q", function)
	}
	cfg, err := settings.Load(getenv)
	if err != nil {
		return nil, err
	}
	// One AWS configuration for every client: loading it reads the
	// environment and the shared files, once.
	awsCfg, err := settings.LoadAWS(ctx, cfg.Region, settings.Endpoints{
		DynamoDB: cfg.DynamoEndpoint, S3: cfg.S3Endpoint, Lambda: cfg.LambdaEndpoint, SSM: cfg.SSMEndpoint,
	})
	if err != nil {
		return nil, err
	}
	var jwtSecret string
	var reads []parameterRead
	if route.NeedsSecret() && len(cfg.JWTSecret) == 0 {
		reads = append(reads, parameterRead{"JWT_SECRET", getenv("JWT_SECRET_PARAM"), &jwtSecret})
	}
	if route.NeedsModel() && cfg.GeminiAPIKey == "" {
		reads = append(reads, parameterRead{"GEMINI_API_KEY", getenv("GEMINI_API_KEY_PARAM"), &cfg.GeminiAPIKey})
	}
	if name := getenv("ORIGIN_VERIFY_PARAM"); name != "" && cfg.OriginVerify == "" {
		reads = append(reads, parameterRead{"ORIGIN_VERIFY", name, &cfg.OriginVerify})
	}
	if err := readParameters(ctx, settings.SSMClient(awsCfg, cfg.SSMEndpoint), reads); err != nil {
		return nil, err
	}
	if jwtSecret != "" {
		if cfg.JWTSecret = []byte(jwtSecret); cfg.RequireSecret() != nil {
			return nil, settings.ErrWeakSecret
		}
	}
	if getenv("SESSION_CACHE_TTL") == "" {
		// An instance keeps the token versions it read for a minute: a
		// logout reaches every instance within that, at one read per user
		// and minute instead of one per request.
		cfg.SessionCacheTTL = LambdaSessionCacheTTL
	}
	log := httpapi.NewLogger(out, slog.LevelInfo)
	deps, err := app.NewDeps(ctx, cfg, log, app.Options{AWS: &awsCfg, Metrics: metrics.EMFFromEnv(out, getenv)})
	if err != nil {
		return nil, err
	}
	deps.Function = function
	return app.Handler(deps, route.Served(), ctors)
}

// parameterRead is a secret to read from the SSM SecureString called name,
// into dst, for the variable that could have held it directly.
type parameterRead struct {
	variable, name string
	dst            *string
}

// readParameters makes the reads at once: each is a round trip to SSM,
// which a cold start would otherwise wait for one after the other.
func readParameters(ctx context.Context, client *ssm.Client, reads []parameterRead) error {
	for _, r := range reads {
		if r.name == "" {
			return fmt.Errorf("set %s_PARAM (an SSM SecureString name) or %s", r.variable, r.variable)
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, r := range reads {
		g.Go(func() error {
			out, err := client.GetParameter(ctx, &ssm.GetParameterInput{
				Name: aws.String(r.name), WithDecryption: aws.Bool(true),
			})
			if err != nil {
				return fmt.Errorf("read parameter %s for %s: %w", r.name, r.variable, err)
			}
			*r.dst = aws.ToString(out.Parameter.Value)
			return nil
		})
	}
	return g.Wait()
}

// StartStream serves the routes function streams from a Lambda Function URL
// in RESPONSE_STREAM mode, each built by its constructor in ctors: every
// Write reaches the client as it happens.
func StartStream(function string, ctors map[string]app.Constructor) {
	lambdaurl.Start(mustSetup(function, ctors))
}

// APIGatewayV2 adapts h to API Gateway HTTP API events. It strips a named
// stage from the path (API Gateway prefixes it; "$default" has none), so the
// route patterns match however the API is staged.
func APIGatewayV2(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	adapter := httpadapter.NewV2(h)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if stage := ev.RequestContext.Stage; stage != "" && stage != "$default" {
			prefix := "/" + stage
			if ev.RawPath == prefix || strings.HasPrefix(ev.RawPath, prefix+"/") {
				ev.RawPath = strings.TrimPrefix(ev.RawPath, prefix)
			}
		}
		return adapter.ProxyWithContext(ctx, ev)
	}
}
