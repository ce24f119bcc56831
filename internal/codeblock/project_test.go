package codeblock_test

import (
	"testing"

	"github.com/zocket/agent/internal/codeblock"
)

func TestProjectEntryAndTitle(t *testing.T) {
	tests := []struct {
		name        string
		blocks      []string
		entry, titl string
	}{
		{"main before App", []string{"tsx src/App.tsx\nexport default function App() { return <p/>; }", "tsx src/main.tsx\nimport App from './App';"}, "src/main.tsx", "App"},
		{"index.html when no script entry", []string{"css style.css\np{}", "html index.html\n<title>Shop</title>"}, "index.html", "Shop"},
		{"main.py", []string{"python utils.py\ndef f(): pass", "python main.py\nimport utils"}, "main.py", "Project"},
		{"first file otherwise", []string{"go internal/a/a.go\npackage a", "go internal/b/b.go\npackage b"}, "internal/a/a.go", "Project"},
		{"root directory", []string{"jsx shop/src/App.jsx\nexport default function App() { return <p/>; }", "jsx shop/src/main.jsx\nrender()"}, "shop/src/main.jsx", "shop"},
		{"conventional root is not a title", []string{"jsx src/App.jsx\nexport default function Shop() { return <p/>; }", "jsx src/Item.jsx\nx"}, "src/App.jsx", "Shop"},
		{"package.json name", []string{"json package.json\n{\"name\": \"kanban-board\"}", "jsx src/App.jsx\nexport default function App() { return <p/>; }"}, "src/App.jsx", "kanban-board"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drafts := codeblock.Extract(fences(tt.blocks...))
			if len(drafts) != 1 || drafts[0].Type != "PROJECT" {
				t.Fatalf("got %+v, want one project", drafts)
			}
			if d := drafts[0]; d.Entry != tt.entry || d.Title != tt.titl {
				t.Errorf("entry %q title %q, want %q %q", d.Entry, d.Title, tt.entry, tt.titl)
			}
		})
	}
}

// TestEntry checks the entry rule the consolidator and the builder share,
// with the builder's cases first.
func TestEntry(t *testing.T) {
	files := func(paths ...string) []codeblock.File {
		out := make([]codeblock.File, len(paths))
		for i, p := range paths {
			out[i] = codeblock.File{Path: p, Code: "x"}
		}
		return out
	}
	vite := append(files("src/main.tsx", "src/App.tsx"), codeblock.File{Path: "index.html", Code: `<script type="module" src="/src/main.tsx"></script>`})
	tests := []struct {
		name  string
		files []codeblock.File
		want  string
	}{
		// A Vite page is not preferred to the script it loads: the golden
		// replies 07 and 32 are such projects, their entry the script.
		{"vite project", vite, "src/main.tsx"},
		{"main before App", files("src/App.tsx", "src/main.tsx"), "src/main.tsx"},
		{"index", files("src/index.tsx", "src/App.tsx"), "src/index.tsx"},
		{"App only", files("App.tsx", "Button.tsx"), "App.tsx"},
		{"one clean path", files("src/App.jsx"), "src/App.jsx"},
		{"static site", files("index.html", "style.css", "script.js"), "index.html"},
		{"only script", files("game.js", "data.json"), "game.js"},
		{"none", files("a.ts", "b.ts"), ""},
		{"App before the page", files("index.html", "src/App.jsx", "src/App.css"), "src/App.jsx"},
		{"the page before other scripts", files("src/main.ts", "index.html"), "index.html"},
		{"under a shared top-level directory", files("shop/index.html", "shop/src/main.jsx"), "shop/src/main.jsx"},
		{"not under a directory only some files share", files("shop/src/main.jsx", "shop/src/App.jsx", "README.md"), ""},
		{"root-level React entry", files("utils.ts", "main.tsx"), "main.tsx"},
		{"python", files("utils.py", "main.py"), "main.py"},
		{"Next.js page", files("app/layout.tsx", "app/page.tsx"), "app/page.tsx"},
		{"server", files("package.json", "server.js", "public/app.js"), "server.js"},
		{"no web file", files("Dockerfile", "docker-compose.yml"), ""},
		{"only page among other files", files("README.md", "page.htm", "style.css"), "page.htm"},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := codeblock.Entry(tt.files)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Entry = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}
