package codeblock

import (
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// listing is a file that a directory tree lists: its path below the tree's
// root directory, and that root when a reply may name the file without it
// (a project folder such as "my-app", not a conventional one such as src).
type listing struct {
	root, rel string
}

// treeReader reads a directory tree drawn with "├──", "└──" and "│" (or
// "|--" and "`--") one line at a time, keeping the directories that may
// hold the next entry.
type treeReader struct {
	root     string      // the directory on the line above the first branch
	parents  []treeEntry // the entries that may hold the next one, outermost first
	branches int         // branch lines read
}

// treeEntry is a branch of a tree: the column its marker starts at and its
// path below the root.
type treeEntry struct {
	col  int
	path string
}

// readTree reports whether code is a directory tree, every non-blank line
// a branch ("├── src/", "│   └── App.jsx  # entry") or a line of "│",
// but for a root directory on the first, with at least one branch; and
// returns the files it lists.
func readTree(code string) ([]listing, bool) {
	var t treeReader
	var files []listing
	first := true
	for rest := code; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f, ok := t.line(line)
		if !ok && first {
			t.root, ok = treeRoot(line)
		}
		if !ok {
			return nil, false
		}
		first = false
		if f.rel != "" {
			files = append(files, f)
		}
	}
	return files, t.branches > 0
}

// isDirectoryTree reports whether code is a directory tree (see readTree).
func isDirectoryTree(code string) bool {
	_, ok := readTree(code)
	return ok
}

// line reads the next line of a tree and reports whether it belongs to it:
// a branch or a line of "│". A branch that is a file listed returns it.
func (t *treeReader) line(line string) (listing, bool) {
	col, name, ok := treeBranch(line)
	if !ok {
		return listing{}, isTreeSpacer(line)
	}
	t.branches++
	for len(t.parents) > 0 && t.parents[len(t.parents)-1].col >= col {
		t.parents = t.parents[:len(t.parents)-1]
	}
	parent := ""
	if n := len(t.parents); n > 0 {
		parent = t.parents[n-1].path
	}
	p := path.Join(parent, strings.TrimSuffix(name, "/"))
	t.parents = append(t.parents, treeEntry{col: col, path: p})
	if strings.HasSuffix(name, "/") || !looksLikeFile(p) {
		return listing{}, true
	}
	return t.listing(p), true
}

// listing returns a file listed at p below the tree's root: below a
// project folder, the file may be named without it; below a conventional
// directory such as src, or no directory, it is not.
func (t *treeReader) listing(p string) listing {
	switch {
	case t.root == "":
		return listing{rel: CleanPath(p)}
	case slices.Contains(conventionalDirs[:], t.root):
		return listing{rel: CleanPath(t.root + "/" + p)}
	}
	return listing{root: t.root, rel: CleanPath(p)}
}

// treeRoot reads the line above a tree's first branch: one clean
// directory name ("my-app/", "my-app", "📁 my-app/"), or "." for none,
// perhaps followed by a comment.
func treeRoot(line string) (string, bool) {
	s := strings.TrimSpace(line)
	if t, ok := cutFileEmoji(s); ok {
		s = t
	}
	word, rest := firstWord(s)
	if word == "" || (rest != "" && !isTreeComment(rest)) {
		return "", false
	}
	name := strings.TrimSuffix(strings.Trim(word, "`*"), "/")
	if name == "." {
		return "", true
	}
	if c := CleanPath(name); c == "" || strings.Contains(c, "/") || strings.ContainsAny(c, "├└│─") {
		return "", false
	}
	return name, true
}

// firstWord splits s, trimmed, at its first blank: its first word and the
// rest, trimmed.
func firstWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// isTreeComment reports whether text after a name in a tree is a comment:
// "# entry", "// entry", "<- entry", "← entry", "(entry)", "- entry".
func isTreeComment(text string) bool {
	for _, p := range [...]string{"#", "//", "<-", "←", "(", "-", "—"} {
		if strings.HasPrefix(text, p) {
			return true
		}
	}
	return false
}

// treeBranch reads a branch line of a tree: the column its marker starts
// at and the name after it ("src/", "App.jsx"), without the marks of
// emphasis or code, a file emoji or a comment around it.
func treeBranch(line string) (col int, name string, ok bool) {
	i := 0
	for i < len(line) {
		r, n := utf8.DecodeRuneInString(line[i:])
		if isTreeMarker(r) && dashAt(line, i+n) {
			break
		}
		switch r {
		case ' ', '\u00a0', '│', '|':
			col++
		case '\t':
			col += 4 - col%4
		default:
			return 0, "", false
		}
		i += n
	}
	if i == len(line) {
		return 0, "", false
	}
	_, n := utf8.DecodeRuneInString(line[i:])
	rest := strings.TrimLeft(line[i+n:], "─━-")
	if rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return 0, "", false
	}
	rest = strings.TrimSpace(rest)
	if t, ok := cutFileEmoji(rest); ok {
		rest = t
	}
	word, _ := firstWord(rest)
	if word == "" {
		return 0, "", false
	}
	return col, strings.Trim(word, "`*"), true
}

// isTreeMarker reports whether r starts a branch's marker when a dash
// follows it: "├──", "└──", "|--", "`--", "+--".
func isTreeMarker(r rune) bool {
	return r == '├' || r == '└' || r == '|' || r == '`' || r == '+'
}

// dashAt reports whether a box-drawing or ASCII dash starts at byte i.
func dashAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r == '─' || r == '━' || r == '-'
}

// isTreeSpacer reports whether a line is only the vertical lines of a tree
// ("│   │"), with at least one.
func isTreeSpacer(line string) bool {
	t := strings.Trim(line, " \t\u00a0│|")
	return t == "" && strings.ContainsAny(line, "│|")
}
