package esbuild_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/build/esbuild"
	"github.com/zocket/agent/internal/devtools/browsertest"
)

// The browser tests load previews in headless Chromium from a server that
// sends the headers of the real preview route, Content-Security-Policy with
// sandbox allow-scripts included.

// previewServer serves built pages as the preview route does.
type previewServer struct {
	*httptest.Server
	b       *esbuild.Builder
	cache   *esbuild.MemoryCache
	results sync.Map // key → build.Result
	full    atomic.Int64
	notMod  atomic.Int64
	other   atomic.Int64
}

func newPreviewServer(t *testing.T) *previewServer {
	t.Helper()
	b, cache := newBuilder(t)
	s := &previewServer{b: b, cache: cache}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /preview/{key}", s.preview)
	mux.HandleFunc("GET /parent/{key}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>parent</title>
<script>
localStorage.setItem("secret", "parent-secret");
document.cookie = "session=parent-cookie; path=/";
addEventListener("message", (e) => { document.getElementById("out").textContent = JSON.stringify(e.data); });
</script>
<pre id="out"></pre><iframe src="/preview/%s"></iframe>`, r.PathValue("key"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.other.Add(1)
		http.NotFound(w, r)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *previewServer) preview(w http.ResponseWriter, r *http.Request) {
	v, ok := s.results.Load(r.PathValue("key"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	res := v.(build.Result)
	page, ok, err := s.cache.Get(r.Context(), build.PageKey(res.Key))
	if err != nil || !ok {
		http.Error(w, "page missing", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", build.ContentSecurityPolicy([]string{s.URL}, res.ScriptHashes))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", `"`+res.ContentHash+`"`)
	if r.Header.Get("If-None-Match") == `"`+res.ContentHash+`"` {
		s.notMod.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.full.Add(1)
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.Write(page)
}

// build builds req and returns the URL of its preview.
func (s *previewServer) build(t *testing.T, req build.Request) string {
	t.Helper()
	res, err := s.b.Build(context.Background(), req)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	s.results.Store(res.Key, res)
	return s.URL + "/preview/" + res.Key
}

// open navigates to url and waits until the preview rendered something (or
// reported an error).
func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	waitFor(t, ctx, `document.readyState === "complete" && (document.querySelector("#root") === null || document.querySelector("#root").childElementCount > 0 || document.querySelector("#__preview-errors") !== null)`)
}

// newTab, waitFor, eval and pageErrors are browsertest's, under short names.
var (
	newTab     = browsertest.NewTab
	pageErrors = browsertest.PageErrors
	waitFor    = browsertest.WaitFor
)

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return browsertest.Eval[T](t, ctx, expr)
}

func TestPreviewCounter(t *testing.T) {
	s := newPreviewServer(t)
	ctx := newTab(t)
	open(t, ctx, s.build(t, build.Request{Language: "tsx", Title: "Counter", Code: component(t, "counter.tsx")}))

	if got := eval[string](t, ctx, `document.querySelector("#count").textContent`); got != "0" {
		t.Fatalf("count = %q, want 0", got)
	}
	for range 2 {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#inc"), chromedp.NodeVisible)); err != nil {
			t.Fatalf("click: %v", err)
		}
	}
	waitFor(t, ctx, `document.querySelector("#count").textContent === "2"`)
	if n := eval[int](t, ctx, `document.querySelectorAll("svg.lucide").length`); n != 3 {
		t.Errorf("lucide icons = %d, want 3", n)
	}
	if got := eval[string](t, ctx, `document.title`); got != "Counter" {
		t.Errorf("title = %q", got)
	}

	// Tailwind compiles bg-blue-500 in the page: oklch(0.623 0.214 259.815)
	// in Tailwind 4, rgb(59, 130, 246) in Tailwind 3.
	waitFor(t, ctx, `getComputedStyle(document.querySelector("#inc")).backgroundColor !== "rgba(0, 0, 0, 0)"`)
	bg := eval[string](t, ctx, `getComputedStyle(document.querySelector("#inc")).backgroundColor`)
	if bg != "oklch(0.623 0.214 259.815)" && bg != "rgb(59, 130, 246)" {
		t.Errorf("bg-blue-500 background = %q", bg)
	}
	if got := eval[string](t, ctx, `getComputedStyle(document.querySelector("#count")).fontSize`); got != "60px" {
		t.Errorf("text-6xl font size = %q, want 60px", got)
	}
	if errs := pageErrors(ctx); errs != "" {
		t.Errorf("page shows errors: %s", errs)
	}
}

// TestPreviewIsolation frames a preview in a page of the server's origin that
// keeps a secret in localStorage and a cookie: the preview, in an opaque
// origin, reaches neither.
func TestPreviewIsolation(t *testing.T) {
	s := newPreviewServer(t)
	ctx := newTab(t)
	url := s.build(t, build.Request{Language: "javascript", Code: `const r = { origin: window.origin };
try { r.cookie = document.cookie; } catch (e) { r.cookie = "threw " + e.name; }
r.secret = localStorage.getItem("secret");
try { r.parentStorage = parent.localStorage.getItem("secret"); } catch (e) { r.parentStorage = "threw " + e.name; }
try { r.parentCookie = parent.document.cookie; } catch (e) { r.parentCookie = "threw " + e.name; }
try { await fetch("/parent/x"); r.fetch = "allowed"; } catch (e) { r.fetch = "threw " + e.name; }
parent.postMessage(r, "*");
`})
	key := url[strings.LastIndex(url, "/")+1:]
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/parent/"+key)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector("#out").textContent !== ""`)
	got := eval[map[string]any](t, ctx, `JSON.parse(document.querySelector("#out").textContent)`)
	want := map[string]any{
		"origin":        "null",
		"cookie":        "threw SecurityError",
		"secret":        nil,
		"parentStorage": "threw SecurityError",
		"parentCookie":  "threw SecurityError",
		"fetch":         "threw TypeError",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	if got := eval[string](t, ctx, `localStorage.getItem("secret")`); got != "parent-secret" {
		t.Errorf("parent's own secret = %q", got)
	}
}

func TestPreviewShowsErrors(t *testing.T) {
	s := newPreviewServer(t)
	ctx := newTab(t)

	open(t, ctx, s.build(t, build.Request{Language: "tsx", Code: `export default function Broken(): JSX.Element {
  throw new Error("kaboom 42");
}`}))
	waitFor(t, ctx, `document.querySelector("[data-preview-error]")?.textContent.includes("kaboom 42")`)

	open(t, ctx, s.build(t, build.Request{Language: "jsx", Code: `export default function App() {
  return <button id="b" onClick={() => { throw new TypeError("handler broke"); }}>go</button>;
}`}))
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#b"), chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector("#__preview-errors")?.textContent.includes("TypeError: handler broke")`)

	if err := chromedp.Do(ctx, chromedp.Navigate(s.build(t, build.Request{Language: "javascript", Code: `Promise.reject(new Error("async broke"));`}))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector("#__preview-errors")?.textContent.includes("async broke")`)
}

func TestPreviewEscapesScriptText(t *testing.T) {
	s := newPreviewServer(t)
	ctx := newTab(t)
	url := s.build(t, build.Request{Language: "javascript", Code: `const p = document.createElement("p");
p.id = "out";
p.textContent = "a</script>b<!--c<script>d" + /<!--/.test("<!--");
document.body.append(p);`})
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector("#out")?.textContent === "a</script>b<!--c<script>dtrue"`)
}

func TestPreviewHTML(t *testing.T) {
	s := newPreviewServer(t)
	ctx := newTab(t)
	open(t, ctx, s.build(t, build.Request{Language: "html", Title: "ignored", Code: `<!DOCTYPE html>
<html>
<head>
  <title>Static page</title>
  <script src="https://cdn.tailwindcss.com"></script>
</head>
<body>
  <h1 id="t" class="text-3xl bg-blue-500">Hello</h1>
  <button id="b" onclick="document.getElementById('t').textContent += '!'">more</button>
  <script>document.getElementById("t").textContent += " world";</script>
</body>
</html>`}))
	waitFor(t, ctx, `document.querySelector("#t").textContent === "Hello world"`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#b"), chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector("#t").textContent === "Hello world!"`)
	waitFor(t, ctx, `getComputedStyle(document.querySelector("#t")).fontSize === "30px"`)
	if got := eval[string](t, ctx, `document.title`); got != "Static page" {
		t.Errorf("title = %q", got)
	}
	if errs := pageErrors(ctx); errs != "" {
		t.Errorf("page shows errors: %s", errs)
	}
}

func TestPreviewProject(t *testing.T) {
	s := newPreviewServer(t)
	ctx := newTab(t)
	open(t, ctx, s.build(t, build.Request{Kind: "project", Title: "Project", Files: threeFileProject()}))
	if got := eval[string](t, ctx, `document.querySelector("h1").textContent`); got != "Hello from JSON" {
		t.Errorf("h1 = %q", got)
	}
	if got := eval[string](t, ctx, `getComputedStyle(document.querySelector("h1")).color`); got != "rgb(200, 10, 20)" {
		t.Errorf("h1 color = %q, want the project's CSS", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#project-button"), chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector("#project-button").textContent === "Clicked 1"`)
}

// TestPreviewComponents renders every benchmark component and checks that
// none shows an error; some are exercised further.
func TestPreviewComponents(t *testing.T) {
	s := newPreviewServer(t)
	ctx := newTab(t)
	checks := map[string]func(t *testing.T){
		"chart-line.tsx": func(t *testing.T) {
			waitFor(t, ctx, `document.querySelectorAll("path.recharts-curve").length === 2`)
		},
		"chart-dashboard.tsx": func(t *testing.T) {
			waitFor(t, ctx, `document.querySelectorAll(".recharts-bar-rectangle").length === 7 && document.querySelectorAll(".recharts-pie-sector").length === 4`)
		},
		"todo.tsx": func(t *testing.T) {
			// A form's submit event fires under sandbox allow-forms.
			if err := chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS("#new-todo"), "Buy milk"),
				chromedp.Click(chromedp.CSS("#add"), chromedp.NodeVisible),
			); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, `document.querySelector("#todos").textContent.includes("Buy milk")`)
		},
		"form.tsx": func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#submit"), chromedp.NodeVisible)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, `document.body.textContent.includes("Name is required")`)
		},
		"tabs.jsx": func(t *testing.T) {
			waitFor(t, ctx, `document.querySelectorAll("[role=tab]").length === 3`)
		},
		"table.tsx": func(t *testing.T) {
			// twMerge keeps the last padding of conflicting classes.
			waitFor(t, ctx, `[...document.querySelectorAll("tbody span")].some((e) => e.className.includes("px-3") && !e.className.includes("px-2"))`)
		},
	}
	for _, name := range componentNames(t) {
		t.Run(name, func(t *testing.T) {
			open(t, ctx, s.build(t, build.Request{Language: languageOf(name), Title: name, Code: component(t, name)}))
			if check := checks[name]; check != nil {
				check(t)
			}
			if errs := pageErrors(ctx); errs != "" {
				t.Errorf("page shows errors: %s", errs)
			}
		})
	}
}

// TestPreviewSecondView loads a preview twice: the page is self-contained,
// so the second view is one conditional request answered 304 and nothing
// else. (Chromium keeps no HTTP cache for the subresources of an opaque-origin
// document, so a vendor file on another URL would be fetched in full again.)
func TestPreviewSecondView(t *testing.T) {
	s := newPreviewServer(t)
	ctx := newTab(t)
	url := s.build(t, build.Request{Language: "tsx", Code: component(t, "counter.tsx")})
	for range 2 {
		open(t, ctx, url)
		waitFor(t, ctx, `document.querySelector("#count")?.textContent === "0"`)
	}
	if full, notMod, other := s.full.Load(), s.notMod.Load(), s.other.Load(); full != 1 || notMod != 1 || other != 0 {
		t.Errorf("requests: %d full, %d not modified, %d other; want 1, 1, 0", full, notMod, other)
	}
}
