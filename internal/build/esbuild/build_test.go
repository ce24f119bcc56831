package esbuild_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/build/esbuild"
	"github.com/zocket/agent/internal/devtools/apitest"
)

func TestBuild(t *testing.T) {
	b, cache := newBuilder(t)
	tests := []struct {
		name         string
		req          build.Request
		wantPackages []string
		wantInPage   []string
		wantHashes   bool
	}{
		{
			name:         "tsx counter with lucide icons",
			req:          build.Request{Language: "tsx", Title: "Counter", Code: component(t, "counter.tsx")},
			wantPackages: []string{"lucide-react", "react"},
			wantInPage:   []string{"<!doctype html>", "<title>Counter</title>", `<div id="root"></div>`, "Content-Security-Policy", "tailwindcss", "lucide"},
			wantHashes:   true,
		},
		{
			name:         "jsx without an export mounts its component",
			req:          build.Request{Language: "jsx", Code: component(t, "tabs.jsx")},
			wantPackages: []string{"lucide-react", "react"},
			wantInPage:   []string{"function Tabs", "__zocket.mount?.("},
			wantHashes:   true,
		},
		{
			name:         "recharts",
			req:          build.Request{Language: "tsx", Code: component(t, "chart-line.tsx")},
			wantPackages: []string{"react", "recharts"},
			wantInPage:   []string{`.define("recharts"`, `.define("react"`},
			wantHashes:   true,
		},
		{
			name:       "plain javascript runs without React",
			req:        build.Request{Language: "javascript", Code: `document.body.append("plain " + [1, 2, 3].map((n) => n * 2).join(","));`},
			wantInPage: []string{`"plain "`},
			wantHashes: true,
		},
		{
			name:       "script text that looks like markup stays in its element",
			req:        build.Request{Language: "javascript", Code: `document.body.append("a</script>b<!--c<script>d");`},
			wantInPage: []string{`"a<\/script>b\x3C!--c<script>d"`},
			wantHashes: true,
		},
		{
			name:       "typescript without JSX",
			req:        build.Request{Language: "ts", Code: "const n: number = 41;\ndocument.body.append(String(n + 1));\n"},
			wantInPage: []string{"n + 1"},
			wantHashes: true,
		},
		{
			name:       "html is served as written",
			req:        build.Request{Language: "html", Code: "<!DOCTYPE html>\n<html><head><title>Mine</title></head><body><h1 onclick=\"this.textContent='hi'\">Hello</h1></body></html>"},
			wantInPage: []string{"<title>Mine</title>", `<h1 onclick="this.textContent='hi'">Hello</h1>`, "<head><style>", "__zocket"},
		},
		{
			name:       "html with the Tailwind CDN gets the curated copy",
			req:        build.Request{Language: "html", Code: `<html><head><script src="https://cdn.tailwindcss.com"></script></head><body class="bg-blue-500"></body></html>`},
			wantInPage: []string{"text/tailwindcss"},
		},
		{
			name:       "css is applied to sample elements",
			req:        build.Request{Language: "css", Code: "/* .ignored */ .card { padding: .5em; color: rgb(1, 2, 3) }\n.btn-primary:hover { color: red }\n"},
			wantInPage: []string{".card { padding: .5em; color: rgb(1, 2, 3) }", `<div class="btn-primary">.btn-primary</div>`, "<h1>Heading one</h1>"},
			wantHashes: true,
		},
		{
			name:         "three-file project",
			req:          build.Request{Kind: agent.BuildProject, Files: threeFileProject()},
			wantPackages: []string{"react", "react-dom"},
			wantInPage:   []string{"Hello from JSON", "rgb(200, 10, 20)", "project-button"},
			wantHashes:   true,
		},
		{
			name: "vite project served from its index.html",
			req: build.Request{Kind: agent.BuildProject, Entry: "index.html", Files: append(threeFileProject(), build.File{
				Path: "index.html",
				Code: `<!doctype html><html><head><title>Vite app</title></head><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>`,
			})},
			wantPackages: []string{"react", "react-dom"},
			wantInPage:   []string{"<title>Vite app</title>", `<script type="module">`, "Hello from JSON", "rgb(200, 10, 20)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := b.Build(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			page, ok, err := cache.Get(context.Background(), build.PageKey(res.Key))
			if err != nil || !ok {
				t.Fatalf("page not in cache: ok=%v err=%v", ok, err)
			}
			if got, want := res.Size, len(page); got != want {
				t.Errorf("Size = %d, page has %d bytes", got, want)
			}
			if got, want := res.ContentHash, build.ContentHash(page); got != want {
				t.Errorf("ContentHash = %s, want %s", got, want)
			}
			if got, want := strings.Join(res.Packages, ","), strings.Join(tt.wantPackages, ","); got != want {
				t.Errorf("Packages = %s, want %s", got, want)
			}
			if got := len(res.ScriptHashes) > 0; got != tt.wantHashes {
				t.Errorf("ScriptHashes = %v, want some: %v", res.ScriptHashes, tt.wantHashes)
			}
			for _, h := range res.ScriptHashes {
				if !strings.Contains(string(page), h) {
					t.Errorf("page's meta policy lacks %s", h)
				}
			}
			for _, want := range tt.wantInPage {
				if !strings.Contains(string(page), want) {
					t.Errorf("page lacks %q", want)
				}
			}
			if res.Cached {
				t.Error("first build is Cached")
			}
		})
	}
}

func TestBuildFailures(t *testing.T) {
	b, _ := newBuilder(t)
	tests := []struct {
		name string
		req  build.Request
		want build.Message // the first message; zero fields are not checked
	}{
		{
			name: "syntax error",
			req:  build.Request{Language: "tsx", Code: "export default function App() {\n  const n = ;\n  return <p>{n}</p>;\n}\n"},
			want: build.Message{Text: `Unexpected ";"`, File: "App.tsx", Line: 2, Column: 12, LineText: "  const n = ;"},
		},
		{
			name: "import outside the curated set",
			req:  build.Request{Language: "jsx", Code: "import React from \"react\";\nimport pad from \"left-pad\";\nexport default () => <p>{pad(\"1\", 3)}</p>;\n"},
			want: build.Message{Text: `"left-pad"`, File: "App.jsx", Line: 2, LineText: `import pad from "left-pad";`},
		},
		{
			name: "import from the network",
			req:  build.Request{Language: "javascript", Code: "import confetti from \"https://esm.sh/canvas-confetti\";\nconfetti();\n"},
			want: build.Message{Text: "offline", File: "index.js", Line: 1},
		},
		{
			name: "unknown lucide icon",
			req:  build.Request{Language: "tsx", Code: "import { NoSuchIconAnywhere } from \"lucide-react\";\nexport default () => <NoSuchIconAnywhere />;\n"},
			want: build.Message{Text: "NoSuchIconAnywhere", File: "App.tsx", Line: 1},
		},
		{
			name: "error inside a project file",
			req: build.Request{Kind: agent.BuildProject, Files: append(threeFileProject()[:2:2],
				build.File{Path: "src/Button.tsx", Code: "export default function Button() {\n  const x = ;\n  return null;\n}\n"},
				threeFileProject()[3], threeFileProject()[4])},
			want: build.Message{File: "src/Button.tsx", Line: 2, LineText: "  const x = ;"},
		},
		{
			name: "missing project file",
			req: build.Request{Kind: agent.BuildProject, Files: []build.File{
				{Path: "src/App.tsx", Code: "import Header from \"./Header\";\nexport default () => <Header />;\n"},
			}},
			want: build.Message{Text: `"./Header"`, File: "src/App.tsx", Line: 1},
		},
		{
			name: "project without an entry",
			req:  build.Request{Kind: agent.BuildProject, Files: []build.File{{Path: "README.md", Code: "# hi"}, {Path: "notes.txt", Code: "x"}}},
			want: build.Message{Text: "no entry"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Build(context.Background(), tt.req)
			e, ok := errors.AsType[*agent.Error](err)
			if !ok || e.Code != agent.BuildFailed {
				t.Fatalf("Build error = %v, want build_failed", err)
			}
			if len(e.Details) == 0 {
				t.Fatal("build_failed has no details")
			}
			got := e.Details[0]
			if !strings.Contains(got.Text, tt.want.Text) || !strings.Contains(e.Message, got.Text) {
				t.Errorf("Text = %q (message %q), want it to contain %q", got.Text, e.Message, tt.want.Text)
			}
			if tt.want.File != "" && got.File != tt.want.File {
				t.Errorf("File = %q, want %q", got.File, tt.want.File)
			}
			if tt.want.Line != 0 && got.Line != tt.want.Line {
				t.Errorf("Line = %d, want %d", got.Line, tt.want.Line)
			}
			if tt.want.Column != 0 && got.Column != tt.want.Column {
				t.Errorf("Column = %d, want %d", got.Column, tt.want.Column)
			}
			if tt.want.LineText != "" && got.LineText != tt.want.LineText {
				t.Errorf("LineText = %q, want %q", got.LineText, tt.want.LineText)
			}
			// The details travel through the build Lambda's JSON response.
			data, err := json.Marshal(build.NewResponse(build.Result{}, e))
			if err != nil || !strings.Contains(string(data), `"text":`) {
				t.Errorf("response JSON = %s, %v", data, err)
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	b, _ := newBuilder(t)
	tests := []struct {
		name        string
		req         build.Request
		wantMessage string
	}{
		{"python", build.Request{Language: "python", Code: "print('hi')"}, "A python artifact cannot run in a browser"},
		{"go", build.Request{Language: "go", Code: "package main"}, "A go artifact cannot run in a browser"},
		{"sql", build.Request{Language: "sql", Code: "select 1"}, "A sql artifact cannot run in a browser"},
		{"python project", build.Request{Kind: agent.BuildProject, Entry: "main.py", Files: []build.File{{Path: "main.py", Code: "print(1)"}}}, "entry main.py cannot run in a browser"},
		{"no code", build.Request{Language: "tsx", Code: "  \n"}, "no code"},
		{"no language", build.Request{Code: "x"}, "no language"},
		{"unknown kind", build.Request{Kind: "zip", Code: "x", Language: "tsx"}, `Unknown build kind "zip"`},
		{"empty file path", build.Request{Kind: agent.BuildProject, Files: []build.File{{Path: " ", Code: "x"}}}, `The file path " " cannot be previewed`},
		{"file given twice", build.Request{Kind: agent.BuildProject, Files: []build.File{{Path: "a.js", Code: "x"}, {Path: "./a.js", Code: "y"}}}, "a.js is given twice"},
		{"empty project", build.Request{Kind: agent.BuildProject}, "no files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Build(context.Background(), tt.req)
			if e, ok := errors.AsType[*agent.Error](err); !ok || e.Code != agent.NotPreviewable || !strings.Contains(e.Message, tt.wantMessage) {
				t.Errorf("Build error = %v, want not_previewable saying %q", err, tt.wantMessage)
			}
		})
	}
}

func TestBuildCache(t *testing.T) {
	b, cache := newBuilder(t)
	ctx := context.Background()
	req := build.Request{Language: "tsx", Title: "Counter", Code: component(t, "counter.tsx")}

	first, err := b.Build(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	calls := b.ESBuildCalls()
	second, err := b.Build(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Cached {
		t.Error("second build is not Cached")
	}
	if got := b.ESBuildCalls(); got != calls {
		t.Errorf("a cached build ran esbuild %d times", got-calls)
	}
	if second.Key != first.Key || second.ContentHash != first.ContentHash || second.Size != first.Size {
		t.Errorf("cached result %+v differs from the first %+v", second, first)
	}
	if strings.Join(second.ScriptHashes, " ") != strings.Join(first.ScriptHashes, " ") {
		t.Error("cached result lost the script hashes")
	}

	// A new Builder over the same cache (another Lambda instance) reuses it.
	other, err := esbuild.New(esbuild.Options{PackagesDir: apitest.RequirePackages(t), Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := other.Build(ctx, req); err != nil || !res.Cached || other.ESBuildCalls() != 0 {
		t.Errorf("other builder: cached=%v esbuild=%d err=%v", res.Cached, other.ESBuildCalls(), err)
	}

	changed := req
	changed.Code = strings.Replace(req.Code, "Counter</h1>", "Counter!</h1>", 1)
	res, err := b.Build(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	if res.Key == first.Key || res.Cached {
		t.Errorf("changed code: key %s (first %s), cached %v", res.Key, first.Key, res.Cached)
	}
	retitled := req
	retitled.Title = "Other"
	if res, _ := b.Build(ctx, retitled); res.Key == first.Key {
		t.Error("a new title kept the key")
	}
}

// TestBuildConcurrent builds every component at once on a fresh Builder, so
// that the vendor chunks are prepared under contention.
func TestBuildConcurrent(t *testing.T) {
	b, _ := newBuilder(t)
	names := componentNames(t)
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for i, name := range names {
		wg.Go(func() {
			_, errs[i] = b.Build(context.Background(), build.Request{Language: languageOf(name), Code: component(t, name)})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", names[i], err)
		}
	}
}

// TestEntry builds projects without an entry: the builder takes the one
// rule of codeblock.Entry (the entry a chat artifact records), so each build
// is the build of that entry named explicitly.
func TestEntry(t *testing.T) {
	b, _ := newBuilder(t)
	const app = "export default function App() { return <p>app</p>; }\n"
	const main = "import { createRoot } from 'react-dom/client';\nimport App from './App';\ncreateRoot(document.getElementById('root')!).render(<App />);\n"
	files := func(pairs ...string) []build.File {
		var out []build.File
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, build.File{Path: pairs[i], Code: pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name  string
		files []build.File
		want  string
	}{
		{"vite project (the script, as codeblock records it)", files("index.html", `<div id="root"></div><script type="module" src="/src/main.tsx"></script>`, "src/main.tsx", main, "src/App.tsx", app), "src/main.tsx"},
		{"main before App", files("src/App.tsx", app, "src/main.tsx", main), "src/main.tsx"},
		{"index", files("src/index.tsx", main, "src/App.tsx", app), "src/index.tsx"},
		{"App only", files("App.tsx", app, "Button.tsx", "export const Button = () => <button />;\n"), "App.tsx"},
		{"leading ./", files("./src/App.jsx", "export default function App() { return null; }\n"), "src/App.jsx"},
		{"static site", files("index.html", "<h1>hi</h1>", "style.css", "h1{color:red}", "script.js", "console.log(1)"), "index.html"},
		{"only script", files("game.js", "console.log(1)", "data.json", "{}"), "game.js"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			implicit, err := b.Build(context.Background(), build.Request{Kind: agent.BuildProject, Files: tt.files})
			if err != nil {
				t.Fatal(err)
			}
			explicit, err := b.Build(context.Background(), build.Request{Kind: agent.BuildProject, Files: tt.files, Entry: tt.want})
			if err != nil {
				t.Fatal(err)
			}
			if implicit.Key != explicit.Key {
				t.Errorf("the project built without an entry is not the build of %s", tt.want)
			}
		})
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	got := build.ContentSecurityPolicy([]string{"http://localhost:3000", "bad; script-src *", " https://app.example.com "}, []string{"'sha256-abc='"})
	for _, want := range []string{
		"sandbox allow-scripts allow-forms;",
		"default-src 'none';",
		"script-src 'sha256-abc=';",
		"connect-src 'none';",
		"frame-ancestors 'self' http://localhost:3000 https://app.example.com",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("policy %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "bad") {
		t.Errorf("policy %q kept a malformed origin", got)
	}
	if got := build.ContentSecurityPolicy(nil, nil); !strings.Contains(got, "script-src 'unsafe-inline';") || !strings.HasSuffix(got, "frame-ancestors 'self'") {
		t.Errorf("policy without hashes or origins = %q", got)
	}
}

// TestResponse sends Build's answers through JSON, as the Lambda Invoke API
// does, and gets the same typed errors back.
func TestResponse(t *testing.T) {
	b, _ := newBuilder(t)
	tests := []struct {
		name  string
		req   build.Request
		check func(t *testing.T, res build.Result, err error)
	}{
		{"result", build.Request{Language: "javascript", Code: "console.log(1)"}, func(t *testing.T, res build.Result, err error) {
			if err != nil || res.Key == "" || res.Size == 0 {
				t.Errorf("got %+v, %v", res, err)
			}
		}},
		{"failure", build.Request{Language: "tsx", Code: "import x from \"left-pad\";\nconsole.log(x);"}, func(t *testing.T, _ build.Result, err error) {
			e, ok := errors.AsType[*agent.Error](err)
			if !ok || e.Code != agent.BuildFailed || e.Details[0].Line != 1 || !strings.Contains(e.Details[0].Text, "left-pad") || !strings.Contains(e.Message, "left-pad") {
				t.Errorf("got %v", err)
			}
		}},
		{"not previewable", build.Request{Language: "python", Code: "print(1)"}, func(t *testing.T, _ build.Result, err error) {
			if e, ok := errors.AsType[*agent.Error](err); !ok || e.Code != agent.NotPreviewable || !strings.Contains(e.Message, "python") {
				t.Errorf("got %v", err)
			}
		}},
		{"invalid", build.Request{Kind: "zip"}, func(t *testing.T, _ build.Result, err error) {
			if e, ok := errors.AsType[*agent.Error](err); !ok || e.Code != agent.NotPreviewable || !strings.Contains(e.Message, "zip") {
				t.Errorf("got %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(build.NewResponse(b.Build(context.Background(), tt.req)))
			if err != nil {
				t.Fatal(err)
			}
			var resp build.Response
			if err := json.Unmarshal(data, &resp); err != nil {
				t.Fatal(err)
			}
			res, err := resp.Outcome()
			tt.check(t, res, err)
		})
	}
}
