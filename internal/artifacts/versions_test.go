package artifacts_test

import (
	"strings"
	"testing"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

// turn sends a message in conversation conv ("" for a new one) answered by
// reply, and returns the conversation and the reply's artifacts.
func turn(t *testing.T, env *apitest.Env, u apitest.User, conv, reply string) (string, []map[string]any) {
	t.Helper()
	env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{reply}})
	body := map[string]any{"message": "make it", "stream": false}
	if conv != "" {
		body["conversationId"] = conv
	}
	resp := env.Do(t, "POST", "/api/chat/send", u.Token, body)
	var out struct {
		Data struct {
			ConversationID string
			Artifacts      []map[string]any
		}
	}
	resp.Decode(t, &out)
	if resp.Status != 200 {
		t.Fatalf("chat: %d %s", resp.Status, resp.Body)
	}
	return out.Data.ConversationID, out.Data.Artifacts
}

type artifactBody struct {
	Artifact struct {
		ID, LineageID, Replaces, Title, Type string
		Version                              int
		Versions                             []struct {
			Version   int
			ID        string
			MessageID string
			Size      int
		}
	}
}

// TestVersions rewrites artifacts over three replies of one conversation:
// a rewrite with the same title and type, or the same file path, is the
// next version of the latest match (in the artifact event too); anything
// else starts a lineage. Each version reads, diffs and previews; identical
// contents share one built page; a delete takes the whole lineage.
func TestVersions(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u, other := env.Register(t), env.Register(t)
		v2code := strings.Replace(counter, "{n}", "Count: {n}", 1)
		conv, first := turn(t, env, u, "", "Here:\n\n```tsx\n"+counter+"\n```\n\nAnd a helper:\n\n```ts utils/math.ts\nexport const add = (a: number, b: number) => a + b;\n```\n")
		_, second := turn(t, env, u, conv, "Updated:\n\n```tsx\n"+v2code+"\n```\n\n**utils/math.ts**\n\n```ts\nexport const add = (a: number, b: number) => a + b + 0;\n```\n")
		_, third := turn(t, env, u, conv, "Back to the first one, and something new:\n\n```tsx\n"+counter+"\n```\n\n```python\nprint('new')\n```\n")
		if len(first) != 2 || len(second) != 2 || len(third) != 2 {
			t.Fatalf("artifacts %d, %d, %d", len(first), len(second), len(third))
		}
		counterID := first[0]["id"].(string)
		tests := []struct {
			name         string
			got          map[string]any
			version      float64
			lineage      string
			replaces     any
			firstVersion bool
		}{
			{"the counter", first[0], 1, counterID, nil, true},
			{"the helper", first[1], 1, first[1]["id"].(string), nil, true},
			{"the counter rewritten", second[0], 2, counterID, counterID, false},
			{"the helper by path", second[1], 2, first[1]["id"].(string), first[1]["id"], false},
			{"the counter back", third[0], 3, counterID, second[0]["id"], false},
			{"a new script", third[1], 1, third[1]["id"].(string), nil, true},
		}
		for _, tc := range tests {
			if tc.got["version"] != tc.version || tc.got["lineageId"] != tc.lineage || tc.got["replaces"] != tc.replaces {
				t.Errorf("%s: version %v lineage %v replaces %v", tc.name, tc.got["version"], tc.got["lineageId"], tc.got["replaces"])
			}
		}

		latest := third[0]["id"].(string)
		var meta artifactBody
		env.Do(t, "GET", "/api/artifacts/"+latest, u.Token, nil).Decode(t, &meta)
		if a := meta.Artifact; a.Version != 3 || a.LineageID != counterID || len(a.Versions) != 3 ||
			a.Versions[0].ID != counterID || a.Versions[1].ID != second[0]["id"] || a.Versions[2].ID != latest || a.Versions[1].Size != len(v2code) {
			t.Fatalf("metadata %+v", a)
		}
		var v2 struct {
			Artifact struct{ ID string }
			Code     string
		}
		if r := env.Do(t, "GET", "/api/artifacts/"+counterID+"/versions/2", u.Token, nil); r.Status != 200 {
			t.Fatalf("version 2: %d %s", r.Status, r.Body)
		} else if r.Decode(t, &v2); v2.Artifact.ID != second[0]["id"] || v2.Code != v2code {
			t.Errorf("version 2 = %+v", v2)
		}
		var d struct {
			From, To int
			Diff     string
		}
		env.Do(t, "GET", "/api/artifacts/"+latest+"/diff?from=1&to=2", u.Token, nil).Decode(t, &d)
		if d.From != 1 || d.To != 2 || !strings.Contains(d.Diff, "-  return <button onClick={() => setN(n + 1)}>{n}</button>;") ||
			!strings.Contains(d.Diff, "+  return <button onClick={() => setN(n + 1)}>Count: {n}</button>;") || !strings.HasPrefix(d.Diff, "--- a/") {
			t.Errorf("diff = %+v", d)
		}
		env.Do(t, "GET", "/api/artifacts/"+latest+"/diff", u.Token, nil).Decode(t, &d)
		if d.From != 2 || d.To != 3 || !strings.Contains(d.Diff, "+  return <button onClick={() => setN(n + 1)}>{n}</button>;") {
			t.Errorf("default diff = %+v", d)
		}
		for _, bad := range []struct {
			path   string
			status int
		}{
			{"/versions/4", 404}, {"/versions/0", 400}, {"/versions/x", 400}, {"/diff?from=1&to=9", 404}, {"/diff?from=a", 400},
		} {
			if r := env.Do(t, "GET", "/api/artifacts/"+latest+bad.path, u.Token, nil); r.Status != bad.status {
				t.Errorf("%s: %d %s", bad.path, r.Status, r.Body)
			}
		}
		if r := env.Do(t, "GET", "/api/artifacts/"+latest+"/versions/1", other.Token, nil); r.Status != 404 {
			t.Errorf("another user's version: %d", r.Status)
		}

		// Versions 1 and 3 hold the same code: one build serves both.
		keys := map[string]bool{}
		for _, id := range []string{counterID, second[0]["id"].(string), latest} {
			if r := env.Do(t, "POST", "/api/artifacts/"+id+"/bundle", u.Token, nil); r.Status != 200 {
				t.Fatalf("bundle %s: %d %s", id, r.Status, r.Body)
			}
			var b struct {
				Artifact struct{ BundledHTMLKey string }
			}
			env.Do(t, "GET", "/api/artifacts/"+id, u.Token, nil).Decode(t, &b)
			if b.Artifact.BundledHTMLKey == "" {
				t.Fatalf("%s has no built page", id)
			}
			keys[b.Artifact.BundledHTMLKey] = true
		}
		if len(keys) != 2 {
			t.Errorf("built pages %v, want 2 for 3 versions of which 2 are identical", keys)
		}

		var del struct{ DeletedVersions int }
		env.Do(t, "DELETE", "/api/artifacts/"+second[0]["id"].(string), u.Token, nil).Decode(t, &del)
		if del.DeletedVersions != 3 {
			t.Errorf("deleted %d versions, want 3", del.DeletedVersions)
		}
		for _, id := range []string{counterID, second[0]["id"].(string), latest} {
			if r := env.Do(t, "GET", "/api/artifacts/"+id, u.Token, nil); r.Status != 404 {
				t.Errorf("version %s after the delete: %d", id, r.Status)
			}
		}
		if r := env.Do(t, "GET", "/api/artifacts/"+second[1]["id"].(string), u.Token, nil); r.Status != 200 {
			t.Errorf("another lineage after the delete: %d", r.Status)
		}
	})
}
