package codeblock

import (
	"encoding/json"
	"path"
	"slices"
	"strings"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/htmldoc"
)

// entryFiles are the conventional entry files of a project, most likely
// first, relative to the project's root directory. The builder's top-level
// names (main.tsx to main.js) come after the consolidator's own, so they
// decide only where none of those is present.
var entryFiles = [...]string{
	"src/main.tsx", "src/main.jsx", "src/index.tsx", "src/index.jsx",
	"src/App.tsx", "App.tsx", "src/App.jsx", "App.jsx",
	"index.html", "src/main.ts", "src/main.js", "src/index.ts", "src/index.js",
	"app/page.tsx", "app/page.jsx", "pages/index.tsx", "pages/index.jsx",
	"main.py", "app.py", "main.go",
	"main.tsx", "main.jsx", "index.tsx", "index.jsx", "main.ts", "main.js",
	"index.js", "index.ts", "server.js", "server.ts", "app.js", "app.ts",
}

// Entry returns the entry file of a project whose paths are clean (see
// CleanPath): the first of its entryFiles present, at the top of the
// project or under the top-level directory all its files share, else its
// only HTML or script file. ok is false when no file is an entry by
// convention.
func Entry(files []File) (path string, ok bool) {
	root := projectRoot(files)
	for _, name := range entryFiles {
		for _, f := range files {
			if atRoot(f.Path, root, name) {
				return f.Path, true
			}
		}
	}
	only := ""
	for _, f := range files {
		switch languageForPath(f.Path) {
		case "html", "javascript", "typescript", "jsx", "tsx":
			if only != "" {
				return "", false
			}
			only = f.Path
		}
	}
	return only, only != ""
}

// conventionalDirs are directory names that say where a file sits in a
// project, not what the project is called.
var conventionalDirs = [...]string{"src", "app", "pages", "public", "components", "lib", "styles", "static", "assets", "utils", "hooks", "test", "tests", "internal", "cmd", "pkg"}

// projectDraft renders a PROJECT draft.
func projectDraft(files []File) Draft {
	entry := files[0]
	if p, ok := Entry(files); ok {
		entry = files[slices.IndexFunc(files, func(f File) bool { return f.Path == p })]
	}
	return Draft{
		Title:    projectTitle(files, entry),
		Language: entry.Language,
		Type:     agent.TypeProject,
		Code:     entry.Code,
		Files:    slices.Clone(files),
		Entry:    entry.Path,
	}
}

// projectRoot returns the top-level directory all files share, or "".
func projectRoot(files []File) string {
	root := ""
	for i, f := range files {
		dir, _, ok := strings.Cut(f.Path, "/")
		if !ok || (i > 0 && dir != root) {
			return ""
		}
		root = dir
	}
	return root
}

// atRoot reports whether p is name at the top of the project, or under the
// directory root that all of its files share.
func atRoot(p, root, name string) bool {
	return p == name || (root != "" && p == root+"/"+name)
}

// projectTitle names a project: the name in its package.json, else its
// top-level directory when that is not a conventional one such as src,
// else the title of its index.html, else the name of its App or entry
// component, else "Project".
func projectTitle(files []File, entry File) string {
	root := projectRoot(files)
	for _, f := range files {
		if !atRoot(f.Path, root, "package.json") {
			continue
		}
		var pkg struct {
			Name string `json:"name"`
		}
		if json.Unmarshal([]byte(f.Code), &pkg) == nil {
			if t := CleanTitle(pkg.Name); t != "" {
				return t
			}
		}
	}
	if root != "" && !slices.Contains(conventionalDirs[:], root) {
		if t := CleanTitle(root); t != "" {
			return t
		}
	}
	for _, f := range files {
		if atRoot(f.Path, root, "index.html") {
			if t := CleanTitle(htmldoc.Title(f.Code)); t != "" {
				return t
			}
		}
	}
	candidates := []File{entry}
	for _, f := range files {
		if base := path.Base(f.Path); strings.HasPrefix(base, "App.") {
			candidates = append([]File{f}, candidates...)
			break
		}
	}
	for _, f := range candidates {
		switch f.Language {
		case "javascript", "typescript", "jsx", "tsx":
			p := readScript(Block{Language: f.Language, Code: f.Code})
			if t := CleanTitle(scriptTitle([]*scriptPart{p})); t != "" && p.react {
				return t
			}
		}
	}
	return "Project"
}
