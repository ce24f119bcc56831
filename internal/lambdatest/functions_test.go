package lambdatest_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/lambdatest"
	"github.com/zocket/agent/internal/llm/geminitest"
	"github.com/zocket/agent/internal/localaws"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/internal/store"
	"github.com/zocket/agent/routes"
)

// The secrets of the local environment.
const (
	jwtSecret = "lambda-test-secret-lambda-test-secret-0123"
	geminiKey = "lambda-test-gemini-key"
)

// bootstrapDir is where `make test-lambda` put every function's binary,
// built for this machine (LAMBDA_BOOTSTRAP_DIR): the tests that run real
// binaries are skipped without it, and run by that target.
func bootstrapDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LAMBDA_BOOTSTRAP_DIR")
	if dir == "" {
		t.Skip("run by `make test-lambda`, which builds the bootstraps and sets LAMBDA_BOOTSTRAP_DIR")
	}
	for _, f := range routes.All() {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			t.Fatalf("no bootstrap for %s: %v", f.Name, err)
		}
	}
	return dir
}

// emulatorPath is the Runtime Interface Emulator `make test-lambda`
// installed (LAMBDA_RIE); a test that needs it fails without it.
func emulatorPath(t *testing.T) string {
	t.Helper()
	rie := os.Getenv("LAMBDA_RIE")
	if rie == "" {
		t.Fatal("LAMBDA_RIE is not set: `make test-lambda` installs the emulator and sets it")
	}
	if _, err := os.Stat(rie); err != nil {
		t.Fatalf("the emulator: %v", err)
	}
	return rie
}

// localEnv is a stand-in for the service's AWS account: DynamoDB and S3
// (package localaws) with the table and the bucket, a fake Gemini, and the
// variables a function reads to reach them.
type localEnv struct {
	vars   map[string]string
	store  *store.Store
	gemini *geminitest.Server
}

func newLocalEnv(t *testing.T) *localEnv {
	t.Helper()
	ctx := context.Background()
	stack, err := localaws.Start(localaws.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stack.Close(ctx) })
	cfg, err := settings.LoadAWS(ctx, "us-east-1", settings.Endpoints{DynamoDB: stack.DynamoURL, S3: stack.S3URL})
	if err != nil {
		t.Fatal(err)
	}
	const name = "lambda-test"
	st := store.New(settings.DynamoDBClient(cfg, stack.DynamoURL), name)
	if err := st.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	if err := blob.New(settings.S3Client(cfg, stack.S3URL), name).EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	gemini := geminitest.New(geminitest.WithAPIKey(geminiKey))
	t.Cleanup(gemini.Close)
	packages, err := filepath.Abs("../../web/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	return &localEnv{store: st, gemini: gemini, vars: map[string]string{
		"AWS_REGION":         "us-east-1",
		"TABLE_NAME":         name,
		"S3_BUCKET_NAME":     name,
		"DYNAMODB_ENDPOINT":  stack.DynamoURL,
		"S3_ENDPOINT":        stack.S3URL,
		"JWT_SECRET":         jwtSecret,
		"GEMINI_API_KEY":     geminiKey,
		"GEMINI_BASE_URL":    gemini.URL(),
		"BUILD_PACKAGES_DIR": packages,
		// The replay is not about the abuse limits: they are off.
		"MAX_CONCURRENT_TURNS": "0", "TURNS_PER_MINUTE": "0", "REGISTRATIONS_PER_HOUR": "0",
	}}
}

// environ is the whole environment of a function process: the variables,
// and a HOME of its own so that no shared AWS configuration is read.
func (e *localEnv) environ(t *testing.T, extra map[string]string) []string {
	t.Helper()
	env := []string{"HOME=" + t.TempDir()}
	for k, v := range e.vars {
		env = append(env, k+"="+v)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// TestEventsUnderEmulator runs every function's real binary under the
// Runtime Interface Emulator, a fresh process each, against the local
// stack, and invokes it with its events/ file. Functions that invoke the
// build function reach another emulator running the real build binary,
// through the Lambda Invoke API.
func TestEventsUnderEmulator(t *testing.T) {
	dir, rie := bootstrapDir(t), emulatorPath(t)
	env := newLocalEnv(t)
	ctx := context.Background()

	names, err := lambdatest.EventFiles("../../events")
	if err != nil {
		t.Fatal(err)
	}

	build, err := lambdatest.StartEmulator(ctx, rie, filepath.Join(dir, "build"), env.environ(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { build.Close() })
	buildVars := map[string]string{"BUILD_FUNCTION_NAME": "function", "LAMBDA_ENDPOINT": build.URL()}

	values := lambdatest.NewEventValues(env.store)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			f, _ := routes.ByName(name)
			event, err := values.Event("../../events", name)
			if err != nil {
				t.Fatal(err)
			}
			var extra map[string]string
			if f.InvokesBuild() {
				extra = buildVars
			}
			fn, err := lambdatest.StartEmulator(ctx, rie, filepath.Join(dir, name), env.environ(t, extra))
			if err != nil {
				t.Fatal(err)
			}
			defer fn.Close()
			invokeCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			payload, err := fn.Invoke(invokeCtx, event)
			if err != nil {
				t.Fatalf("%v\n%s\nbuild function:\n%s", err, fn.Logs(), build.Logs())
			}
			got, err := decode(f, payload)
			if err != nil {
				t.Fatal(err)
			}
			if err := lambdatest.CheckAnswer(name, got.status, got.body); err != nil {
				t.Fatalf("%v\n%s", err, fn.Logs())
			}
			if (f.Path != "" || f.StreamURL) && (got.headers["X-Request-Id"] == "" || got.headers["Content-Type"] == "") {
				t.Errorf("headers = %v", got.headers)
			}
			if err := values.Learn(ctx, name, got.body); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// response is what a function answered, whatever its kind.
type response struct {
	status  int
	headers map[string]string
	body    string
}

// decode reads a payload: an API Gateway HTTP API response, a Function URL
// response in the streamed format, or a plain payload.
func decode(f routes.Function, payload []byte) (response, error) {
	switch {
	case f.StreamURL:
		p, body, err := lambdatest.SplitStreamed(payload)
		return response{status: p.StatusCode, headers: p.Headers, body: string(body)}, err
	case f.Path == "":
		return response{body: string(payload)}, nil
	}
	var r events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &r); err != nil {
		return response{}, fmt.Errorf("decode %s: %w", payload, err)
	}
	if r.IsBase64Encoded {
		raw, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil {
			return response{}, err
		}
		r.Body = string(raw)
	}
	return response{status: r.StatusCode, headers: r.Headers, body: r.Body}, nil
}

// TestChatStreamArrivesIncrementally runs the real chat-stream binary under
// the package's Runtime API and reads its server-sent events as they come:
// the first delta arrives while the model still holds back the rest.
func TestChatStreamArrivesIncrementally(t *testing.T) {
	dir := bootstrapDir(t)
	env := newLocalEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A user, through the real register binary (a buffered response).
	data, err := os.ReadFile("../../events/auth-register.json")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := lambdatest.Stream(ctx, filepath.Join(dir, "auth-register"), env.environ(t, nil), data)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := io.ReadAll(reg.Body)
	reg.Close()
	if err != nil {
		t.Fatal(err)
	}
	var user struct{ Token string }
	got, err := decode(routes.Function{Path: "/"}, payload)
	if err != nil || json.Unmarshal([]byte(got.body), &user) != nil || user.Token == "" {
		t.Fatalf("register: %v %s", err, payload)
	}

	hold := make(chan struct{})
	released := false
	defer func() {
		if !released {
			close(hold)
		}
	}()
	env.gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here ", "is ", "a button."}, Hold: hold, HoldAfter: 1})
	if data, err = os.ReadFile("../../events/chat-stream.json"); err != nil {
		t.Fatal(err)
	}
	event := strings.ReplaceAll(string(data), "REPLACE_WITH_A_TOKEN_FROM_LOGIN", user.Token)
	// The reply has no code, so nothing is built: a build request fails.
	noBuilds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected build request %s", r.URL)
		http.Error(w, "no builds here", http.StatusInternalServerError)
	}))
	defer noBuilds.Close()
	vars := map[string]string{"BUILD_FUNCTION_NAME": "function", "LAMBDA_ENDPOINT": noBuilds.URL}
	resp, err := lambdatest.Stream(ctx, filepath.Join(dir, "chat-stream"), env.environ(t, vars), []byte(event))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Headers["Content-Type"], "text/event-stream") {
		t.Fatalf("prelude = %+v\n%s", resp.Prelude, resp.Logs())
	}
	rd := bufio.NewReader(resp.Body)
	var seen strings.Builder
	for !strings.Contains(seen.String(), `"text":"Here "`) {
		line, err := rd.ReadString('\n')
		seen.WriteString(line)
		if err != nil {
			t.Fatalf("the stream ended before the first delta: %v\n%s\n%s", err, seen.String(), resp.Logs())
		}
	}
	if strings.Contains(seen.String(), "a button.") {
		t.Fatal("held chunks arrived early")
	}
	close(hold)
	released = true
	rest, err := io.ReadAll(rd)
	if err != nil {
		t.Fatalf("%v\n%s", err, resp.Logs())
	}
	all := seen.String() + string(rest)
	if !strings.Contains(all, `"text":"a button."`) || !strings.Contains(all, "event: complete") || !strings.HasSuffix(all, "data: [DONE]\n\n") {
		t.Errorf("stream = %s", all)
	}
}
