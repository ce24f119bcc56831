package codeblock_test

import (
	"slices"
	"testing"

	"github.com/zocket/agent/internal/codeblock"
)

// TestBlockPath checks the language and path read from info strings and
// first-line comments.
func TestBlockPath(t *testing.T) {
	tests := []struct {
		name, info, code string
		lang, path       string
	}{
		{"language only", "tsx", "x", "tsx", ""},
		{"language and path", "tsx src/App.tsx", "x", "tsx", "src/App.tsx"},
		{"title attribute", `tsx title="App.tsx"`, "x", "tsx", "App.tsx"},
		{"title attribute that is not a file", `tsx title="Counter component"`, "x", "tsx", ""},
		{"filename attribute", "tsx filename=App.tsx", "x", "tsx", "App.tsx"},
		{"file attribute in single quotes", "js file='lib/a.js'", "x", "javascript", "lib/a.js"},
		{"explicit attribute wins", `jsx title="Other.jsx" file=src/A.jsx`, "x", "jsx", "src/A.jsx"},
		{"language colon path", "jsx:src/App.jsx", "x", "jsx", "src/App.jsx"},
		{"language colon attribute", "jsx:title=src/App.jsx", "x", "jsx", "src/App.jsx"},
		{"path only, language from extension", "src/App.tsx", "x", "tsx", "src/App.tsx"},
		{"file name only", "main.py", "x", "python", "main.py"},
		{"pandoc class", "{.python}", "x", "python", ""},
		{"pandoc class with attributes", `{.js file="a.js" .numberLines}`, "x", "javascript", "a.js"},
		{"pandoc bare language", "{python}", "x", "python", ""},
		{"line highlights", "tsx {1,3-4}", "x", "tsx", ""},
		{"line highlights glued", "tsx{1,3}", "x", "tsx", ""},
		{"bare word is not a path", "bash npm", "x", "bash", ""},
		{"dotted language is not a path", "c++", "x", "cpp", ""},
		{"Dockerfile", "Dockerfile", "FROM x", "dockerfile", ""},
		{"dockerfile path", "dockerfile docker/Dockerfile", "FROM x", "dockerfile", "docker/Dockerfile"},
		{"dotenv", "bash .env", "A=1", "bash", ".env"},
		{"clean ./", "ts ./src//util.ts", "x", "typescript", "src/util.ts"},
		{"parenthesised path", "tsx (src/App.tsx)", "x", "tsx", "src/App.tsx"},
		{"next.js route", "tsx app/[id]/page.tsx", "x", "tsx", "app/[id]/page.tsx"},
		{"next.js dynamic page", "tsx [slug].tsx", "x", "tsx", "[slug].tsx"},
		{"quoted path", "tsx 'src/App.tsx',", "x", "tsx", "src/App.tsx"},

		{"comment file label", "tsx", "// file: src/App.tsx\nexport {}", "tsx", "src/App.tsx"},
		{"comment File label with extra words", "tsx", "// File: src/App.tsx (updated)\nx", "tsx", "src/App.tsx"},
		{"bare comment path", "tsx", "// src/App.tsx\nx", "tsx", "src/App.tsx"},
		{"bare comment that is prose", "js", "// App component\nx", "javascript", ""},
		{"bare comment without extension", "js", "// src/components\nx", "javascript", ""},
		{"bare comment with unknown extension", "js", "// e.g.Usage\nx", "javascript", ""},
		{"block comment", "css", "/* file: styles/main.css */\na{}", "css", "styles/main.css"},
		{"bare block comment", "css", "/** main.css **/\na{}", "css", "main.css"},
		{"hash comment", "python", "# file: main.py\nprint()", "python", "main.py"},
		{"bare hash comment", "python", "# main.py\nprint()", "python", "main.py"},
		{"hash in markdown is a heading", "markdown", "# README.md\ntext", "markdown", ""},
		{"html comment", "html", "<!-- file: index.html -->\n<p>", "html", "index.html"},
		{"bare html comment", "html", "<!-- public/index.html -->\n<p>", "html", "public/index.html"},
		{"sql comment", "sql", "-- schema.sql\nCREATE", "sql", "schema.sql"},
		{"after a shebang", "bash", "#!/bin/bash\n# file: scripts/run.sh\nls", "bash", "scripts/run.sh"},
		{"after a directive", "tsx", "'use client';\n// app/page.tsx\nx", "tsx", "app/page.tsx"},
		{"after blank lines", "go", "\n\n// cmd/api/main.go\npackage main", "go", "cmd/api/main.go"},
		{"only the first line counts", "js", "const a = 1;\n// file: a.js", "javascript", ""},
		{"unclosed html comment", "html", "<!-- file: index.html\n<p>", "html", ""},
		{"unclosed block comment", "css", "/* file: a.css\na{}", "css", ""},
		{"label without a path", "js", "// file:\nx", "javascript", ""},
		{"language from comment path", "", "// src/App.jsx\nx", "jsx", "src/App.jsx"},
		{"info wins over comment", "tsx a.tsx", "// file: b.tsx\nx", "tsx", "a.tsx"},
		{"url is not a path", "js", "// https://example.com/app.js\nx", "javascript", ""},
		{"include is not a path", "c", "#include <stdio.h>\nint main;", "c", ""},
		{"css id selector is not a path", "css", "#main.css {}\n", "css", ""},

		{"traversal in info", "js ../../etc/passwd.js", "x", "javascript", ""},
		{"traversal inside path", "ts src/../../x.ts", "x", "typescript", ""},
		{"traversal in comment", "js", "// file: ../secret.js\nx", "javascript", ""},
		{"absolute path", "python /etc/main.py", "x", "python", ""},
		{"home path", "python ~/main.py", "x", "python", ""},
		{"backslashes", "js", "// file: src\\app.js\nx", "javascript", ""},
		{"drive letter", "js file=C:/app.js", "x", "javascript", ""},
		{"directory", "js file=src/", "x", "javascript", ""},
		{"dot", "js file=.", "x", "javascript", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := codeblock.Parse("```" + tt.info + "\n" + tt.code + "\n```\n")
			if len(blocks) != 1 {
				t.Fatalf("Parse returned %d blocks", len(blocks))
			}
			if b := blocks[0]; b.Language != tt.lang || b.Path != tt.path {
				t.Errorf("info %q, code %q: got language %q path %q, want %q %q", tt.info, tt.code, b.Language, b.Path, tt.lang, tt.path)
			}
		})
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"src/App.tsx", "src/App.tsx"},
		{"./src/App.tsx", "src/App.tsx"},
		{"src//App.tsx", "src/App.tsx"},
		{"src/./App.tsx", "src/App.tsx"},
		{".env", ".env"},
		{"app/(auth)/login/page.tsx", "app/(auth)/login/page.tsx"},
		{"app/[...slug]/page.tsx", "app/[...slug]/page.tsx"},
		{"v1..2.txt", "v1..2.txt"},
		{"", ""},
		{".", ""},
		{"./", ""},
		{"/etc/passwd", ""},
		{"../x", ""},
		{"a/../b", ""},
		{"a/..", ""},
		{"..", ""},
		{`a\b.js`, ""},
		{"C:/x.js", ""},
		{"a b.js", ""},
		{"a\tb.js", ""},
		{"a\x00b", ""},
		{"~/x", ""},
		{"src/", ""},
		{"a\"b", ""},
		{"\xff.js", ""},
	}
	for _, tt := range tests {
		if got := codeblock.CleanPath(tt.in); got != tt.want {
			t.Errorf("CleanPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestPathBeforeFence checks the paths read from the line of prose before
// an opening fence, and the lines that name none.
func TestPathBeforeFence(t *testing.T) {
	tests := []struct {
		name, text string
		lang, path string
	}{
		{"plain path", "src/App.tsx\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"heading", "### src/App.tsx\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"level one heading", "# src/App.tsx\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"level six heading", "###### src/App.tsx\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"heading with closing hashes", "## src/App.tsx ##\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"heading of code", "### `src/App.tsx`\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"numbered heading", "### 2. `src/App.tsx`\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"heading with a file emoji", "## 📄 src/App.tsx\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"file emoji with a variation selector", "🗂️ `src/App.tsx`\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"bold", "**src/App.tsx**\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"bold with underscores", "__src/App.tsx__\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"italic", "*src/App.tsx*\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"italic with an underscore", "_src/App.tsx_\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"underscores in the path are kept", "**app/__init__.py**\n```python\nx\n```", "python", "app/__init__.py"},
		{"inline code", "`src/App.tsx`\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"inline code and a colon", "`src/App.tsx`:\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"double backticks", "``src/App.tsx``\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"bold code and a colon", "**`src/App.tsx`**:\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"colon inside bold code", "**`src/App.tsx`:**\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"label", "File: src/App.tsx\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"filename label", "Filename: src/App.tsx\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"path label", "Path: src/App.tsx\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"file path label", "File path: `src/App.tsx`\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"bold label and code", "**File:** `src/App.tsx`\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"label inside bold", "**File: src/App.tsx**\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"bold label before its colon", "**File**: `src/App.tsx`\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"heading with a label", "### File: `src/App.tsx`\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"label with a bare file name", "**File:** `index.html`\n```html\n<p>\n```", "html", "index.html"},
		{"label with a known file name", "Filename: Dockerfile\n```dockerfile\nFROM x\n```", "dockerfile", "Dockerfile"},
		{"numbered list item", "1. **src/App.tsx**\n   ```tsx\n   x\n   ```", "tsx", "src/App.tsx"},
		{"list item with a parenthesis", "2) `src/App.tsx`:\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"bulleted list item", "- `src/App.tsx`\n  ```tsx\n  x\n  ```", "tsx", "src/App.tsx"},
		{"star list item of italic", "* *src/App.tsx*\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"one blank line between", "### src/App.tsx\n\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"blank line of spaces", "### src/App.tsx\n   \n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"CRLF", "**src/App.tsx**\r\n\r\n```tsx\r\nx\r\n```", "tsx", "src/App.tsx"},
		{"after prose", "Two files.\n\n**src/App.tsx**\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"language from the path", "**src/App.tsx**\n```\nx\n```", "tsx", "src/App.tsx"},
		{"jsx path over javascript", "**src/App.jsx**\n```javascript\nx\n```", "javascript", "src/App.jsx"},
		{"scss path over css", "**src/App.scss**\n```css\na{}\n```", "css", "src/App.scss"},
		{"env path over bash", "File: .env\n```bash\nA=1\n```", "bash", ".env"},
		{"plain text path over anything", "**app/requirements.txt**\n```python\nflask\n```", "python", "app/requirements.txt"},
		{"cleaned", "**./src//App.tsx**\n```tsx\nx\n```", "tsx", "src/App.tsx"},

		{"info string wins", "**src/Other.tsx**\n```tsx src/App.tsx\nx\n```", "tsx", "src/App.tsx"},
		{"first-line comment wins", "**File:** `App.tsx`\n```tsx\n// src/App.tsx\nx\n```", "tsx", "src/App.tsx"},

		{"prose ending with a colon", "Here is the component:\n```tsx\nx\n```", "tsx", ""},
		{"heading that is not a path", "### Usage\n```tsx\nx\n```", "tsx", ""},
		{"a path in a sentence", "Create `src/App.tsx`:\n```tsx\nx\n```", "tsx", ""},
		{"a path in a bold sentence", "**Update src/App.tsx:**\n```tsx\nx\n```", "tsx", ""},
		{"a path and a description", "### `src/App.tsx` (the main component)\n```tsx\nx\n```", "tsx", ""},
		{"a heading describing a path", "### 2. The App Component (`src/App.tsx`)\n```tsx\nx\n```", "tsx", ""},
		{"a path then a dash", "**src/App.tsx** - the main component\n```tsx\nx\n```", "tsx", ""},
		{"a bare file name", "**index.html**\n```html\n<p>\n```", "html", ""},
		{"a bare file name in a heading", "### `App.jsx`\n```jsx\nx\n```", "jsx", ""},
		{"a library's name", "### Node.js\n```js\nx\n```", "javascript", ""},
		{"a directory", "**src/components/**\n```tsx\nx\n```", "tsx", ""},
		{"no known extension", "**src/components**\n```tsx\nx\n```", "tsx", ""},
		{"another language family", "### `src/db.ts`\n```bash\nnpm i x\n```", "bash", ""},
		{"a diff of the file", "**src/App.tsx**\n```diff\n-a\n+b\n```", "diff", ""},
		{"markdown path over json", "**docs/README.md**\n```json\n{}\n```", "json", ""},
		{"two blank lines between", "### src/App.tsx\n\n\n```tsx\nx\n```", "tsx", ""},
		{"prose in between", "### src/App.tsx\nThe component:\n```tsx\nx\n```", "tsx", ""},
		{"hash without a blank is no heading", "#src/App.tsx\n```tsx\nx\n```", "tsx", ""},
		{"seven hashes are no heading", "####### src/App.tsx\n```tsx\nx\n```", "tsx", ""},
		{"unknown label", "Component: src/App.tsx\n```tsx\nx\n```", "tsx", ""},
		{"url", "https://example.com/src/app.js\n```js\nx\n```", "javascript", ""},
		{"traversal", "**../src/App.tsx**\n```tsx\nx\n```", "tsx", ""},
		{"absolute", "File: /etc/app.py\n```python\nx\n```", "python", ""},
		{"glob", "**src/**/*.tsx**\n```tsx\nx\n```", "tsx", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := codeblock.Parse(tt.text)
			if len(blocks) != 1 {
				t.Fatalf("Parse returned %d blocks", len(blocks))
			}
			if b := blocks[0]; b.Language != tt.lang || b.Path != tt.path {
				t.Errorf("%q: got language %q path %q, want %q %q", tt.text, b.Language, b.Path, tt.lang, tt.path)
			}
		})
	}
}

// TestPathBeforeLaterFences checks that the line before a fence names only
// that block: not one after its closing fence, nor one after more prose.
func TestPathBeforeLaterFences(t *testing.T) {
	text := "**src/a.js**\n```js\na\n```\n```js\nb\n```\n\n**src/c.js**\n```js\nc\n```\nDone.\n```js\nd\n```\n"
	var got []string
	for _, b := range codeblock.Parse(text) {
		got = append(got, b.Path)
	}
	if want := []string{"src/a.js", "", "src/c.js", ""}; !slices.Equal(got, want) {
		t.Errorf("paths %q, want %q", got, want)
	}
}
