package codeblock_test

import (
	"strings"
	"testing"

	"github.com/zocket/agent/internal/codeblock"
)

func TestCanonicalLanguage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "text"},
		{"  ", "text"},
		{"text", "text"},
		{"plaintext", "text"},
		{"ts", "typescript"},
		{"TypeScript", "typescript"},
		{"js", "javascript"},
		{"JavaScript", "javascript"},
		{"node", "javascript"},
		{"mjs", "javascript"},
		{"jsx", "jsx"},
		{"tsx", "tsx"},
		{"TSX", "tsx"},
		{"py", "python"},
		{"python3", "python"},
		{"sh", "bash"},
		{"shell", "bash"},
		{"zsh", "bash"},
		{"console", "bash"},
		{"html", "html"},
		{"htm", "html"},
		{"css", "css"},
		{"scss", "scss"},
		{"json", "json"},
		{"jsonc", "json"},
		{"go", "go"},
		{"golang", "go"},
		{"sql", "sql"},
		{"postgresql", "sql"},
		{"md", "markdown"},
		{"markdown", "markdown"},
		{"yml", "yaml"},
		{"yaml", "yaml"},
		{"c++", "cpp"},
		{"cpp", "cpp"},
		{"C#", "csharp"},
		{"cs", "csharp"},
		{"rb", "ruby"},
		{"rs", "rust"},
		{"kt", "kotlin"},
		{"Dockerfile", "dockerfile"},
		{"language-js", "javascript"},
		{".python", "python"},
		{"vue", "vue"},
		{"elm", "elm"},
		{"objective-c", "objectivec"},
		{"f#", "fsharp"},
		{"weird lang", "text"},
		{"<script>", "text"},
		{"-x", "text"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "text"},
		{"日本", "text"},
	}
	for _, tt := range tests {
		if got := codeblock.CanonicalLanguage(tt.in); got != tt.want {
			t.Errorf("CanonicalLanguage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTypeFor(t *testing.T) {
	const component = "export default function App() {\n  return (\n    <div>Hi</div>\n  );\n}"
	tests := []struct{ lang, code, want string }{
		{"tsx", component, "REACT"},
		{"jsx", "const A = () => <p>a</p>;", "REACT"},
		{"jsx", "const A = () => (\n  <>\n    <p/>\n  </>\n);", "REACT"},
		{"tsx", "export type Props = { a: string };", "TYPESCRIPT"},
		{"jsx", "export const add = (a, b) => a + b;", "JAVASCRIPT"},
		{"javascript", "import React from 'react';\nexport const X = 1;", "REACT"},
		{"javascript", "import { useState } from \"react\";", "REACT"},
		{"javascript", "const { createRoot } = require('react-dom/client');", "REACT"},
		{"js", component, "REACT"},
		{"javascript", "function less(a, b) { return a < b; }", "JAVASCRIPT"},
		{"javascript", "const reactive = 'react';", "JAVASCRIPT"},
		{"javascript", "import reactive from 'reactive';", "JAVASCRIPT"},
		{"javascript", "// works without react", "JAVASCRIPT"},
		{"javascript", "document.body.innerHTML = '<p>x</p>';", "JAVASCRIPT"},
		{"javascript", "const el = React.createElement('div', null, 'x');", "REACT"},
		{"typescript", "export function sum(xs: number[]): number { return xs.reduce((a, b) => a + b, 0); }", "TYPESCRIPT"},
		{"ts", component, "REACT"},
		{"typescript", "const returned = 1;\nconst x = returned<T>;", "TYPESCRIPT"},
		{"html", "<p>x</p>", "HTML"},
		{"htm", "<p>x</p>", "HTML"},
		{"css", "a { color: red }", "CSS"},
		{"scss", "a { b { c: d } }", "CODE"},
		{"python", "print(1)", "PYTHON"},
		{"py", "print(1)", "PYTHON"},
		{"bash", "npm install", "CODE"},
		{"json", "{}", "CODE"},
		{"go", "package main", "CODE"},
		{"markdown", "# Title", "CODE"},
		{"text", "hello", "OTHER"},
		{"", "hello", "OTHER"},
	}
	for _, tt := range tests {
		if got := codeblock.TypeFor(tt.lang, tt.code); string(got) != tt.want {
			t.Errorf("TypeFor(%q, %q) = %q, want %q", tt.lang, tt.code, got, tt.want)
		}
	}
}

func TestExtension(t *testing.T) {
	tests := []struct{ in, want string }{
		{"tsx", "tsx"},
		{"jsx", "jsx"},
		{"typescript", "ts"},
		{"ts", "ts"},
		{"javascript", "js"},
		{"python", "py"},
		{"bash", "sh"},
		{"sh", "sh"},
		{"markdown", "md"},
		{"text", "txt"},
		{"", "txt"},
		{"html", "html"},
		{"css", "css"},
		{"json", "json"},
		{"go", "go"},
		{"yaml", "yml"},
		{"cpp", "cpp"},
		{"csharp", "cs"},
		{"rust", "rs"},
		{"ruby", "rb"},
		{"dockerfile", "dockerfile"},
		{"vue", "vue"},
		{"weird lang", "txt"},
		{"shell-session", "sh"},
		{"a-b", "txt"},
	}
	for _, tt := range tests {
		if got := codeblock.Extension(tt.in); got != tt.want {
			t.Errorf("Extension(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFileName(t *testing.T) {
	long := strings.Repeat("abcdefghij", 12)
	tests := []struct{ title, language, want string }{
		{"Counter", "jsx", "Counter.jsx"},
		{"Todo List App", "tsx", "Todo-List-App.tsx"},
		{"Tip Calculator", "html", "Tip-Calculator.html"},
		{"parse_args", "python", "parse_args.py"},
		{"a - b -- c", "text", "a-b-c.txt"},
		{"Café Menü", "html", "Caf-Men.html"},
		{"日本語のタイトル", "markdown", "artifact.md"},
		{"🚀 Launch 🚀", "bash", "Launch.sh"},
		{"v1.2 release notes", "markdown", "v1.2-release-notes.md"},
		{"...hidden", "dotenv", "hidden.env"},
		{".env", "dotenv", "env.env"},
		{"src/components/Button.tsx", "tsx", "src-components-Button.tsx"},
		{"../../etc/passwd", "text", "etc-passwd.txt"},
		{`C:\Users\me\notes`, "text", "C-Users-me-notes.txt"},
		{"index.html", "html", "index.html"},
		{"INDEX.HTML", "html", "INDEX.HTML"},
		{"App.tsx", "typescript", "App.tsx.ts"},
		{"styles.css", "CSS", "styles.css"},
		{"notes.", "markdown", "notes.md"},
		{"", "python", "artifact.py"},
		{"   ", "", "artifact.txt"},
		{"x", "weird lang", "x.txt"},
		{long, "go", long[:80] + ".go"},
		{strings.Repeat("a ", 60), "go", strings.TrimSuffix(strings.Repeat("a-", 40), "-") + ".go"},
		{strings.Repeat("é", 50) + "Title", "go", "Title.go"},
		{"Button.tsx", "tsx", "Button.tsx"},
		{`../../etc/passwd"; rm -rf`, "text", "etc-passwd-rm-rf.txt"},
		{"Ünïcödé title", "python", "n-c-d-title.py"},
		{"...", "javascript", "artifact.js"},
		{strings.Repeat("a", 200), "css", strings.Repeat("a", 80) + ".css"},
	}
	for _, tt := range tests {
		if got := codeblock.FileName(tt.title, tt.language); got != tt.want {
			t.Errorf("FileName(%q, %q) = %q, want %q", tt.title, tt.language, got, tt.want)
		}
	}
}
