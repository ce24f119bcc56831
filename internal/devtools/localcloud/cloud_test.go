package localcloud_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/zocket/agent/internal/devtools/browsertest"
	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/internal/devtools/lambdatest"
	"github.com/zocket/agent/internal/devtools/localcloud"
	"github.com/zocket/agent/internal/settings"
)

func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Close()
	if testBin.dir != "" {
		os.RemoveAll(testBin.dir)
	}
	os.Exit(code)
}

// testBin is testdata/fn, built once for every test of the binary.
var testBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func testBinary(t *testing.T) string {
	t.Helper()
	testBin.once.Do(func() {
		if testBin.dir, testBin.err = os.MkdirTemp("", "localcloud-fn-"); testBin.err != nil {
			return
		}
		testBin.path = filepath.Join(testBin.dir, "bootstrap")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		testBin.err = lambdatest.Build(ctx, ".", "./testdata/fn", testBin.path, "")
	})
	if testBin.err != nil {
		t.Fatal(testBin.err)
	}
	return testBin.path
}

const originVerify = "test-origin-verify-value-0123456789abcdef"

// startTestStack runs testdata/template.yaml, every function from testdata/fn.
func startTestStack(t *testing.T, params map[string]string) *localcloud.Cloud {
	t.Helper()
	bin := testBinary(t)
	tpl, err := cfn.ReadFile("testdata/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	c, err := localcloud.Start(context.Background(), localcloud.Options{
		Template:   tpl,
		Bootstrap:  func(string) (string, error) { return bin, nil },
		Parameters: params,
		SSM:        []localcloud.SSMParameter{{NameParameter: "VerifyParameterName", Value: originVerify}},
		Logs:       logs,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			t.Logf("stack logs:\n%s", logs.String())
		}
	})
	return c
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func lambdaClient(t *testing.T, c *localcloud.Cloud) *lambda.Client {
	t.Helper()
	cfg, err := settings.LoadAWS(context.Background(), "us-east-1", c.Endpoints)
	if err != nil {
		t.Fatal(err)
	}
	return settings.LambdaClient(cfg, c.Endpoints.Lambda)
}

// functionName is the deployed name of the function called logicalID.
func functionName(t *testing.T, c *localcloud.Cloud, logicalID string) string {
	t.Helper()
	for _, f := range c.Functions() {
		if f.LogicalID == logicalID {
			return f.Name
		}
	}
	t.Fatalf("no function %s", logicalID)
	return ""
}

// workerAnswer is what testdata/fn answers in worker mode.
type workerAnswer struct {
	PID         int               `json:"pid"`
	RemainingMs int64             `json:"remainingMs"`
	Env         map[string]string `json:"env"`
}

func invoke(t *testing.T, client *lambda.Client, name string, in any) (*lambda.InvokeOutput, error) {
	t.Helper()
	payload, _ := json.Marshal(in)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload})
}

// gate answers its requests only once want of them have arrived: a
// function that waits at it finishes only if all run at the same time.
type gate struct {
	*httptest.Server
	arrived atomic.Int32
	open    chan struct{}
	once    sync.Once
}

func newGate(t *testing.T, want int32) *gate {
	g := &gate{open: make(chan struct{})}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.arrived.Add(1) >= want {
			g.release()
		}
		select {
		case <-g.open:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() {
		g.release()
		g.Close()
	})
	return g
}

// release opens the gate to everyone.
func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// TestConcurrentInvocationsRunOnTheirOwnInstances invokes one function
// four times at once: each invocation waits until all four have arrived,
// which only instances running side by side can do (the Runtime Interface
// Emulator serves one at a time). Later invocations reuse the warm
// instances instead of starting new ones.
func TestConcurrentInvocationsRunOnTheirOwnInstances(t *testing.T) {
	c := startTestStack(t, nil)
	client := lambdaClient(t, c)
	name := functionName(t, c, "WorkerFunction")
	const n = 4
	g := newGate(t, n)
	pids := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			out, err := invoke(t, client, name, map[string]any{"gate": g.URL})
			if err != nil || out.FunctionError != nil {
				t.Errorf("invoke: %v %s", err, out.Payload)
				return
			}
			var a workerAnswer
			if err := json.Unmarshal(out.Payload, &a); err != nil {
				t.Error(err)
			}
			pids <- a.PID
		})
	}
	wg.Wait()
	close(pids)
	seen := map[int]bool{}
	for p := range pids {
		seen[p] = true
	}
	if len(seen) != n {
		t.Fatalf("%d invocations ran in %d processes, want %d", n, len(seen), n)
	}
	if running, started := c.Instances("WorkerFunction"); running != n || started != n {
		t.Errorf("instances running %d, started %d, want %d and %d", running, started, n, n)
	}
	for range n {
		out, err := invoke(t, client, name, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		var a workerAnswer
		if err := json.Unmarshal(out.Payload, &a); err != nil || !seen[a.PID] {
			t.Errorf("a later invocation ran in process %d, not a warm one of %v (%v)", a.PID, seen, err)
		}
	}
	if _, started := c.Instances("WorkerFunction"); started != n {
		t.Errorf("instances started = %d after sequential invocations, want %d (warm ones reused)", started, n)
	}
}

func TestReservedConcurrencyThrottles(t *testing.T) {
	c := startTestStack(t, map[string]string{"WorkerConcurrency": "1"})
	client := lambdaClient(t, c)
	name := functionName(t, c, "WorkerFunction")
	g := newGate(t, 2) // never opens: only one invocation can arrive
	first := make(chan error, 1)
	go func() {
		_, err := invoke(t, client, name, map[string]any{"gate": g.URL})
		first <- err
	}()
	for g.arrived.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	_, err := invoke(t, client, name, map[string]any{})
	var tooMany *lambdatypes.TooManyRequestsException
	if !errors.As(err, &tooMany) {
		t.Errorf("second invocation: err = %v, want TooManyRequestsException", err)
	}
	g.release()
	if err := <-first; err != nil {
		t.Error(err)
	}
}

// TestFunctionFailures checks what Lambda reports for each way a function
// fails, and that the function serves again afterwards.
func TestFunctionFailures(t *testing.T) {
	c := startTestStack(t, nil)
	client := lambdaClient(t, c)
	tests := []struct {
		name     string
		function string
		in       map[string]any
		wantType string
	}{
		{"returned error", "WorkerFunction", map[string]any{"fail": "kaboom"}, "errorString"},
		{"process exit", "WorkerFunction", map[string]any{"exit": true}, "Runtime.ExitError"},
		{"timeout", "SlowFunction", map[string]any{"sleepMs": 3000}, "Sandbox.Timedout"},
		{"init error", "BrokenFunction", map[string]any{}, "Config.Missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := functionName(t, c, tt.function)
			start := time.Now()
			out, err := invoke(t, client, name, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ ErrorType, ErrorMessage string }
			_ = json.Unmarshal(out.Payload, &got)
			if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(got.ErrorType, tt.wantType) {
				t.Errorf("function error %q, payload %s; want Unhandled, %s", aws.ToString(out.FunctionError), out.Payload, tt.wantType)
			}
			if tt.wantType == "Sandbox.Timedout" && time.Since(start) > 5*time.Second {
				t.Errorf("the 1 s timeout answered after %s", time.Since(start))
			}
			if tt.function == "BrokenFunction" {
				return
			}
			out, err = invoke(t, client, name, map[string]any{})
			if err != nil || out.FunctionError != nil {
				t.Errorf("after the failure: %v %s", err, out.Payload)
			}
		})
	}
	t.Run("unknown function", func(t *testing.T) {
		_, err := invoke(t, client, "no-such-function", map[string]any{})
		var nf *lambdatypes.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("err = %v, want ResourceNotFoundException", err)
		}
	})
}

// TestFunctionEnvironment checks what a function finds in its environment:
// the template's variables resolved to the local stack, the deadline from
// its Timeout, Lambda's variables, and credentials of its own.
func TestFunctionEnvironment(t *testing.T) {
	c := startTestStack(t, nil)
	client := lambdaClient(t, c)
	answer := func(logicalID string) workerAnswer {
		t.Helper()
		out, err := invoke(t, client, functionName(t, c, logicalID), map[string]any{})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("%v %+v", err, out)
		}
		var a workerAnswer
		if err := json.Unmarshal(out.Payload, &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	worker, slow := answer("WorkerFunction"), answer("SlowFunction")
	want := map[string]string{
		"TABLE_NAME":                      c.TableName,
		"STAGE":                           "test",
		"MODE":                            "worker",
		"TABLE_ARN":                       "arn:aws:dynamodb:us-east-1:123456789012:table/" + c.TableName,
		"AWS_LAMBDA_FUNCTION_NAME":        functionName(t, c, "WorkerFunction"),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
		"AWS_REGION":                      "us-east-1",
		"DYNAMODB_ENDPOINT":               c.Endpoints.DynamoDB,
		"S3_ENDPOINT":                     c.Endpoints.S3,
		"LAMBDA_ENDPOINT":                 c.Endpoints.Lambda,
		"SSM_ENDPOINT":                    c.Endpoints.SSM,
	}
	for k, v := range want {
		if got := worker.Env[k]; got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if worker.RemainingMs < 5000 || worker.RemainingMs > 10000 {
		t.Errorf("remaining time %d ms, want about the 10 s Timeout", worker.RemainingMs)
	}
	if slow.RemainingMs > 1000 {
		t.Errorf("remaining time %d ms, want under SlowFunction's 1 s Timeout", slow.RemainingMs)
	}
	if worker.Env["AWS_ACCESS_KEY_ID"] == "" || worker.Env["AWS_ACCESS_KEY_ID"] == slow.Env["AWS_ACCESS_KEY_ID"] {
		t.Errorf("access keys %q and %q: each function needs its own", worker.Env["AWS_ACCESS_KEY_ID"], slow.Env["AWS_ACCESS_KEY_ID"])
	}
	for _, f := range c.Functions() {
		if f.LogicalID == "WorkerFunction" && f.AccessKeyID != worker.Env["AWS_ACCESS_KEY_ID"] {
			t.Errorf("Functions() says key %s, the function has %s", f.AccessKeyID, worker.Env["AWS_ACCESS_KEY_ID"])
		}
	}
	if _, ok := worker.Env["GOPATH"]; ok {
		t.Error("the function inherited the test's environment")
	}
}

// apiAnswer is what testdata/fn answers in api mode.
type apiAnswer struct {
	Event struct {
		RouteKey              string            `json:"routeKey"`
		RawPath               string            `json:"rawPath"`
		RawQueryString        string            `json:"rawQueryString"`
		Cookies               []string          `json:"cookies"`
		Headers               map[string]string `json:"headers"`
		QueryStringParameters map[string]string `json:"queryStringParameters"`
		PathParameters        map[string]string `json:"pathParameters"`
		Body                  string            `json:"body"`
		IsBase64Encoded       bool              `json:"isBase64Encoded"`
		RequestContext        struct {
			DomainName string `json:"domainName"`
			Stage      string `json:"stage"`
			RouteKey   string `json:"routeKey"`
			HTTP       struct {
				Method, Path, SourceIP, UserAgent string
			} `json:"http"`
		} `json:"requestContext"`
	} `json:"event"`
	Env map[string]string `json:"env"`
}

func TestHTTPAPI(t *testing.T) {
	c := startTestStack(t, nil)
	t.Run("routes, parameters, query and cookies", func(t *testing.T) {
		req, _ := http.NewRequest("GET", c.APIURL+"/items/a%20b/parts/7?x=1&x=2&y=z%26", nil)
		req.Header.Set("Cookie", "a=1; b=2")
		req.Header.Set("User-Agent", "test-agent")
		req.Header.Add("X-Twice", "one")
		req.Header.Add("X-Twice", "two")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a apiAnswer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		ev := a.Event
		checks := []struct {
			what      string
			got, want any
		}{
			{"routeKey", ev.RouteKey, "GET /items/{id}/parts/{part}"},
			{"rawPath", ev.RawPath, "/items/a b/parts/7"},
			{"rawQueryString", ev.RawQueryString, "x=1&x=2&y=z%26"},
			{"pathParameters", fmt.Sprint(ev.PathParameters), "map[id:a b part:7]"},
			{"queryStringParameters", fmt.Sprint(ev.QueryStringParameters), "map[x:1,2 y:z&]"},
			{"cookies", fmt.Sprint(ev.Cookies), "[a=1 b=2]"},
			{"cookie header", ev.Headers["cookie"], ""},
			{"joined header", ev.Headers["x-twice"], "one,two"},
			{"host", ev.Headers["host"], strings.TrimPrefix(c.APIURL, "http://")},
			{"stage", ev.RequestContext.Stage, "$default"},
			{"context routeKey", ev.RequestContext.RouteKey, ev.RouteKey},
			{"method", ev.RequestContext.HTTP.Method, "GET"},
			{"user agent", ev.RequestContext.HTTP.UserAgent, "test-agent"},
			{"source ip", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
			{"domainName", ev.RequestContext.DomainName, strings.TrimPrefix(c.APIURL, "http://")},
			{"status", resp.StatusCode, 200},
			{"cookie set", resp.Header.Get("Set-Cookie"), "seen=1; Path=/"},
			{"multiValueHeaders dropped", resp.Header.Get("X-Lost"), ""},
			{"the API URL in the environment", a.Env["API_URL"], c.APIURL},
			{"a !Sub literal", a.Env["LITERAL"], "${NotAVariable}"},
			{"a function's name", a.Env["WORKER"], functionName(t, c, "WorkerFunction")},
			{"the bucket", a.Env["BUCKET"], c.BucketName},
		}
		for _, ch := range checks {
			if fmt.Sprint(ch.got) != fmt.Sprint(ch.want) {
				t.Errorf("%s = %v, want %v", ch.what, ch.got, ch.want)
			}
		}
	})
	tests := []struct {
		name, method, path string
		body               string
		wantStatus         int
		wantRoute          string
	}{
		{"literal beats parameter", "GET", "/items/special", "", 200, "GET /items/special"},
		{"parameter", "GET", "/items/42", "", 200, "GET /items/{id}"},
		{"greedy", "DELETE", "/files/a/b/c.txt", "", 200, "ANY /files/{path+}"},
		{"greedy needs a segment", "GET", "/files/", "", 404, ""},
		{"no route", "GET", "/nothing", "", 404, ""},
		{"wrong method", "PUT", "/items/42", "", 404, ""},
		{"trailing slash is another path", "GET", "/items/42/", "", 404, ""},
		{"binary body", "POST", "/items", "\xff\x00", 200, "POST /items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, c.APIURL+tt.path, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/octet-stream")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, data, tt.wantStatus)
			}
			if tt.wantStatus == 404 {
				if string(data) != `{"message":"Not Found"}`+"\n" {
					t.Errorf("body %q, want API Gateway's", data)
				}
				return
			}
			var a apiAnswer
			if err := json.Unmarshal(data, &a); err != nil {
				t.Fatal(err)
			}
			if a.Event.RouteKey != tt.wantRoute {
				t.Errorf("route %s, want %s", a.Event.RouteKey, tt.wantRoute)
			}
			if tt.body != "" {
				raw, _ := base64.StdEncoding.DecodeString(a.Event.Body)
				if !a.Event.IsBase64Encoded || string(raw) != tt.body {
					t.Errorf("body %q (base64 %v), want %q in base64", a.Event.Body, a.Event.IsBase64Encoded, tt.body)
				}
			}
		})
	}
	t.Run("binary response", func(t *testing.T) {
		resp, err := http.Get(c.APIURL + "/items/1?binary=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if !bytes.Equal(data, []byte{0xff, 0x00, 0xfe}) {
			t.Errorf("body %x", data)
		}
	})
	t.Run("function error", func(t *testing.T) {
		resp, err := http.Get(c.APIURL + "/items/1?fail=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 500 || string(data) != `{"message":"Internal Server Error"}`+"\n" {
			t.Errorf("got %d %s, want API Gateway's 500", resp.StatusCode, data)
		}
	})
}

// TestCORS checks preflights and responses against the test template's
// CorsConfiguration (HttpApi) and Cors (Function URL).
func TestCORS(t *testing.T) {
	c := startTestStack(t, nil)
	streamURL := c.Outputs["StreamUrl"]
	tests := []struct {
		name, url, method, origin string
		preflight                 bool
		wantOrigin, wantMethods   string
		wantStatus                int
	}{
		{"API preflight, allowed origin", c.APIURL + "/items/1", "OPTIONS", "http://app.example", true, "http://app.example", "GET,POST", 204},
		{"API preflight, other origin", c.APIURL + "/items/1", "OPTIONS", "http://evil.example", true, "", "", 204},
		{"API preflight of no route", c.APIURL + "/nothing", "OPTIONS", "http://app.example", true, "http://app.example", "GET,POST", 204},
		{"API response, allowed origin: the function's * replaced", c.APIURL + "/items/1", "GET", "http://localhost:3000", false, "http://localhost:3000", "", 200},
		{"API response, other origin: the function's * dropped", c.APIURL + "/items/1", "GET", "http://evil.example", false, "", "", 200},
		{"Function URL preflight", streamURL + "x", "OPTIONS", "http://app.example", true, "http://app.example", "GET,POST", 204},
		{"Function URL preflight, other origin", streamURL + "x", "OPTIONS", "http://evil.example", true, "", "", 204},
		{"through the distribution to the API", c.URL + "/items/1", "OPTIONS", "http://app.example", true, "http://app.example", "GET,POST", 204},
		{"through the distribution to the Function URL", c.URL + "/stream/x", "OPTIONS", "http://app.example", true, "http://app.example", "GET,POST", 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.url, nil)
			req.Header.Set("Origin", tt.origin)
			if tt.preflight {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "content-type")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := resp.Header
			if resp.StatusCode != tt.wantStatus || h.Get("Access-Control-Allow-Origin") != tt.wantOrigin || h.Get("Access-Control-Allow-Methods") != tt.wantMethods {
				t.Errorf("got %d, allow-origin %q, allow-methods %q; want %d, %q, %q", resp.StatusCode,
					h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Methods"), tt.wantStatus, tt.wantOrigin, tt.wantMethods)
			}
		})
	}
}

// TestStreamsArriveAsTheyAreWritten reads the first event of a streaming
// function through its Function URL and through the distribution before the
// function can finish: it cannot pass the gate it waits at until the test
// opens it, after the first event arrived. The distribution adds what its
// origins expect.
func TestStreamsArriveAsTheyAreWritten(t *testing.T) {
	c := startTestStack(t, nil)
	for _, tt := range []struct {
		name, url      string
		viaDistributon bool
	}{
		{"Function URL", strings.TrimSuffix(c.Outputs["StreamUrl"], "/") + "/stream/events", false},
		{"distribution", c.URL + "/stream/events", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate(t, 2)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", tt.url+"?gate="+g.URL, nil)
			req.Header.Set("X-Origin-Verify", "forged")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
			}
			rd := bufio.NewReader(resp.Body)
			first, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("first event: %v", err)
			}
			var seen struct {
				Host    string
				Path    string
				Headers http.Header
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(first, "data: ")), &seen); err != nil {
				t.Fatalf("first event %q: %v", first, err)
			}
			streamHost := strings.TrimSuffix(strings.TrimPrefix(c.Outputs["StreamUrl"], "http://"), "/")
			if seen.Host != streamHost || seen.Path != "/stream/events" {
				t.Errorf("the function saw host %s path %s, want %s /stream/events", seen.Host, seen.Path, streamHost)
			}
			h := seen.Headers
			if tt.viaDistributon {
				distHost := strings.TrimPrefix(c.URL, "http://")
				if h.Get("X-Forwarded-Host") != distHost || h.Get("X-Origin-Verify") != originVerify || h.Get("Cloudfront-Viewer-Address") == "" || h.Get("Via") == "" {
					t.Errorf("headers through the distribution: %v", h)
				}
			} else if h.Get("X-Origin-Verify") != "forged" || h.Get("X-Forwarded-Host") != "" {
				t.Errorf("headers straight to the Function URL: %v", h)
			}
			g.release()
			rest, err := io.ReadAll(rd)
			if err != nil || !strings.HasSuffix(string(rest), "data: second\n\n") {
				t.Errorf("rest %q, %v", rest, err)
			}
		})
	}
	t.Run("a crash cuts the stream", func(t *testing.T) {
		resp, err := http.Get(c.URL + "/stream/events?crash=1")
		if err != nil {
			// The connection was cut before the response's headers left
			// the distribution, as CloudFront cuts a stream that breaks.
			return
		}
		defer resp.Body.Close()
		// The function may die before its prelude left: then it is an error
		// status, else a stream that does not end cleanly.
		body, err := io.ReadAll(resp.Body)
		if resp.StatusCode == 200 && err == nil || resp.StatusCode != 200 && resp.StatusCode != 502 {
			t.Errorf("a stream cut by the function's exit: %d %q, %v", resp.StatusCode, body, err)
		}
	})
}

func TestDistributionRouting(t *testing.T) {
	c := startTestStack(t, nil)
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantRoute          string
	}{
		{"default behavior to the API", "GET", "/items/7", 200, "GET /items/{id}"},
		{"the API's 404", "GET", "/stream", 404, ""},
		{"a behavior's methods", "POST", "/readonly/x", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, c.URL+tt.path, nil)
			req.Host = "viewer.example"
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, data, tt.wantStatus)
			}
			if tt.wantRoute == "" {
				return
			}
			var a apiAnswer
			if err := json.Unmarshal(data, &a); err != nil {
				t.Fatal(err)
			}
			h := a.Event.Headers
			if a.Event.RouteKey != tt.wantRoute || h["x-forwarded-host"] != "viewer.example" || h["x-origin-verify"] != originVerify ||
				h["host"] != strings.TrimPrefix(c.APIURL, "http://") || h["cloudfront-viewer-address"] == "" {
				t.Errorf("route %s, headers %v", a.Event.RouteKey, h)
			}
		})
	}
}
