package lambdatest_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/devtools/lambdatest"
	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/devtools/runtimeapi"
	"github.com/zocket/agent/routes"
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

// newAccount is a stand-in for the service's AWS account (package
// localaws), with the table, the bucket, the secrets and a fake Gemini.
func newAccount(t *testing.T) *localaws.Account {
	t.Helper()
	acct, err := localaws.StartAccount(context.Background(), localaws.AccountOptions{Name: "lambda-test", PackagesDir: "../../../web/node_modules"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acct.Close() })
	return acct
}

// environ is function name's environment in acct.
func environ(acct *localaws.Account, name string) []string {
	f, _ := routes.ByName(name)
	return acct.Environ(f)
}

// TestEventsUnderEmulator runs every function's real binary under the
// Runtime Interface Emulator, a fresh process each, against the local
// stack, and invokes it with its events/ file. Functions that invoke the
// build function reach another emulator running the real build binary,
// through the Lambda Invoke API.
func TestEventsUnderEmulator(t *testing.T) {
	dir, rie := bootstrapDir(t), emulatorPath(t)
	acct := newAccount(t)
	ctx := context.Background()

	names, err := lambdatest.EventFiles("../../../events")
	if err != nil {
		t.Fatal(err)
	}

	build, err := lambdatest.StartEmulator(ctx, rie, filepath.Join(dir, "build"), environ(acct, "build"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { build.Close() })
	acct.Lambda = build.URL()

	values := lambdatest.NewEventValues(acct.Store)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			f, _ := routes.ByName(name)
			event, err := values.Event("../../../events", name)
			if err != nil {
				t.Fatal(err)
			}
			fn, err := lambdatest.StartEmulator(ctx, rie, filepath.Join(dir, name), acct.Environ(f))
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
			got, err := lambdatest.Decode(f, payload)
			if err != nil {
				t.Fatal(err)
			}
			if err := lambdatest.CheckAnswer(name, got.Status, got.Body); err != nil {
				t.Fatalf("%v\n%s", err, fn.Logs())
			}
			if (f.Path != "" || f.StreamURL) && (got.Headers["X-Request-Id"] == "" || got.Headers["Content-Type"] == "") {
				t.Errorf("headers = %v", got.Headers)
			}
			if err := values.Learn(ctx, name, got.Body); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// streamed is a function's response as it arrives, from a process of its
// own under package runtimeapi, which (unlike the emulator) passes it on
// while the function still writes it.
type streamed struct {
	runtimeapi.Prelude // a Function URL response's; empty for others
	Body               io.Reader
	inst               *runtimeapi.Instance
	logs               string
}

// stream runs bootstrap with env, hands it event and returns its response
// as soon as it starts. The process ends at Close or with the test.
func stream(ctx context.Context, t *testing.T, bootstrap string, env []string, event []byte) *streamed {
	t.Helper()
	s := &streamed{logs: filepath.Join(t.TempDir(), "log")}
	out, err := os.Create(s.logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	name := filepath.Base(bootstrap)
	s.inst, err = runtimeapi.Start(runtimeapi.Function{
		Name: name, ARN: "arn:aws:lambda:us-east-1:123456789012:function:" + name, Bootstrap: bootstrap, Output: out,
		Env: slices.Concat(env, []string{"AWS_LAMBDA_FUNCTION_NAME=" + name, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "LAMBDA_TASK_ROOT=" + filepath.Dir(bootstrap)}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	resp, err := s.inst.Invoke(ctx, event)
	if err != nil {
		t.Fatalf("%v\n%s", err, s.Logs())
	}
	s.Body = resp.Body
	if resp.ContentType == runtimeapi.HTTPIntegrationContentType {
		br := bufio.NewReader(resp.Body)
		if s.Prelude, err = runtimeapi.ReadPrelude(br); err != nil {
			t.Fatalf("%v\n%s", err, s.Logs())
		}
		s.Body = br
	}
	return s
}

// Logs returns what the function has printed so far.
func (s *streamed) Logs() string {
	data, _ := os.ReadFile(s.logs)
	return string(data)
}

// Close stops the function.
func (s *streamed) Close() { s.inst.Kill() }

// register creates a user through the real register binary (a buffered
// response) and returns its token.
func register(ctx context.Context, t *testing.T, dir string, acct *localaws.Account) string {
	t.Helper()
	data, err := os.ReadFile("../../../events/auth-register.json")
	if err != nil {
		t.Fatal(err)
	}
	reg := stream(ctx, t, filepath.Join(dir, "auth-register"), environ(acct, "auth-register"), data)
	payload, err := io.ReadAll(reg.Body)
	reg.Close()
	if err != nil {
		t.Fatal(err)
	}
	var user struct{ Token string }
	got, err := lambdatest.Decode(routes.Function{Path: "/"}, payload)
	if err != nil || json.Unmarshal([]byte(got.Body), &user) != nil || user.Token == "" {
		t.Fatalf("register: %v %s", err, payload)
	}
	return user.Token
}

// streamEvent is events/chat-stream.json as a request for method and path
// with the user's token and more headers.
func streamEvent(t *testing.T, token, method, path string, headers map[string]string) []byte {
	t.Helper()
	data, err := os.ReadFile("../../../events/chat-stream.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(data), "REPLACE_WITH_A_TOKEN_FROM_LOGIN", token)), &ev); err != nil {
		t.Fatal(err)
	}
	if method != http.MethodPost {
		ev.Body = ""
	}
	ev.RawPath, ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = path, method, path
	maps.Copy(ev.Headers, headers)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// noBuilds is a Lambda endpoint that fails the test if anything is built
// (the replies here have no code).
func noBuilds(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected build request %s", r.URL)
		http.Error(w, "no builds here", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestChatStreamArrivesIncrementally runs the real chat-stream binary under
// package runtimeapi and reads its server-sent events as they come: the
// first delta arrives while the model still holds back the rest.
func TestChatStreamArrivesIncrementally(t *testing.T) {
	dir := bootstrapDir(t)
	acct := newAccount(t)
	acct.Lambda = noBuilds(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	token := register(ctx, t, dir, acct)

	hold := make(chan struct{})
	released := false
	defer func() {
		if !released {
			close(hold)
		}
	}()
	acct.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here ", "is ", "a button."}, Hold: hold, HoldAfter: 1})
	data, err := os.ReadFile("../../../events/chat-stream.json")
	if err != nil {
		t.Fatal(err)
	}
	event := strings.ReplaceAll(string(data), "REPLACE_WITH_A_TOKEN_FROM_LOGIN", token)
	resp := stream(ctx, t, filepath.Join(dir, "chat-stream"), environ(acct, "chat-stream"), []byte(event))
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

// TestResumeAcrossProcesses has one chat-stream process write a reply and
// another, sharing nothing but the table, resume it: the reader of the
// first leaves after two deltas, a second connection to a second process
// resumes from the last id it saw, and the two texts put together are the
// saved reply byte for byte. A third process stops a second turn while the
// second process streams it.
func TestResumeAcrossProcesses(t *testing.T) {
	dir := bootstrapDir(t)
	acct := newAccount(t)
	acct.Lambda = noBuilds(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	token := register(ctx, t, dir, acct)
	bin := filepath.Join(dir, "chat-stream")
	vars := environ(acct, "chat-stream")

	hold := make(chan struct{})
	chunks := []string{"Uno ", "dos ", "três ", "quatro ", "cinco."}
	acct.Gemini.Enqueue(geminitest.Reply{Chunks: chunks, Hold: hold, HoldAfter: 2})
	producer := stream(ctx, t, bin, vars, streamEvent(t, token, "POST", "/api/chat/send", nil))
	defer producer.Close()
	rd := apitest.NewSSEReader(producer.Body)
	var first []apitest.Event
	var msgID, convID string
	for sse := ""; sse != "Uno dos "; {
		e, err := rd.Next()
		if err != nil {
			t.Fatalf("%v\n%s", err, producer.Logs())
		}
		if e.Type == "metadata" {
			msgID, convID = e.Data["messageId"].(string), e.Data["conversationId"].(string)
		}
		first = append(first, e)
		sse += e.Text()
	}
	// The first reader leaves: nothing more is read from the producer.
	last := first[len(first)-1].ID
	reader := stream(ctx, t, bin, vars, streamEvent(t, token, "GET", "/api/chat/stream/"+msgID, map[string]string{"last-event-id": last}))
	defer reader.Close()
	close(hold)
	rest, err := apitest.NewSSEReader(reader.Body).All()
	if err != nil {
		t.Fatalf("%v\n%s", err, reader.Logs())
	}
	var got strings.Builder
	for _, e := range append(first, rest...) {
		got.WriteString(e.Text())
	}
	if n := len(rest); n < 2 || rest[n-2].Type != "complete" || !rest[n-1].Done {
		t.Fatalf("resumed stream: %+v\n%s", rest, reader.Logs())
	}
	u, err := acct.Store.Turn(ctx, userOf(t, token), msgID)
	if err != nil {
		t.Fatal(err)
	}
	var saved agent.Message
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if saved, _, err = acct.Store.Reply(ctx, u); err == nil {
			break
		}
	}
	if got.String() != saved.Content || saved.Content != strings.Join(chunks, "") || saved.ConversationID != convID {
		t.Errorf("first + resumed = %q, saved %+v (%v)", got.String(), saved, err)
	}

	// Stop, from a third process, a turn the second streams.
	hold2 := make(chan struct{})
	defer close(hold2)
	acct.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Going ", "on ", "and on."}, Hold: hold2, HoldAfter: 1})
	second := stream(ctx, t, bin, vars, streamEvent(t, token, "POST", "/api/chat/send", nil))
	defer second.Close()
	rd = apitest.NewSSEReader(second.Body)
	meta, err := rd.Next()
	if err != nil || meta.Type != "metadata" {
		t.Fatalf("%+v %v", meta, err)
	}
	stopper := stream(ctx, t, bin, vars, streamEvent(t, token, "POST", "/api/chat/stop/"+meta.Data["messageId"].(string), nil))
	stopped, err := io.ReadAll(stopper.Body)
	stopper.Close()
	if err != nil || stopper.StatusCode != http.StatusOK {
		t.Fatalf("stop: %d %s %v", stopper.StatusCode, stopped, err)
	}
	tail, err := rd.All()
	if n := len(tail); err != nil || n < 2 || tail[n-2].Data["reason"] != "stopped" || !tail[n-1].Done {
		t.Errorf("stopped stream: %+v %v\n%s", tail, err, second.Logs())
	}
}

// userOf is the user id in a token, read without checking it (the test
// made it).
func userOf(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct{ Sub string }
	if err != nil || json.Unmarshal(raw, &claims) != nil || claims.Sub == "" {
		t.Fatalf("token %q: %v", token, err)
	}
	return claims.Sub
}
