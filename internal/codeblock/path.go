package codeblock

import (
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxPathLen bounds the length of a file path a block may name.
const maxPathLen = 255

// CleanPath returns p as a clean, relative, slash-separated file path, or ""
// when p is not acceptable as the path of a project file: empty, absolute,
// escaping its root with "..", naming a directory, or containing
// backslashes, drive letters, spaces, control characters or quotes.
func CleanPath(p string) string {
	if p == "" || len(p) > maxPathLen || !utf8.ValidString(p) || p[0] == '/' || p[0] == '~' || strings.HasSuffix(p, "/") {
		return ""
	}
	for _, r := range p {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("\\:*?\"'`<>|", r) || r == utf8.RuneError {
			return ""
		}
	}
	if p == ".." || strings.HasPrefix(p, "../") || strings.HasSuffix(p, "/..") || strings.Contains(p, "/../") {
		return ""
	}
	c := path.Clean(p)
	if c == "." || c == "/" {
		return ""
	}
	return c
}

// parseInfo reads a fence info string: the language and, when it names
// one, a file path. It understands "tsx", "tsx src/App.tsx",
// `tsx title="App.tsx"`, "tsx filename=App.tsx", "jsx:src/App.jsx",
// "jsx:title=src/App.jsx", "src/App.tsx", "{.python}" and "tsx {1,3}". The
// language is canonical.
func parseInfo(info string) (lang, p string) {
	var explicit, positional, titled string
	langSeen := false
	rest := strings.TrimSpace(info)
	if strings.HasPrefix(rest, "{") {
		inner, after, _ := strings.Cut(rest[1:], "}")
		for _, tok := range infoTokens(inner) {
			switch {
			case strings.HasPrefix(tok, "."):
				if !langSeen {
					lang, langSeen = tok[1:], true
				}
			case strings.Contains(tok, "="):
				readAttribute(tok, &explicit, &titled)
			case !strings.HasPrefix(tok, "#") && !langSeen:
				lang, langSeen = tok, true
			}
		}
		rest = after
	}
	for _, tok := range infoTokens(rest) {
		if key, _, ok := strings.Cut(tok, "="); ok {
			if l, _, ok := strings.Cut(key, ":"); ok && !langSeen && isLanguageWord(asciiLower(l)) {
				lang, langSeen = l, true
				tok = tok[len(l)+1:]
			}
			readAttribute(tok, &explicit, &titled)
			continue
		}
		tok = unwrap(tok)
		if !langSeen {
			langSeen = true
			if i := strings.IndexAny(tok, "{,;"); i >= 0 {
				tok = tok[:i]
			}
			if l, q, ok := strings.Cut(tok, ":"); ok && isLanguageWord(asciiLower(l)) {
				lang, positional = l, CleanPath(q)
				continue
			}
			if _, known := knownLanguage(asciiLower(tok)); !known && looksLikeFile(tok) {
				positional = CleanPath(tok)
				continue
			}
			lang = tok
			continue
		}
		if positional == "" && looksLikeFile(tok) {
			positional = CleanPath(tok)
		}
	}
	for _, c := range [...]string{explicit, positional, titled} {
		if c != "" {
			p = c
			break
		}
	}
	lang = CanonicalLanguage(lang)
	if lang == "text" && p != "" {
		if l := languageForPath(p); l != "" {
			lang = l
		}
	}
	return lang, p
}

// unwrap removes a trailing comma or colon and the parentheses, brackets or
// quotes around a word of an info string: "(src/App.tsx)" is a path.
func unwrap(tok string) string {
	tok = strings.TrimRight(tok, ",:")
	for _, pair := range [...]string{"()", "[]", `""`, "''"} {
		if len(tok) >= 2 && tok[0] == pair[0] && tok[len(tok)-1] == pair[1] {
			return tok[1 : len(tok)-1]
		}
	}
	return tok
}

// readAttribute reads a key=value token of an info string: file, filename
// and path name the file; title and name do when their value is a file name.
func readAttribute(tok string, explicit, titled *string) {
	key, val, _ := strings.Cut(tok, "=")
	val = strings.Trim(val, "\"'")
	switch asciiLower(key) {
	case "file", "filename", "path", "filepath", "src":
		if *explicit == "" {
			*explicit = CleanPath(val)
		}
	case "title", "name":
		if *titled == "" && hasExtension(val) {
			*titled = CleanPath(val)
		}
	}
}

// infoTokens splits an info string on blanks, keeping quoted values such as
// title="My App.tsx" in one token.
func infoTokens(s string) []string {
	var toks []string
	var quote byte
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == ' ' || c == '\t':
			if start >= 0 {
				toks = append(toks, s[start:i])
				start = -1
			}
			continue
		case c == '"' || c == '\'':
			quote = c
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}

// looksLikeFile reports whether a bare word is clearly a file path: a
// clean path whose base name has a known source extension or is a known
// file name such as Dockerfile.
func looksLikeFile(word string) bool {
	c := CleanPath(word)
	return c != "" && languageForPath(c) != ""
}

// hasExtension reports whether a path's base name has an extension.
func hasExtension(p string) bool {
	base := path.Base(p)
	i := strings.LastIndexByte(base, '.')
	return i > 0 && i < len(base)-1
}

// pathFromComment returns the file path named by a comment on the first
// non-blank line of code (after any #! line or directive): "// file: src/App.tsx",
// "/* file: styles.css */", "# file: main.py", "<!-- file: index.html -->",
// "-- file: schema.sql", or the same comments holding only a path, which is
// accepted when it clearly looks like a file path. A "#" line is not read in
// Markdown, where it is a heading.
func pathFromComment(code, lang string) string {
	line := commentLine(code)
	var body string
	switch {
	case strings.HasPrefix(line, "<!--"):
		b, ok := strings.CutSuffix(line[len("<!--"):], "-->")
		if !ok {
			return ""
		}
		body = b
	case strings.HasPrefix(line, "/*"):
		b, ok := strings.CutSuffix(line[len("/*"):], "*/")
		if !ok {
			return ""
		}
		body = strings.Trim(b, "* ")
	case strings.HasPrefix(line, "//"):
		body = line[len("//"):]
	case strings.HasPrefix(line, "--"):
		body = line[len("--"):]
	case strings.HasPrefix(line, "#") && lang != "markdown" && lang != "mdx":
		body = line[len("#"):]
	default:
		return ""
	}
	body = strings.TrimSpace(body)
	if rest, ok := cutPathLabel(body); ok {
		if f := strings.Fields(rest); len(f) > 0 {
			return CleanPath(strings.Trim(f[0], "`'\""))
		}
		return ""
	}
	if word := strings.Trim(body, "`"); looksLikeFile(word) {
		return CleanPath(word)
	}
	return ""
}

// commentLine returns the first line of code that may hold a path comment,
// trimmed: the first non-blank line that is not a #! line or a directive
// such as 'use client'.
func commentLine(code string) string {
	for code != "" {
		line, rest, _ := strings.Cut(code, "\n")
		code = rest
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#!") || isDirective(t) {
			continue
		}
		return t
	}
	return ""
}

// cutPathLabel removes a leading "file:", "filename:", "file name:" or
// "path:" label, in any case, and reports whether there was one.
func cutPathLabel(s string) (string, bool) {
	for _, label := range [...]string{"file:", "filename:", "file name:", "filepath:", "path:"} {
		if hasPrefixFold(s, label) {
			return strings.TrimSpace(s[len(label):]), true
		}
	}
	return "", false
}

// maxProseLine bounds the length of a line of prose that may be nothing
// but the path of the block below it.
const maxProseLine = maxPathLen + 64

// maxCaptionPaths bounds the paths a line of prose may hold in code spans
// and still name the block below it: a longer list of files is no caption.
const maxCaptionPaths = 4

// caption is what the line of prose before a fence says about the block's
// file: the path the line is nothing but, or the paths in its code spans.
type caption struct {
	paths    []string
	label    bool // a label such as "File:" introduces the path
	sentence bool // the paths are code spans of a longer line
}

// readCaption reads the line of prose before a fence: a line that is
// nothing but a path (see pathFromProse), else the paths in its code spans
// (see spanPaths).
func readCaption(line string) caption {
	if p, label := pathFromProse(line); p != "" {
		return caption{paths: []string{p}, label: label}
	}
	if ps := spanPaths(line); len(ps) > 0 {
		return caption{paths: ps, sentence: true}
	}
	return caption{}
}

// pathFromProse returns the file path named by a line of prose, when the
// line is nothing but that path in one of the forms models write above a
// fence: a heading ("### src/App.tsx", "### 1. src/App.tsx"), bold, italic
// or inline code ("**src/App.tsx**", "`src/App.tsx`:"), a list item
// ("1. **src/App.tsx**"), a file emoji ("📄 src/App.tsx"), a label
// ("File: App.tsx", "**File:** `App.tsx`"), or these combined; label
// reports a label. The path must clearly look like a file path. Prose such
// as "Here is the component:" or "### Usage" is no path.
func pathFromProse(line string) (p string, label bool) {
	s := strings.TrimSpace(line)
	if len(s) > maxProseLine {
		return "", false
	}
	if strings.HasPrefix(s, "#") {
		h, ok := cutHeading(s)
		if !ok {
			return "", false
		}
		s = h
	}
	// Bold, italic and code marks cannot be part of a clean path.
	if strings.ContainsAny(s, "*`") {
		s = strings.Map(func(r rune) rune {
			if r == '*' || r == '`' {
				return -1
			}
			return r
		}, s)
	}
	for {
		t, l := cutProseMarkup(s)
		if t == s {
			break
		}
		s, label = t, label || l
	}
	if !looksLikeFile(s) {
		return "", false
	}
	return CleanPath(s), label
}

// spanPaths returns the distinct file paths that the code spans of a line
// of prose hold ("Then create `js/app.js`:", "In `server/index.js`,
// replace the handler:"): spans that clearly look like a file path, not
// commands or names such as `npm install` or `useState`. Spans inside
// parentheses are left out, since they describe ("The page
// (`public/index.html`):"), and so is a line of more than maxCaptionPaths
// paths.
func spanPaths(line string) []string {
	var out []string
	depth := 0
	for i := 0; i < len(line); {
		switch line[i] {
		case '(':
			depth++
		case ')':
			depth = max(depth-1, 0)
		case '`':
			n := runLen(line, i, '`')
			end := closingRun(line, i+n, n)
			if end < 0 {
				i += n
				continue
			}
			word := strings.TrimSpace(line[i+n : end])
			if p := CleanPath(word); depth == 0 && looksLikeFile(word) && !slices.Contains(out, p) {
				if out = append(out, p); len(out) > maxCaptionPaths {
					return nil
				}
			}
			i = end + n
			continue
		}
		i++
	}
	return out
}

// runLen returns the length of the run of c that starts at byte i of s.
func runLen(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// closingRun returns the start of the first run of exactly n backticks in
// s at or after byte i, which closes a code span opened by n backticks, or
// -1 when there is none.
func closingRun(s string, i, n int) int {
	for i < len(s) {
		j := strings.IndexByte(s[i:], '`')
		if j < 0 {
			return -1
		}
		k := runLen(s, i+j, '`')
		if k == n {
			return i + j
		}
		i += j + k
	}
	return -1
}

// cutHeading returns the text of an ATX heading line such as
// "### src/App.tsx ###", and reports whether the line is one.
func cutHeading(s string) (string, bool) {
	n := 0
	for n < len(s) && s[n] == '#' {
		n++
	}
	if n > 6 || (n < len(s) && s[n] != ' ' && s[n] != '\t') {
		return "", false
	}
	text := strings.TrimSpace(s[n:])
	if t := strings.TrimRight(text, "#"); t == "" || strings.HasSuffix(t, " ") || strings.HasSuffix(t, "\t") {
		text = strings.TrimSpace(t)
	}
	return text, true
}

// cutProseMarkup removes one layer of what may surround a path on a line
// of prose whose bold and code marks are already gone: blanks, a trailing
// colon, a list marker, a file emoji, a label (and then reports it) or
// underscores for emphasis. It returns s when there is none.
func cutProseMarkup(s string) (t string, label bool) {
	s = strings.TrimSpace(s)
	if t, ok := strings.CutSuffix(s, ":"); ok {
		return t, false
	}
	if t, ok := cutListMarker(s); ok {
		return t, false
	}
	if t, ok := cutFileEmoji(s); ok {
		return t, false
	}
	if t, ok := cutProseLabel(s); ok {
		return t, true
	}
	// A path never ends with "_", so underscores around it are emphasis.
	if n := len(s) - len(strings.TrimRight(s, "_")); n > 0 && n <= 2 && len(s) > 2*n && strings.HasPrefix(s, s[len(s)-n:]) {
		return s[n : len(s)-n], false
	}
	return s, false
}

// cutListMarker removes the marker of a list item, "-", "*" or "+" or a
// number followed by "." or ")", and the blank after it.
func cutListMarker(s string) (string, bool) {
	i := 0
	switch {
	case s == "":
		return "", false
	case s[0] == '-' || s[0] == '*' || s[0] == '+':
		i = 1
	default:
		for i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || (s[i] != '.' && s[i] != ')') {
			return "", false
		}
		i++
	}
	if i == len(s) || (s[i] != ' ' && s[i] != '\t') {
		return "", false
	}
	return s[i:], true
}

// fileEmojis are the emojis models put before a file's name.
var fileEmojis = [...]string{"📄", "📃", "📝", "📁", "📂", "🗂"}

// cutFileEmoji removes a leading file emoji and the blank after it.
func cutFileEmoji(s string) (string, bool) {
	for _, e := range fileEmojis {
		if t, ok := strings.CutPrefix(s, e); ok {
			t = strings.TrimPrefix(t, "\ufe0f")
			if t != "" && (t[0] == ' ' || t[0] == '\t') {
				return t, true
			}
		}
	}
	return "", false
}

// cutProseLabel removes a leading "File:", "Filename:", "File name:",
// "File path:", "Filepath:" or "Path:" label, in any case.
func cutProseLabel(s string) (string, bool) {
	for _, label := range [...]string{"file", "filename", "file name", "file path", "filepath", "path"} {
		if hasPrefixFold(s, label) {
			if t, ok := strings.CutPrefix(strings.TrimLeft(s[len(label):], " \t"), ":"); ok {
				return t, true
			}
		}
	}
	return "", false
}

// fitsLanguage reports whether a path named outside a block may be the
// block's file: the block's language is not given, both are of one family
// (JavaScript and TypeScript with or without JSX; CSS and its
// preprocessors; shell and .env files; SVG and XML; Markdown and MDX), or
// the path's is plain text, unless strict. A .tsx path above a bash block
// is not its file, nor, strictly, requirements.txt above a pip command.
func fitsLanguage(lang, p string, strict bool) bool {
	pl := languageForPath(p)
	return lang == "text" || (pl == "text" && !strict) || languageFamily(lang) == languageFamily(pl)
}

// joinedLanguage reports whether blocks in the language of a block named p
// (the path's when the block's is not given) may be joined with other
// blocks into one draft: HTML, CSS and JavaScript-family code.
func joinedLanguage(lang, p string) bool {
	if lang == "text" {
		lang = languageForPath(p)
	}
	switch lang {
	case "html", "css", "javascript", "typescript", "jsx", "tsx":
		return true
	}
	return false
}

// languageFamily returns the language that stands for a family of
// canonical languages whose files models tag with one another's names.
func languageFamily(l string) string {
	switch l {
	case "jsx", "typescript", "tsx":
		return "javascript"
	case "scss", "sass", "less", "stylus":
		return "css"
	case "dotenv":
		return "bash"
	case "svg":
		return "xml"
	case "mdx":
		return "markdown"
	}
	return l
}
