package codeblock_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
)

// fences writes blocks as a reply: each given as "info\ncode".
func fences(blocks ...string) string {
	var b strings.Builder
	for _, block := range blocks {
		info, code, _ := strings.Cut(block, "\n")
		b.WriteString("Some prose.\n\n```" + info + "\n" + code + "\n```\n\n")
	}
	return b.String()
}

// TestMergeImports checks the code of a module merged from two blocks.
func TestMergeImports(t *testing.T) {
	tests := []struct {
		name   string
		blocks []string
		want   string
	}{
		{
			name: "named imports of one module merged",
			blocks: []string{
				"jsx\nimport React, { useState } from 'react';\n\nconst a = 1;",
				"jsx\nimport { useEffect } from 'react';\n\nconst b = 2;",
			},
			want: "import React, { useState, useEffect } from 'react';\n\nconst a = 1;\n\nconst b = 2;",
		},
		{
			name: "duplicates removed, default kept once, side effect once",
			blocks: []string{
				"jsx\nimport React from 'react';\nimport './App.css';\nconst a = 1;",
				"jsx\nimport React, { useState } from 'react';\nimport './App.css';\nconst b = 2;",
			},
			want: "import React, { useState } from 'react';\nimport './App.css';\n\nconst a = 1;\n\nconst b = 2;",
		},
		{
			name: "namespace import kept apart from named imports",
			blocks: []string{
				"tsx\nimport * as React from 'react';\nconst a = 1;",
				"tsx\nimport { useState } from 'react';\nconst b = 2;",
			},
			want: "import { useState } from 'react';\nimport * as React from 'react';\n\nconst a = 1;\n\nconst b = 2;",
		},
		{
			name: "namespace combined with a default",
			blocks: []string{
				"js\nimport def from 'm'\nconst a = 1",
				"js\nimport * as ns from 'm'\nconst b = 2",
			},
			want: "import def, * as ns from 'm'\n\nconst a = 1\n\nconst b = 2",
		},
		{
			name: "one local name is bound once",
			blocks: []string{
				"jsx\nimport React from 'react';\nconst a = 1;",
				"jsx\nimport * as React from 'react';\nimport type React from 'react';\nconst b = 2;",
			},
			want: "import React from 'react';\n\nconst a = 1;\n\nconst b = 2;",
		},
		{
			name: "a second default name gets its own declaration",
			blocks: []string{
				"js\nimport a from \"m\";\nx();",
				"js\nimport b from \"m\";\ny();",
			},
			want: "import a from \"m\";\nimport b from \"m\";\n\nx();\n\ny();",
		},
		{
			name: "aliases and type-only imports",
			blocks: []string{
				"tsx\nimport type { FC } from 'react';\nimport { useState as useS } from 'react';\nconst a = 1;",
				"tsx\nimport { type ReactNode, useState as useS, useRef } from 'react';\nimport type { FC } from 'react';\nconst b = 2;",
			},
			want: "import { useState as useS, type ReactNode, useRef } from 'react';\nimport type { FC } from 'react';\n\nconst a = 1;\n\nconst b = 2;",
		},
		{
			name: "multi-line imports merged and long lists wrapped",
			blocks: []string{
				"tsx\nimport {\n  Card,\n  CardHeader, // header\n  CardTitle,\n} from '@/components/ui/card';\nconst a = 1;",
				"tsx\nimport { CardContent, CardDescription, CardFooter } from '@/components/ui/card';\nconst b = 2;",
			},
			want: "import {\n  Card,\n  CardHeader,\n  CardTitle,\n  CardContent,\n  CardDescription,\n  CardFooter,\n} from '@/components/ui/card';\n\nconst a = 1;\n\nconst b = 2;",
		},
		{
			name: "local imports of names the file now declares are dropped",
			blocks: []string{
				"ts\nexport function sum(a: number, b: number) { return a + b; }",
				"ts\nimport { sum } from './math';\nimport { z } from './other';\nconsole.log(sum(1, 2), z);",
			},
			want: "import { z } from './other';\n\nexport function sum(a: number, b: number) { return a + b; }\n\nconsole.log(sum(1, 2), z);",
		},
		{
			name: "directives first, once",
			blocks: []string{
				"tsx\n\"use client\";\nimport { useState } from 'react';\nconst a = 1;",
				"tsx\n'use client'\nimport { useRef } from 'react';\nconst b = 2;",
			},
			want: "\"use client\";\n\nimport { useState, useRef } from 'react';\n\nconst a = 1;\n\nconst b = 2;",
		},
		{
			name: "imports inside template literals and comments are left alone",
			blocks: []string{
				"js\nconst src = `\nimport x from 'y';\n`;\n/*\nimport z from 'w';\n*/",
				"js\nimport a from 'a';\nrun(src);",
			},
			want: "import a from 'a';\n\nconst src = `\nimport x from 'y';\n`;\n/*\nimport z from 'w';\n*/\n\nrun(src);",
		},
		{
			name: "dynamic import and import.meta stay in place",
			blocks: []string{
				"js\nimport('./lazy.js');\nconst u = import.meta.url;",
				"js\nimport a from 'a';\nrun();",
			},
			want: "import a from 'a';\n\nimport('./lazy.js');\nconst u = import.meta.url;\n\nrun();",
		},
		{
			name: "require declarations de-duplicated",
			blocks: []string{
				"js\nconst fs = require('fs');\nconst a = 1;",
				"js\nconst fs = require('fs');\nconst path = require(\"path\");\nconst b = 2;",
			},
			want: "const fs = require('fs');\nconst path = require(\"path\");\n\nconst a = 1;\n\nconst b = 2;",
		},
		{
			name: "imports that cannot be merged safely stay in place",
			blocks: []string{
				"js\nimport data from './data.json' with { type: 'json' };\nimport a b from 'c';\nimport 1d from 'e';\nimport * from 'f';\nimport * as g, { h } from 'i';\nimport { j } k from 'l';\nimport m, n from 'o';\nimport { p as } from 'q';\nimport { r = 1 } from 's';\nimport '';\nimport t from 'u\\'v';\nimport w from 'x\nimport 'y\nimport x = require('y');\nimport { from, z }\nimport \"q",
				"js\nimport { datefrom } from 'z';\nrun();\nimport { from }",
			},
			want: "import { datefrom } from 'z';\n\nimport data from './data.json' with { type: 'json' };\nimport a b from 'c';\nimport 1d from 'e';\nimport * from 'f';\nimport * as g, { h } from 'i';\nimport { j } k from 'l';\nimport m, n from 'o';\nimport { p as } from 'q';\nimport { r = 1 } from 's';\nimport '';\nimport t from 'u\\'v';\nimport w from 'x\nimport 'y\nimport x = require('y');\nimport { from, z }\nimport \"q\n\nrun();\nimport { from }",
		},
		{
			name: "type-only default and namespace imports",
			blocks: []string{
				"ts\nimport type Stripe from 'stripe';\nimport type * as Types from './types';\nconst a = 1;",
				"ts\nimport type Stripe from 'stripe';\nconst b = 2;",
			},
			want: "import type Stripe from 'stripe';\nimport type * as Types from './types';\n\nconst a = 1;\n\nconst b = 2;",
		},
		{
			name: "imports inside template literals with escapes and nested braces are left alone",
			blocks: []string{
				"js\nconst msg = `it\\`s ${ JSON.stringify({ a: { b: 1 } }) } and\nimport fake from 'nope';\n`;\nconst q = 'it\\'s';",
				"js\nimport real from 'yes';\nrun(msg, q);",
			},
			want: "import real from 'yes';\n\nconst msg = `it\\`s ${ JSON.stringify({ a: { b: 1 } }) } and\nimport fake from 'nope';\n`;\nconst q = 'it\\'s';\n\nrun(msg, q);",
		},
		{
			name: "other string statements are not directives",
			blocks: []string{
				"js\n'use foo';\nconst a = 1;",
				"js\n'use strict';\nconst b = 2;",
			},
			want: "'use strict';\n\n'use foo';\nconst a = 1;\n\nconst b = 2;",
		},
		{
			name: "only whole-line requires of a string are merged",
			blocks: []string{
				"js\nconst mod = require(modulePath);\nconst fetch = require('node-fetch').default;\nlet cache;",
				"js\nconst fs = require('fs');\nrun();",
			},
			want: "const fs = require('fs');\n\nconst mod = require(modulePath);\nconst fetch = require('node-fetch').default;\nlet cache;\n\nrun();",
		},
		{
			name: "python imports merged per module",
			blocks: []string{
				"python\nimport os\nfrom typing import List\n\nA = 1",
				"python\nfrom __future__ import annotations\nimport os, sys\nfrom typing import Dict, List as L\nfrom typing import List\nimport numpy as np\n\nB = 2",
			},
			want: "from __future__ import annotations\nimport os\nfrom typing import List, Dict, List as L\nimport sys\nimport numpy as np\n\n\nA = 1\n\n\nB = 2",
		},
		{
			name: "python parenthesised and continued imports",
			blocks: []string{
				"python\nfrom os.path import (\n    join,  # joins\n    exists,\n)\nA = 1",
				"python\nfrom os.path import basename, \\\n    join\nB = 2",
			},
			want: "from os.path import join, exists, basename\n\n\nA = 1\n\n\nB = 2",
		},
		{
			name: "python star import kept apart",
			blocks: []string{
				"python\nfrom tkinter import *\nA = 1",
				"python\nfrom tkinter import ttk\nB = 2",
			},
			want: "from tkinter import *\nfrom tkinter import ttk\n\n\nA = 1\n\n\nB = 2",
		},
		{
			name: "python relative import of a local name dropped, docstring imports ignored",
			blocks: []string{
				"python\ndef helper():\n    \"\"\"\nimport nothing\n    \"\"\"\n    return 1",
				"python\nfrom .utils import helper\nimport json\nprint(json.dumps(helper()))",
			},
			want: "import json\n\n\ndef helper():\n    \"\"\"\nimport nothing\n    \"\"\"\n    return 1\n\n\nprint(json.dumps(helper()))",
		},
		{
			name: "python imports that cannot be merged stay in place, imports in strings are ignored",
			blocks: []string{
				"python\nDOC = \"\"\"\nnot \\\"\"\" the end\nimport fake\n\"\"\"\nimport os; import sys\nimport os.\nfrom x import (a) b\nfrom x import a, (b)\nfrom x import a as\nfrom  # unfinished\nfrom y import (c,",
				"python\nimport json\nB = 2",
			},
			want: "import json\n\n\nDOC = \"\"\"\nnot \\\"\"\" the end\nimport fake\n\"\"\"\nimport os; import sys\nimport os.\nfrom x import (a) b\nfrom x import a, (b)\nfrom x import a as\nfrom  # unfinished\nfrom y import (c,\n\n\nB = 2",
		},
		{
			name: "python relative import of a local name under an alias dropped",
			blocks: []string{
				"python\nclass T:\n    pass",
				"python\nfrom .models import Task as T\nx = T()",
			},
			want: "class T:\n    pass\n\n\nx = T()",
		},
		{
			name: "python long from-import wrapped",
			blocks: []string{
				"python\nfrom sqlalchemy import Column, Integer, String, ForeignKey\nA = 1",
				"python\nfrom sqlalchemy import DateTime, Boolean, create_engine\nB = 2",
			},
			want: "from sqlalchemy import (\n    Column,\n    Integer,\n    String,\n    ForeignKey,\n    DateTime,\n    Boolean,\n    create_engine,\n)\n\n\nA = 1\n\n\nB = 2",
		},
		{
			name: "css @import hoisted once",
			blocks: []string{
				"css\n@import url(a.css);\nb { c: d }",
				"css\n@charset \"utf-8\";\n@import url(a.css);\ne { f: g }",
			},
			want: "@import url(a.css);\n@charset \"utf-8\";\n\nb { c: d }\n\ne { f: g }",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drafts := codeblock.Extract(fences(tt.blocks...))
			if len(drafts) != 1 {
				t.Fatalf("got %d drafts, want 1: %+v", len(drafts), drafts)
			}
			if got := drafts[0].Code; got != tt.want {
				t.Errorf("merged code mismatch (-want +got):\n%s", cmp.Diff(strings.Split(tt.want, "\n"), strings.Split(got, "\n")))
			}
		})
	}
}

// TestGrouping checks which blocks end up in which drafts.
func TestGrouping(t *testing.T) {
	tests := []struct {
		name   string
		blocks []string
		want   []string // "TYPE Title" per draft
	}{
		{
			name:   "different languages stay apart",
			blocks: []string{"bash\nnpm i react", "jsx\nexport default function A() { return <p/>; }", "json\n{}"},
			want:   []string{"CODE Bash snippet", "REACT A", "CODE JSON snippet"},
		},
		{
			name:   "JavaScript and TypeScript are not merged",
			blocks: []string{"ts\nexport const a = 1;", "js\nexport const b = 2;"},
			want:   []string{"TYPESCRIPT TypeScript snippet", "JAVASCRIPT JavaScript snippet"},
		},
		{
			name:   "two default exports without a local import are two versions",
			blocks: []string{"jsx\nexport default function A() { return <p/>; }", "jsx\nexport default function B() { return <p/>; }"},
			want:   []string{"REACT A", "REACT B"},
		},
		{
			name:   "an anonymous default export cannot be demoted",
			blocks: []string{"jsx\nfunction A() { return <p/>; }\nexport default memo(A);", "jsx\nimport A from './A';\nexport default function B() { return <A/>; }"},
			want:   []string{"REACT A", "REACT B"},
		},
		{
			name:   "css joins the latest page, a module started after the page keeps it",
			blocks: []string{"html\n<p>x</p>", "tsx\nexport default function A() { return <p/>; }", "css\np { color: red }"},
			want:   []string{"HTML HTML snippet", "REACT A", "CSS CSS snippet"},
		},
		{
			name:   "module scripts do not join a page",
			blocks: []string{"html\n<p>x</p>", "js\nimport confetti from 'canvas-confetti';\nconfetti();"},
			want:   []string{"HTML HTML snippet", "JAVASCRIPT JavaScript snippet"},
		},
		{
			name:   "a complete page replaces its excerpt",
			blocks: []string{"html\n<button id=\"go\">Go</button>", "css\nbutton { color: red }", "html\n<!DOCTYPE html>\n<html><head><title>Go</title></head><body>\n<button id=\"go\">Go</button>\n</body></html>"},
			want:   []string{"HTML Go"},
		},
		{
			name:   "a second unrelated page is a new draft",
			blocks: []string{"html\n<p>one</p>", "html\n<p>two</p>"},
			want:   []string{"HTML HTML snippet", "HTML HTML snippet"},
		},
		{
			name:   "untagged code stays text",
			blocks: []string{"\nhello world", "text\nmore"},
			want:   []string{"OTHER Text snippet", "OTHER Text snippet"},
		},
		{
			name:   "blank blocks are ignored",
			blocks: []string{"js\n   ", "python\n\n\n"},
			want:   nil,
		},
		{
			name:   "a redeclared const enum is a second version",
			blocks: []string{"ts\nexport const enum Color { Red }", "ts\nexport const enum Color { Red, Green }"},
			want:   []string{"TYPESCRIPT TypeScript snippet", "TYPESCRIPT TypeScript snippet"},
		},
		{
			name:   "python main guards conflict",
			blocks: []string{"python\nif __name__ == '__main__':\n    a()", "python\nif __name__ == '__main__':\n    b()"},
			want:   []string{"PYTHON Python snippet", "PYTHON Python snippet"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range codeblock.Extract(fences(tt.blocks...)) {
				got = append(got, string(d.Type)+" "+d.Title)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("drafts mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompletePage checks that a complete document after excerpts of it
// replaces them, styles already inline included.
func TestCompletePage(t *testing.T) {
	full := "<!DOCTYPE html>\n<html>\n<head>\n<style>\n  button { color: red }\n</style>\n</head>\n<body>\n  <button>Go</button>\n</body>\n</html>"
	drafts := codeblock.Extract(fences("html\n<button>Go</button>", "css\nbutton { color: red }", "html\n"+full, "css\np { margin: 0 }"))
	if len(drafts) != 1 {
		t.Fatalf("got %d drafts, want 1", len(drafts))
	}
	want := strings.Replace(full, "</head>", "<style>\np { margin: 0 }\n</style>\n</head>", 1)
	if got := drafts[0].Code; got != want {
		t.Errorf("page code mismatch (-want +got):\n%s", cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")))
	}
}

// TestAdd checks what Add reports as blocks arrive one by one.
func TestAdd(t *testing.T) {
	type result struct {
		Index   int
		Created bool
	}
	blocks := []codeblock.Block{
		{Language: "tsx", Path: "src/App.tsx", Code: "export default function App() { return <p/>; }", Closed: true},
		{Language: "bash", Code: "npm i", Closed: true},
		{Language: "css", Path: "src/app.css", Code: "p {}", Closed: true},
		{Language: "tsx", Code: "   \n", Closed: true},
		{Language: "jsx", Code: "const a = 1;", Closed: true},
		{Language: "jsx", Code: "const b = 2;", Closed: false},
	}
	want := []result{{0, true}, {1, true}, {0, false}, {-1, false}, {2, true}, {2, false}}
	var c codeblock.Consolidator
	var got []result
	var types []agent.ArtifactType
	for _, b := range blocks {
		i, created := c.Add(b)
		got = append(got, result{i, created})
		if i >= 0 {
			types = append(types, c.Drafts()[i].Type)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Add results mismatch (-want +got):\n%s", diff)
	}
	// The first file is a single-file draft until a second file arrives.
	if diff := cmp.Diff([]agent.ArtifactType{agent.TypeReact, agent.TypeCode, agent.TypeProject, agent.TypeJavaScript, agent.TypeJavaScript}, types); diff != "" {
		t.Errorf("draft types after each Add mismatch (-want +got):\n%s", diff)
	}
	drafts := c.Drafts()
	if d := drafts[0]; d.Entry != "src/App.tsx" || len(d.Files) != 2 || d.Title != "App" {
		t.Errorf("project draft = %+v", d)
	}
	if got := drafts[2].Code; got != "const a = 1;\n\nconst b = 2;" {
		t.Errorf("unterminated block not merged: %q", got)
	}
	drafts[0].Files[0].Code = "changed"
	if c.Drafts()[0].Files[0].Code == "changed" {
		t.Error("Drafts returned files shared with the Consolidator")
	}
}

// TestAddNormalizes checks that blocks built by hand are held to what Parse
// guarantees: canonical language, clean path.
func TestAddNormalizes(t *testing.T) {
	var c codeblock.Consolidator
	c.Add(codeblock.Block{Language: "TS", Path: "../evil.ts", Code: "export const a = 1;"})
	c.Add(codeblock.Block{Language: "", Path: "./src/x.py", Code: "print(1)"})
	want := []codeblock.Draft{
		{Title: "TypeScript snippet", Language: "typescript", Type: "TYPESCRIPT", Code: "export const a = 1;"},
		{Title: "x.py", Language: "python", Type: "PYTHON", Code: "print(1)", Path: "src/x.py"},
	}
	if diff := cmp.Diff(want, c.Drafts()); diff != "" {
		t.Errorf("drafts mismatch (-want +got):\n%s", diff)
	}
}

func TestTitles(t *testing.T) {
	tests := []struct {
		name  string
		block string
		want  string
	}{
		{"default export", "jsx\nexport default function TodoApp() { return <p/>; }", "TodoApp"},
		{"default export of a name", "jsx\nconst Card = () => <p/>;\nexport default Card;", "Card"},
		{"wrapped default export", "jsx\nconst Card = () => <p/>;\nexport default React.memo(Card);", "Card"},
		{"arrow component", "tsx\nimport React from 'react';\nconst Navbar: React.FC = () => <nav/>;", "Navbar"},
		{"function component", "jsx\nfunction Sidebar() {\n  return <aside/>;\n}", "Sidebar"},
		{"plain function", "js\nconst MAX = 3;\nfunction retry(fn) {}", "retry"},
		{"default export of a name with a comment", "jsx\nconst Card = () => <p/>;\nexport default Card; // the card", "Card"},
		{"export as default", "jsx\nconst Card = () => <p/>;\nexport { Card as default };", "Card"},
		{"default export of an object", "js\nexport default { name: 'config' };", "JavaScript snippet"},
		{"wrapped default export with two arguments", "jsx\nfunction Card() { return <p/>; }\nexport default memo(Card, same);", "Card"},
		{"destructuring declares no name", "js\nconst{ a } = obj;\nfunction run() {}", "run"},
		{"no name", "js\nconsole.log(1);", "JavaScript snippet"},
		{"python class", "python\ndef helper(): pass\nclass Inventory:\n    pass", "Inventory"},
		{"python function", "python\ndef main():\n    pass\n\ndef parse_args():\n    pass", "parse_args"},
		{"html title", "html\n<html><head><title> My   <b>Page</b> </title></head></html>", "My Page"},
		{"html h1", "html\n<section><h1 class=\"x\">Pricing &amp; Plans</h1></section>", "Pricing & Plans"},
		{"header is not head", "html\n<header>x</header>", "HTML snippet"},
		{"markdown heading", "md\nintro\n# Setup Guide\n## Step", "Setup Guide"},
		{"file name", "go cmd/server/main.go\npackage main", "main.go"},
		{"control characters dropped", "html\n<title>a\x00b\x1b c</title>", "ab c"},
		{"long title cut to 100 characters", "html\n<title>" + strings.Repeat("é", 150) + "</title>", strings.Repeat("é", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drafts := codeblock.Extract(fences(tt.block))
			if len(drafts) != 1 {
				t.Fatalf("got %d drafts", len(drafts))
			}
			if got := drafts[0].Title; got != tt.want {
				t.Errorf("title = %q, want %q", got, tt.want)
			}
		})
	}
}
