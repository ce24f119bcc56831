package chat

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
)

// TestFixVersion checks which draft of a fix's reply is the new version,
// and what it holds: a single file as written, a PROJECT's files with the
// reply's in their place.
func TestFixVersion(t *testing.T) {
	project := &fixing{
		art: agent.Artifact{Title: "App", Language: "tsx", Type: agent.TypeProject, Entry: "src/App.tsx"},
		src: agent.Source{Files: []agent.SourceFile{
			{Path: "src/main.tsx", Language: "tsx", Code: "main"},
			{Path: "src/App.tsx", Language: "tsx", Code: "app"},
			{Path: "src/app.css", Language: "css", Code: "css"},
		}},
	}
	single := &fixing{art: agent.Artifact{Title: "Counter", Language: "tsx", Type: agent.TypeReact, Path: "src/Counter.tsx"}}
	file := func(p, l, c string) codeblock.File { return codeblock.File{Path: p, Language: l, Code: c} }
	tests := []struct {
		name  string
		fix   *fixing
		draft codeblock.Draft
		takes bool
		want  codeblock.Draft
	}{
		{"a component for a component", single, codeblock.Draft{Title: "Fixed", Language: "tsx", Type: agent.TypeReact, Code: "fixed"}, true,
			codeblock.Draft{Title: "Counter", Language: "tsx", Type: agent.TypeReact, Code: "fixed", Path: "src/Counter.tsx"}},
		{"a stylesheet for a component", single, codeblock.Draft{Title: "css", Language: "css", Type: agent.TypeCSS, Code: "x"}, false, codeblock.Draft{}},
		{"one file of a project", project, codeblock.Draft{Title: "App.tsx", Language: "tsx", Type: agent.TypeReact, Code: "app2", Path: "src/App.tsx"}, true,
			codeblock.Draft{Title: "App", Language: "tsx", Type: agent.TypeProject, Entry: "src/App.tsx", Code: "app2",
				Files: []codeblock.File{file("src/main.tsx", "tsx", "main"), file("src/App.tsx", "tsx", "app2"), file("src/app.css", "css", "css")}}},
		{"files of a project, one new", project, codeblock.Draft{Type: agent.TypeProject, Entry: "src/main.tsx",
			Files: []codeblock.File{file("src/app.css", "css", "css2"), file("src/util.ts", "typescript", "util")}}, true,
			codeblock.Draft{Title: "App", Language: "tsx", Type: agent.TypeProject, Entry: "src/App.tsx", Code: "app",
				Files: []codeblock.File{file("src/main.tsx", "tsx", "main"), file("src/App.tsx", "tsx", "app"), file("src/app.css", "css", "css2"), file("src/util.ts", "typescript", "util")}}},
		{"a block without a path for a project", project, codeblock.Draft{Title: "x", Language: "tsx", Type: agent.TypeReact, Code: "x"}, false, codeblock.Draft{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fix.takes(tc.draft); got != tc.takes {
				t.Fatalf("takes = %v", got)
			}
			if !tc.takes {
				return
			}
			if diff := cmp.Diff(tc.want, tc.fix.version(tc.draft)); diff != "" {
				t.Errorf("version (-want +got):\n%s", diff)
			}
		})
	}
}
