package conversations

import (
	"strings"
	"testing"
)

func TestCloseOpenFence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"```js\nclosed\n```", "```js\nclosed\n```"},
		{"cut off:\n```tsx\nexport default", "cut off:\n```tsx\nexport default\n```"},
		{"~~~~python\nprint(1)", "~~~~python\nprint(1)\n~~~~"},
		{"  ````md\n```js\nx\n```", "  ````md\n```js\nx\n```\n````"},
	}
	for _, tt := range tests {
		if got := closeOpenFence(tt.in); got != tt.want {
			t.Errorf("closeOpenFence(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	doc := Export{Messages: []ExportMessage{
		{Role: "ASSISTANT", Content: "partial:\n```tsx\nconst a = 1", Artifacts: []ExportArtifact{{Title: "T", Language: "go", Code: "package main"}}},
	}}
	md := Markdown(doc)
	if !strings.Contains(md, "const a = 1\n```\n") || !strings.Contains(md, "```go\npackage main\n```") {
		t.Errorf("markdown:\n%s", md)
	}
}
