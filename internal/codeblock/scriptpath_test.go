package codeblock_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
)

// summary describes drafts in a line each: a PROJECT by its files'
// paths, a single file by its path, another draft by its type and title.
func summary(drafts []codeblock.Draft) []string {
	var out []string
	for _, d := range drafts {
		switch {
		case d.Path != "":
			out = append(out, d.Path)
			continue
		case d.Type != agent.TypeProject:
			out = append(out, string(d.Type)+" "+d.Title)
			continue
		}
		s := "PROJECT"
		for _, f := range d.Files {
			s += " " + f.Path
		}
		out = append(out, s)
	}
	return out
}

// TestPathFromImports checks which pathless JavaScript-family blocks join
// the project by their imports, and as which file.
func TestPathFromImports(t *testing.T) {
	const (
		hook      = "js src/hooks/useInterval.js\nexport function useInterval(callback, delay) {}"
		countdown = "jsx\nimport { useInterval } from './hooks/useInterval';\n\nexport default function Countdown() {\n  return <p/>;\n}"
	)
	tests := []struct {
		name   string
		blocks []string
		want   []string
	}{
		{
			name:   "a file of the project imported from one directory",
			blocks: []string{hook, countdown, "jsx src/App.jsx\nimport Countdown from './Countdown';\nexport default function App() { return <Countdown/>; }"},
			want:   []string{"PROJECT src/hooks/useInterval.js src/Countdown.jsx src/App.jsx"},
		},
		{
			name:   "the only named file imported turns it into a project",
			blocks: []string{"javascript\n// utils/slugify.js\nexport function slugify(s) { return s; }", "jsx\nimport { slugify } from './utils/slugify';\nexport default function SlugForm() { return <p/>; }"},
			want:   []string{"PROJECT utils/slugify.js SlugForm.jsx"},
		},
		{
			name:   "an earlier file imports its name",
			blocks: []string{"jsx src/App.jsx\nimport Countdown from './components/Countdown';\nexport default function App() { return <Countdown/>; }", "jsx src/main.jsx\nimport App from './App';", "jsx\nexport default function Countdown() { return <p/>; }"},
			want:   []string{"PROJECT src/App.jsx src/main.jsx src/components/Countdown.jsx"},
		},
		{
			name:   "an earlier file imports its name from a sibling directory",
			blocks: []string{"jsx src/pages/Home.jsx\nimport Card from '../components/Card';\nexport default function Home() { return <Card/>; }", "jsx\nconst Card = ({ title }) => <div>{title}</div>;\nexport default Card;"},
			want:   []string{"PROJECT src/pages/Home.jsx src/components/Card.jsx"},
		},
		{
			name:   "both kinds of tie agree",
			blocks: []string{hook, "jsx src/App.jsx\nimport Countdown from './Countdown';", countdown},
			want:   []string{"PROJECT src/hooks/useInterval.js src/App.jsx src/Countdown.jsx"},
		},
		{
			name:   "ties to two directories",
			blocks: []string{hook, "jsx src/pages/App.jsx\nimport Countdown from './Countdown';", countdown},
			want:   []string{"PROJECT src/hooks/useInterval.js src/pages/App.jsx", "REACT Countdown"},
		},
		{
			name:   "an import that two directories hold",
			blocks: []string{"js src/utils/format.js\nexport const f = 1;", "js lib/utils/format.js\nexport const f = 2;", "jsx\nimport { f } from './utils/format';\nexport default function Price() { return <p>{f}</p>; }"},
			want:   []string{"PROJECT src/utils/format.js lib/utils/format.js", "REACT Price"},
		},
		{
			name:   "a file imported only afterwards does not fold the draft in",
			blocks: []string{"js src/api.js\nexport const get = 1;", "jsx\nexport default function Countdown() { return <p/>; }", "jsx src/App.jsx\nimport Countdown from './Countdown';"},
			want:   []string{"PROJECT src/api.js src/App.jsx", "REACT Countdown"},
		},
		{
			name:   "nothing of the project imported",
			blocks: []string{hook, "jsx\nimport { useState } from 'react';\nimport { api } from '@/lib/api';\nimport Card from '../Card';\nexport default function Countdown() { return <p/>; }"},
			want:   []string{"src/hooks/useInterval.js", "REACT Countdown"},
		},
		{
			name:   "a usage snippet exports nothing",
			blocks: []string{hook, "jsx\nimport { useInterval } from './hooks/useInterval';\n\nuseInterval(() => tick(), 1000);"},
			want:   []string{"src/hooks/useInterval.js", "JAVASCRIPT JSX snippet"},
		},
		{
			name:   "a test exports nothing",
			blocks: []string{"jsx src/components/UserList.jsx\nexport default function UserList() { return <ul/>; }", "jsx\nimport { render } from '@testing-library/react';\nimport UserList from './UserList';\n\ntest('renders', () => { render(<UserList/>); });"},
			want:   []string{"src/components/UserList.jsx", "REACT JSX snippet"},
		},
		{
			name:   "a default export that is no function",
			blocks: []string{"js src/db.js\nexport const db = {};", "js\nimport express from 'express';\nimport { db } from './db';\nconst router = express.Router();\nexport default router;"},
			want:   []string{"src/db.js", "JAVASCRIPT router"},
		},
		{
			name:   "the one exported function names the file",
			blocks: []string{"ts src/utils/time.ts\nexport const second = 1000;", "typescript\nimport { second } from './utils/time';\nexport interface Options { delay: number }\nexport const useTimer = (o: Options) => second;"},
			want:   []string{"PROJECT src/utils/time.ts src/useTimer.ts"},
		},
		{
			name:   "two exported functions name no file",
			blocks: []string{"ts src/utils/time.ts\nexport const second = 1000;", "typescript\nimport { second } from './utils/time';\nexport function a() {}\nexport function b() {}"},
			want:   []string{"src/utils/time.ts", "TYPESCRIPT a"},
		},
		{
			name:   "the extension is the block's language's",
			blocks: []string{"ts src/types.ts\nexport type Note = { id: string };", "tsx\nimport type { Note } from './types';\nexport default function NoteList() { return <ul/>; }"},
			want:   []string{"PROJECT src/types.ts src/NoteList.tsx"},
		},
		{
			name:   "a file of that name with another script extension is replaced",
			blocks: []string{"js src/Counter.js\nexport default function Counter() { return null; }", "jsx src/App.jsx\nimport Counter from './Counter';", "jsx\nimport { useState } from 'react';\nexport default function Counter() { return <p/>; }"},
			want:   []string{"PROJECT src/Counter.js src/App.jsx"},
		},
		{
			name:   "a stylesheet and a directory index tie it",
			blocks: []string{"css src/App.css\np {}", "js src/components/index.js\nexport { default as Card } from './Card';", "jsx\nimport './App.css';\nimport { Card } from './components';\nfunction App() { return <Card/>; }\nexport default App;"},
			want:   []string{"PROJECT src/App.css src/components/index.js src/App.jsx"},
		},
		{
			name:   "a require ties it",
			blocks: []string{"js server/db.js\nmodule.exports = {};", "js\nconst db = require('./db');\nfunction createServer() {}\nmodule.exports = createServer;"},
			want:   []string{"PROJECT server/db.js server/createServer.js"},
		},
		{
			name:   "a block that would be a file it imports",
			blocks: []string{"jsx src/Button.jsx\nexport default function Button() { return <button/>; }", "jsx\nimport Button from './Button';\nexport default function Button() { return <button/>; }"},
			want:   []string{"src/Button.jsx", "REACT Button"},
		},
		{
			name:   "no block named a path",
			blocks: []string{"js\nexport function useInterval() {}", countdown},
			want:   []string{"REACT Countdown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summary(codeblock.Extract(fences(tt.blocks...)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("drafts mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAddJoinsByImports checks that a block joining the project by its
// imports changes the project's draft, whose index stays the same.
func TestAddJoinsByImports(t *testing.T) {
	type result struct {
		Index   int
		Created bool
	}
	blocks := []codeblock.Block{
		{Language: "js", Path: "src/hooks/useInterval.js", Code: "export function useInterval() {}", Closed: true},
		{Language: "bash", Code: "npm i", Closed: true},
		{Language: "jsx", Code: "import { useInterval } from './hooks/useInterval';\nexport default function Countdown() { return <p/>; }", Closed: true},
		{Language: "jsx", Code: "export default function Clock() { return <p/>; }", Closed: true},
	}
	want := []result{{0, true}, {1, true}, {0, false}, {2, true}}
	var c codeblock.Consolidator
	var got []result
	for _, b := range blocks {
		i, created := c.Add(b)
		got = append(got, result{i, created})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Add results mismatch (-want +got):\n%s", diff)
	}
	if d := c.Drafts()[0]; d.Type != agent.TypeProject || len(d.Files) != 2 || d.Files[1].Path != "src/Countdown.jsx" || d.Files[1].Code != blocks[2].Code {
		t.Errorf("project draft = %+v, want the hook and src/Countdown.jsx with the block's code", d)
	}
}
