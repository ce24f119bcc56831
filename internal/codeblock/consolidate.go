package codeblock

import (
	"path"
	"slices"
	"strings"
	"unicode"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/htmldoc"
)

// Draft is an artifact to be saved: the code of one file, or a PROJECT of
// several files.
type Draft struct {
	// Title names the artifact, at most MaxTitleLen characters.
	Title string
	// Language is the canonical language of Code.
	Language string
	// Type is what kind of code the draft is.
	Type agent.ArtifactType
	// Code is the content of the file; for a PROJECT, the entry file's.
	Code string
	// Files lists a PROJECT's files in first-seen order; nil otherwise.
	Files []File
	// Entry is a PROJECT's entry file path; "" otherwise.
	Entry string
	// Path is the file path a single-file draft's block named; "" for a
	// PROJECT (see Entry) and for a block that named none.
	Path string
}

// File is one file of a PROJECT draft.
type File struct {
	// Path is the file's clean relative path (see CleanPath).
	Path string
	// Language is the canonical language of Code.
	Language string
	// Code is the file's content, exactly its block's code.
	Code string
}

// MaxTitleLen is the maximum length of a draft title, in characters.
const MaxTitleLen = 100

// Consolidator turns the code blocks of one reply, given in order, into
// artifact drafts, keeping the drafts up to date after each block so that
// the caller can save each artifact as soon as its block closes. The zero
// value is ready to use.
type Consolidator struct {
	drafts []Draft
	// The group a new block of each kind may join.
	project, script, python, style, page *group
}

// group is what a draft is made of.
type group struct {
	index   int
	kind    groupKind
	single  Block
	files   []File
	imports map[string][]string // the relative specifiers each script file imports
	scripts []*scriptPart
	lang    string // of scripts
	pythons []*pythonPart
	styles  []textPart
	page    *page
}

// groupKind says how a group makes its draft.
type groupKind int

const (
	kindSingle  groupKind = iota // one block of a language that is never merged
	kindFile                     // the one block with a file path so far
	kindProject                  // several blocks with file paths
	kindScript                   // JavaScript or TypeScript blocks of one module
	kindPython                   // Python blocks of one module
	kindStyle                    // CSS blocks of one stylesheet
	kindPage                     // an HTML block with its CSS and JavaScript
)

// Extract returns the artifact drafts of a Markdown reply: Parse, then Add
// for every block.
func Extract(text string) []Draft {
	var c Consolidator
	for _, b := range Parse(text) {
		c.Add(b)
	}
	return c.Drafts()
}

// Add takes the next block of the reply and returns the index of the draft
// it created or changed, and whether it created it. A block whose code is
// blank or a directory tree is ignored, and Add returns -1. An index
// returned before keeps naming the same draft: a changed draft is to be
// saved again as the same artifact. Unterminated blocks (Closed false), as
// a cut-off reply ends with, are taken like closed ones.
func (c *Consolidator) Add(b Block) (index int, created bool) {
	b = normalizeBlock(b)
	if strings.TrimSpace(b.Code) == "" || isDirectoryTree(b.Code) {
		return -1, false
	}
	switch {
	case b.Path != "":
		return c.addFile(b)
	case b.Language == "html":
		return c.addHTML(b)
	case b.Language == "css":
		return c.addCSS(b)
	case b.Language == "javascript" || b.Language == "typescript" || b.Language == "jsx" || b.Language == "tsx":
		return c.addScript(b)
	case b.Language == "python":
		return c.addPython(b)
	}
	return c.create(&group{kind: kindSingle, single: b})
}

// Drafts returns copies of the drafts so far, in the order they were
// created.
func (c *Consolidator) Drafts() []Draft {
	out := make([]Draft, len(c.drafts))
	for i, d := range c.drafts {
		d.Files = slices.Clone(d.Files)
		out[i] = d
	}
	return out
}

// normalizeBlock makes a block's language canonical and its path clean, so
// that blocks built by hand are held to what Parse guarantees. Untagged
// code that is plainly an HTML document is read as HTML.
func normalizeBlock(b Block) Block {
	b.Language = CanonicalLanguage(b.Language)
	b.Path = CleanPath(b.Path)
	if b.Language != "text" {
		return b
	}
	if l := languageForPath(b.Path); l != "" {
		b.Language = l
	} else if startsDocument(b.Code) {
		b.Language = "html"
	}
	return b
}

// startsDocument reports whether code is plainly an HTML document: it starts
// with an HTML doctype or an <html> start tag.
func startsDocument(code string) bool {
	t := strings.TrimSpace(code)
	if hasPrefixFold(t, "<!doctype html") {
		return true
	}
	if !hasPrefixFold(t, "<html") {
		return false
	}
	els := htmldoc.Elements(t)
	return len(els) > 0 && els[0].Name == "html"
}

// hasPrefixFold reports whether s begins with prefix, in any case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// create adds a draft for a new group.
func (c *Consolidator) create(g *group) (int, bool) {
	g.index = len(c.drafts)
	c.drafts = append(c.drafts, g.draft())
	return g.index, true
}

// update renders a changed group's draft again.
func (c *Consolidator) update(g *group) (int, bool) {
	c.drafts[g.index] = g.draft()
	return g.index, false
}

// addFile adds a block that names a file. The first one makes a single-file
// draft; the next ones turn it into the reply's one PROJECT. A path seen
// before replaces that file's content.
func (c *Consolidator) addFile(b Block) (int, bool) {
	f := File{Path: b.Path, Language: b.Language, Code: b.Code}
	var specs []string
	if languageFamily(f.Language) == "javascript" {
		specs = localSpecifiers(readScript(b))
	}
	g := c.project
	if g == nil {
		c.project = &group{kind: kindFile, files: []File{f}, imports: map[string][]string{f.Path: specs}}
		return c.create(c.project)
	}
	g.imports[f.Path] = specs
	if i := slices.IndexFunc(g.files, func(e File) bool { return e.Path == f.Path }); i >= 0 {
		g.files[i] = f
	} else {
		g.files = append(g.files, f)
		g.kind = kindProject
	}
	return c.update(g)
}

// addHTML adds an HTML block: it replaces the HTML of the latest page when it
// repeats all of that page's HTML lines (a complete version of an excerpt),
// dropping the page's CSS and JavaScript it also repeats, and starts a new
// page otherwise.
func (c *Consolidator) addHTML(b Block) (int, bool) {
	p := newTextPart(b)
	if g := c.page; g != nil && repeats(p.lines, g.page.html.lines) {
		g.page.html = p
		g.page.styles = dropRepeated(g.page.styles, p.lines)
		g.page.scripts = dropRepeated(g.page.scripts, p.lines)
		return c.update(g)
	}
	c.page = &group{kind: kindPage, page: &page{html: p}}
	return c.create(c.page)
}

// openPage returns the page that CSS and browser JavaScript blocks join: the
// latest page, unless a JavaScript module was started after it.
func (c *Consolidator) openPage() *group {
	if c.page == nil || (c.script != nil && c.script.index > c.page.index) {
		return nil
	}
	return c.page
}

// addCSS adds a CSS block to the open page, else to the reply's stylesheet.
func (c *Consolidator) addCSS(b Block) (int, bool) {
	p := newTextPart(b)
	if g := c.openPage(); g != nil {
		g.page.styles = append(dropRepeated(g.page.styles, p.lines), p)
		return c.update(g)
	}
	if g := c.style; g != nil {
		g.styles = append(dropRepeated(g.styles, p.lines), p)
		return c.update(g)
	}
	c.style = &group{kind: kindStyle, styles: []textPart{p}}
	return c.create(c.style)
}

// addScript adds a JavaScript-family block: a file of the project when its
// imports tie it to the project's files (see pathFromImports); else a
// plain browser script joins the open page, and other code joins the
// latest module of its dialect when it belongs with it (see mergeScript)
// and starts a new module otherwise.
func (c *Consolidator) addScript(b Block) (int, bool) {
	p := readScript(b)
	if c.project != nil {
		if f := pathFromImports(p, c.project.files, c.project.imports); f != "" {
			b.Path = f
			return c.addFile(b)
		}
	}
	if b.Language == "javascript" && isBrowserScript(b.Code) {
		if g := c.openPage(); g != nil {
			t := newTextPart(b)
			g.page.scripts = append(dropRepeated(g.page.scripts, t.lines), t)
			return c.update(g)
		}
	}
	if g := c.script; g != nil && scriptDialect(g.lang) == scriptDialect(b.Language) {
		if parts, ok := mergeScript(g.scripts, p); ok {
			g.scripts = parts
			g.lang = scriptLanguage(parts)
			return c.update(g)
		}
	}
	c.script = &group{kind: kindScript, scripts: []*scriptPart{p}, lang: b.Language}
	return c.create(c.script)
}

// addPython adds a Python block to the latest Python module when it belongs
// with it (see mergePython) and starts a new module otherwise.
func (c *Consolidator) addPython(b Block) (int, bool) {
	p := readPython(b)
	if g := c.python; g != nil {
		if parts, ok := mergePython(g.pythons, p); ok {
			g.pythons = parts
			return c.update(g)
		}
	}
	c.python = &group{kind: kindPython, pythons: []*pythonPart{p}}
	return c.create(c.python)
}

// draft renders the group's draft.
func (g *group) draft() Draft {
	switch g.kind {
	case kindFile:
		f := g.files[0]
		return Draft{Title: CleanTitle(path.Base(f.Path)), Language: f.Language, Type: TypeFor(f.Language, f.Code), Code: f.Code, Path: f.Path}
	case kindProject:
		return projectDraft(g.files)
	case kindScript:
		code := renderScript(g.scripts)
		return Draft{Title: titleOr(scriptTitle(g.scripts), g.lang), Language: g.lang, Type: TypeFor(g.lang, code), Code: code}
	case kindPython:
		return Draft{Title: titleOr(pythonTitle(g.pythons), "python"), Language: "python", Type: agent.TypePython, Code: renderPython(g.pythons)}
	case kindStyle:
		return Draft{Title: titleOr("", "css"), Language: "css", Type: agent.TypeCSS, Code: renderStyles(g.styles)}
	case kindPage:
		title := titleOr(htmldoc.Title(g.page.html.block.Code), "html")
		return Draft{Title: title, Language: "html", Type: agent.TypeHTML, Code: renderPage(g.page, title)}
	default:
		b := g.single
		return Draft{Title: titleOr(singleTitle(b), b.Language), Language: b.Language, Type: TypeFor(b.Language, b.Code), Code: b.Code}
	}
}

// singleTitle names a block that is never merged: a Markdown document by its
// first heading.
func singleTitle(b Block) string {
	if b.Language != "markdown" && b.Language != "mdx" {
		return ""
	}
	for _, line := range strings.Split(b.Code, "\n") {
		if h, ok := strings.CutPrefix(line, "# "); ok {
			return h
		}
	}
	return ""
}

// titleOr returns title when it is not blank and "<Language> snippet"
// otherwise.
func titleOr(title, language string) string {
	if t := CleanTitle(title); t != "" {
		return t
	}
	return displayName(language) + " snippet"
}

// CleanTitle makes s a title as artifacts and conversations keep them: one
// line, blanks collapsed, no control characters, at most MaxTitleLen
// characters.
func CleanTitle(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > MaxTitleLen {
		return strings.TrimSpace(string(r[:MaxTitleLen]))
	}
	return s
}
