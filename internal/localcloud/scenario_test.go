package localcloud_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zocket/agent/internal/browsertest"
	"github.com/zocket/agent/internal/cfn"
	"github.com/zocket/agent/internal/llm/geminitest"
	"github.com/zocket/agent/internal/localaws"
	"github.com/zocket/agent/internal/localcloud"
	"github.com/zocket/agent/routes"
)

// The deployed shape, on one machine: template.yaml run by this package
// with the real bootstraps (`make test-cloud`), and the scenario the
// frontend drives, all through the one URL.

const (
	scenarioSecret = "cloud-test-secret-cloud-test-secret-0123"
	scenarioKey    = "cloud-test-gemini-key"
	frontend       = "http://localhost:3000"
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
	t      *testing.T
	cloud  *localcloud.Cloud
	gemini *geminitest.Server
	token  string
}

func startScenario(t *testing.T, rec *callers) *scenario {
	t.Helper()
	dir := bootstraps(t)
	packages, err := filepath.Abs("../../web/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(packages); err != nil {
		requireTool(t, "the preview package set is not installed (make deps-web): %v", err)
	}
	data, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	gemini := geminitest.New(geminitest.WithAPIKey(scenarioKey))
	t.Cleanup(gemini.Close)
	logs := &syncBuffer{}
	c, err := localcloud.Start(context.Background(), localcloud.Options{
		Template:  tpl,
		Bootstrap: localcloud.BootstrapDir(dir),
		SSM: []localcloud.SSMParameter{
			{NameParameter: "JwtSecretParameterName", Value: scenarioSecret, Secure: true},
			{NameParameter: "GeminiApiKeyParameterName", Value: scenarioKey, Secure: true},
			{NameParameter: "OriginVerifyParameterName", Value: "cloud-test-origin-verify-0123456789abcdef"},
		},
		Env:  map[string]string{"GEMINI_BASE_URL": gemini.URL(), "BUILD_PACKAGES_DIR": packages},
		Wrap: rec.wrap,
		Logs: logs,
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
	return &scenario{t: t, cloud: c, gemini: gemini}
}

// call sends a JSON request to the one URL as the frontend does, and
// decodes a JSON answer into out.
func (s *scenario) call(method, path string, body any, wantStatus int, out any) http.Header {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.cloud.URL+path, rd)
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
		s.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, data, wantStatus)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != frontend {
		s.t.Errorf("%s %s: Access-Control-Allow-Origin %q, want the frontend's", method, path, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.Header
}

// sseEvent is one server-sent event of a chat stream.
type sseEvent struct {
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
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// streamed is what a chat stream brought.
type streamed struct {
	conversationID string
	text           string
	artifacts      []map[string]any
	builds         []map[string]any
	complete, done bool
}

const counter = "```tsx\nimport { useState } from \"react\";\nimport { Plus } from \"lucide-react\";\n\n" +
	"export default function Counter() {\n  const [count, setCount] = useState(0);\n  return (\n" +
	"    <button id=\"inc\" className=\"rounded bg-blue-500 px-4 py-2 text-white\" onClick={() => setCount(count + 1)}>\n" +
	"      <Plus /> <span id=\"count\">{count}</span>\n    </button>\n  );\n}\n```\n"

// chat streams a turn from url, the fake model holding back all but the
// first piece of its reply until the first delta has arrived.
func (s *scenario) chat(url, conversationID string) streamed {
	s.t.Helper()
	hold := make(chan struct{})
	released := false
	defer func() {
		if !released {
			close(hold)
		}
	}()
	s.gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here is a counter.\n\n", counter, "Click it to count."}, Hold: hold, HoldAfter: 1})
	body := map[string]any{"message": "Create a React counter", "stream": true, "enableBuilding": true}
	if conversationID != "" {
		body["conversationId"] = conversationID
	}
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(b))
	req.Header.Set("Origin", frontend)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || resp.Header.Get("Access-Control-Allow-Origin") != frontend {
		data, _ := io.ReadAll(resp.Body)
		s.t.Fatalf("POST %s: %d %v %s", url, resp.StatusCode, resp.Header, data)
	}
	rd := bufio.NewReader(resp.Body)
	var out streamed
	for !released {
		ev, err := readEvent(rd)
		if err != nil {
			s.t.Fatalf("the stream ended before the first delta: %v (%+v)", err, out)
		}
		s.collect(&out, ev)
		if strings.Contains(out.text, "counter") {
			// The first delta arrived while the model holds the rest.
			if strings.Contains(out.text, "useState") || len(out.artifacts) > 0 || out.complete {
				s.t.Fatalf("held chunks arrived early: %+v", out)
			}
			close(hold)
			released = true
		}
	}
	for !out.done {
		ev, err := readEvent(rd)
		if err != nil {
			s.t.Fatalf("the stream ended before [DONE]: %v (%+v)", err, out)
		}
		s.collect(&out, ev)
	}
	if !out.complete || len(out.artifacts) != 1 || len(out.builds) != 1 || out.builds[0]["success"] != true {
		s.t.Fatalf("stream brought %+v", out)
	}
	return out
}

func (s *scenario) collect(out *streamed, ev sseEvent) {
	s.t.Helper()
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
	case "chunk":
		switch env.Data["type"] {
		case "artifact":
			out.artifacts = append(out.artifacts, env.Data["artifact"].(map[string]any))
		case "build":
			out.builds = append(out.builds, env.Data["buildResult"].(map[string]any))
		default:
			text, _ := env.Data["text"].(string)
			out.text += text
		}
	case "complete":
		out.complete = true
	case "error":
		s.t.Fatalf("error event: %s", ev.Data)
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
// the stack as template.yaml deploys it.
func TestDeployedShape(t *testing.T) {
	rec := &callers{seen: map[string]map[string]bool{}}
	s := startScenario(t, rec)
	c := s.cloud
	oneHost := hostOf(t, c.URL)

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

	// A reply streamed through the one URL: CloudFront's /api/chat/*
	// behavior, the Function URL, the chat-stream bootstrap, which builds
	// the artifact through the Lambda Invoke API.
	first := s.chat(c.URL+"/api/chat/send", "")
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

	t.Run("s3Url downloads the code", func(t *testing.T) {
		s3URL, _ := art["s3Url"].(string)
		resp, err := http.Get(s3URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		code, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(code), "export default function Counter") || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("GET s3Url: %d %v %s", resp.StatusCode, resp.Header, code)
		}
		if hostOf(t, s3URL) != hostOf(t, c.Endpoints.S3) {
			t.Errorf("s3Url %s is not on the local S3 (%s)", s3URL, c.Endpoints.S3)
		}
	})

	// Once straight through the stream URL, continuing the conversation.
	second := s.chat(strings.TrimSuffix(c.Outputs["StreamUrl"], "/")+"/api/chat/send", first.conversationID)
	if second.conversationID != first.conversationID {
		t.Errorf("the second turn went to conversation %s, not %s", second.conversationID, first.conversationID)
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

	t.Run("export", func(t *testing.T) {
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
		req, _ := http.NewRequest("GET", c.URL+"/api/conversations/"+first.conversationID+"/export?format=markdown", nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		md, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") ||
			!strings.Contains(string(md), "# Counted in the cloud") || !strings.Contains(string(md), "export default function Counter") {
			t.Errorf("Markdown export: %d %v\n%s", resp.StatusCode, resp.Header, md)
		}
	})

	var deleted struct{ DeletedArtifacts int }
	s.call("DELETE", "/api/conversations/"+first.conversationID, nil, 200, &deleted)
	if deleted.DeletedArtifacts != 2 {
		t.Errorf("deleted = %+v, want both turns' artifacts", deleted)
	}
	s.call("GET", "/api/conversations/"+first.conversationID, nil, 404, nil)
	s.call("GET", "/api/conversations", nil, 200, &list)
	if list.Pagination.TotalCount != 0 {
		t.Errorf("after the delete, list = %+v", list)
	}

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
}
