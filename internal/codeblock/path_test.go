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
// an opening fence, a line that is only a path or a sentence with a path
// in a code span, and the lines that name none.
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

		{"a path in a sentence", "Create `src/App.tsx`:\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"then create", "Then create `js/app.js`:\n```js\nx\n```", "javascript", "js/app.js"},
		{"add this to", "Add this to `src/utils/format.ts`:\n```ts\nx\n```", "typescript", "src/utils/format.ts"},
		{"a path at the start of a sentence", "In `server/index.js`, replace the handler:\n```js\nx\n```", "javascript", "server/index.js"},
		{"a sentence in a list item", "2. Replace `src/App.js` with the quote component:\n   ```jsx\n   x\n   ```", "jsx", "src/App.js"},
		{"a path and a description", "### `src/App.tsx` (the main component)\n```tsx\nx\n```", "tsx", "src/App.tsx"},
		{"a bold code path and a remark", "**`src/App.jsx`** (no changes needed):\n```jsx\nx\n```", "jsx", "src/App.jsx"},
		{"double backticks in a sentence", "Then create ``src/a.js``:\n```js\nx\n```", "javascript", "src/a.js"},
		{"the one path of the block's family", "Add `express` to `package.json`, then create `server/app.js`:\n```js\nx\n```", "javascript", "server/app.js"},
		{"a relative import is of another family", "Update `src/App.jsx` to import `./App.css`:\n```jsx\nx\n```", "jsx", "src/App.jsx"},
		{"an untagged block takes the path's language", "Then create `src/a.ts`:\n```\nx\n```", "typescript", "src/a.ts"},
		{"a bare file name in a heading of code", "### `package.json`\n```json\n{}\n```", "json", "package.json"},
		{"a bare file name above JSON", "1. Create `package.json`:\n```json\n{}\n```", "json", "package.json"},
		{"a bare dotenv file", "Create a `.env` file:\n```bash\nPORT=3000\n```", "bash", ".env"},
		{"a bare Dockerfile", "Add a `Dockerfile`:\n```dockerfile\nFROM node\n```", "dockerfile", "Dockerfile"},
		{"a plain-text file in a sentence", "Save it as `requirements.txt`.\n```text\nflask\n```", "text", "requirements.txt"},
		{"a bare Python file", "Save it as `app.py`:\n```python\nx\n```", "python", "app.py"},

		{"prose ending with a colon", "Here is the component:\n```tsx\nx\n```", "tsx", ""},
		{"heading that is not a path", "### Usage\n```tsx\nx\n```", "tsx", ""},
		{"a path in a bold sentence", "**Update src/App.tsx:**\n```tsx\nx\n```", "tsx", ""},
		{"a heading describing a path", "### 2. The App Component (`src/App.tsx`)\n```tsx\nx\n```", "tsx", ""},
		{"a path in parentheses", "The page (`public/index.html`):\n```html\n<p>\n```", "html", ""},
		{"a command", "Run `npm install` first:\n```bash\nnpm install\n```", "bash", ""},
		{"a command naming a file", "Run `node server.js`:\n```bash\nnode server.js\n```", "bash", ""},
		{"npm start", "Run `npm start`:\n```bash\nnpm start\n```", "bash", ""},
		{"an identifier", "Use `useState`:\n```jsx\nx\n```", "jsx", ""},
		{"a member", "Wrap it in `React.memo`:\n```jsx\nx\n```", "jsx", ""},
		{"a module", "`App.tsx` imports `./utils`:\n```ts\nx\n```", "typescript", ""},
		{"two paths of the block's family", "Move the hook from `src/App.jsx` to `src/hooks/useTimer.js`:\n```js\nx\n```", "javascript", ""},
		{"a path of another family in a sentence", "The types live in `src/db.ts`:\n```bash\nnpm i\n```", "bash", ""},
		{"a plain-text file above a command", "Add `flask` to `requirements.txt`, then install it:\n```bash\npip install -r requirements.txt\n```", "bash", ""},
		{"a url", "Open `http://localhost:3000/app.js`:\n```js\nx\n```", "javascript", ""},
		{"an absolute route", "Call `/api/items.json`:\n```json\n{}\n```", "json", ""},
		{"a glob in a sentence", "Match `src/**/*.ts`:\n```ts\nx\n```", "typescript", ""},
		{"an unclosed code span", "Then create `src/a.js:\n```js\nx\n```", "javascript", ""},
		{"a list of files", "Keep `a.json`, `b.json`, `c.json`, `d.json` and `e.json`:\n```json\n{}\n```", "json", ""},
		{"a bare file name in a sentence above CSS", "Add the base styles to `ProfileCard.css`:\n```css\na{}\n```", "css", ""},
		{"a bare file name in a sentence above HTML", "Add a mount point to your `index.html`:\n```html\n<div id=\"root\"></div>\n```", "html", ""},
		{"a path then a dash", "**src/App.tsx** - the main component\n```tsx\nx\n```", "tsx", ""},
		{"a bare file name", "**index.html**\n```html\n<p>\n```", "html", ""},
		{"a bare file name in a heading", "### `App.jsx`\n```jsx\nx\n```", "jsx", ""},
		{"a bare file name above an untagged block", "`script.js`:\n```\nx\n```", "text", ""},
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

// TestPathsInReply checks what the blocks of a reply show of its files: a
// file name without a directory above HTML, CSS or JavaScript counts once
// a block has named a path, or when a directory tree before it lists the
// file, which then gives its directory.
func TestPathsInReply(t *testing.T) {
	tests := []struct {
		name, text string
		paths      []string
	}{
		{"a bare name after a path", "Create `package.json`:\n```json\n{}\n```\nThen `index.html`:\n```html\n<p>\n```", []string{"package.json", "index.html"}},
		{"a bold bare name after a path", "**src/a.js**\n```js\na\n```\n**b.js**\n```js\nb\n```", []string{"src/a.js", "b.js"}},
		{"a bare name before any path", "Start with `index.html`:\n```html\n<p>\n```\nThen create `js/app.js`:\n```js\nx\n```", []string{"", "js/app.js"}},
		{"a path of another block does not name a later one", "**src/a.js**\n```js\na\n```\nAnd the styles:\n```css\nb{}\n```", []string{"src/a.js", ""}},
		{"a tree gives a listed name its directory", "```\nmy-app/\n├── index.html\n└── css/\n    └── style.css\n```\n### `style.css`\n```css\na{}\n```", []string{"", "css/style.css"}},
		{"a tree tagged bash, with comments and a spacer", "```bash\nflash/\n├── package.json      # deps\n├── src/\n│   ├── App.jsx       # Main component\n│   └── App.css\n│\n└── index.html\n```\n#### `App.css`\n```css\na{}\n```", []string{"", "src/App.css"}},
		{"an ASCII tree", "```\nmy-app/\n|-- index.html\n`-- js/\n    `-- app.js\n```\n### `app.js`\n```js\nx\n```", []string{"", "js/app.js"}},
		{"a tree without a root", "```text\n├── index.html\n└── js/\n    └── app.js\n```\nThen create `app.js`:\n```js\nx\n```", []string{"", "js/app.js"}},
		{"a tree drawn in the prose", "my-app/\n├── index.html\n└── js/\n    └── app.js\n\nThen create `app.js`:\n```js\nx\n```", []string{"js/app.js"}},
		{"a label takes the tree's directory", "```\n.\n└── src/\n    └── App.css\n```\nFile: App.css\n```css\na{}\n```", []string{"", "src/App.css"}},
		{"the project folder kept when a block names it", "```\nmy-app/\n└── src/\n    ├── App.jsx\n    └── App.css\n```\n**my-app/src/App.jsx**\n```jsx\nx\n```\n**App.css**\n```css\na{}\n```", []string{"", "my-app/src/App.jsx", "my-app/src/App.css"}},
		{"a conventional root kept", "```\nsrc/\n├── App.jsx\n└── App.css\n```\n`App.css`:\n```css\na{}\n```", []string{"", "src/App.css"}},
		{"a name the tree lists twice", "```\n├── client/\n│   └── index.js\n└── server/\n    └── index.js\n```\n### `index.js`\n```js\nx\n```", []string{"", ""}},
		{"a tree after the block", "`style.css`:\n```css\na{}\n```\n```\n├── index.html\n└── style.css\n```", []string{"", ""}},
		{"a tree names no block itself", "### `src/App.jsx`\n```\nsrc/\n└── App.jsx\n```\n### `main.jsx`\n```jsx\nx\n```", []string{"", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, b := range codeblock.Parse(tt.text) {
				got = append(got, b.Path)
			}
			if !slices.Equal(got, tt.paths) {
				t.Errorf("%q: paths %q, want %q", tt.text, got, tt.paths)
			}
		})
	}
}
