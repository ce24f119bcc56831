package codeblock_test

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
)

// reply is a golden reply with its blocks, its drafts and, for each draft,
// the blocks that made it.
type reply struct {
	name    string
	text    string
	blocks  []codeblock.Block
	drafts  []codeblock.Draft
	sources [][]codeblock.Block
}

// loadReply reads testdata/name.md and consolidates its blocks.
func loadReply(t *testing.T, name string) reply {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".md"))
	if err != nil {
		t.Fatalf("read golden reply: %v", err)
	}
	r := reply{name: name, text: string(data), blocks: codeblock.Parse(string(data))}
	var c codeblock.Consolidator
	for _, b := range r.blocks {
		if i, created := c.Add(b); created {
			r.sources = append(r.sources, []codeblock.Block{b})
		} else if i >= 0 {
			r.sources[i] = append(r.sources[i], b)
		}
	}
	r.drafts = c.Drafts()
	return r
}

// only returns the reply's one draft of type typ.
func (r reply) only(t *testing.T, typ agent.ArtifactType) codeblock.Draft {
	t.Helper()
	var found []codeblock.Draft
	for _, d := range r.drafts {
		if d.Type == typ {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d drafts of type %s, want 1", len(found), typ)
	}
	return found[0]
}

// blocksOf returns the reply's blocks in language lang.
func (r reply) blocksOf(lang string) []codeblock.Block {
	var out []codeblock.Block
	for _, b := range r.blocks {
		if b.Language == lang {
			out = append(out, b)
		}
	}
	return out
}

// hasDraft reports whether a draft has exactly code.
func (r reply) hasDraft(code string) bool {
	return slices.ContainsFunc(r.drafts, func(d codeblock.Draft) bool { return d.Code == code })
}

// ownPath returns the path a block names by itself, in its info string or
// its first-line comment.
func (r reply) ownPath(b codeblock.Block) string {
	return codeblock.Parse(r.text[b.Start:b.End])[0].Path
}

// lineBefore returns the last non-blank line of the reply before a block's
// opening fence, trimmed.
func (r reply) lineBefore(b codeblock.Block) string {
	ls := lines(r.text[:b.Start])
	if len(ls) == 0 {
		return ""
	}
	return ls[len(ls)-1]
}

// pathOnLine returns the path a line of prose names for an untagged block
// right below it.
func pathOnLine(line string) string {
	return codeblock.Parse(line + "\n```\nx\n```\n")[0].Path
}

// lines returns the trimmed non-blank lines of code.
func lines(code string) []string {
	var out []string
	for _, l := range strings.Split(code, "\n") {
		if t := strings.TrimSpace(l); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// containsLines reports whether code holds every non-blank line of part, in
// order, whatever the indentation.
func containsLines(code, part string) bool {
	have, want := lines(code), lines(part)
	i := 0
	for _, l := range have {
		if i < len(want) && l == want[i] {
			i++
		}
	}
	return i == len(want)
}

// bareName matches a line of prose holding a file name without a
// directory in bold or a code span, such as "**index.html**" or
// "Save it as `styles.css`.".
var bareName = regexp.MustCompile("(?:^|[^/\\w.-])[*`]+([\\w-]+(?:\\.[\\w-]+)*\\.\\w+)[*`]+")

// drawnTree reports whether code looks like a directory tree drawn with
// "├──" and "└──": every line but the first holds one of them or "│".
func drawnTree(code string) bool {
	ls := lines(code)
	if len(ls) < 2 {
		return false
	}
	for _, l := range ls[1:] {
		if !strings.ContainsAny(l, "├└│") {
			return false
		}
	}
	return true
}

// importLine matches a JavaScript import's first line and its module.
var importLine = regexp.MustCompile(`^import (type )?(?:[^'"]*? from )?['"]([^'"]+)['"]`)

// relativeImport matches a JavaScript import of a relative module.
var relativeImport = regexp.MustCompile(`from '(\.\.?/[^']+)'`)

// head returns the leading lines of code that are blank, directives,
// imports or require declarations (a multi-line import as its first line),
// and the rest.
func head(code string) (head, rest []string) {
	ls := strings.Split(code, "\n")
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		switch {
		case strings.TrimSpace(l) == "", strings.HasPrefix(l, "'use "), strings.HasPrefix(l, `"use `), strings.Contains(l, "= require("):
		case strings.HasPrefix(l, "import {") && !strings.Contains(l, "}"):
			for i < len(ls) && !strings.HasPrefix(ls[i], "}") {
				i++
			}
		case strings.HasPrefix(l, "import ") || strings.HasPrefix(l, "from "):
		default:
			return ls[:i], ls[i:]
		}
		head = append(head, l)
	}
	return head, nil
}

// TestRulesHaveGoldens ties every consolidation rule of the package
// documentation to the golden replies that exercise it, with a check on
// their drafts that fails when the rule stops working. Each check first
// makes sure the reply has what the rule is about.
func TestRulesHaveGoldens(t *testing.T) {
	tests := []struct {
		rule    string
		goldens []string
		check   func(t *testing.T, r reply)
	}{
		{
			rule:    "a block whose code is blank or a directory tree is ignored",
			goldens: []string{"27-untagged-blocks", "47-gemini-heading-paths", "61-gpt-tree-then-files", "62-claude-tree-then-files", "63-gemini-bash-tree-then-files"},
			check: func(t *testing.T, r reply) {
				ignored := 0
				for _, b := range r.blocks {
					skip := strings.TrimSpace(b.Code) == "" || drawnTree(b.Code)
					if skip {
						ignored++
					}
					if in := slices.ContainsFunc(r.sources, func(bs []codeblock.Block) bool {
						return slices.ContainsFunc(bs, func(s codeblock.Block) bool { return s.Start == b.Start })
					}); in == skip {
						t.Errorf("block at %d in a draft %v, blank or a tree %v", b.Start, in, skip)
					}
				}
				if ignored == 0 {
					t.Error("no blank block or tree")
				}
			},
		},
		{
			rule:    "every other block makes a draft, short shell commands included",
			goldens: []string{"01-react-counter", "13-indented-list-fences", "21-pandoc-braces", "23-mixed-languages"},
			check: func(t *testing.T, r reply) {
				shell := r.blocksOf("bash")
				if len(shell) == 0 {
					t.Fatal("no shell block")
				}
				for _, b := range shell {
					if !r.hasDraft(b.Code) {
						t.Errorf("no draft for the shell block %q", b.Code)
					}
				}
			},
		},
		{
			rule:    "an unterminated block makes a draft",
			goldens: []string{"11-unterminated"},
			check: func(t *testing.T, r reply) {
				last := r.blocks[len(r.blocks)-1]
				if last.Closed || !r.hasDraft(last.Code) {
					t.Errorf("last block closed %v, has a draft %v; want an unterminated block with a draft", last.Closed, r.hasDraft(last.Code))
				}
			},
		},
		{
			rule:    "blocks that name a path form one PROJECT, files in first-seen order",
			goldens: []string{"06-project-info-paths", "07-project-file-comments", "20-info-attributes", "32-project-with-root-dir", "41-node-project-without-conventional-entry", "47-gemini-heading-paths", "48-claude-bold-paths", "49-gpt-inline-code-paths", "50-gemini-label-paths", "51-gpt-list-item-paths", "52-claude-mixed-bold-and-comment", "53-gpt-mixed-forms", "54-gpt-prose-not-paths", "56-gpt-create-sentence-paths", "57-claude-add-to-sentence-paths", "58-gemini-replace-in-sentence-path", "60-gemini-code-span-headings", "61-gpt-tree-then-files", "62-claude-tree-then-files", "63-gemini-bash-tree-then-files", "64-claude-updated-component-between-paths", "66-gpt-standalone-version-stays-apart", "67-claude-app-first-then-component"},
			check: func(t *testing.T, r reply) {
				d := r.only(t, agent.TypeProject)
				var want, got []string
				for _, b := range r.blocks {
					if b.Path != "" && !slices.Contains(want, b.Path) {
						want = append(want, b.Path)
					}
				}
				for _, f := range d.Files {
					if slices.Contains(want, f.Path) { // not a file its imports gave a pathless block
						got = append(got, f.Path)
					}
				}
				if len(want) < 2 || !slices.Equal(got, want) {
					t.Errorf("project files %v, want the paths %v in order", got, want)
				}
			},
		},
		{
			rule:    "a path alone on the line before a fence names the block's file: a heading, bold, italic, inline code, a label, a list item, or these combined",
			goldens: []string{"47-gemini-heading-paths", "48-claude-bold-paths", "49-gpt-inline-code-paths", "50-gemini-label-paths", "51-gpt-list-item-paths", "52-claude-mixed-bold-and-comment", "53-gpt-mixed-forms"},
			check: func(t *testing.T, r reply) {
				want := map[string][]string{
					"47-gemini-heading-paths":          {"src/main.jsx", "src/App.jsx", "src/components/WeatherCard.jsx", "src/App.css"},
					"48-claude-bold-paths":             {"src/hooks/useLocalStorage.ts", "src/components/NoteList.tsx", "src/App.tsx"},
					"49-gpt-inline-code-paths":         {"server/index.js", "public/index.html", "public/app.js", "public/styles.css"},
					"50-gemini-label-paths":            {"package.json", "src/index.js", "src/routes/todos.js", "src/db.js", ".env"},
					"51-gpt-list-item-paths":           {"src/store/cartSlice.js", "src/store/index.js", "src/components/Cart.jsx", "src/main.jsx", "src/App.jsx"},
					"52-claude-mixed-bold-and-comment": {"src/Greeting.tsx"},
					"53-gpt-mixed-forms":               {"src/types.ts", "src/index.css"},
				}[r.name]
				var got []string
				for _, b := range r.blocks {
					if b.Path != "" && r.ownPath(b) == "" {
						got = append(got, b.Path)
						if line := r.lineBefore(b); pathOnLine(line) != b.Path {
							t.Errorf("block named %s below %q, which names %q", b.Path, line, pathOnLine(line))
						}
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("paths named only by the line before %q, want %q", got, want)
				}
			},
		},
		{
			rule:    "paths named in different ways make one PROJECT: a bold path above one block, a path comment in the next",
			goldens: []string{"52-claude-mixed-bold-and-comment", "53-gpt-mixed-forms"},
			check: func(t *testing.T, r reply) {
				d := r.only(t, agent.TypeProject)
				var before, own int
				for _, b := range r.blocks {
					switch {
					case b.Path == "":
					case r.ownPath(b) == "":
						before++
					default:
						own++
					}
				}
				if before == 0 || own == 0 || len(d.Files) != before+own {
					t.Errorf("%d paths from the line before, %d from the fences, %d project files; want both kinds in one project", before, own, len(d.Files))
				}
			},
		},
		{
			rule:    "a path in the info string or the first-line comment wins over the line before",
			goldens: []string{"53-gpt-mixed-forms"},
			check: func(t *testing.T, r reply) {
				n := 0
				for _, b := range r.blocks {
					if before := pathOnLine(r.lineBefore(b)); before != "" && before != b.Path {
						n++
						if own := r.ownPath(b); own == "" || b.Path != own {
							t.Errorf("block named %q below a line naming %q, want its own path %q", b.Path, before, own)
						}
					}
				}
				if n < 2 {
					t.Errorf("%d blocks name a path other than their line before's, want 2", n)
				}
			},
		},
		{
			rule:    "a path in a code span of the sentence before a fence names the block's file",
			goldens: []string{"13-indented-list-fences", "54-gpt-prose-not-paths", "56-gpt-create-sentence-paths", "57-claude-add-to-sentence-paths", "58-gemini-replace-in-sentence-path"},
			check: func(t *testing.T, r reply) {
				want := map[string][]string{
					"13-indented-list-fences":            {"src/App.js"},
					"54-gpt-prose-not-paths":             {"src/hooks/useInterval.js", "src/App.jsx"},
					"56-gpt-create-sentence-paths":       {"package.json", "index.html", "css/style.css", "js/app.js"},
					"57-claude-add-to-sentence-paths":    {"src/utils/format.ts", "src/components/PriceTag.tsx", "src/components/CartSummary.tsx"},
					"58-gemini-replace-in-sentence-path": {"server/validate.js", "server/index.js"},
				}[r.name]
				var got []string
				for _, b := range r.blocks {
					line := r.lineBefore(b)
					if b.Path != "" && r.ownPath(b) == "" && strings.Contains(line, "`"+b.Path+"`") && len(strings.Fields(line)) > 2 {
						got = append(got, b.Path)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("paths named by a sentence %q, want %q", got, want)
				}
			},
		},
		{
			rule:    "prose that names no path: a sentence without a path in a code span, a heading that is no path, a path in parentheses or of another language family",
			goldens: []string{"24-express-server-and-client", "55-gemini-described-headings"},
			check: func(t *testing.T, r reply) {
				mentions := regexp.MustCompile("`[\\w.-]+/[\\w./-]+\\.\\w+`")
				n := 0
				for _, b := range r.blocks {
					if mentions.MatchString(r.lineBefore(b)) && r.ownPath(b) == "" {
						n++
					}
					if b.Path != "" {
						t.Errorf("block below %q named %q", r.lineBefore(b), b.Path)
					}
				}
				if n == 0 || slices.ContainsFunc(r.drafts, func(d codeblock.Draft) bool { return d.Type == agent.TypeProject }) {
					t.Errorf("%d blocks below prose mentioning a path, want some and no project", n)
				}
			},
		},
		{
			rule:    "a file name without a directory above HTML, CSS or JavaScript names it only after a label, once a block has named a path, or when a tree lists it",
			goldens: []string{"04-html-css-js-triplet", "26-css-standalone", "36-two-default-components", "38-mount-point-then-component", "50-gemini-label-paths", "56-gpt-create-sentence-paths", "59-claude-save-it-as-page", "60-gemini-code-span-headings"},
			check: func(t *testing.T, r reply) {
				want := map[string][]string{
					"04-html-css-js-triplet":        {"", "", ""},
					"26-css-standalone":             {""},
					"36-two-default-components":     {"", ""},
					"38-mount-point-then-component": {""},
					"50-gemini-label-paths":         {"package.json"},
					"56-gpt-create-sentence-paths":  {"package.json", "index.html"},
					"59-claude-save-it-as-page":     {"", "", ""},
					"60-gemini-code-span-headings":  {"package.json", "vite.config.js", "index.html"},
				}[r.name]
				var got []string
				for _, b := range r.blocks {
					if bareName.MatchString(r.lineBefore(b)) {
						got = append(got, b.Path)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("paths of the blocks below a bare file name %q, want %q", got, want)
				}
			},
		},
		{
			rule:    "a file name that a directory tree before the block lists takes the tree's directory, without its project folder",
			goldens: []string{"61-gpt-tree-then-files", "62-claude-tree-then-files", "63-gemini-bash-tree-then-files"},
			check: func(t *testing.T, r reply) {
				want := map[string][]string{
					"61-gpt-tree-then-files":         {"index.html", "css/style.css", "js/api.js", "js/app.js"},
					"62-claude-tree-then-files":      {"index.html", "styles/styles.css"},
					"63-gemini-bash-tree-then-files": {"package.json", "src/main.jsx", "src/App.jsx", "src/components/Flashcard.jsx", "src/App.css"},
				}[r.name]
				if !drawnTree(r.blocks[0].Code) {
					t.Fatal("the reply does not open with a tree")
				}
				var got []string
				for _, b := range r.blocks {
					if m := bareName.FindStringSubmatch(r.lineBefore(b)); m != nil && b.Path != "" {
						if path.Base(b.Path) != m[1] || !strings.Contains(r.blocks[0].Code, m[1]) {
							t.Errorf("block below %q named %q", r.lineBefore(b), b.Path)
						}
						got = append(got, b.Path)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("paths of the blocks below a listed file name %q, want %q", got, want)
				}
			},
		},
		{
			rule:    "a path on the line before does not name a block of another language family",
			goldens: []string{"55-gemini-described-headings"},
			check: func(t *testing.T, r reply) {
				b := r.blocks[0]
				if line := r.lineBefore(b); b.Language != "bash" || pathOnLine(line) == "" || b.Path != "" {
					t.Errorf("%s block named %q below %q; want a shell block below a path, naming none", b.Language, b.Path, line)
				}
			},
		},
		{
			rule:    "a repeated path replaces that file's content",
			goldens: []string{"33-repeated-path"},
			check: func(t *testing.T, r reply) {
				d := r.only(t, agent.TypeProject)
				var last codeblock.Block
				n := 0
				for _, b := range r.blocks {
					if b.Path == "src/App.tsx" {
						last, n = b, n+1
					}
				}
				i := slices.IndexFunc(d.Files, func(f codeblock.File) bool { return f.Path == "src/App.tsx" })
				if n != 2 || i < 0 || d.Files[i].Code != last.Code || len(d.Files) != 2 {
					t.Errorf("src/App.tsx named %d times, files %+v; want one file with the last block's code", n, d.Files)
				}
			},
		},
		{
			rule:    "the entry is the first conventional entry file present, also under a top-level directory all files share; its code is the draft's",
			goldens: []string{"06-project-info-paths", "07-project-file-comments", "32-project-with-root-dir"},
			check: func(t *testing.T, r reply) {
				want := map[string]string{
					"06-project-info-paths":    "src/main.tsx",
					"07-project-file-comments": "src/App.jsx",
					"32-project-with-root-dir": "todo-app/src/main.jsx",
				}[r.name]
				d := r.only(t, agent.TypeProject)
				i := slices.IndexFunc(d.Files, func(f codeblock.File) bool { return f.Path == want })
				if d.Entry != want || i <= 0 || d.Code != d.Files[i].Code || d.Language != d.Files[i].Language {
					t.Errorf("entry %q, want %q, not the first file, with its code and language", d.Entry, want)
				}
			},
		},
		{
			rule:    "else the only HTML or script file is the entry",
			goldens: []string{"41-node-project-without-conventional-entry"},
			check: func(t *testing.T, r reply) {
				d := r.only(t, agent.TypeProject)
				if d.Entry != "bot.js" || d.Files[0].Path == "bot.js" || d.Code != d.Files[1].Code {
					t.Errorf("entry %q of %+v, want bot.js, not the first file", d.Entry, d.Files)
				}
			},
		},
		{
			rule:    "else the first file is the entry",
			goldens: []string{"29-docker-config-project"},
			check: func(t *testing.T, r reply) {
				d := r.only(t, agent.TypeProject)
				if d.Entry != d.Files[0].Path || d.Code != d.Files[0].Code {
					t.Errorf("entry %q, want the first file %q", d.Entry, d.Files[0].Path)
				}
			},
		},
		{
			rule:    "a project is titled by its package.json name",
			goldens: []string{"06-project-info-paths", "41-node-project-without-conventional-entry"},
			check: func(t *testing.T, r reply) {
				want := map[string]string{"06-project-info-paths": "weather-widget", "41-node-project-without-conventional-entry": "dice-bot"}[r.name]
				if d := r.only(t, agent.TypeProject); d.Title != want {
					t.Errorf("title %q, want %q", d.Title, want)
				}
			},
		},
		{
			rule:    "else by its top-level directory, unless a conventional one such as src",
			goldens: []string{"32-project-with-root-dir"},
			check: func(t *testing.T, r reply) {
				if d := r.only(t, agent.TypeProject); d.Title != "todo-app" {
					t.Errorf("title %q, want todo-app", d.Title)
				}
			},
		},
		{
			rule:    "else by its index.html title",
			goldens: []string{"07-project-file-comments"},
			check: func(t *testing.T, r reply) {
				if d := r.only(t, agent.TypeProject); d.Title != "Modal demo" {
					t.Errorf("title %q, want Modal demo", d.Title)
				}
			},
		},
		{
			rule:    "else by its App component's name",
			goldens: []string{"20-info-attributes", "33-repeated-path"},
			check: func(t *testing.T, r reply) {
				if d := r.only(t, agent.TypeProject); d.Title != "App" || !strings.HasPrefix(d.Files[0].Path, "src/") {
					t.Errorf("title %q of files under %q, want App", d.Title, d.Files[0].Path)
				}
			},
		},
		{
			rule:    `else "Project"`,
			goldens: []string{"29-docker-config-project"},
			check: func(t *testing.T, r reply) {
				if d := r.only(t, agent.TypeProject); d.Title != "Project" {
					t.Errorf("title %q, want Project", d.Title)
				}
			},
		},
		{
			rule:    "while only one block has named a path, the draft is a single file titled by its name",
			goldens: []string{"08-single-path-block", "13-indented-list-fences"},
			check: func(t *testing.T, r reply) {
				var named []codeblock.Block
				for _, b := range r.blocks {
					if b.Path != "" {
						named = append(named, b)
					}
				}
				if len(named) != 1 {
					t.Fatalf("%d blocks name a path, want 1", len(named))
				}
				d := r.drafts[slices.IndexFunc(r.drafts, func(d codeblock.Draft) bool { return d.Code == named[0].Code })]
				if d.Type == agent.TypeProject || d.Files != nil || d.Title != path.Base(named[0].Path) {
					t.Errorf("draft %s %q with %d files, want a single file titled %q", d.Type, d.Title, len(d.Files), path.Base(named[0].Path))
				}
			},
		},
		{
			rule:    "JavaScript-family blocks without a path join the latest module: a component split across blocks",
			goldens: []string{"02-react-split-component"},
			check: func(t *testing.T, r reply) {
				if len(r.drafts) != 1 || len(r.blocks) != 2 || !containsLines(r.drafts[0].Code, r.blocks[0].Code) || !containsLines(r.drafts[0].Code, r.blocks[1].Code) {
					t.Errorf("%d drafts of %d blocks; want one holding both", len(r.drafts), len(r.blocks))
				}
			},
		},
		{
			rule:    "a helper followed by the component that uses it, JavaScript with JSX and TypeScript with TSX",
			goldens: []string{"03-helper-then-component", "19-typescript-types-and-component"},
			check: func(t *testing.T, r reply) {
				want := map[string][2]string{"03-helper-then-component": {"javascript", "jsx"}, "19-typescript-types-and-component": {"typescript", "tsx"}}[r.name]
				if len(r.drafts) != 1 || r.blocks[0].Language != want[0] || r.blocks[1].Language != want[1] || r.drafts[0].Language != want[1] {
					t.Fatalf("%d drafts in %s of blocks %s and %s; want one %s draft of a %s and a %s block", len(r.drafts), r.drafts[0].Language, r.blocks[0].Language, r.blocks[1].Language, want[1], want[0], want[1])
				}
				_, helper := head(r.blocks[0].Code)
				if !containsLines(r.drafts[0].Code, strings.Join(helper, "\n")) {
					t.Error("the helper's code is not in the draft")
				}
			},
		},
		{
			rule:    "never JavaScript with TypeScript",
			goldens: []string{"39-typescript-server-js-snippet"},
			check: func(t *testing.T, r reply) {
				if len(r.drafts) != 2 || r.drafts[0].Language != "typescript" || r.drafts[1].Language != "javascript" || !r.hasDraft(r.blocks[1].Code) {
					t.Errorf("%d drafts; want a TypeScript and a JavaScript draft", len(r.drafts))
				}
			},
		},
		{
			rule:    "imports are merged per module at the top",
			goldens: []string{"03-helper-then-component", "19-typescript-types-and-component", "25-next-use-client", "45-class-error-boundary"},
			check: func(t *testing.T, r reply) {
				if len(r.drafts) != 1 || len(r.sources[0]) < 2 {
					t.Fatal("want one draft merged from several blocks")
				}
				h, rest := head(r.drafts[0].Code)
				seen := map[string]bool{}
				for _, l := range h {
					if m := importLine.FindStringSubmatch(l); m != nil {
						if seen[m[1]+m[2]] {
							t.Errorf("module %s imported twice", m[2])
						}
						seen[m[1]+m[2]] = true
					}
				}
				for _, l := range rest {
					if strings.HasPrefix(l, "import ") {
						t.Errorf("import %q is not at the top", l)
					}
				}
				if !seen["react"] {
					t.Error("no merged react import")
				}
			},
		},
		{
			rule:    "directives such as 'use client' come first, once",
			goldens: []string{"25-next-use-client"},
			check: func(t *testing.T, r reply) {
				code := r.drafts[0].Code
				if len(r.blocks) != 2 || !strings.HasPrefix(r.blocks[1].Code, "'use client'") || !strings.HasPrefix(code, "'use client';\n") || strings.Count(code, "'use client'") != 1 {
					t.Errorf("code starts %q, want one 'use client' first", code[:min(len(code), 20)])
				}
			},
		},
		{
			rule:    "whole-line require declarations are de-duplicated",
			goldens: []string{"28-node-require-dedupe"},
			check: func(t *testing.T, r reply) {
				const req = "const express = require('express');"
				h, _ := head(r.drafts[0].Code)
				if len(r.drafts) != 1 || strings.Count(strings.Join(lines(r.drafts[0].Code), "\n"), req) != 1 || !slices.Contains(h, req) {
					t.Errorf("want one draft with %q once, at the top", req)
				}
			},
		},
		{
			rule:    "imports from a local module of a name the merged file declares are dropped",
			goldens: []string{"03-helper-then-component", "19-typescript-types-and-component"},
			check: func(t *testing.T, r reply) {
				local := regexp.MustCompile(`from '\./`)
				if !local.MatchString(r.blocks[1].Code) || local.MatchString(r.drafts[0].Code) {
					t.Error("want a local import in the second block and none in the draft")
				}
			},
		},
		{
			rule:    "a block that declares a top-level name the module declares starts a new draft",
			goldens: []string{"35-vanilla-js-two-versions", "16-updated-component-version"},
			check: func(t *testing.T, r reply) {
				last := r.blocks[len(r.blocks)-1]
				if len(r.drafts) != 2 || r.drafts[0].Title != r.drafts[1].Title || r.drafts[1].Code != last.Code {
					t.Errorf("%d drafts; want two versions of one name, the second the last block", len(r.drafts))
				}
			},
		},
		{
			rule:    "a block that exports a default when the module does, without importing its names from a local file, starts a new draft",
			goldens: []string{"36-two-default-components"},
			check: func(t *testing.T, r reply) {
				if len(r.drafts) != 2 || r.drafts[0].Code != r.blocks[0].Code || r.drafts[1].Code != r.blocks[1].Code || r.drafts[0].Title == r.drafts[1].Title {
					t.Errorf("%d drafts; want each component in its own", len(r.drafts))
				}
			},
		},
		{
			rule:    "when it does import them, the earlier default export is demoted",
			goldens: []string{"18-two-components-app-uses", "44-provider-hook-and-consumer"},
			check: func(t *testing.T, r reply) {
				names := map[string][2]string{"18-two-components-app-uses": {"Card", "App"}, "44-provider-hook-and-consumer": {"ThemeProvider", "ThemeToggle"}}[r.name]
				code := r.drafts[0].Code
				if len(r.drafts) != 1 || strings.Count(code, "export default") != 1 || !strings.Contains(code, "export default function "+names[1]) || !strings.Contains(code, "\nfunction "+names[0]+"(") || strings.Contains(code, "'./"+names[0]+"'") {
					t.Errorf("want one draft in which only %s is exported by default, %s declared and not imported:\n%s", names[1], names[0], code)
				}
			},
		},
		{
			rule:    "Python blocks join the latest Python module, imports merged and de-duplicated at the top, one from-import per module",
			goldens: []string{"14-python-merged-imports", "40-python-future-and-main-variant"},
			check: func(t *testing.T, r reply) {
				d := r.drafts[0]
				h, rest := head(d.Code)
				seen := map[string]bool{}
				for _, l := range lines(strings.Join(h, "\n")) {
					key := l
					if strings.HasPrefix(l, "from ") {
						key, _, _ = strings.Cut(l, " import ")
					}
					if seen[key] {
						t.Errorf("%q twice", key)
					}
					seen[key] = true
				}
				if len(r.sources[0]) < 2 || !seen["import json"] || slices.ContainsFunc(rest, func(l string) bool { return strings.HasPrefix(l, "import ") || strings.HasPrefix(l, "from ") }) {
					t.Errorf("want a draft of several blocks with every import once at the top:\n%s", d.Code)
				}
			},
		},
		{
			rule:    "from __future__ imports come first",
			goldens: []string{"40-python-future-and-main-variant"},
			check: func(t *testing.T, r reply) {
				if !strings.HasPrefix(r.drafts[0].Code, "from __future__ import annotations\n") || strings.HasPrefix(r.blocks[0].Code, "from __future__") {
					t.Error("want the second block's __future__ import first in the draft")
				}
			},
		},
		{
			rule:    "a redefined def or class, or a second main guard, starts a new Python draft",
			goldens: []string{"15-python-two-versions", "40-python-future-and-main-variant"},
			check: func(t *testing.T, r reply) {
				last := r.blocksOf("python")
				if !r.hasDraft(last[len(last)-1].Code) || len(r.sources[0]) != len(last)-1 {
					t.Error("want the last Python block in a draft of its own")
				}
			},
		},
		{
			rule:    "a block that repeats all the lines of earlier blocks replaces them",
			goldens: []string{"17-fragment-then-full", "43-page-second-stylesheet-and-script"},
			check: func(t *testing.T, r reply) {
				last := r.blocks[len(r.blocks)-1]
				earlier := r.blocksOf(last.Language)[0]
				if len(r.drafts) != 1 || !containsLines(last.Code, earlier.Code) || last.Code == earlier.Code {
					t.Fatal("want one draft and a last block that repeats an earlier one")
				}
				if code := r.drafts[0].Code; !strings.Contains(code, last.Code) || strings.Count(code, lines(earlier.Code)[0]) != 1 {
					t.Errorf("want the last block once in place of the earlier one:\n%s", code)
				}
			},
		},
		{
			rule:    "a complete HTML document also replaces the page's CSS and JavaScript it holds",
			goldens: []string{"37-complete-page-after-excerpts"},
			check: func(t *testing.T, r reply) {
				last := r.blocks[len(r.blocks)-1]
				if len(r.drafts) != 1 || len(r.blocks) != 4 || last.Language != "html" || r.drafts[0].Code != last.Code {
					t.Errorf("%d drafts; want one with exactly the complete document's code", len(r.drafts))
				}
			},
		},
		{
			rule:    "an HTML block starts a page that the CSS and browser scripts after it join",
			goldens: []string{"04-html-css-js-triplet", "05-html-fragment-css-js", "12-crlf", "24-express-server-and-client"},
			check: func(t *testing.T, r reply) {
				d := r.only(t, agent.TypeHTML)
				start := slices.IndexFunc(r.blocks, func(b codeblock.Block) bool { return b.Language == "html" })
				for _, b := range r.blocks[start+1:] {
					if !containsLines(d.Code, b.Code) {
						t.Errorf("the %s block after the page is not in it", b.Language)
					}
				}
			},
		},
		{
			rule:    "CSS goes in a <style> at the end of <head>, scripts in a <script> at the end of <body>, links to the local files removed",
			goldens: []string{"04-html-css-js-triplet"},
			check: func(t *testing.T, r reply) {
				code := r.drafts[0].Code
				css, js := r.blocksOf("css")[0].Code, r.blocksOf("javascript")[0].Code
				for _, want := range []string{"<style>\n" + css + "\n</style>\n</head>", "<script>\n" + js + "\n</script>\n</body>"} {
					if !strings.Contains(code, want) {
						t.Errorf("code lacks %q", want[:20])
					}
				}
				for _, link := range []string{`href="style.css"`, `src="script.js"`} {
					if !strings.Contains(r.blocks[0].Code, link) || strings.Contains(code, link) {
						t.Errorf("%s not removed", link)
					}
				}
			},
		},
		{
			rule:    "a fragment is wrapped in a full document",
			goldens: []string{"05-html-fragment-css-js", "12-crlf"},
			check: func(t *testing.T, r reply) {
				code := r.drafts[0].Code
				if strings.Contains(r.blocks[0].Code, "<html") || !strings.HasPrefix(code, "<!DOCTYPE html>\n<html") || !strings.Contains(code, "<body>\n"+r.blocks[0].Code+"\n") {
					t.Errorf("want the fragment in the body of a document:\n%s", code)
				}
			},
		},
		{
			rule:    "blocks before their HTML, and CSS after a JavaScript module that follows the page, stay apart from the page",
			goldens: []string{"38-mount-point-then-component"},
			check: func(t *testing.T, r reply) {
				var langs []string
				for _, b := range r.blocks {
					langs = append(langs, b.Language)
				}
				if !slices.Equal(langs, []string{"css", "html", "jsx", "css"}) {
					t.Fatalf("blocks %v, want CSS, HTML, JSX and CSS", langs)
				}
				if page := r.only(t, agent.TypeHTML); page.Code != r.blocks[1].Code {
					t.Errorf("page %q, want the HTML block alone", page.Code)
				}
			},
		},
		{
			rule:    "CSS blocks with no page to join make one stylesheet draft, @import and @charset rules moved to the top once",
			goldens: []string{"26-css-standalone", "38-mount-point-then-component"},
			check: func(t *testing.T, r reply) {
				d := r.only(t, agent.TypeCSS)
				css := r.blocksOf("css")
				if len(css) != 2 || !strings.Contains(d.Code, lines(css[0].Code)[1]) || !strings.Contains(d.Code, lines(css[1].Code)[1]) {
					t.Errorf("want both CSS blocks in the stylesheet:\n%s", d.Code)
				}
				imports := strings.Count(css[0].Code+css[1].Code, "@import")
				if imports > 0 && (strings.Count(d.Code, "@import") != 1 || !strings.HasPrefix(d.Code, "@import")) {
					t.Errorf("want the repeated @import once, first:\n%s", d.Code)
				}
			},
		},
		{
			rule:    "blocks of any other language each make their own draft",
			goldens: []string{"23-mixed-languages"},
			check: func(t *testing.T, r reply) {
				if len(r.drafts) != len(r.blocks) {
					t.Fatalf("%d drafts of %d blocks", len(r.drafts), len(r.blocks))
				}
				for i, b := range r.blocks {
					if r.drafts[i].Code != b.Code || r.drafts[i].Language != b.Language {
						t.Errorf("draft %d is not block %d", i, i)
					}
				}
			},
		},
		{
			rule:    "a draft made from one block has exactly that block's code",
			goldens: []string{"01-react-counter", "09-nested-markdown-fence", "13-indented-list-fences", "15-python-two-versions", "27-untagged-blocks", "38-mount-point-then-component"},
			check: func(t *testing.T, r reply) {
				for i, d := range r.drafts {
					if len(r.sources[i]) == 1 && d.Type != agent.TypeProject && d.Code != r.sources[i][0].Code {
						t.Errorf("draft %d changed its block's code", i)
					}
				}
			},
		},
		{
			rule:    "types come from the code: React code is REACT whatever its language tag",
			goldens: []string{"36-two-default-components"},
			check: func(t *testing.T, r reply) {
				if d := r.drafts[0]; d.Type != agent.TypeReact || d.Language != "javascript" {
					t.Errorf("draft %s %s, want REACT in JavaScript", d.Type, d.Language)
				}
			},
		},
		{
			rule:    "a page stays HTML",
			goldens: []string{"04-html-css-js-triplet", "05-html-fragment-css-js"},
			check: func(t *testing.T, r reply) {
				if d := r.drafts[0]; d.Type != agent.TypeHTML || d.Language != "html" || len(r.sources[0]) != 3 {
					t.Errorf("draft %s %s of %d blocks, want an HTML page of three", d.Type, d.Language, len(r.sources[0]))
				}
			},
		},
		{
			rule:    "a script is titled by its default export, else its first component, else its first function or class",
			goldens: []string{"01-react-counter", "02-react-split-component", "11-unterminated", "45-class-error-boundary", "38-mount-point-then-component", "35-vanilla-js-two-versions"},
			check: func(t *testing.T, r reply) {
				want := map[string]string{"01-react-counter": "Counter", "02-react-split-component": "TodoList", "11-unterminated": "Pomodoro", "45-class-error-boundary": "ErrorBoundary", "38-mount-point-then-component": "NotificationsPanel", "35-vanilla-js-two-versions": "debounce"}[r.name]
				i := slices.IndexFunc(r.drafts, func(d codeblock.Draft) bool {
					return d.Type == agent.TypeReact || d.Type == agent.TypeJavaScript
				})
				if i < 0 || r.drafts[i].Title != want {
					t.Errorf("script drafts %+v, the first titled %q", r.drafts, want)
				}
			},
		},
		{
			rule:    "Python is titled by its first class, else its first function other than main, else main",
			goldens: []string{"21-pandoc-braces", "40-python-future-and-main-variant", "10-tilde-fences", "46-python-cli-main-only"},
			check: func(t *testing.T, r reply) {
				want := map[string]string{"21-pandoc-braces": "Stack", "40-python-future-and-main-variant": "Task", "10-tilde-fences": "extract", "46-python-cli-main-only": "main"}[r.name]
				if d := r.drafts[0]; d.Type != agent.TypePython || d.Title != want {
					t.Errorf("title %q, want %q", d.Title, want)
				}
			},
		},
		{
			rule:    "HTML is titled by its <title>, else its first <h1>",
			goldens: []string{"04-html-css-js-triplet", "05-html-fragment-css-js", "24-express-server-and-client", "27-untagged-blocks"},
			check: func(t *testing.T, r reply) {
				want := map[string]string{"04-html-css-js-triplet": "Tip Calculator", "05-html-fragment-css-js": "Hello & welcome", "24-express-server-and-client": "Server time", "27-untagged-blocks": "Landing"}[r.name]
				if d := r.only(t, agent.TypeHTML); d.Title != want {
					t.Errorf("title %q, want %q", d.Title, want)
				}
			},
		},
		{
			rule:    "Markdown is titled by its first heading",
			goldens: []string{"09-nested-markdown-fence", "31-markdown-nested-same-length"},
			check: func(t *testing.T, r reply) {
				want := map[string]string{"09-nested-markdown-fence": "Weather Widget", "31-markdown-nested-same-length": "largest-files"}[r.name]
				if d := r.drafts[0]; d.Language != "markdown" || d.Title != want {
					t.Errorf("title %q, want %q", d.Title, want)
				}
			},
		},
		{
			rule:    `otherwise "<Language> snippet"`,
			goldens: []string{"22-path-traversal", "23-mixed-languages"},
			check: func(t *testing.T, r reply) {
				want := map[string][]string{
					"22-path-traversal":  {"JavaScript snippet", "Python snippet", "Bash snippet", "TypeScript snippet"},
					"23-mixed-languages": {"Go snippet", "SQL snippet", "Bash snippet", "JSON snippet"},
				}[r.name]
				var got []string
				for _, d := range r.drafts {
					got = append(got, d.Title)
				}
				if !slices.Equal(got, want) {
					t.Errorf("titles %q, want %q", got, want)
				}
			},
		},
		{
			rule:    "titles are at most MaxTitleLen characters",
			goldens: []string{"42-long-markdown-title"},
			check: func(t *testing.T, r reply) {
				heading := strings.TrimPrefix(lines(r.blocks[0].Code)[0], "# ")
				title := r.drafts[0].Title
				if utf8.RuneCountInString(heading) <= codeblock.MaxTitleLen || utf8.RuneCountInString(title) != codeblock.MaxTitleLen || !strings.HasPrefix(heading, title) {
					t.Errorf("title %q of heading %q, want the heading cut to %d characters", title, heading, codeblock.MaxTitleLen)
				}
			},
		},
		{
			rule:    "a JavaScript-family block without a path joins the PROJECT when it imports one of its files by a ./ specifier or one imports it, named after its default export, in the directory the import puts it in",
			goldens: []string{"34-path-comment-helper", "54-gpt-prose-not-paths", "64-claude-updated-component-between-paths", "65-gemini-helper-comment-then-component", "67-claude-app-first-then-component"},
			check: func(t *testing.T, r reply) {
				want := map[string]string{
					"34-path-comment-helper":                    "SlugForm.jsx",
					"54-gpt-prose-not-paths":                    "src/Countdown.jsx",
					"64-claude-updated-component-between-paths": "src/SearchBox.tsx",
					"65-gemini-helper-comment-then-component":   "PostForm.jsx",
					"67-claude-app-first-then-component":        "src/components/TaskItem.tsx",
				}[r.name]
				i := slices.IndexFunc(r.blocks, func(b codeblock.Block) bool { return b.Path == "" })
				if i < 0 {
					t.Fatal("no pathless block")
				}
				b := r.blocks[i]
				name := strings.TrimSuffix(path.Base(want), path.Ext(want))
				if !strings.Contains(b.Code, "export default function "+name+"(") || path.Ext(want) != "."+b.Info {
					t.Fatalf("the pathless %s block does not export %s by default", b.Info, name)
				}
				d := r.only(t, agent.TypeProject)
				stem := func(p string) string { return strings.TrimSuffix(p, path.Ext(p)) }
				tie := false
				for _, m := range relativeImport.FindAllStringSubmatch(b.Code, -1) {
					tie = tie || strings.HasPrefix(m[1], "./") && slices.ContainsFunc(d.Files, func(f codeblock.File) bool {
						return f.Path != want && stem(f.Path) == path.Join(path.Dir(want), m[1])
					})
				}
				for _, f := range d.Files {
					for _, m := range relativeImport.FindAllStringSubmatch(f.Code, -1) {
						tie = tie || f.Path != want && path.Join(path.Dir(f.Path), m[1]) == stem(want)
					}
				}
				f := slices.IndexFunc(d.Files, func(f codeblock.File) bool { return f.Path == want })
				if len(r.drafts) != 1 || f < 0 || d.Files[f].Code != b.Code || !tie {
					t.Errorf("%d drafts, project files %v; want one project holding the pathless block as %s, tied to a file by an import", len(r.drafts), summary(r.drafts), want)
				}
			},
		},
		{
			rule:    "a pathless block that no import ties to the PROJECT stays where the other rules put it",
			goldens: []string{"66-gpt-standalone-version-stays-apart"},
			check: func(t *testing.T, r reply) {
				i := slices.IndexFunc(r.blocks, func(b codeblock.Block) bool { return b.Path == "" })
				if i < 0 || strings.Contains(r.blocks[i].Code, "from '.") {
					t.Fatal("want a pathless block without a relative import")
				}
				d := r.only(t, agent.TypeProject)
				if slices.ContainsFunc(d.Files, func(f codeblock.File) bool { return f.Code == r.blocks[i].Code }) || !r.hasDraft(r.blocks[i].Code) {
					t.Errorf("project files %v; want the pathless block in a draft of its own", summary(r.drafts))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if len(tt.goldens) == 0 {
				t.Fatal("no golden reply exercises this rule")
			}
			for _, name := range tt.goldens {
				t.Run(name, func(t *testing.T) { tt.check(t, loadReply(t, name)) })
			}
		})
	}
}
