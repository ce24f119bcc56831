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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/zocket/agent/internal/awsconn"
	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/lambdatest"
	"github.com/zocket/agent/internal/llm/geminitest"
	"github.com/zocket/agent/internal/localaws"
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
	cfg, err := awsconn.Load(ctx, "us-east-1", awsconn.Endpoints{DynamoDB: stack.DynamoURL, S3: stack.S3URL})
	if err != nil {
		t.Fatal(err)
	}
	const name = "lambda-test"
	st := store.New(awsconn.DynamoDB(cfg, stack.DynamoURL), name)
	if err := st.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	if err := blob.New(awsconn.S3(cfg, stack.S3URL), name).EnsureBucket(ctx); err != nil {
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

// replayStep is what a function must answer to its event.
type replayStep struct {
	function string
	status   int    // 0 for a function behind no HTTP route
	body     string // a substring of the body
}

// replay is the order in which events/ is replayed and what each function
// must answer. Its order makes each succeed: register before login before
// the calls that need a token; the conversation calls before chat adds
// conversations; chat before the artifact calls, which use its artifact;
// build before the cached build-project. Events it does not list are
// replayed after its other entries and before its deletions, and must
// answer with a 2xx status.
var replay = []replayStep{
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
	{"chat-stream", 200, "data: [DONE]"},
	{"artifacts-get", 200, `"type":"REACT"`},
	{"artifacts-code", 200, `export default function Button`},
	{"artifacts-download", 200, `export default function Button`},
	{"artifacts-project", 200, `"entry":"Button.tsx"`},
	{"artifacts-build", 200, `"success":true`},
	{"artifacts-build-project", 200, `"cached":true`},
	{"artifacts-bundle", 200, `"bundledHtmlUrl":"https://`},
	{"artifacts-preview", 200, "<!doctype html>"},
	{"artifacts-project-preview", 200, "<!doctype html>"},
	{"build", 0, `"result":`},
	{"artifacts-delete", 200, `"message":"Artifact deleted successfully"`},
	{"conversations-delete", 200, `"deletedArtifacts":0`},
}

// replayOrder is every event name in replay order.
func replayOrder(names []string) []string {
	var listed, deletes []string
	for _, r := range replay {
		if !slices.Contains(names, r.function) {
			continue
		}
		if f, _ := routes.ByName(r.function); f.Method == http.MethodDelete {
			deletes = append(deletes, r.function)
		} else {
			listed = append(listed, r.function)
		}
	}
	var unlisted []string
	for _, n := range names {
		if !slices.Contains(listed, n) && !slices.Contains(deletes, n) {
			unlisted = append(unlisted, n)
		}
	}
	slices.Sort(unlisted)
	return slices.Concat(listed, unlisted, deletes)
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

	files, err := filepath.Glob("../../events/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		names = append(names, name)
		if _, ok := routes.ByName(name); !ok {
			t.Errorf("events/%s.json is the event of no function in the routes table", name)
		}
	}
	for _, f := range routes.All() {
		if !slices.Contains(names, f.Name) {
			t.Errorf("function %s has no events/%s.json: every function needs a sample event", f.Name, f.Name)
		}
	}

	build, err := lambdatest.StartEmulator(ctx, rie, filepath.Join(dir, "build"), env.environ(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { build.Close() })
	buildVars := map[string]string{"BUILD_FUNCTION_NAME": "function", "LAMBDA_ENDPOINT": build.URL()}

	values := map[string]string{"REPLACE_WITH_A_CONVERSATION_ID": uuid.Must(uuid.NewV7()).String()}
	for _, name := range replayOrder(names) {
		t.Run(name, func(t *testing.T) {
			f, _ := routes.ByName(name)
			data, err := os.ReadFile(fmt.Sprintf("../../events/%s.json", name))
			if err != nil {
				t.Fatal(err)
			}
			event := string(data)
			for k, v := range values {
				event = strings.ReplaceAll(event, k, v)
			}
			if i := strings.Index(event, "REPLACE_WITH_"); i >= 0 {
				t.Fatalf("placeholder %.40s... has no value yet: replay an event that provides it first", event[i:])
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
			payload, err := fn.Invoke(invokeCtx, []byte(event))
			if err != nil {
				t.Fatalf("%v\n%s\nbuild function:\n%s", err, fn.Logs(), build.Logs())
			}
			got, err := decode(f, payload)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(replay, func(r replayStep) bool { return r.function == name })
			switch {
			case i >= 0 && (got.status != replay[i].status || !strings.Contains(got.body, replay[i].body)):
				t.Fatalf("got %d %.2000s\nwant %d containing %s\n%s", got.status, got.body, replay[i].status, replay[i].body, fn.Logs())
			case i < 0 && f.Path != "" && (got.status < 200 || got.status > 299):
				t.Fatalf("got %d %.2000s, want a 2xx status (add %s to replay to check more)\n%s", got.status, got.body, name, fn.Logs())
			}
			if f.Path != "" && (got.headers["X-Request-Id"] == "" || got.headers["Content-Type"] == "") {
				t.Errorf("headers = %v", got.headers)
			}
			learn(t, env, values, name, got.body)
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
	case f.Path == "":
		return response{body: string(payload)}, nil
	case f.StreamURL:
		p, body, err := lambdatest.SplitStreamed(payload)
		return response{status: p.StatusCode, headers: p.Headers, body: string(body)}, err
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

// learn records what later events need from an answer: the token, the
// artifact, and, after login, a conversation of the user.
func learn(t *testing.T, env *localEnv, values map[string]string, function, body string) {
	t.Helper()
	var out struct {
		Token string
		User  struct{ ID string }
		Data  struct{ Artifacts []struct{ ID string } }
	}
	if json.Unmarshal([]byte(body), &out) != nil {
		return
	}
	if out.Token != "" {
		values["REPLACE_WITH_A_TOKEN_FROM_LOGIN"] = out.Token
	}
	if len(out.Data.Artifacts) > 0 {
		values["REPLACE_WITH_AN_ARTIFACT_ID"] = out.Data.Artifacts[0].ID
	}
	if function == "auth-login" {
		c := store.Conversation{
			ID: values["REPLACE_WITH_A_CONVERSATION_ID"], UserID: out.User.ID,
			Title: "From a replayed event", CreatedAt: store.Timestamp(time.Now()),
		}
		if err := env.store.CreateConversation(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
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
