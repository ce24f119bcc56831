package lambdahost_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/build/esbuild"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/devtools/lambdatest"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/lambdahost"
	"github.com/zocket/agent/routes"
)

// TestEventsReplay sends every sample event in events/ through the real
// adapter of its function (API Gateway, the streaming Function URL, or the
// build Lambda's handler) and the function's own handler, against the local
// stack, in an order where each can succeed (internal/eventreplay).
func TestEventsReplay(t *testing.T) {
	env, getenv := replayEnv(t)
	ctx := context.Background()
	names, err := lambdatest.EventFiles("../../events")
	if err != nil {
		t.Fatal(err)
	}
	values := lambdatest.NewEventValues(env.Deps.Store)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			event, err := values.Event("../../events", name)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := routes.ByName(name)
			var status int
			var headers map[string]string
			var body string
			switch {
			case f.Path == "" && !f.StreamURL: // the build Lambda
				var req build.Request
				if err := json.Unmarshal(event, &req); err != nil {
					t.Fatal(err)
				}
				b, err := esbuild.New(esbuild.Options{PackagesDir: apitest.PackagesDir(), Cache: esbuild.S3Cache{Blob: env.Deps.Blob}})
				if err != nil {
					t.Fatal(err)
				}
				resp, err := esbuild.Handler(b, httpapi.NewLogger(io.Discard, slog.LevelInfo))(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				out, _ := json.Marshal(resp)
				body = string(out)
			case f.StreamURL:
				var ev events.LambdaFunctionURLRequest
				if err := json.Unmarshal(event, &ev); err != nil {
					t.Fatal(err)
				}
				h, err := lambdahost.Setup(ctx, name, chatapp.Constructors(), io.Discard, getenv)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := lambdaurl.Wrap(h)(ctx, &ev)
				if err != nil {
					t.Fatal(err)
				}
				data, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				status, headers, body = resp.StatusCode, resp.Headers, string(data)
			default:
				var ev events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(event, &ev); err != nil {
					t.Fatal(err)
				}
				h, err := lambdahost.Setup(ctx, name, chatapp.Constructors(), io.Discard, getenv)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := lambdahost.APIGatewayV2(h)(ctx, ev)
				if err != nil {
					t.Fatal(err)
				}
				if resp.IsBase64Encoded {
					raw, _ := base64.StdEncoding.DecodeString(resp.Body)
					resp.Body = string(raw)
				}
				status, headers, body = resp.StatusCode, resp.Headers, resp.Body
			}
			if err := lambdatest.CheckAnswer(name, status, body); err != nil {
				t.Fatal(err)
			}
			if f.Path != "" || f.StreamURL {
				if headers["X-Request-Id"] == "" || headers["Content-Type"] == "" {
					t.Errorf("headers = %v", headers)
				}
				if got := headers["Access-Control-Allow-Origin"]; got != "http://localhost:3000" {
					t.Errorf("Access-Control-Allow-Origin = %q", got)
				}
			}
			if err := values.Learn(ctx, name, body); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSetupRejects(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		function string
		env      map[string]string
		want     string
	}{
		{"unknown function", "nope", nil, "no route"},
		{"short secret", "auth-me", map[string]string{"JWT_SECRET": "short"}, "at least 32 bytes"},
		{"no secret source", "auth-login", map[string]string{}, "JWT_SECRET_PARAM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lambdahost.Setup(ctx, tt.function, chatapp.Constructors(), io.Discard, func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := lambdahost.Setup(ctx, "health", app.Constructors, io.Discard, func(string) string { return "" }); err != nil {
		t.Errorf("health needs no secret, got %v", err)
	}
}

// replayEnv is a local stack, a fake model and the environment a function
// would read in Lambda, pointed at them.
func replayEnv(t *testing.T) (*apitest.Env, func(string) string) {
	t.Helper()
	tb := dynamotest.NewTable(t, dynamotest.Backends(t)[0]) // minidyn: registration is a transaction
	vars := map[string]string{
		"JWT_SECRET":        apitest.Secret,
		"TABLE_NAME":        tb.Name,
		"S3_BUCKET_NAME":    "events-replay",
		"DYNAMODB_ENDPOINT": tb.Backend.Endpoint,
		"S3_ENDPOINT":       apitest.S3Endpoint(),
	}
	env := apitest.New(t, tb, vars) // creates the bucket and the fake model
	vars["GEMINI_API_KEY"], vars["GEMINI_BASE_URL"] = apitest.GeminiKey, env.Gemini.URL()
	// Builds go through the real Lambda client to an Invoke endpoint that
	// runs the build code, as the artifact functions reach the build Lambda.
	vars["BUILD_FUNCTION_NAME"], vars["LAMBDA_ENDPOINT"] = "build", apitest.InvokeServer(t, "build", env.Deps.Builder)
	return env, func(k string) string { return vars[k] }
}

// TestStreamThroughFunctionURL runs events/chat-stream.json through
// lambdaurl.Wrap, the streaming Function URL's adapter, and reads the body
// as it is produced: the first delta arrives while the model still holds the
// rest of its reply.
func TestStreamThroughFunctionURL(t *testing.T) {
	env, getenv := replayEnv(t)
	ctx := context.Background()
	u := env.Register(t)
	data, err := os.ReadFile("../../events/chat-stream.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(data), "REPLACE_WITH_A_TOKEN_FROM_LOGIN", u.Token)), &ev); err != nil {
		t.Fatal(err)
	}
	h, err := lambdahost.Setup(ctx, "chat-stream", chatapp.Stream(), io.Discard, getenv)
	if err != nil {
		t.Fatal(err)
	}
	hold := make(chan struct{})
	env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here ", "is ", "a button."}, Hold: hold, HoldAfter: 1})
	resp, err := lambdaurl.Wrap(h)(ctx, &ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/event-stream") {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Headers)
	}
	if resp.Headers["Access-Control-Allow-Origin"] != "http://localhost:3000" {
		t.Errorf("CORS header = %q", resp.Headers["Access-Control-Allow-Origin"])
	}
	rd := bufio.NewReader(resp.Body)
	var seen strings.Builder
	for !strings.Contains(seen.String(), `"text":"Here "`) {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before the first delta: %v\n%s", err, seen.String())
		}
		seen.WriteString(line)
	}
	if strings.Contains(seen.String(), "a button.") {
		t.Fatal("held chunks arrived early")
	}
	close(hold)
	rest, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	all := seen.String() + string(rest)
	if !strings.HasPrefix(strings.TrimSpace(all), "id: 0.1\nevent: metadata") || !strings.Contains(all, `"text":"a button."`) ||
		!strings.Contains(all, "event: complete") || !strings.HasSuffix(all, "data: [DONE]\n\n") {
		t.Errorf("stream = %s", all)
	}
}
