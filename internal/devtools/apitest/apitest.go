// Package apitest runs the whole API over real HTTP against local DynamoDB
// (each backend of dynamotest) and an in-process S3, for end-to-end tests of
// handlers exactly as clients see them.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/build/esbuild"
	"github.com/zocket/agent/internal/devtools/contract"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/emfproof"
	"github.com/zocket/agent/internal/devtools/faults"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/devtools/leaks"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/internal/settings"
)

// Secret is the JWT secret of test environments.
const Secret = "test-secret-test-secret-test-secret-0123"

// Env is a running API.
type Env struct {
	Deps  *app.Deps
	URL   string
	Calls *dynamotest.Calls
	// Capacity meters the read and write units of the API's DynamoDB calls.
	Capacity *dynamotest.Capacity
	Table    dynamotest.Table
	Gemini   *geminitest.Server // the model the API talks to, through the real SDK
	logs     *syncBuffer
}

// GeminiKey is the API key the fake model requires in test environments.
const GeminiKey = "test-gemini-key"

var (
	s3Once  sync.Once
	s3URL   string
	buckets atomic.Int64
)

// S3Endpoint returns the URL of a shared in-memory S3 server.
func S3Endpoint() string {
	s3Once.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(fmt.Sprintf("apitest: listen: %v", err))
		}
		fake := gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true), gofakes3.WithoutVersioning())
		go func() { _ = http.Serve(ln, fake.Server()) }()
		s3URL = "http://" + ln.Addr().String()
	})
	return s3URL
}

// New starts the API on tb's table and a fresh bucket. env overrides
// configuration variables (for example DEFAULT_CREDITS).
func New(t testing.TB, tb dynamotest.Table, env map[string]string) *Env {
	t.Helper()
	return NewWithLatency(t, tb, env, nil)
}

// NewWithLatency is New with every AWS call of the API going through
// latency (nil: none).
func NewWithLatency(t testing.TB, tb dynamotest.Table, env map[string]string, latency *Latency) *Env {
	t.Helper()
	return newEnv(t, tb, env, latency, nil)
}

// NewFaulty is New with the API reaching DynamoDB, S3 and its build Lambda
// (an Invoke server in front of the local builder, as in AWS) through in,
// which injects their faults. The Env's Table is tb behind in.
func NewFaulty(t testing.TB, tb dynamotest.Table, env map[string]string, in *faults.Injector) *Env {
	t.Helper()
	return newEnv(t, tb, env, nil, in)
}

func newEnv(t testing.TB, tb dynamotest.Table, env map[string]string, latency *Latency, in *faults.Injector) *Env {
	t.Helper()
	s3 := S3Endpoint()
	if in != nil {
		tb = dynamotest.Behind(t, tb, in)
		s3 = serveBehind(t, in, "s3", s3)
	}
	gemini := geminitest.New(geminitest.WithAPIKey(GeminiKey))
	t.Cleanup(gemini.Close)
	vars := map[string]string{
		"GEMINI_API_KEY":    GeminiKey,
		"GEMINI_BASE_URL":   gemini.URL(),
		"JWT_SECRET":        Secret,
		"TABLE_NAME":        tb.Name,
		"S3_BUCKET_NAME":    fmt.Sprintf("test-bucket-%d", buckets.Add(1)),
		"DYNAMODB_ENDPOINT": tb.Backend.Endpoint,
		"S3_ENDPOINT":       s3,
		"LOG_LEVEL":         "debug",
		// Limits are off unless a test is about them.
		"MAX_CONCURRENT_TURNS":   "0",
		"TURNS_PER_MINUTE":       "0",
		"REGISTRATIONS_PER_HOUR": "0",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := settings.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	calls, capacity := &dynamotest.Calls{}, &dynamotest.Capacity{}
	// Metrics go to the log as a Lambda writes them: one EMF line each.
	opts := app.Options{DynamoOptions: []func(*dynamodb.Options){calls.Option(), capacity.Option()}, Metrics: metrics.NewEMF(logs, "", "")}
	if latency != nil {
		opts.APIOptions = append(opts.APIOptions, latency.APIOption)
	}
	deps, err := app.NewDeps(context.Background(), cfg, httpapi.NewLogger(logs, slog.LevelDebug), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := deps.Blob.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	deps.Builder = esbuild.NewLocal(esbuild.Options{PackagesDir: PackagesDir(), Cache: esbuild.S3Cache{Blob: deps.Blob}, Metrics: deps.Metrics})
	if in != nil {
		srv := httptest.NewServer(in.Wrap("lambda", invokeHandler("build", deps.Builder)))
		t.Cleanup(srv.Close)
		awsCfg, err := settings.LoadAWS(context.Background(), "us-east-1", settings.Endpoints{Lambda: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		deps.Builder = build.Remote{Client: settings.LambdaClient(awsCfg, srv.URL), Function: "build"}
	}
	h, err := app.Handler(deps, app.HTTPFunctions(), chatapp.Constructors())
	if err != nil {
		t.Fatal(err)
	}
	// Every secret a test sends is looked for in the log when it ends.
	secrets := &leaks.Secrets{}
	secrets.Add("the JWT secret", Secret)
	secrets.Add("the model's key", GeminiKey)
	srv := httptest.NewServer(Checked(t, secrets.Watch(h)))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		for _, l := range secrets.Find(logs.String()) {
			t.Errorf("the log holds %s: %s", l.What, l.Line)
		}
	})
	return &Env{Deps: deps, URL: srv.URL, Calls: calls, Capacity: capacity, Table: tb, Gemini: gemini, logs: logs}
}

// Checked is h with every response it writes checked against the OpenAPI
// document (package contract): a status the document does not give the
// request's operation, a body or an event off its schema fails t, the
// test that serves h (the Env's, whose requests these are). Streams stay
// streams. A test that serves the API some other way than New (with
// changed Deps) serves it through Checked too. When t ends, the process's
// count of checks goes to OPENAPI_TALLY, which `make test` adds up.
func Checked(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	c, err := contract.Default()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := contract.WriteTally(); err != nil {
			t.Errorf("OpenAPI tally: %v", err)
		}
	})
	return c.Handler(h, func(m contract.Mismatch) { t.Errorf("OpenAPI: %v", m) })
}

// PackagesDir is the repository's preview package set (npm ci --prefix web).
func PackagesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "web", "node_modules")
}

// RequirePackages returns PackagesDir for a test that builds previews. Until
// `npm ci --prefix web` has run the test is skipped, or fails under CI=true,
// where a missing tool must never pass silently.
func RequirePackages(tb testing.TB) string {
	tb.Helper()
	dir := PackagesDir()
	if _, err := os.Stat(filepath.Join(dir, ".package-lock.json")); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("the preview packages are not installed (%v): run `npm ci --prefix web`", err)
		}
		tb.Skip("the preview packages are not installed: run `npm ci --prefix web`")
	}
	return dir
}

// Logs returns everything the API logged so far.
func (e *Env) Logs() string { return e.logs.String() }

// MetricsWhen waits (up to 5 s) until the series of the API's records
// satisfy done, and returns them: a record is written once its answer is
// over, which a client that read a stream to its end may not wait for.
func (e *Env) MetricsWhen(t testing.TB, done func([]emfproof.Series) bool) []emfproof.Series {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		series := e.Metrics(t)
		if done(series) || time.Now().After(deadline) {
			return series
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Metrics are the series of every metrics record the API wrote to its log
// so far, each validated against the Embedded Metric Format specification
// (an invalid one fails the test).
func (e *Env) Metrics(t testing.TB) []emfproof.Series {
	t.Helper()
	series, err := emfproof.Read(strings.Split(e.Logs(), "\n"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return series
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v, failing the test on error.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Envelope is the error body of SPEC.md.
type Envelope struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    string `json:"code"`
	Details []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"details"`
}

// Err decodes the error envelope and checks it is complete.
func (r *Response) Err(t testing.TB) Envelope {
	t.Helper()
	var e Envelope
	r.Decode(t, &e)
	if e.Error == "" || e.Message == "" || e.Code == "" {
		t.Fatalf("incomplete error envelope: %s", r.Body)
	}
	return e
}

// Do sends a request; body is JSON-encoded unless it is a string or []byte.
func (e *Env) Do(t testing.TB, method, path, token string, body any) *Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return Send(t, req)
}

// Send sends req and reads the whole response.
func Send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// User is a registered test user.
type User struct {
	ID, Email, Username, Password, Token string
}

var userSeq atomic.Int64

// Register creates a new user with unique credentials and returns it.
func (e *Env) Register(t testing.TB) User {
	t.Helper()
	n := userSeq.Add(1)
	u := User{Email: fmt.Sprintf("user%d@example.com", n), Username: fmt.Sprintf("user_%d", n), Password: "correct horse battery"}
	resp := e.Do(t, http.MethodPost, "/api/auth/register", "", map[string]string{
		"email": u.Email, "username": u.Username, "password": u.Password,
	})
	if resp.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.Status, resp.Body)
	}
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	resp.Decode(t, &out)
	u.ID, u.Token = out.User.ID, out.Token
	return u
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// InvokeServer serves the Lambda Invoke API for one function on loopback,
// answering with b: API functions configured with BUILD_FUNCTION_NAME and
// LAMBDA_ENDPOINT reach it through the real Lambda client, as they reach the
// build Lambda in AWS.
func InvokeServer(t testing.TB, function string, b build.Builder) string {
	t.Helper()
	srv := httptest.NewServer(invokeHandler(function, b))
	t.Cleanup(srv.Close)
	return srv.URL
}

// invokeHandler is the Lambda Invoke API of one function answering with b.
func invokeHandler(function string, b build.Builder) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/"+function+"/invocations", func(w http.ResponseWriter, r *http.Request) {
		var req build.Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp := build.NewResponse(b.Build(r.Context(), req))
		if resp.Error != nil && resp.Error.Code == agent.Internal {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			_ = json.NewEncoder(w).Encode(map[string]string{"errorMessage": resp.Error.Message, "errorType": "error"})
			return
		}
		_ = json.NewEncoder(w).Encode(resp)
	})
	return mux
}

// serveBehind serves a proxy to target, the endpoint of service, through
// in, and returns its URL.
func serveBehind(t testing.TB, in *faults.Injector, service, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(in.Wrap(service, httputil.NewSingleHostReverseProxy(u)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// UnreachableBlob is a blob store whose S3 endpoint refuses connections:
// real failures, after the SDK's retries.
func UnreachableBlob(t testing.TB) *blob.Store {
	t.Helper()
	const dead = "http://127.0.0.1:1"
	cfg, err := settings.LoadAWS(context.Background(), "us-east-1", settings.Endpoints{S3: dead})
	if err != nil {
		t.Fatal(err)
	}
	return blob.New(settings.S3Client(cfg, dead), "unreachable")
}
