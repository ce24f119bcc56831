package lambdahost_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"
	"github.com/google/uuid"

	"github.com/zocket/agent/internal/api"
	"github.com/zocket/agent/internal/api/all"
	"github.com/zocket/agent/internal/api/chatapi"
	"github.com/zocket/agent/internal/apitest"
	"github.com/zocket/agent/internal/dynamotest"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/lambdahost"
	"github.com/zocket/agent/internal/llm/geminitest"
	"github.com/zocket/agent/internal/store"
)

// TestEventsReplay sends every sample event in events/ through the real API
// Gateway adapter and the function's own handler, against the local stack,
// in an order where each can succeed (register before login before me).
func TestEventsReplay(t *testing.T) {
	env, getenv := replayEnv(t)
	log := httpapi.NewLogger(io.Discard, slog.LevelInfo)
	ctx := context.Background()

	tests := []struct {
		function   string
		wantStatus int
		wantBody   string
	}{
		{"health", 200, `"status":"ok"`},
		{"auth-register", 201, `"email":"sam-user@example.com"`},
		{"auth-login", 200, `"message":"Login successful"`},
		{"auth-me", 200, `"username":"sam_user"`},
		{"auth-refresh", 200, `"token":"`},
		{"conversations-list", 200, `"totalCount":1`},
		{"conversations-get", 200, `"title":"From a replayed event"`},
		{"conversations-update", 200, `"title":"Renamed from an event"`},
		{"conversations-export", 200, "# Renamed from an event"},
		{"chat-send", 200, `"message":"Message sent successfully"`},
		{"artifacts-get", 200, `"type":"REACT"`},
		{"artifacts-code", 200, `export default function Button`},
		{"artifacts-download", 200, `export default function Button`},
		{"artifacts-project", 200, `"entry":"Button.tsx"`},
		{"artifacts-build", 200, `"success":true`},
		{"artifacts-build-project", 200, `"cached":true`},
		{"artifacts-bundle", 200, `"bundledHtmlUrl":"https://`},
		{"artifacts-preview", 200, "<!doctype html>"},
		{"artifacts-project-preview", 200, "<!doctype html>"},
		{"artifacts-delete", 200, `"message":"Artifact deleted successfully"`},
		{"conversations-delete", 200, `"deletedArtifacts":0`},
	}
	files, err := filepath.Glob("../../events/*.json")
	if err != nil {
		t.Fatal(err)
	}
	// + chat-stream (a Function URL event: TestStreamThroughFunctionURL) and
	// build (the build Lambda's request: internal/buildhost).
	if len(files) != len(tests)+2 {
		t.Errorf("events/ has %d files, the tests replay %d: add the new event here", len(files), len(tests)+2)
	}
	var token, userID, artifactID string
	conversationID := uuid.Must(uuid.NewV7()).String()
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			data, err := os.ReadFile(fmt.Sprintf("../../events/%s.json", tt.function))
			if err != nil {
				t.Fatal(err)
			}
			data = []byte(strings.NewReplacer(
				"REPLACE_WITH_A_TOKEN_FROM_LOGIN", token,
				"REPLACE_WITH_A_CONVERSATION_ID", conversationID,
				"REPLACE_WITH_AN_ARTIFACT_ID", artifactID,
			).Replace(string(data)))
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatal(err)
			}
			h, err := lambdahost.Setup(ctx, tt.function, all.Constructors()[tt.function], log, getenv)
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
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantBody) {
				t.Fatalf("got %d %s, want %d containing %s", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
			}
			if resp.Headers["X-Request-Id"] == "" || resp.Headers["Content-Type"] == "" {
				t.Errorf("headers = %v", resp.Headers)
			}
			if got := resp.Headers["Access-Control-Allow-Origin"]; got != "http://localhost:3000" {
				t.Errorf("Access-Control-Allow-Origin = %q", got)
			}
			var body struct {
				Token string
				User  struct{ ID string }
				Data  struct{ Artifacts []struct{ ID string } }
			}
			_ = json.Unmarshal([]byte(resp.Body), &body)
			if body.Token != "" {
				token = body.Token
			}
			if len(body.Data.Artifacts) > 0 {
				artifactID = body.Data.Artifacts[0].ID
			}
			if tt.function == "auth-login" {
				// The conversation events need a conversation of this user.
				userID = body.User.ID
				c := store.Conversation{ID: conversationID, UserID: userID, Title: "From a replayed event", CreatedAt: store.Timestamp(time.Now())}
				if err := env.Deps.Store.CreateConversation(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestSetupRejects(t *testing.T) {
	ctx := context.Background()
	log := httpapi.NewLogger(io.Discard, slog.LevelInfo)
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
			_, err := lambdahost.Setup(ctx, tt.function, all.Constructors()[tt.function], log, func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := lambdahost.Setup(ctx, "health", api.Health, log, func(string) string { return "" }); err != nil {
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
	h, err := lambdahost.Setup(ctx, "chat-stream", chatapi.Send, httpapi.NewLogger(io.Discard, slog.LevelInfo), getenv)
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
	if !strings.HasPrefix(strings.TrimSpace(all), "id: 1\nevent: metadata") || !strings.Contains(all, `"text":"a button."`) ||
		!strings.Contains(all, "event: complete") || !strings.HasSuffix(all, "data: [DONE]\n\n") {
		t.Errorf("stream = %s", all)
	}
}
