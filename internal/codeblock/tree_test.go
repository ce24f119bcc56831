package codeblock_test

import (
	"testing"

	"github.com/zocket/agent/internal/codeblock"
)

// TestDirectoryTree checks which blocks are directory trees, and that a
// tree makes no draft.
func TestDirectoryTree(t *testing.T) {
	tests := []struct {
		name, code string
		tree       bool
	}{
		{"root and branches", "my-app/\n├── index.html\n└── src/\n    └── App.jsx", true},
		{"no root", "├── index.html\n└── style.css", true},
		{"root dot", ".\n├── index.html\n└── style.css", true},
		{"root without a slash", "my-app\n└── index.html", true},
		{"root with a file emoji", "📁 my-app/\n└── 📄 index.html", true},
		{"comments", "my-app/  # the project\n├── App.jsx   # main component\n└── App.css   (styles)", true},
		{"spacer lines", "├── src/\n│   └── a.js\n│\n└── b.js", true},
		{"blank lines", "├── a.js\n\n└── b.js\n", true},
		{"single dashes", "├─ a.js\n└─ b.js", true},
		{"ASCII", "my-app/\n|-- src/\n|   `-- a.js\n`-- b.js", true},
		{"plus", "+-- a.js\n+-- b.js", true},
		{"only directories", "├── src/\n└── public/", true},
		{"an ellipsis", "├── src/\n│   └── ...\n└── b.js", true},

		{"a root alone", "my-app/", false},
		{"a plain listing", "guestbook/\n  server/index.js\n  public/index.html", false},
		{"prose above", "Here is the tree:\n├── a.js", false},
		{"code with a branch", "const a = 1;\n├── a.js", false},
		{"a branch then code", "├── a.js\nconsole.log(1)", false},
		{"a markdown table", "| a | b |\n|---|---|\n| 1 | 2 |", false},
		{"a diff", "--- a/x.js\n+++ b/x.js\n-a\n+b", false},
		{"a dash without a name", "├──\n└── a.js", false},
		{"a marker glued to the name", "├──a.js", false},
		{"blank", "  \n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codeblock.IsDirectoryTree(tt.code); got != tt.tree {
				t.Errorf("IsDirectoryTree(%q) = %v, want %v", tt.code, got, tt.tree)
			}
			drafts := codeblock.Extract(codeblock.Fenced("text", tt.code))
			if want := !tt.tree && tt.name != "blank"; (len(drafts) == 1) != want {
				t.Errorf("%d drafts, want a draft %v", len(drafts), want)
			}
		})
	}
}
