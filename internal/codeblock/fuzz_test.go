package codeblock_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
)

// checkInvariants checks what must hold for any text: blocks inside the
// text, in order and not overlapping; incremental scanning and
// consolidation equal to the batch results; single-block drafts keeping
// their block's code; projects with clean, distinct paths; only blank
// blocks and directory trees ignored.
func checkInvariants(t *testing.T, text string) {
	t.Helper()
	blocks := codeblock.Parse(text)
	end := 0
	for i, b := range blocks {
		if b.Start < end || b.End < b.Start || b.End > len(text) {
			t.Fatalf("block %d spans [%d, %d), after %d in a text of %d bytes", i, b.Start, b.End, end, len(text))
		}
		end = b.End
		if f := strings.TrimLeft(text[b.Start:b.End], " \t"); !strings.HasPrefix(f, "```") && !strings.HasPrefix(f, "~~~") {
			t.Fatalf("block %d does not start with a fence: %q", i, text[b.Start:b.End])
		}
		if !b.Closed && i != len(blocks)-1 {
			t.Fatalf("unterminated block %d is not the last of %d", i, len(blocks))
		}
		if codeblock.CanonicalLanguage(b.Language) != b.Language {
			t.Fatalf("block %d language %q is not canonical", i, b.Language)
		}
		if b.Path != "" && codeblock.CleanPath(b.Path) != b.Path {
			t.Fatalf("block %d path %q is not clean", i, b.Path)
		}
	}

	r := rand.New(rand.NewPCG(uint64(len(text)), 7))
	for range 4 {
		if got := scanInPieces(text, r); !equalBlocks(got, blocks) {
			t.Fatalf("Scanner over pieces differs from Parse:\n%s", cmp.Diff(blocks, got))
		}
	}

	var c codeblock.Consolidator
	sources := map[int][]codeblock.Block{}
	for _, b := range blocks {
		before := len(c.Drafts())
		i, created := c.Add(b)
		switch {
		case i == -1:
			if created || (strings.TrimSpace(b.Code) != "" && !codeblock.IsDirectoryTree(b.Code)) {
				t.Fatalf("Add ignored a block with code %q (created %v)", b.Code, created)
			}
			continue
		case created && i != before, !created && (i < 0 || i >= before):
			t.Fatalf("Add returned (%d, %v) with %d drafts before", i, created, before)
		}
		sources[i] = append(sources[i], b)
	}
	drafts := c.Drafts()
	if batch := codeblock.Extract(text); !cmp.Equal(drafts, batch) {
		t.Fatalf("incremental drafts differ from Extract:\n%s", cmp.Diff(batch, drafts))
	}
	for i, d := range drafts {
		checkDraft(t, i, d, sources[i])
	}
}

func checkDraft(t *testing.T, i int, d codeblock.Draft, sources []codeblock.Block) {
	t.Helper()
	if d.Title == "" || utf8.RuneCountInString(d.Title) > codeblock.MaxTitleLen || !utf8.ValidString(d.Title) {
		t.Fatalf("draft %d has title %q", i, d.Title)
	}
	if codeblock.CanonicalLanguage(d.Language) != d.Language {
		t.Fatalf("draft %d language %q is not canonical", i, d.Language)
	}
	if !slices.Contains([]agent.ArtifactType{agent.TypeCode, agent.TypeHTML, agent.TypeCSS, agent.TypeReact, agent.TypeJavaScript, agent.TypeTypeScript, agent.TypePython, agent.TypeProject, agent.TypeOther}, d.Type) {
		t.Fatalf("draft %d has type %q", i, d.Type)
	}
	if d.Type != agent.TypeProject {
		if d.Files != nil || d.Entry != "" {
			t.Fatalf("draft %d of type %s has files", i, d.Type)
		}
		if len(sources) == 1 && d.Code != sources[0].Code {
			t.Fatalf("draft %d made of one block changed its code:\nblock: %q\ndraft: %q", i, sources[0].Code, d.Code)
		}
		return
	}
	if len(d.Files) < 2 {
		t.Fatalf("project %d has %d files", i, len(d.Files))
	}
	seen := map[string]bool{}
	entry := false
	for _, f := range d.Files {
		if f.Path == "" || codeblock.CleanPath(f.Path) != f.Path || strings.HasPrefix(f.Path, "/") || slices.Contains(strings.Split(f.Path, "/"), "..") || strings.Contains(f.Path, `\`) {
			t.Fatalf("project %d has unclean path %q", i, f.Path)
		}
		if seen[f.Path] {
			t.Fatalf("project %d repeats path %q", i, f.Path)
		}
		seen[f.Path] = true
		if !slices.ContainsFunc(sources, func(b codeblock.Block) bool { return b.Code == f.Code }) {
			t.Fatalf("project %d file %s has code of no block", i, f.Path)
		}
		if f.Path == d.Entry {
			entry = true
			if d.Code != f.Code || d.Language != f.Language {
				t.Fatalf("project %d code is not its entry %s", i, d.Entry)
			}
		}
	}
	if !entry {
		t.Fatalf("project %d entry %q is not one of its files", i, d.Entry)
	}
}

// scanInPieces runs a Scanner over text cut at random places.
func scanInPieces(text string, r *rand.Rand) []codeblock.Block {
	var s codeblock.Scanner
	var got []codeblock.Block
	for rest := text; rest != ""; {
		n := 1 + r.IntN(min(len(rest), 64))
		got = append(got, s.Write(rest[:n])...)
		rest = rest[n:]
	}
	return append(got, s.Close()...)
}

func equalBlocks(a, b []codeblock.Block) bool {
	return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b))
}

// addSeeds adds the testdata replies and a few edge cases to a fuzz corpus.
func addSeeds(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", goldenReplies))
	if err != nil {
		f.Fatalf("list testdata: %v", err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatalf("read %s: %v", name, err)
		}
		f.Add(string(data))
	}
	for _, s := range []string{"", "```", "```\n", "~~~~\n~~~\n", "```js\n\n```", "   ```\n   a\n  ```", "```md\n```js\n```\n", "\r\n```\r\n\r\n```\r\n", "```\xff\n\xfe", "### `src/a.ts`\n\n```ts\nx\n```", "**File:** a.py\r\n```\r\n", "1. **src/a.js**\n   ```js\n   x\n", "_a/b.css_\n\n\n```css\n", "a/\n├── b.js\n│\n└── c/\n    └── d.css\nThen `d.css`:\n```css\nx\n```", "```\n|-- a.js\n`-- b/\n```\nIn `b/c.ts`, add (`d.ts`):\n```\n"} {
		f.Add(s)
	}
}

func FuzzExtract(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		checkInvariants(t, text)
	})
}

func FuzzScanner(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		want := codeblock.Parse(text)
		for _, cut := range []int{len(text) / 3, len(text) / 2, len(text) - 1} {
			if cut <= 0 || cut >= len(text) {
				continue
			}
			var s codeblock.Scanner
			got := s.Write(text[:cut])
			got = append(got, s.Write(text[cut:])...)
			got = append(got, s.Close()...)
			if !equalBlocks(got, want) {
				t.Fatalf("split at %d differs from Parse:\n%s", cut, cmp.Diff(want, got))
			}
		}
		var s codeblock.Scanner
		var got []codeblock.Block
		for i := range len(text) {
			got = append(got, s.Write(text[i:i+1])...)
		}
		got = append(got, s.Close()...)
		if !equalBlocks(got, want) {
			t.Fatalf("byte by byte differs from Parse:\n%s", cmp.Diff(want, got))
		}
	})
}

// FuzzConsolidate feeds arbitrary code, in languages that merge, straight to
// a Consolidator, to reach the import and page merging that random Markdown
// rarely does. The first block may name a file, so that the blocks after it
// may join it by their imports.
func FuzzConsolidate(f *testing.F) {
	seeds := [][7]string{
		{"", "jsx", "import React, { useState } from 'react';\nconst a = 1;", "jsx", "import { useEffect } from 'react';\nexport default function A() { return <p/>; }", "jsx", "import A from './A';\nexport default function B() { return <A/>; }"},
		{"", "tsx", "import type { FC } from 'react';\nimport * as R from 'react'", "typescript", "export interface P { a: string }", "tsx", "'use client';\nimport {\n  a, // x\n  type b,\n} from \"m\";"},
		{"", "python", "import os\nfrom typing import (\n  List,\n)\ndef f(): pass", "python", "from .f import f\nimport os, sys\nif __name__ == '__main__':\n    f()", "py", "\"\"\"\nimport x\n\"\"\"\nclass A: pass"},
		{"", "html", "<html><head><link rel=\"stylesheet\" href=\"a.css\"></head><body><script src=\"a.js\"></script></body></html>", "css", "@import url(a.css);\na{}", "javascript", "document.title = '</script>';"},
		{"", "js", "const x = require('x');\nmodule.exports = x;", "js", "`${`\nimport a from 'b'\n`}`\nexport default X;", "javascript", "import('x'); import.meta; import x = require('y');"},
		{"src/hooks/useInterval.js", "js", "export function useInterval() {}", "jsx", "import { useInterval } from './hooks/useInterval';\nexport default function Countdown() { return <p/>; }", "jsx", "import Countdown from './Countdown';\nexport default function Countdown() {}"},
		{"src/pages/App.jsx", "jsx", "import Card from '../components/Card';\nimport './index';", "jsx", "const Card = () => <p/>;\nexport default Card;", "js", "const c = require('./components/Card');\nfunction index() {}\nmodule.exports = index;"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6])
	}
	f.Fuzz(func(t *testing.T, path1, lang1, code1, lang2, code2, lang3, code3 string) {
		blocks := []codeblock.Block{
			{Language: lang1, Path: path1, Code: code1, Closed: true},
			{Language: lang2, Code: code2, Closed: true},
			{Language: lang3, Code: code3},
		}
		var c codeblock.Consolidator
		sources := map[int][]codeblock.Block{}
		for _, b := range blocks {
			before := len(c.Drafts())
			i, created := c.Add(b)
			if i == -1 {
				continue
			}
			if (created && i != before) || (!created && (i < 0 || i >= before)) {
				t.Fatalf("Add returned (%d, %v) with %d drafts before", i, created, before)
			}
			sources[i] = append(sources[i], b)
		}
		for i, d := range c.Drafts() {
			checkDraft(t, i, d, sources[i])
		}
	})
}
