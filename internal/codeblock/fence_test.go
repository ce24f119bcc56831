package codeblock_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zocket/agent/internal/codeblock"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []codeblock.Block
	}{
		{
			name: "none",
			text: "Just prose with `inline code`.\n",
			want: nil,
		},
		{
			name: "simple",
			text: "Hi\n```js\nlet a = 1;\n```\nBye\n",
			want: []codeblock.Block{{Language: "javascript", Info: "js", Code: "let a = 1;", Start: 3, End: 23, Closed: true}},
		},
		{
			name: "a tab wider than the fence's indentation is kept",
			text: " ```\n\tx\n ```\n",
			want: []codeblock.Block{{Language: "text", Code: "\tx", Start: 0, End: 12, Closed: true}},
		},
		{
			name: "closing fence at end of text without newline",
			text: "```py\nx = 1\n```",
			want: []codeblock.Block{{Language: "python", Info: "py", Code: "x = 1", Start: 0, End: 15, Closed: true}},
		},
		{
			name: "empty block",
			text: "```\n```\n",
			want: []codeblock.Block{{Language: "text", Code: "", Start: 0, End: 7, Closed: true}},
		},
		{
			name: "blank lines are kept except the line break before the fence",
			text: "```\n\na\n\n```",
			want: []codeblock.Block{{Language: "text", Code: "\na\n", Start: 0, End: 11, Closed: true}},
		},
		{
			name: "tildes with backticks in the info string",
			text: "~~~ js `x`\n```\n~~~\n",
			want: []codeblock.Block{{Language: "javascript", Info: "js `x`", Code: "```", Start: 0, End: 18, Closed: true}},
		},
		{
			name: "backtick info string with a backtick is not a fence",
			text: "```js`\nnot code\n",
			want: nil,
		},
		{
			name: "closing fence must be at least as long",
			text: "````\n```\n`````\n",
			want: []codeblock.Block{{Language: "text", Code: "```", Start: 0, End: 14, Closed: true}},
		},
		{
			name: "closing fence must use the same character",
			text: "```\n~~~\n```\n",
			want: []codeblock.Block{{Language: "text", Code: "~~~", Start: 0, End: 11, Closed: true}},
		},
		{
			name: "text after a closing fence makes it content",
			text: "```\n``` x\n```  \n",
			want: []codeblock.Block{{Language: "text", Code: "``` x", Start: 0, End: 15, Closed: true}},
		},
		{
			name: "two backticks are not a fence",
			text: "``\ncode\n``\n",
			want: nil,
		},
		{
			name: "unterminated",
			text: "```go\npackage main\n\nfunc main() {\n",
			want: []codeblock.Block{{Language: "go", Info: "go", Code: "package main\n\nfunc main() {", Start: 0, End: 33, Closed: false}},
		},
		{
			name: "unterminated right after the opening fence",
			text: "text\n```tsx",
			want: []codeblock.Block{{Language: "tsx", Info: "tsx", Code: "", Start: 5, End: 11, Closed: false}},
		},
		{
			name: "CRLF line endings",
			text: "a\r\n```css\r\nb {}\r\nc {}\r\n```\r\n",
			want: []codeblock.Block{{Language: "css", Info: "css", Code: "b {}\nc {}", Start: 3, End: 26, Closed: true}},
		},
		{
			name: "indentation of the opening fence is removed from content",
			text: "1. Run:\n   ```bash\n   npm i\n     --save\n  x\n   ```\n",
			want: []codeblock.Block{{Language: "bash", Info: "bash", Code: "npm i\n  --save\nx", Start: 8, End: 50, Closed: true}},
		},
		{
			name: "deeply indented fence in a nested list",
			text: "- a\n  - b\n      ```js\n      f()\n      ```\n",
			want: []codeblock.Block{{Language: "javascript", Info: "js", Code: "f()", Start: 10, End: 41, Closed: true}},
		},
		{
			name: "closing fence indented too deep is content",
			text: "```\n    ```\n```\n",
			want: []codeblock.Block{{Language: "text", Code: "    ```", Start: 0, End: 15, Closed: true}},
		},
		{
			name: "tab indentation",
			text: "\t```sh\n\techo hi\n\t```\n",
			want: []codeblock.Block{{Language: "bash", Info: "sh", Code: "echo hi", Start: 0, End: 20, Closed: true}},
		},
		{
			name: "longer fence holds shorter ones",
			text: "````md\n```js\nx\n```\n````\n",
			want: []codeblock.Block{{Language: "markdown", Info: "md", Code: "```js\nx\n```", Start: 0, End: 23, Closed: true}},
		},
		{
			name: "markdown block nests fences of the same length that have an info string",
			text: "```markdown\n# T\n```bash\nls\n```\nend\n```\nafter\n",
			want: []codeblock.Block{{Language: "markdown", Info: "markdown", Code: "# T\n```bash\nls\n```\nend", Start: 0, End: 38, Closed: true}},
		},
		{
			name: "other languages follow CommonMark: an inner info fence is content",
			text: "```python\ns = '''\n```js\n'''\n```\n",
			want: []codeblock.Block{{Language: "python", Info: "python", Code: "s = '''\n```js\n'''", Start: 0, End: 31, Closed: true}},
		},
		{
			name: "several blocks",
			text: "```a\n1\n```\ntext\n~~~b\n2\n~~~\n",
			want: []codeblock.Block{
				{Language: "a", Info: "a", Code: "1", Start: 0, End: 10, Closed: true},
				{Language: "b", Info: "b", Code: "2", Start: 16, End: 26, Closed: true},
			},
		},
		{
			name: "multi-byte text around a block",
			text: "é ✓\n```\n日本\n```\n",
			want: []codeblock.Block{{Language: "text", Code: "日本", Start: 7, End: 21, Closed: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codeblock.Parse(tt.text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

// TestScannerEveryCut splits every testdata reply in two at every byte
// offset, and byte by byte, and checks the blocks equal Parse's.
func TestScannerEveryCut(t *testing.T) {
	for name, text := range replies(t) {
		want := codeblock.Parse(text)
		for cut := 0; cut <= len(text); cut++ {
			var s codeblock.Scanner
			got := s.Write(text[:cut])
			got = append(got, s.Write(text[cut:])...)
			got = append(got, s.Close()...)
			if !cmp.Equal(want, got) {
				t.Fatalf("%s cut at %d: blocks differ from Parse:\n%s", name, cut, cmp.Diff(want, got))
			}
		}
		var s codeblock.Scanner
		var got []codeblock.Block
		for i := range len(text) {
			got = append(got, s.Write(text[i:i+1])...)
		}
		got = append(got, s.Close()...)
		if !cmp.Equal(want, got) {
			t.Fatalf("%s byte by byte: blocks differ from Parse:\n%s", name, cmp.Diff(want, got))
		}
	}
}

// TestScannerTiming checks when blocks come out: once the closing fence's
// line break arrives, and an unterminated block only at Close.
func TestScannerTiming(t *testing.T) {
	var s codeblock.Scanner
	steps := []struct {
		delta string
		want  int
	}{
		{"Here:\n``", 0},
		{"`tsx\nexport default function A() {}\n`", 0},
		{"``", 0},
		{"\nMore", 1},
		{" text\n```css\na {}\n", 0},
	}
	for i, step := range steps {
		if got := s.Write(step.delta); len(got) != step.want {
			t.Fatalf("step %d: Write(%q) returned %d blocks, want %d", i, step.delta, len(got), step.want)
		}
	}
	got := s.Close()
	if len(got) != 1 || got[0].Closed || got[0].Code != "a {}" {
		t.Fatalf("Close() = %+v, want the unterminated css block", got)
	}
	// The Scanner is ready for a new stream, with offsets from zero.
	got = s.Write("```\nx\n```\n")
	if len(got) != 1 || got[0].Start != 0 || got[0].Code != "x" {
		t.Fatalf("after Close, Write returned %+v", got)
	}
}

// TestScannerLineBeforeInPieces checks that a Scanner reads the path on
// the line before a fence however that line and the fence are split.
func TestScannerLineBeforeInPieces(t *testing.T) {
	const text = "Two files:\n\n**`src/Greeting.tsx`**:\n\n```tsx\nexport {}\n```\n"
	for cut := 0; cut <= len(text); cut++ {
		for cut2 := cut; cut2 <= len(text); cut2++ {
			var s codeblock.Scanner
			got := s.Write(text[:cut])
			got = append(got, s.Write(text[cut:cut2])...)
			got = append(got, s.Write(text[cut2:])...)
			got = append(got, s.Close()...)
			if len(got) != 1 || got[0].Path != "src/Greeting.tsx" {
				t.Fatalf("cut at %d and %d: blocks %+v, want one with the path src/Greeting.tsx", cut, cut2, got)
			}
		}
	}
}
