package esbuild_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/build/esbuild"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/browsertest"
)

// TestMain runs the tests, or BenchmarkBuildFirstProcess's child build, and
// closes the shared Chromium.
func TestMain(m *testing.M) {
	if name := os.Getenv("BUILD_FIRST_COMPONENT"); name != "" {
		if err := firstBuildChild(name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	browsertest.Close()
	os.Exit(code)
}

// newBuilder returns a Builder over a fresh memory cache.
func newBuilder(tb testing.TB) (*esbuild.Builder, *esbuild.MemoryCache) {
	tb.Helper()
	cache := &esbuild.MemoryCache{}
	b, err := esbuild.New(esbuild.Options{PackagesDir: apitest.RequirePackages(tb), Cache: cache})
	if err != nil {
		tb.Fatal(err)
	}
	return b, cache
}

// component returns a test component's source.
func component(tb testing.TB, name string) string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "components", name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}

// componentNames lists the test components.
func componentNames(tb testing.TB) []string {
	tb.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "components"))
	if err != nil {
		tb.Fatal(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// languageOf returns the language of a test component by its extension.
func languageOf(name string) string {
	return filepath.Ext(name)[1:]
}

// threeFileProject is a project whose entry imports a component that imports
// another component, a stylesheet and JSON.
func threeFileProject() []build.File {
	return []build.File{
		{Path: "src/main.tsx", Code: `import { createRoot } from "react-dom/client";
import App from "./App";

createRoot(document.getElementById("root")!).render(<App />);
`},
		{Path: "src/App.tsx", Code: `import Button from "./Button";
import "./styles.css";
import data from "./data.json";

export default function App() {
  return (
    <main>
      <h1 className="title">{data.greeting}</h1>
      <Button label={data.button} />
    </main>
  );
}
`},
		{Path: "src/Button.tsx", Code: `import { useState } from "react";

export default function Button({ label }: { label: string }) {
  const [n, setN] = useState(0);
  return <button id="project-button" onClick={() => setN(n + 1)}>{label} {n}</button>;
}
`},
		{Path: "src/styles.css", Code: `.title { color: rgb(200, 10, 20); }
`},
		{Path: "src/data.json", Code: `{ "greeting": "Hello from JSON", "button": "Clicked" }
`},
	}
}
