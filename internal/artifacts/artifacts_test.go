package artifacts_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

var ctx = context.Background()

func each(t *testing.T, fn func(t *testing.T, env *apitest.Env)) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		fn(t, apitest.New(t, tb, nil))
	})
}

// chat sends message and returns the artifacts of the reply.
func chat(t *testing.T, env *apitest.Env, u apitest.User, reply string) []map[string]any {
	t.Helper()
	env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{reply}})
	resp := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "make it", "stream": false})
	var body struct {
		Data struct{ Artifacts []map[string]any }
	}
	resp.Decode(t, &body)
	if resp.Status != 200 {
		t.Fatalf("chat: %d %s", resp.Status, resp.Body)
	}
	return body.Data.Artifacts
}

const counter = `import { useState } from "react";

export default function Counter() {
  const [n, setN] = useState(0);
  return <button onClick={() => setN(n + 1)}>{n}</button>;
}`

const project = "A small app:\n\n```tsx src/main.tsx\nimport { createRoot } from \"react-dom/client\";\nimport App from \"./App\";\ncreateRoot(document.getElementById(\"root\")!).render(<App />);\n```\n\n" +
	"```tsx src/App.tsx\nimport \"./styles.css\";\nexport default function App() { return <h1 className=\"title\">Hi</h1>; }\n```\n\n" +
	"```css src/styles.css\n.title { color: rebeccapurple; }\n```\n"

func TestSingleFileArtifact(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		arts := chat(t, env, u, "Here:\n\n```tsx\n"+counter+"\n```\n")
		if len(arts) != 1 {
			t.Fatalf("artifacts = %v", arts)
		}
		id := arts[0]["id"].(string)

		env.Calls.Take()
		resp := env.Do(t, "GET", "/api/artifacts/"+id, u.Token, nil)
		// One GetItem checks the token's version, one reads the artifact,
		// one Query lists its versions.
		if got := env.Calls.Take(); got["GetItem"] != 2 || got["Query"] != 1 || len(got) != 2 {
			t.Errorf("metadata calls = %v, want two GetItems and a Query", got)
		}
		var meta struct{ Artifact map[string]any }
		resp.Decode(t, &meta)
		if resp.Status != 200 || meta.Artifact["title"] != "Counter" || meta.Artifact["type"] != "REACT" || meta.Artifact["s3Url"] == "" {
			t.Fatalf("metadata = %d %s", resp.Status, resp.Body)
		}

		resp = env.Do(t, "GET", "/api/artifacts/"+id+"/code", u.Token, nil)
		var code struct {
			Code     string
			Artifact map[string]any
		}
		resp.Decode(t, &code)
		if code.Code != counter || code.Artifact["language"] != "tsx" {
			t.Errorf("code = %s", resp.Body)
		}

		resp = env.Do(t, "GET", "/api/artifacts/"+id+"/download", u.Token, nil)
		if resp.Status != 200 || string(resp.Body) != counter ||
			resp.Header.Get("Content-Disposition") != `attachment; filename="Counter.tsx"` ||
			resp.Header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("download = %d %v", resp.Status, resp.Header)
		}

		resp = env.Do(t, "GET", "/api/artifacts/"+id+"/project", u.Token, nil)
		if resp.Status != 200 || !strings.Contains(string(resp.Body), `"entry":"Counter.tsx"`) {
			t.Errorf("project = %d %s", resp.Status, resp.Body)
		}
	})
}

func TestProjectArtifact(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		arts := chat(t, env, u, project)
		if len(arts) != 1 || arts[0]["type"] != "PROJECT" {
			t.Fatalf("artifacts = %v", arts)
		}
		id := arts[0]["id"].(string)

		resp := env.Do(t, "GET", "/api/artifacts/"+id+"/project", u.Token, nil)
		var proj struct {
			Entry string
			Files []struct {
				Path, Language string
				Size           int
			}
		}
		resp.Decode(t, &proj)
		if proj.Entry != "src/main.tsx" || len(proj.Files) != 3 || proj.Files[2].Path != "src/styles.css" || proj.Files[2].Language != "css" {
			t.Errorf("project = %s", resp.Body)
		}

		resp = env.Do(t, "GET", "/api/artifacts/"+id+"/code", u.Token, nil)
		var code struct {
			Code  string
			Entry string
			Files []struct{ Path, Language, Code string }
		}
		resp.Decode(t, &code)
		if len(code.Files) != 3 || !strings.Contains(code.Code, "createRoot") || code.Files[2].Code != ".title { color: rebeccapurple; }" {
			t.Errorf("code = %s", resp.Body)
		}

		resp = env.Do(t, "GET", "/api/artifacts/"+id+"/download", u.Token, nil)
		if resp.Header.Get("Content-Type") != "application/zip" || !strings.HasSuffix(resp.Header.Get("Content-Disposition"), `.zip"`) {
			t.Fatalf("download headers = %v", resp.Header)
		}
		zr, err := zip.NewReader(bytes.NewReader(resp.Body), int64(len(resp.Body)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name[strings.Index(f.Name, "/")+1:])
			if strings.HasSuffix(f.Name, "styles.css") {
				rc, _ := f.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				if string(b) != ".title { color: rebeccapurple; }" {
					t.Errorf("zipped css = %q", b)
				}
			}
		}
		sort.Strings(names)
		if strings.Join(names, ",") != "src/App.tsx,src/main.tsx,src/styles.css" {
			t.Errorf("zip holds %v", names)
		}
	})
}

func TestDeleteAndOwnership(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		owner, intruder := env.Register(t), env.Register(t)
		arts := chat(t, env, owner, "```tsx\n"+counter+"\n```")
		id := arts[0]["id"].(string)
		key := arts[0]["s3Key"].(string)
		conv := arts[0]["conversationId"].(string)

		paths := []struct{ method, path string }{
			{"GET", "/api/artifacts/" + id}, {"GET", "/api/artifacts/" + id + "/code"},
			{"GET", "/api/artifacts/" + id + "/download"}, {"GET", "/api/artifacts/" + id + "/project"},
			{"DELETE", "/api/artifacts/" + id},
		}
		for _, p := range paths {
			if resp := env.Do(t, p.method, p.path, intruder.Token, nil); resp.Status != 404 || resp.Err(t).Code != "not_found" {
				t.Errorf("intruder %s %s = %d", p.method, p.path, resp.Status)
			}
			if resp := env.Do(t, p.method, p.path, "", nil); resp.Status != 401 {
				t.Errorf("no token %s %s = %d", p.method, p.path, resp.Status)
			}
			if resp := env.Do(t, p.method, strings.Replace(p.path, id, "x", 1), owner.Token, nil); resp.Status != 404 {
				t.Errorf("malformed id %s %s = %d", p.method, p.path, resp.Status)
			}
		}

		resp := env.Do(t, "DELETE", "/api/artifacts/"+id, owner.Token, nil)
		if resp.Status != 200 {
			t.Fatalf("delete = %d %s", resp.Status, resp.Body)
		}
		if resp := env.Do(t, "GET", "/api/artifacts/"+id, owner.Token, nil); resp.Status != 404 {
			t.Errorf("deleted artifact readable: %d", resp.Status)
		}
		if _, err := env.Deps.Blob.Get(ctx, key); err == nil {
			t.Error("deleted artifact's code is still in S3")
		}
		resp = env.Do(t, "GET", "/api/conversations/"+conv, owner.Token, nil)
		var body struct {
			Conversation struct {
				Messages []struct{ Artifacts []json.RawMessage }
			}
		}
		resp.Decode(t, &body)
		for _, m := range body.Conversation.Messages {
			if len(m.Artifacts) != 0 {
				t.Errorf("conversation still lists the deleted artifact")
			}
		}
	})
}
