package localcloud_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zocket/agent/internal/devtools/browsertest"
	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/internal/devtools/contract"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/devtools/leaks"
	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/devtools/localcloud"
	"github.com/zocket/agent/routes"
)

// The deployed shape, on one machine: template.yaml run by this package
// with the real bootstraps (`make test-cloud`), and the scenario the
// frontend drives, all through the one URL.

const (
	scenarioSecret = "cloud-test-secret-cloud-test-secret-0123"
	scenarioKey    = "cloud-test-gemini-key"
	// scenarioOriginVerify is the value CloudFront sends the origins.
	scenarioOriginVerify = "cloud-test-origin-verify-0123456789abcdef"
	frontend             = "http://localhost:3000"
	// scenarioCredits is a new user's credits (template.yaml's
	// DefaultCredits).
	scenarioCredits = 20
)

// requireTool skips a test that lacks something it needs, or fails it
// under CI=true, where nothing may be missing.
func requireTool(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// bootstraps is where `make test-cloud` built every function for this
// machine (LAMBDA_BOOTSTRAP_DIR).
func bootstraps(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LAMBDA_BOOTSTRAP_DIR")
	if dir == "" {
		t.Skip("run by `make test-cloud`, which builds the bootstraps and sets LAMBDA_BOOTSTRAP_DIR")
	}
	for _, f := range routes.All() {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			requireTool(t, "no bootstrap for %s in %s (make lambda-bootstraps): %v", f.Name, dir, err)
		}
	}
	return dir
}

// callers records which credentials called which local AWS service,
// through the Wrap hook.
type callers struct {
	mu   sync.Mutex
	seen map[string]map[string]bool // service → access key IDs
}

var credential = regexp.MustCompile(`Credential=([^/]+)/`)

func (c *callers) wrap(service string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := credential.FindStringSubmatch(r.Header.Get("Authorization"))
		key := ""
		if m != nil {
			key = m[1]
		} else if cred := r.URL.Query().Get("X-Amz-Credential"); cred != "" {
			key, _, _ = strings.Cut(cred, "/") // a presigned URL acts as its signer
		}
		c.mu.Lock()
		if c.seen[service] == nil {
			c.seen[service] = map[string]bool{}
		}
		c.seen[service][key] = true
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (c *callers) called(service, key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[service][key]
}

type scenario struct {
	t        *testing.T
	cloud    *localcloud.Cloud
	template *cfn.Template
	gemini   *geminitest.Server
	iam      *iamProof
	token    string
}

func startScenario(t *testing.T, rec *callers) *scenario {
	t.Helper()
	dir := bootstraps(t)
	packages, err := filepath.Abs("../../../web/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(packages); err != nil {
		requireTool(t, "the preview package set is not installed (make deps-web): %v", err)
	}
	tpl, err := cfn.ReadFile("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gemini := geminitest.New(geminitest.WithAPIKey(scenarioKey))
	t.Cleanup(gemini.Close)
	checked := checkedFronts(t)
	logs := &syncBuffer{}
	iam := newIAMProof()
	proofWrap := iam.wrap(t)
	c, err := localcloud.Start(context.Background(), localcloud.Options{
		Template:  tpl,
		Bootstrap: localcloud.BootstrapDir(dir),
		SSM: []localcloud.SSMParameter{
			{NameParameter: "JwtSecretParameterName", Value: scenarioSecret, Secure: true},
			{NameParameter: "GeminiApiKeyParameterName", Value: scenarioKey, Secure: true},
			{NameParameter: "OriginVerifyParameterName", Value: scenarioOriginVerify},
		},
		Env:   map[string]string{"GEMINI_BASE_URL": gemini.URL(), "BUILD_PACKAGES_DIR": packages},
		Wrap:  func(service string, h http.Handler) http.Handler { return rec.wrap(service, proofWrap(service, h)) },
		Front: checked,
		Logs:  logs,
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
	iam.start(t, c)
	return &scenario{t: t, cloud: c, template: tpl, gemini: gemini, iam: iam}
}

// checkedFronts checks every answer a client of the stack receives (from
// the one URL, the HTTP API or a Function URL) against the OpenAPI
// document (package contract): a mismatch fails t. What CloudFront asks of
// an origin is checked where the viewer receives it, once; the answers of
// API Gateway, a Function URL or CloudFront themselves are not the API's
// and are counted apart. When t ends it logs the count.
func checkedFronts(t *testing.T) func(string, http.Handler) http.Handler {
	t.Helper()
	c, err := contract.Default()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the stack has closed: every answer was checked
		t.Log(contract.Totals())
		if err := contract.WriteTally(); err != nil {
			t.Errorf("OpenAPI tally: %v", err)
		}
	})
	return func(_ string, h http.Handler) http.Handler {
		checked := c.Handler(h, func(m contract.Mismatch) { t.Errorf("OpenAPI: %v", m) })
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Amz-Cf-Id") != "" {
				h.ServeHTTP(w, r) // CloudFront's request to its origin
				return
			}
			checked.ServeHTTP(w, r)
		})
	}
}

// in is the scenario for a subtest: its failures are t's.
func (s *scenario) in(t *testing.T) *scenario {
	c := *s
	c.t = t
	return &c
}

// call sends a JSON request to the one URL as the frontend does, and
// decodes a JSON answer into out.
func (s *scenario) call(method, path string, body any, wantStatus int, out any) http.Header {
	s.t.Helper()
	return s.callURL(method, s.cloud.URL+path, body, wantStatus, out)
}

// callURL is call to any URL of the stack (the HTTP API's, to reach a
// function the one URL sends elsewhere).
func (s *scenario) callURL(method, u string, body any, wantStatus int, out any) http.Header {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Origin", frontend)
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		s.t.Fatalf("%s %s: %d %s, want %d", method, u, resp.StatusCode, data, wantStatus)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != frontend {
		s.t.Errorf("%s %s: Access-Control-Allow-Origin %q, want the frontend's", method, u, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, u, err, data)
		}
	}
	return resp.Header
}

// get fetches u as a browser or a download would (no token, no origin)
// and returns the answer, failing unless it is a 200.
func (s *scenario) get(u string) (http.Header, string) {
	s.t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	return resp.Header, string(body)
}

// download fetches an artifact's presigned s3Url, as the frontend's
// download button does: the code as an attachment, from the local S3,
// signed by the function that answered it.
func (s *scenario) download(u, want string) {
	s.t.Helper()
	if hostOf(s.t, u) != hostOf(s.t, s.cloud.Endpoints.S3) {
		s.t.Errorf("s3Url %s is not on the local S3 (%s)", u, s.cloud.Endpoints.S3)
	}
	h, code := s.get(u)
	if !strings.Contains(code, want) || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		s.t.Errorf("GET s3Url: %v %s, want an attachment containing %q", h, code, want)
	}
}

// sseEvent is one server-sent event of a chat stream.
type sseEvent struct {
	ID   string
	Name string
	Data string
}

// readEvent reads the next event, skipping comments (pings).
func readEvent(rd *bufio.Reader) (sseEvent, error) {
	var ev sseEvent
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && (ev.Name != "" || ev.Data != ""):
			return ev, nil
		case strings.HasPrefix(line, "id: "):
			ev.ID = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// streamed is what a chat stream brought.
type streamed struct {
	conversationID, messageID string
	text                      string
	events                    []sseEvent
	artifacts                 []map[string]any
	builds                    []map[string]any
	complete                  map[string]any // the complete event's data
	errorCode                 string         // the error event's code
	done                      bool
}

// counter is a React component in a fence; the second turn rewrites it
// (its next version) with another start value.
const counter = "```tsx\nimport { useState } from \"react\";\nimport { Plus } from \"lucide-react\";\n\n" +
	"export default function Counter() {\n  const [count, setCount] = useState(0);\n  return (\n" +
	"    <button id=\"inc\" className=\"rounded bg-blue-500 px-4 py-2 text-white\" onClick={() => setCount(count + 1)}>\n" +
	"      <Plus /> <span id=\"count\">{count}</span>\n    </button>\n  );\n}\n```\n"

// greeting, farewell and clock are components of regenerated replies.
const (
	greeting = "```tsx\nexport default function Greeting() {\n  return <p>Hello from the cloud</p>;\n}\n```\n\n"
	farewell = "```tsx\nexport default function Farewell() {\n  return <p>Goodbye</p>;\n}\n```\n"
	clock    = "```tsx\nexport default function Clock() {\n  return <time>12:00</time>;\n}\n```\n"
)

// project is a reply with two files named by path: one PROJECT artifact
// whose entry is src/App.tsx.
const project = "```tsx src/App.tsx\nimport \"./styles.css\";\n\nexport default function App() {\n  return <h1 className=\"title\">Hello</h1>;\n}\n```\n\n" +
	"```css src/styles.css\n.title { color: rebeccapurple; }\n```\n"

// open sends a chat request to u (a JSON body for POST, none for GET) and
// returns the response, failing unless it is a 200 event stream for the
// frontend.
func (s *scenario) open(ctx context.Context, method, u string, body any, header map[string]string) *http.Response {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, method, u, rd)
	req.Header.Set("Origin", frontend)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+s.token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || resp.Header.Get("Access-Control-Allow-Origin") != frontend {
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		s.t.Fatalf("%s %s: %d %v %s", method, u, resp.StatusCode, resp.Header, data)
	}
	return resp
}

// until reads events into out until done says so, failing if the stream
// ends first.
func (s *scenario) until(rd *bufio.Reader, out *streamed, what string, done func() bool) {
	s.t.Helper()
	for !done() {
		ev, err := readEvent(rd)
		if err != nil {
			s.t.Fatalf("the stream ended before %s: %v (%+v)", what, err, out)
		}
		s.collect(out, ev)
	}
}

// stream sends a chat request to u, the fake model answering reply when
// it is not nil, and reads the stream to its [DONE].
func (s *scenario) stream(method, u string, body any, header map[string]string, reply *geminitest.Reply) streamed {
	s.t.Helper()
	if reply != nil {
		s.gemini.Enqueue(*reply)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp := s.open(ctx, method, u, body, header)
	defer resp.Body.Close()
	var out streamed
	s.until(bufio.NewReader(resp.Body), &out, "[DONE]", func() bool { return out.done })
	return out
}

// chat streams a turn from url, the fake model answering code between two
// sentences and holding back all but the first until the first delta has
// arrived.
func (s *scenario) chat(url, conversationID, code string) streamed {
	s.t.Helper()
	hold := make(chan struct{})
	released := false
	defer func() {
		if !released {
			close(hold)
		}
	}()
	s.gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here is a counter.\n\n", code, "Click it to count."}, Hold: hold, HoldAfter: 1})
	body := map[string]any{"message": "Create a React counter", "stream": true, "enableBuilding": true}
	if conversationID != "" {
		body["conversationId"] = conversationID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp := s.open(ctx, "POST", url, body, nil)
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	var out streamed
	s.until(rd, &out, "the first delta", func() bool { return strings.Contains(out.text, "counter") })
	// The first delta arrived while the model holds the rest.
	if strings.Contains(out.text, "useState") || len(out.artifacts) > 0 || out.complete != nil {
		s.t.Fatalf("held chunks arrived early: %+v", out)
	}
	close(hold)
	released = true
	s.until(rd, &out, "[DONE]", func() bool { return out.done })
	if out.complete == nil || len(out.artifacts) != 1 || len(out.builds) != 1 || out.builds[0]["success"] != true {
		s.t.Fatalf("stream brought %+v", out)
	}
	return out
}

func (s *scenario) collect(out *streamed, ev sseEvent) {
	s.t.Helper()
	out.events = append(out.events, ev)
	if ev.Data == "[DONE]" {
		out.done = true
		return
	}
	var env struct {
		Type string
		Data map[string]any
	}
	if err := json.Unmarshal([]byte(ev.Data), &env); err != nil {
		s.t.Fatalf("event %s: %v", ev.Data, err)
	}
	switch ev.Name {
	case "metadata":
		out.conversationID, _ = env.Data["conversationId"].(string)
		out.messageID, _ = env.Data["messageId"].(string)
	case "chunk":
		switch env.Data["type"] {
		case "artifact":
			// A draft saved again (a block that turned it into a PROJECT)
			// is the same artifact.
			a := env.Data["artifact"].(map[string]any)
			if i := slices.IndexFunc(out.artifacts, func(b map[string]any) bool { return b["id"] == a["id"] }); i >= 0 {
				out.artifacts[i] = a
			} else {
				out.artifacts = append(out.artifacts, a)
			}
		case "build":
			out.builds = append(out.builds, env.Data["buildResult"].(map[string]any))
		default:
			text, _ := env.Data["text"].(string)
			out.text += text
		}
	case "complete":
		out.complete = env.Data
		if out.complete == nil {
			out.complete = map[string]any{}
		}
	case "error":
		out.errorCode, _ = env.Data["code"].(string)
		if out.errorCode == "" {
			out.errorCode = ev.Data
		}
	}
}

// render opens u in Chromium exactly as given and clicks the counter.
func render(t *testing.T, u string) {
	t.Helper()
	ctx := browsertest.NewTab(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("navigate %s: %v", u, err)
	}
	browsertest.WaitFor(t, ctx, `document.querySelector("#count")?.textContent === "0"`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#inc"), chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `document.querySelector("#count").textContent === "1"`)
	if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("svg.lucide").length`); n != 1 {
		t.Errorf("lucide icons = %d, want 1", n)
	}
}

func hostOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Host
}

// TestDeployedShape is the frontend's scenario through the one URL, against
// the stack as template.yaml deploys it, then every events/ file invoked
// through the Lambda Invoke API; every AWS call on the way is proved
// against the templates' IAM policies.
func TestDeployedShape(t *testing.T) {
	rec := &callers{seen: map[string]map[string]bool{}}
	s := startScenario(t, rec)
	c := s.cloud
	oneHost := hostOf(t, c.URL)
	streamURL := strings.TrimSuffix(c.Outputs["StreamUrl"], "/")

	var auth struct {
		Token string
		User  struct{ ID, Username string }
	}
	s.call("POST", "/api/auth/register", map[string]string{"email": "cloud@example.com", "username": "cloud_user", "password": "a good password"}, 201, &auth)
	s.call("POST", "/api/auth/login", map[string]string{"email": "cloud@example.com", "password": "a good password"}, 200, &auth)
	s.token = auth.Token
	var me struct{ User struct{ Username string } }
	s.call("GET", "/api/auth/me", nil, 200, &me)
	if me.User.Username != "cloud_user" {
		t.Fatalf("me = %+v", me)
	}
	var health struct{ Status string }
	s.call("GET", "/health", nil, 200, &health)
	if health.Status != "ok" {
		t.Errorf("health = %+v", health)
	}

	// A reply streamed through the one URL: CloudFront's /api/chat/*
	// behavior, the Function URL, the chat-stream bootstrap, which builds
	// the artifact through the Lambda Invoke API.
	first := s.chat(c.URL+"/api/chat/send", "", counter)
	art := first.artifacts[0]
	id, _ := art["id"].(string)
	preview, _ := art["previewUrl"].(string)

	// Regression: behind the Function URL the request's host was the
	// Function URL's, which serves only POST /api/chat/send, so every
	// artifact streamed in AWS linked to a 404. Through the one URL the
	// link must be on the one URL, and render.
	t.Run("streamed previewUrl is on the one URL and renders", func(t *testing.T) {
		if got := hostOf(t, preview); got != oneHost {
			t.Fatalf("previewUrl %s is on %s, want the one URL's host %s", preview, got, oneHost)
		}
		render(t, preview)
	})

	// The web app: its page from the webapp function, its assets cached by
	// the distribution (CloudFront's /assets/* behavior), and in Chromium
	// the conversation above with its preview, all on the one URL.
	t.Run("the web app", func(t *testing.T) {
		s := s.in(t)
		h, page := s.get(c.URL + "/")
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || h.Get("Cache-Control") != "no-cache" {
			t.Errorf("page headers %v", h)
		}
		script := regexp.MustCompile(`src="(/assets/app-[A-Za-z0-9]+\.js)"`).FindStringSubmatch(page)
		if script == nil {
			t.Fatalf("no script in the page:\n%s", page)
		}
		for _, want := range []string{"Miss from cloudfront", "Hit from cloudfront"} {
			h, _ := s.get(c.URL + script[1])
			if h.Get("X-Cache") != want || !strings.Contains(h.Get("Cache-Control"), "immutable") {
				t.Errorf("%s: X-Cache %q, Cache-Control %q; want %s, immutable", script[1], h.Get("X-Cache"), h.Get("Cache-Control"), want)
			}
		}
		ctx := browsertest.NewTab(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/")); err != nil {
			t.Fatal(err)
		}
		browsertest.WaitFor(t, ctx, `!!document.querySelector("input[type=email]")`)
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("input[type=email]"), "cloud@example.com"),
			chromedp.SendKeys(chromedp.CSS("input[type=password]"), "a good password\r"),
		); err != nil {
			t.Fatal(err)
		}
		browsertest.WaitFor(t, ctx, `!!document.querySelector(".conversation-title")`)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".conversation-title"))); err != nil {
			t.Fatal(err)
		}
		browsertest.WaitFor(t, ctx, `!!document.querySelector("button.artifact-card")`)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button.artifact-card"))); err != nil {
			t.Fatal(err)
		}
		browsertest.WaitFor(t, ctx, `document.querySelector("iframe[title=Preview]")?.src.startsWith(`+strconv.Quote(c.URL+"/api/artifacts/")+`)`)
	})

	// The API reference: its page from the openapi-docs function through
	// the API, its script a web app asset the distribution caches, and
	// the document it renders, all on the one URL.
	t.Run("the API reference", func(t *testing.T) {
		s := s.in(t)
		h, page := s.get(c.URL + "/api/docs")
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self';") || !strings.Contains(page, `<main id="docs">`) {
			t.Fatalf("reference: %v\n%s", h, page)
		}
		script := regexp.MustCompile(`src="(/assets/docs-[A-Za-z0-9]+\.js)"`).FindStringSubmatch(page)
		if script == nil {
			t.Fatalf("no script in the reference:\n%s", page)
		}
		if h, body := s.get(c.URL + script[1]); !strings.Contains(h.Get("Cache-Control"), "immutable") || !strings.Contains(body, "swagger-ui") {
			t.Errorf("%s: %v (%d bytes)", script[1], h, len(body))
		}
		if _, doc := s.get(c.URL + "/api/openapi.json"); !strings.Contains(doc, `"operationId": "openapi-docs"`) {
			t.Errorf("the document does not describe the reference")
		}
	})

	var got struct {
		Artifact map[string]any
	}
	s.call("GET", "/api/artifacts/"+id, nil, 200, &got)
	bundled, _ := got.Artifact["bundledHtmlUrl"].(string)
	var bundle struct {
		BundledHTMLURL string `json:"bundledHtmlUrl"`
		BuildResult    struct{ Cached bool }
	}
	s.call("POST", "/api/artifacts/"+id+"/bundle", nil, 200, &bundle)
	t.Run("bundledHtmlUrl renders", func(t *testing.T) {
		if bundled == "" || hostOf(t, bundled) != oneHost || hostOf(t, bundle.BundledHTMLURL) != oneHost || !bundle.BuildResult.Cached {
			t.Fatalf("bundledHtmlUrl %q, bundle %+v", bundled, bundle)
		}
		render(t, bundled)
		render(t, bundle.BundledHTMLURL)
	})
	var built struct{ Success, Cached bool }
	s.call("POST", "/api/artifacts/"+id+"/build", nil, 200, &built)
	if !built.Success || !built.Cached {
		t.Errorf("build = %+v, want the page the chat built", built)
	}

	// Each link is signed by the function that answered it: the chat
	// stream's, the artifact route's.
	t.Run("s3Url downloads the code", func(t *testing.T) {
		s := s.in(t)
		s.download(art["s3Url"].(string), "export default function Counter")
		s.download(got.Artifact["s3Url"].(string), "export default function Counter")
	})

	// Once straight through the stream URL, continuing the conversation:
	// the counter rewritten is its version 2.
	second := s.chat(streamURL+"/api/chat/send", first.conversationID, strings.Replace(counter, "useState(0)", "useState(10)", 1))
	if second.conversationID != first.conversationID {
		t.Errorf("the second turn went to conversation %s, not %s", second.conversationID, first.conversationID)
	}
	id2, _ := second.artifacts[0]["id"].(string)
	if v, _ := second.artifacts[0]["version"].(float64); v != 2 {
		t.Errorf("the rewritten counter is version %v, want 2", second.artifacts[0]["version"])
	}

	var list struct {
		Conversations []struct {
			ID, Title    string
			MessageCount int
		}
		Pagination struct{ TotalCount int }
	}
	s.call("GET", "/api/conversations", nil, 200, &list)
	if list.Pagination.TotalCount != 1 || len(list.Conversations) != 1 || list.Conversations[0].ID != first.conversationID || list.Conversations[0].MessageCount != 4 {
		t.Fatalf("list = %+v", list)
	}
	var renamed struct{ Conversation struct{ Title string } }
	s.call("PUT", "/api/conversations/"+first.conversationID, map[string]string{"title": "Counted in the cloud"}, 200, &renamed)
	if renamed.Conversation.Title != "Counted in the cloud" {
		t.Errorf("renamed = %+v", renamed)
	}
	s.call("GET", "/api/conversations?search=counted", nil, 200, &list)
	if list.Pagination.TotalCount != 1 || len(list.Conversations) != 1 {
		t.Errorf("search = %+v", list)
	}

	t.Run("versions, diff, code and download", func(t *testing.T) {
		s := s.in(t)
		var v struct {
			Artifact struct {
				Version int
				S3URL   string `json:"s3Url"`
			}
			Code string
		}
		s.call("GET", "/api/artifacts/"+id2+"/versions/1", nil, 200, &v)
		if v.Artifact.Version != 1 || !strings.Contains(v.Code, "useState(0)") {
			t.Errorf("version 1 = %+v", v)
		}
		s.download(v.Artifact.S3URL, "useState(0)")
		var d struct {
			From, To int
			Diff     string
		}
		s.call("GET", "/api/artifacts/"+id2+"/diff?from=1&to=2", nil, 200, &d)
		if d.From != 1 || d.To != 2 || !strings.Contains(d.Diff, "-  const [count, setCount] = useState(0);") || !strings.Contains(d.Diff, "+  const [count, setCount] = useState(10);") {
			t.Errorf("diff = %+v", d)
		}
		var code struct{ Code string }
		s.call("GET", "/api/artifacts/"+id2+"/code", nil, 200, &code)
		if !strings.Contains(code.Code, "useState(10)") {
			t.Errorf("code = %q", code.Code)
		}
		h := s.call("GET", "/api/artifacts/"+id2+"/download", nil, 200, nil)
		if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
			t.Errorf("download headers %v", h)
		}
	})

	t.Run("the conversation's links download", func(t *testing.T) {
		s := s.in(t)
		var conv struct {
			Conversation struct {
				Messages []struct {
					Artifacts []struct {
						S3URL string `json:"s3Url"`
					}
				}
			}
		}
		s.call("GET", "/api/conversations/"+first.conversationID, nil, 200, &conv)
		n := 0
		for _, m := range conv.Conversation.Messages {
			for _, a := range m.Artifacts {
				s.download(a.S3URL, "export default function Counter")
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d artifacts in the conversation, want 2", n)
		}
	})

	// A reader that left after the first delta comes back: through the one
	// URL (the chat stream's Function URL) from the last id it saw, and
	// whole through the HTTP API (chat-resume, buffered).
	t.Run("resume", func(t *testing.T) {
		s := s.in(t)
		var seen string // the text up to the last id seen
		last := ""
		for _, ev := range first.events {
			var env struct{ Data struct{ Text string } }
			_ = json.Unmarshal([]byte(ev.Data), &env)
			seen += env.Data.Text
			if ev.Name == "chunk" && env.Data.Text != "" {
				last = ev.ID
				break
			}
		}
		rest := s.stream("GET", c.URL+"/api/chat/stream/"+first.messageID, nil, map[string]string{"Last-Event-ID": last}, nil)
		if seen+rest.text != first.text || len(rest.artifacts) != 1 || rest.complete == nil {
			t.Errorf("resumed after %s: %q, %d artifacts, complete %v; want the rest of %q", last, rest.text, len(rest.artifacts), rest.complete, first.text)
		}
		whole := s.stream("GET", c.APIURL+"/api/chat/stream/"+first.messageID, nil, nil, nil)
		if whole.text != first.text || len(whole.artifacts) != 1 {
			t.Fatalf("resumed whole through the HTTP API: %q, %d artifacts", whole.text, len(whole.artifacts))
		}
		s.download(whole.artifacts[0]["s3Url"].(string), "export default function Counter")
	})

	// The second reply answered again: through the one URL (chat-stream)
	// with two components, then through the HTTP API (chat-regenerate,
	// buffered) with a third. Neither builds: the first of the two builds
	// when its preview is opened, the second when it is bundled, the third
	// when it is exported as a page.
	var clockID string
	t.Run("regenerate", func(t *testing.T) {
		s := s.in(t)
		again := s.stream("POST", c.URL+"/api/chat/regenerate/"+second.messageID, map[string]any{}, nil,
			&geminitest.Reply{Chunks: []string{"Two components:\n\n", greeting, farewell}})
		if again.complete == nil || again.messageID == second.messageID || len(again.artifacts) != 2 || len(again.builds) != 0 {
			t.Fatalf("regenerated: %+v", again)
		}
		s.gemini.Enqueue(geminitest.Reply{Chunks: []string{"A clock:\n\n", clock}})
		var third struct {
			Data struct {
				MessageID string
				Artifacts []struct {
					ID    string
					S3URL string `json:"s3Url"`
				}
			}
		}
		s.callURL("POST", c.APIURL+"/api/chat/regenerate/"+second.messageID, map[string]any{"stream": false}, 200, &third)
		if len(third.Data.Artifacts) != 1 {
			t.Fatalf("regenerated through the HTTP API: %+v", third)
		}
		s.download(third.Data.Artifacts[0].S3URL, "export default function Clock")
		clockID = third.Data.Artifacts[0].ID
		var conv struct {
			Conversation struct {
				Messages []struct {
					ID           string
					Alternatives *struct{ Count int }
				}
			}
		}
		s.call("GET", "/api/conversations/"+first.conversationID, nil, 200, &conv)
		msgs := conv.Conversation.Messages
		if len(msgs) != 4 || msgs[3].ID != third.Data.MessageID || msgs[3].Alternatives == nil || msgs[3].Alternatives.Count != 3 {
			t.Errorf("after the regenerations, messages = %+v", msgs)
		}

		// Pages built on demand: the preview route, the bundle route.
		h, page := s.get(again.artifacts[0]["previewUrl"].(string))
		if !strings.Contains(page, "Hello from the cloud") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("preview of an artifact never built: %v", h)
		}
		var bundled struct {
			Success     bool
			BuildResult struct{ Cached bool }
		}
		s.call("POST", "/api/artifacts/"+again.artifacts[1]["id"].(string)+"/bundle", nil, 200, &bundled)
		if !bundled.Success || bundled.BuildResult.Cached {
			t.Errorf("bundle of an artifact never built: %+v", bundled)
		}
	})

	t.Run("export", func(t *testing.T) {
		s := s.in(t)
		var doc struct {
			Conversation struct{ Title string }
			Messages     []struct {
				Role      string
				Artifacts []struct{ Code string }
			}
		}
		h := s.call("GET", "/api/conversations/"+first.conversationID+"/export?format=json", nil, 200, &doc)
		if doc.Conversation.Title != "Counted in the cloud" || len(doc.Messages) != 4 || len(doc.Messages[1].Artifacts) != 1 ||
			!strings.Contains(doc.Messages[1].Artifacts[0].Code, "useState") || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
			t.Errorf("JSON export = %+v, headers %v", doc, h)
		}
		md := s.markdown(first.conversationID)
		if !strings.Contains(md, "# Counted in the cloud") || !strings.Contains(md, "export default function Counter") {
			t.Errorf("Markdown export:\n%s", md)
		}

		// An artifact never built, exported as a page: built through the
		// build function, and the build recorded.
		if clockID == "" {
			t.Fatal("no clock: the regenerate subtest failed")
		}
		type recorded struct {
			Artifact struct {
				BundledHTMLKey *string `json:"bundledHtmlKey"`
			}
		}
		var before, after recorded
		s.call("GET", "/api/artifacts/"+clockID, nil, 200, &before)
		var page struct {
			Success     bool
			HTMLContent string `json:"htmlContent"`
			FileName    string
		}
		s.call("POST", "/api/artifacts/"+clockID+"/html-export", nil, 200, &page)
		s.call("GET", "/api/artifacts/"+clockID, nil, 200, &after)
		if before.Artifact.BundledHTMLKey != nil || after.Artifact.BundledHTMLKey == nil {
			t.Errorf("the clock's page recorded before the export: %v, after: %v; want none, then one", before.Artifact.BundledHTMLKey, after.Artifact.BundledHTMLKey)
		}
		if !page.Success || page.FileName != "Clock.html" || !strings.Contains(page.HTMLContent, "12:00") ||
			!strings.Contains(page.HTMLContent, `http-equiv="Content-Security-Policy"`) {
			t.Errorf("HTML export of an artifact never built: success %v, file %q, %d bytes", page.Success, page.FileName, len(page.HTMLContent))
		}

		// The ZIP, small enough to answer inline: the conversation and
		// each artifact of its current branch (the counter, the clock) with
		// its recorded page.
		data, link := s.exportZip(first.conversationID)
		if link != nil {
			t.Fatalf("a small ZIP came as a link: %+v", link)
		}
		files := s.unzip(data)
		pages, notes := pages(files)
		if !strings.Contains(files["conversation.md"], "# Counted in the cloud") || len(pages) != 2 || len(notes) != 0 ||
			!slices.ContainsFunc(pages, func(p string) bool { return strings.Contains(p, "12:00") }) {
			t.Errorf("inline ZIP: %d entries, %d pages, notes %q, conversation.md %.200q", len(files), len(pages), notes, files["conversation.md"])
		}
	})

	// A PROJECT: its files, its page (built on demand), its export; a
	// second version through the HTTP API (chat-send, buffered), built by
	// build-project; both deleted with the lineage.
	var projectConv string
	t.Run("a PROJECT", func(t *testing.T) {
		s := s.in(t)
		out := s.stream("POST", c.URL+"/api/chat/send", map[string]any{"message": "A small project", "stream": true, "enableBuilding": true}, nil,
			&geminitest.Reply{Chunks: []string{"Two files:\n\n", project}})
		projectConv = out.conversationID
		if len(out.artifacts) != 1 || out.artifacts[0]["type"] != "PROJECT" {
			t.Fatalf("artifacts = %+v", out.artifacts)
		}
		pid, _ := out.artifacts[0]["id"].(string)
		previewURL, _ := out.artifacts[0]["previewUrl"].(string)
		var files struct {
			Entry string
			Files []struct{ Path string }
		}
		s.call("GET", "/api/artifacts/"+pid+"/project", nil, 200, &files)
		if files.Entry != "src/App.tsx" || len(files.Files) != 2 {
			t.Errorf("project = %+v", files)
		}
		if !strings.Contains(previewURL, "/project-preview?token=") {
			t.Fatalf("previewUrl = %s", previewURL)
		}
		h, page := s.get(previewURL)
		if !strings.Contains(page, "rebeccapurple") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("project preview: %v (css applied: %v)", h, strings.Contains(page, "rebeccapurple"))
		}
		var doc struct {
			Messages []struct {
				Artifacts []struct {
					Type  string
					Files []struct{ Path, Code string }
				}
			}
		}
		s.call("GET", "/api/conversations/"+projectConv+"/export?format=json", nil, 200, &doc)
		if len(doc.Messages) != 2 || len(doc.Messages[1].Artifacts) != 1 || len(doc.Messages[1].Artifacts[0].Files) != 2 ||
			!strings.Contains(doc.Messages[1].Artifacts[0].Files[1].Code, "rebeccapurple") {
			t.Errorf("JSON export of the project = %+v", doc)
		}
		if md := s.markdown(projectConv); !strings.Contains(md, "src/styles.css") || !strings.Contains(md, "rebeccapurple") {
			t.Errorf("Markdown export of the project:\n%s", md)
		}

		s.gemini.Enqueue(geminitest.Reply{Chunks: []string{"In orange:\n\n", strings.ReplaceAll(project, "rebeccapurple", "darkorange")}})
		var sent struct {
			Data struct {
				ConversationID string
				Artifacts      []struct {
					ID      string
					Version int
				}
			}
		}
		s.callURL("POST", c.APIURL+"/api/chat/send", map[string]any{"message": "Make it orange", "conversationId": projectConv, "stream": false}, 200, &sent)
		if sent.Data.ConversationID != projectConv || len(sent.Data.Artifacts) != 1 || sent.Data.Artifacts[0].Version != 2 {
			t.Fatalf("send through the HTTP API = %+v", sent)
		}
		v2 := sent.Data.Artifacts[0].ID
		var built struct{ Success, Cached bool }
		s.call("POST", "/api/artifacts/"+v2+"/build-project", nil, 200, &built)
		if !built.Success || built.Cached {
			t.Errorf("build-project = %+v, want a first build", built)
		}
		var deleted struct{ DeletedVersions int }
		s.call("DELETE", "/api/artifacts/"+v2, nil, 200, &deleted)
		if deleted.DeletedVersions != 2 {
			t.Errorf("artifact delete = %+v, want both versions", deleted)
		}
		s.call("GET", "/api/artifacts/"+pid, nil, 404, nil)
	})

	// "Try fixing": a component that does not build, fixed through the
	// HTTP API (artifacts-fix, buffered) by a reply that still does not,
	// then through the one URL (the chat stream's Function URL) by one that
	// builds. Each fix is a turn of the artifact's conversation whose reply
	// is the lineage's next version, built.
	var fixConv string
	t.Run("a fix", func(t *testing.T) {
		s := s.in(t)
		out := s.stream("POST", c.URL+"/api/chat/send", map[string]any{"message": "A greeting", "stream": true, "enableBuilding": true}, nil,
			&geminitest.Reply{Chunks: []string{"Here it is:\n\n", brokenGreeting}})
		fixConv = out.conversationID
		if len(out.artifacts) != 1 || len(out.builds) != 1 || out.builds[0]["success"] != false {
			t.Fatalf("a component that does not build: artifacts %+v, builds %+v", out.artifacts, out.builds)
		}
		v1, _ := out.artifacts[0]["id"].(string)

		s.gemini.Enqueue(geminitest.Reply{Chunks: []string{stillBroken}})
		var fixed struct {
			Data struct {
				ConversationID string
				Artifacts      []struct {
					ID, LineageID, Replaces string
					Version                 int
				}
				Builds int
			}
		}
		s.callURL("POST", c.APIURL+"/api/artifacts/"+v1+"/fix", map[string]any{"stream": false}, 200, &fixed)
		if d := fixed.Data; d.ConversationID != fixConv || len(d.Artifacts) != 1 || d.Builds != 1 ||
			d.Artifacts[0].Version != 2 || d.Artifacts[0].LineageID != v1 || d.Artifacts[0].Replaces != v1 {
			t.Fatalf("fix through the HTTP API = %+v", fixed)
		}
		if asked := lastAsked(s.gemini); !strings.Contains(asked, `Fix the build errors in "Greeting" (version 1)`) || !strings.Contains(asked, "}}") {
			t.Errorf("the first fix asked the model:\n%s", asked)
		}
		v2 := fixed.Data.Artifacts[0].ID

		again := s.stream("POST", c.URL+"/api/artifacts/"+v2+"/fix", map[string]any{}, nil, &geminitest.Reply{Chunks: []string{fixedGreeting}})
		if again.complete == nil || len(again.artifacts) != 1 || len(again.builds) != 1 {
			t.Fatalf("fix through the one URL: %+v", again)
		}
		v3, build := again.artifacts[0], again.builds[0]
		if v3["version"] != 3.0 || v3["lineageId"] != v1 || v3["replaces"] != v2 || build["success"] != true || build["artifactId"] != v3["id"] {
			t.Errorf("fix through the one URL: version %v, build %v", v3, build)
		}
		if asked := lastAsked(s.gemini); !strings.Contains(asked, "(version 2)") || !strings.Contains(asked, `"h2"`) {
			t.Errorf("the second fix asked the model:\n%s", asked)
		}
		if _, page := s.get(v3["previewUrl"].(string)); !strings.Contains(page, "Hello, fixed world") {
			t.Errorf("the fixed version's page: %.300s", page)
		}

		var conflict struct{ Code string }
		s.callURL("POST", c.APIURL+"/api/artifacts/"+v3["id"].(string)+"/fix", map[string]any{"stream": false}, 409, &conflict)
		if conflict.Code != "conflict" {
			t.Errorf("fix of a version that builds: %+v", conflict)
		}
		var conv struct {
			Conversation struct {
				Messages []struct{ Role, Content string }
			}
		}
		s.call("GET", "/api/conversations/"+fixConv, nil, 200, &conv)
		if msgs := conv.Conversation.Messages; len(msgs) != 6 || !strings.HasPrefix(msgs[2].Content, "Fix the build errors") || !strings.HasPrefix(msgs[4].Content, "Fix the build errors") {
			t.Errorf("the conversation after two fixes: %+v", msgs)
		}
	})

	// A conversation whose ZIP is over the inline limit (4 MB), of another
	// user: its ZIP goes up to S3 under exports/ in parts, and the
	// presigned link downloads it. One reply is built as it streams; the
	// export builds the other pages through the build function.
	t.Run("a large ZIP export", func(t *testing.T) {
		s := s.in(t)
		s.token = ""
		var reg struct {
			Token string
			User  struct{ ID string }
		}
		s.call("POST", "/api/auth/register", map[string]string{"email": "zip@example.com", "username": "zip_user", "password": "a good password"}, 201, &reg)
		s.token = reg.Token
		s.gemini.Respond(noiseModel)
		defer s.gemini.Respond(geminitest.OfflineReply)
		asked := len(s.gemini.Requests())
		conv := ""
		for i := 1; i <= noiseTurns; i++ {
			body := map[string]any{"message": fmt.Sprintf("Noise %d", i), "stream": true, "enableBuilding": i == 1}
			if conv != "" {
				body["conversationId"] = conv
			}
			out := s.stream("POST", c.URL+"/api/chat/send", body, nil, nil)
			if out.complete == nil || len(out.artifacts) != 1 || (len(out.builds) == 1) != (i == 1) {
				t.Fatalf("noise %d: error %q, %d artifacts, %d builds", i, out.errorCode, len(out.artifacts), len(out.builds))
			}
			conv = out.conversationID
		}
		defer s.call("DELETE", "/api/conversations/"+conv, nil, 200, nil)
		if !slices.ContainsFunc(s.gemini.Requests()[asked:], func(r geminitest.Request) bool {
			return !r.Stream && strings.Contains(r.SystemInstruction, "running summary")
		}) {
			t.Error("no turn folded the conversation's summary")
		}

		data, link := s.exportZip(conv)
		if link == nil {
			t.Fatalf("a ZIP of %d bytes came inline", len(data))
		}
		if want := "/exports/" + reg.User.ID + "/" + conv + "/"; hostOf(t, link.URL) != hostOf(t, c.Endpoints.S3) || !strings.Contains(link.URL, want) {
			t.Errorf("link %s: want one on the local S3 under %s", link.URL, want)
		}
		t.Logf("a ZIP of %d bytes", link.Size)
		if link.Size <= 5<<20 {
			t.Errorf("the ZIP is %d bytes: want more than a 5 MiB part", link.Size)
		}
		h, zipped := s.get(link.URL)
		if h.Get("Content-Type") != "application/zip" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || len(zipped) != link.Size {
			t.Fatalf("download: %v, %d bytes of %d", h, len(zipped), link.Size)
		}
		files := s.unzip([]byte(zipped))
		pages, notes := pages(files)
		if len(pages) != noiseTurns || len(notes) != 0 {
			t.Errorf("%d pages, notes %q; want %d pages", len(pages), notes, noiseTurns)
		}
		for i := 1; i <= noiseTurns; i++ {
			marker := noiseMarker(i)
			if !strings.Contains(files["conversation.md"], fmt.Sprintf("Noise %d", i)) || !strings.Contains(files["conversation.md"], marker) {
				t.Errorf("conversation.md lacks turn %d", i)
			}
			if !slices.ContainsFunc(pages, func(p string) bool { return strings.Contains(p, marker) }) {
				t.Errorf("no page holds noise %d", i)
			}
			code := fmt.Sprintf("Noise%d/Noise%d.tsx", i, i)
			if !strings.HasPrefix(files[code], "const noise =\n  \""+marker) {
				t.Errorf("%s = %.60q", code, files[code])
			}
		}
	})

	// A running turn stopped from another function (chat-stop, behind the
	// HTTP API) while the model holds its reply; then, in the same
	// conversation, a turn that loses the race with the conversation's
	// delete: the code it wrote after the sweep is removed again.
	t.Run("stop, and a delete mid-reply", func(t *testing.T) {
		s := s.in(t)
		hold := make(chan struct{})
		defer close(hold)
		s.gemini.Enqueue(geminitest.Reply{Chunks: []string{"Let me think. ", "This never comes."}, Hold: hold, HoldAfter: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		resp := s.open(ctx, "POST", c.URL+"/api/chat/send", map[string]any{"message": "Think slowly", "stream": true}, nil)
		defer resp.Body.Close()
		rd := bufio.NewReader(resp.Body)
		var out streamed
		s.until(rd, &out, "the first delta", func() bool { return out.text != "" })
		// A second connection follows the running turn through the one URL
		// (chat-stream, from the journal): how far behind the sender it
		// is, is its ResumeLag.
		follow := s.open(ctx, "GET", c.URL+"/api/chat/stream/"+out.messageID, nil, nil)
		defer follow.Body.Close()
		frd := bufio.NewReader(follow.Body)
		var followed streamed
		s.until(frd, &followed, "the first delta, followed", func() bool { return followed.text != "" })
		var stop struct{ Data struct{ State string } }
		s.callURL("POST", c.APIURL+"/api/chat/stop/"+out.messageID, nil, 200, &stop)
		if stop.Data.State != "stopping" {
			t.Errorf("stop = %+v", stop)
		}
		s.until(rd, &out, "[DONE]", func() bool { return out.done })
		if out.complete["reason"] != "stopped" || out.text != "Let me think. " {
			t.Fatalf("stopped stream: %+v", out)
		}
		s.until(frd, &followed, "[DONE], followed", func() bool { return followed.done })
		if followed.complete["reason"] != "stopped" || followed.text != out.text {
			t.Fatalf("the stream that followed: %+v", followed)
		}
		var conv struct {
			Conversation struct {
				Messages []struct{ Stopped bool }
			}
		}
		s.call("GET", "/api/conversations/"+out.conversationID, nil, 200, &conv)
		if msgs := conv.Conversation.Messages; len(msgs) != 2 || !msgs[1].Stopped {
			t.Errorf("the stopped reply: %+v", msgs)
		}

		raced := make(chan struct{})
		released := false
		defer func() {
			if !released {
				close(raced)
			}
		}()
		s.gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here is a counter.\n\n", counter, "Click it."}, Hold: raced, HoldAfter: 1})
		resp2 := s.open(ctx, "POST", c.URL+"/api/chat/send", map[string]any{"message": "A counter", "conversationId": out.conversationID, "stream": true}, nil)
		defer resp2.Body.Close()
		rd2 := bufio.NewReader(resp2.Body)
		var lost streamed
		s.until(rd2, &lost, "the first delta", func() bool { return lost.text != "" })
		var deleted struct{ DeletedArtifacts int }
		s.call("DELETE", "/api/conversations/"+out.conversationID, nil, 200, &deleted)
		close(raced)
		released = true
		s.until(rd2, &lost, "[DONE]", func() bool { return lost.done })
		if lost.errorCode != "not_found" || len(lost.artifacts) != 0 || lost.complete != nil {
			t.Errorf("the turn that lost the race: error %q, %d artifacts, complete %v", lost.errorCode, len(lost.artifacts), lost.complete)
		}
	})

	// The race with a conversation's delete again, behind the HTTP API:
	// a turn of each function that writes one (chat-send, chat-regenerate,
	// artifacts-fix), buffered, loses it while the model holds its reply.
	// Another user's, so that the first stays within its turns a minute.
	t.Run("deletes mid-turn through the HTTP API", func(t *testing.T) {
		s := s.in(t)
		s.token = ""
		var reg struct{ Token string }
		s.call("POST", "/api/auth/register", map[string]string{"email": "race@example.com", "username": "race_user", "password": "a good password"}, 201, &reg)
		s.token = reg.Token
		start := func(reply string) streamed {
			t.Helper()
			out := s.stream("POST", c.URL+"/api/chat/send", map[string]any{"message": "A component", "stream": true, "enableBuilding": true}, nil,
				&geminitest.Reply{Chunks: []string{"Here it is:\n\n", reply}})
			if out.complete == nil || len(out.artifacts) != 1 {
				t.Fatalf("a turn to race: %+v", out)
			}
			return out
		}
		races := []struct {
			name string
			path func(streamed) string
			body func(streamed) map[string]any
			code string // the first turn's
		}{
			{"chat-send", func(streamed) string { return "/api/chat/send" },
				func(o streamed) map[string]any {
					return map[string]any{"message": "Another", "conversationId": o.conversationID, "stream": false}
				}, counter},
			{"chat-regenerate", func(o streamed) string { return "/api/chat/regenerate/" + o.messageID },
				func(streamed) map[string]any { return map[string]any{"stream": false} }, counter},
			{"artifacts-fix", func(o streamed) string { return "/api/artifacts/" + o.artifacts[0]["id"].(string) + "/fix" },
				func(streamed) map[string]any { return map[string]any{"stream": false} }, brokenGreeting},
		}
		for _, r := range races {
			o := start(r.code)
			status, body := s.loseRace(c.APIURL+r.path(o), r.body(o), o.conversationID)
			// A stream ends with not_found; the buffered answer is its 404.
			var e struct{ Message string }
			_ = json.Unmarshal([]byte(body), &e)
			if status != http.StatusNotFound || e.Message != "This conversation no longer exists." {
				t.Errorf("%s: the turn that lost the race answered %d %s", r.name, status, body)
			}
		}
	})

	var deleted struct{ DeletedArtifacts int }
	s.call("DELETE", "/api/conversations/"+first.conversationID, nil, 200, &deleted)
	if deleted.DeletedArtifacts != 5 {
		t.Errorf("deleted = %+v, want every artifact of its turns and regenerations (5)", deleted)
	}
	s.call("GET", "/api/conversations/"+first.conversationID, nil, 404, nil)
	for _, id := range []string{projectConv, fixConv} {
		if id != "" {
			s.call("DELETE", "/api/conversations/"+id, nil, 200, nil)
		}
	}
	s.call("GET", "/api/conversations", nil, 200, &list)
	if list.Pagination.TotalCount != 0 {
		t.Errorf("after the deletes, list = %+v", list)
	}

	// The user's usage, as the account page reads it: today's turns, and
	// every credit they took.
	t.Run("usage", func(t *testing.T) {
		s := s.in(t)
		var me struct{ User struct{ Credits int } }
		s.call("GET", "/api/auth/me", nil, 200, &me)
		var usage struct {
			From, To string
			Days     []struct {
				Date           string
				Turns, Credits int
			}
			Total struct{ PromptTokens, OutputTokens, Turns, Credits int }
		}
		s.call("GET", "/api/usage", nil, 200, &usage)
		from, ferr := time.Parse(time.DateOnly, usage.From)
		to, terr := time.Parse(time.DateOnly, usage.To)
		if ferr != nil || terr != nil || to.Sub(from) != 29*24*time.Hour {
			t.Errorf("usage covers %s to %s, want the 30 days up to today", usage.From, usage.To)
		}
		if n := len(usage.Days); n == 0 || usage.Days[n-1].Date != usage.To || usage.Total.Turns < 10 || usage.Total.OutputTokens == 0 ||
			usage.Total.Credits != scenarioCredits-me.User.Credits {
			t.Errorf("usage = %+v, credits left %d of %d", usage, me.User.Credits, scenarioCredits)
		}
	})

	// The API's document, as a client reads it through the one URL
	// (CloudFront's default behavior: the HTTP API), and revalidates it.
	t.Run("the OpenAPI document", func(t *testing.T) {
		s := s.in(t)
		var doc struct{ OpenAPI string }
		h := s.call("GET", "/api/openapi.json", nil, 200, &doc)
		if doc.OpenAPI != "3.1.0" || h.Get("ETag") == "" || h.Get("Cache-Control") == "" {
			t.Fatalf("document %q, headers %v", doc.OpenAPI, h)
		}
		req, _ := http.NewRequest("GET", c.URL+"/api/openapi.json", nil)
		req.Header.Set("If-None-Match", h.Get("ETag"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
		}
	})

	// The session ends: refreshed, its password changed (a new token), then
	// logged out. (An instance that read the user's token version trusts it
	// for SESSION_CACHE_TTL, a minute: the old tokens' refusal is not
	// checked here; internal/auth's tests pin it.)
	t.Run("refresh, password change, logout", func(t *testing.T) {
		s := s.in(t)
		var refreshed struct{ Token string }
		s.call("POST", "/api/auth/refresh", nil, 200, &refreshed)
		if refreshed.Token == "" {
			t.Fatalf("refresh = %+v", refreshed)
		}
		var changed struct{ Token string }
		s.call("PUT", "/api/auth/password", map[string]string{"currentPassword": "a good password", "newPassword": "a better password"}, 200, &changed)
		if changed.Token == "" {
			t.Fatalf("password change = %+v", changed)
		}
		s.token = changed.Token
		s.call("POST", "/api/auth/logout", nil, 200, nil)
	})

	// Every call to a local AWS service was made with the credentials of
	// the function that made it, as a recorder behind the Wrap hook sees.
	t.Run("callers told apart by their credentials", func(t *testing.T) {
		keys := map[string]string{}
		for _, f := range c.Functions() {
			keys[f.LogicalID] = f.AccessKeyID
		}
		chat, build := keys["ChatStreamFunction"], keys["BuildFunction"]
		for _, svc := range []string{localaws.ServiceDynamoDB, localaws.ServiceS3, localaws.ServiceLambda, localaws.ServiceSSM} {
			if !rec.called(svc, chat) {
				t.Errorf("the chat stream's key %s never called %s", chat, svc)
			}
		}
		if !rec.called(localaws.ServiceS3, build) || rec.called(localaws.ServiceDynamoDB, build) {
			t.Errorf("the build function's calls: s3 %v, dynamodb %v; want s3 only", rec.called(localaws.ServiceS3, build), rec.called(localaws.ServiceDynamoDB, build))
		}
		known := map[string]bool{localcloud.SetupAccessKeyID: true}
		for _, k := range keys {
			known[k] = true
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for svc, seen := range rec.seen {
			for k := range seen {
				if !known[k] {
					t.Errorf("%s was called with %q, no function's key", svc, k)
				}
			}
		}
	})

	// Every function's own event, as the Lambda Invoke API delivers it.
	t.Run("every events/ file, invoked", func(t *testing.T) { replayEvents(t, c) })

	t.Run("IAM proof", func(t *testing.T) { s.iam.checkIAM(t, c, s.template) })
	t.Run("metrics proof", func(t *testing.T) { checkMetrics(t, c, s.template) })
	t.Run("audit records", func(t *testing.T) { checkAudit(t, c) })
	t.Run("no secret in any log", func(t *testing.T) {
		secrets := &leaks.Secrets{}
		for what, v := range map[string]string{
			"the JWT secret": scenarioSecret, "the model's key": scenarioKey, "the origin's value": scenarioOriginVerify,
			"a password": "a good password", "another password": "a better password",
			"a message's text": "Create a React counter",
		} {
			secrets.Add(what, v)
		}
		checkLogs(t, c, secrets)
	})
}

// lastAsked is the text of the last user turn the model was asked.
func lastAsked(g *geminitest.Server) string {
	reqs := g.Requests()
	if len(reqs) == 0 {
		return ""
	}
	return reqs[len(reqs)-1].LastUserText()
}

// markdown is the Markdown export of a conversation.
func (s *scenario) markdown(conversationID string) string {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.cloud.URL+"/api/conversations/"+conversationID+"/export?format=markdown", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	md, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") {
		s.t.Fatalf("Markdown export: %d %v\n%s", resp.StatusCode, resp.Header, md)
	}
	return string(md)
}
