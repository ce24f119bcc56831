package artifacts_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/browsertest"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

const brokenGreeting = "```tsx\nexport default function Greeting() {\n  return <h1 id=\"hello\">Hello, fixed world</h1>\n}}\n```"

const fixedGreeting = "The extra brace closed nothing:\n\n```tsx\nexport default function Greeting() {\n  return <h1 id=\"hello\">Hello, fixed world</h1>;\n}\n```\n"

// TestFix has the model write a component that does not build, then asks
// for a fix: the model gets the code and esbuild's errors, its reply's
// block becomes version 2 of the artifact, the stream ends with that
// version's build, and version 2 renders in Chromium. The fix and its reply
// are a message pair of the conversation; it costs a credit; an artifact
// that builds has nothing to fix (409), a Python script cannot be built
// (422), another user's is not found.
func TestFix(t *testing.T) {
	parent := parentPage(t)
	env, u := browserEnv(t, parent)
	other := env.Register(t)
	ctx := browsertest.NewTab(t)

	conv, arts := turn(t, env, u, "", brokenGreeting)
	broken := arts[0]
	id := broken["id"].(string)
	if r := env.Do(t, "POST", "/api/artifacts/"+id+"/fix", other.Token, nil); r.Status != 404 {
		t.Fatalf("another user's fix: %d %s", r.Status, r.Body)
	}

	env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{fixedGreeting}})
	resp, err := openStream(t, env, u.Token, "/api/artifacts/"+id+"/fix")
	if err != nil {
		t.Fatal(err)
	}
	events, err := apitest.NewSSEReader(resp.Body).All()
	if err != nil {
		t.Fatal(err)
	}
	var artifact, build map[string]any
	for _, e := range events {
		switch e.Data["type"] {
		case "artifact":
			artifact = e.Data["artifact"].(map[string]any)
		case "build":
			build = e.Data["buildResult"].(map[string]any)
		}
	}
	n := len(events)
	if artifact == nil || build == nil || events[n-2].Type != "complete" || !events[n-1].Done {
		t.Fatalf("fix stream: %+v", events)
	}
	if artifact["version"] != 2.0 || artifact["lineageId"] != id || artifact["replaces"] != id || build["success"] != true || build["artifactId"] != artifact["id"] {
		t.Errorf("new version %v, build %v", artifact, build)
	}

	reqs := env.Gemini.Requests()
	asked := reqs[len(reqs)-1].Contents
	last := asked[len(asked)-1].Text
	if !strings.Contains(last, "Fix the build errors in \"Greeting\" (version 1)") || !strings.Contains(last, "}}") || !strings.Contains(last, ":3:1: Unexpected") {
		t.Errorf("the model was asked:\n%s", last)
	}

	navigate(t, ctx, artifact["previewUrl"].(string))
	browsertest.WaitFor(t, ctx, `document.querySelector("#hello")?.textContent === "Hello, fixed world"`)

	var c conversationBody
	env.Do(t, "GET", "/api/conversations/"+conv, u.Token, nil).Decode(t, &c)
	msgs := c.Conversation.Messages
	if len(msgs) != 4 || msgs[2].Role != "USER" || !strings.HasPrefix(msgs[2].Content, "Fix the build errors") || strings.Contains(msgs[2].Content, "export default") ||
		msgs[3].Role != "ASSISTANT" || len(msgs[3].Artifacts) != 1 {
		t.Errorf("conversation after the fix: %+v", msgs)
	}
	if me, _ := env.Deps.Store.UserByID(t.Context(), u.ID); me.Credits != 18 {
		t.Errorf("credits %d, want 18", me.Credits)
	}

	if r := env.Do(t, "POST", "/api/artifacts/"+artifact["id"].(string)+"/fix", u.Token, map[string]any{"stream": false}); r.Status != 409 || r.Err(t).Code != "conflict" {
		t.Errorf("fix of a version that builds: %d %s", r.Status, r.Body)
	}
	py := chat(t, env, u, "```python\nprint('hi')\n```")[0]
	if r := env.Do(t, "POST", "/api/artifacts/"+py["id"].(string)+"/fix", u.Token, nil); r.Status != 422 || r.Err(t).Code != "not_previewable" {
		t.Errorf("fix of a script: %d %s", r.Status, r.Body)
	}
}

// openStream POSTs an empty JSON object to path and returns the response
// to read as it streams.
func openStream(t *testing.T, env *apitest.Env, token, path string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", env.URL+path, strings.NewReader("{}"))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

type conversationBody struct {
	Conversation struct {
		Messages []struct {
			Role, Content string
			Artifacts     []struct{ ID string }
		}
	}
}
