package esbuild

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/codeblock"
)

// mode is how a source becomes a page.
type mode int

const (
	// modeScript bundles JavaScript or TypeScript into a generated page and
	// mounts its React component, if it has one.
	modeScript mode = iota + 1
	// modeHTML serves an HTML document as written, with the project's local
	// scripts and stylesheets inlined.
	modeHTML
	// modeCSS applies a stylesheet to a page of sample elements.
	modeCSS
)

// source is a validated Request: the files by clean path and the entry.
type source struct {
	kind     agent.BuildKind
	language string
	title    string
	files    map[string]string
	entry    string
	mode     mode
}

// Limits on a request, far above what a chat reply holds.
const (
	maxFiles      = 500
	maxSourceSize = 8 << 20
)

// singleFile names a single artifact's file by its language; the name is what
// diagnostics show.
func singleFile(language, code string) (string, error) {
	switch language {
	case "tsx":
		return "App.tsx", nil
	case "jsx":
		return "App.jsx", nil
	case "typescript":
		if looksLikeJSX(code) {
			return "App.tsx", nil
		}
		return "index.ts", nil
	case "javascript":
		return "index.js", nil
	case "html":
		return "index.html", nil
	case "css":
		return "styles.css", nil
	case "":
		return "", build.NotPreviewable("This artifact has no language, so it cannot be previewed.")
	}
	return "", build.NotPreviewable("A %s artifact cannot run in a browser. Download it to run it.", language)
}

// languageAliases maps common short names to the canonical language.
var languageAliases = map[string]string{
	"ts": "typescript", "js": "javascript", "mjs": "javascript", "react": "jsx", "htm": "html",
}

func parseRequest(req build.Request) (*source, error) {
	src := &source{language: strings.ToLower(strings.TrimSpace(req.Language)), title: req.Title, files: map[string]string{}}
	if alias, ok := languageAliases[src.language]; ok {
		src.language = alias
	}
	switch req.Kind {
	case "", agent.BuildSingle:
		src.kind = agent.BuildSingle
		if strings.TrimSpace(req.Code) == "" {
			return nil, build.NotPreviewable("This artifact has no code to preview.")
		}
		if len(req.Code) > maxSourceSize {
			return nil, build.NotPreviewable("This artifact is larger than %d MB, too large to preview.", maxSourceSize>>20)
		}
		name, err := singleFile(src.language, req.Code)
		if err != nil {
			return nil, err
		}
		src.files[name] = req.Code
		src.entry = name
	case agent.BuildProject:
		src.kind = agent.BuildProject
		if err := src.addFiles(req.Files); err != nil {
			return nil, err
		}
		entry, err := src.findEntry(req.Entry)
		if err != nil {
			return nil, err
		}
		src.entry = entry
	default:
		return nil, build.NotPreviewable("Unknown build kind %q.", req.Kind)
	}
	switch ext := path.Ext(src.entry); {
	case ext == ".html" || ext == ".htm":
		src.mode = modeHTML
	case ext == ".css":
		src.mode = modeCSS
	case loaderFor(src.entry) != 0:
		src.mode = modeScript
	default:
		return nil, build.NotPreviewable("The project's entry %s cannot run in a browser. Download the project to run it.", src.entry)
	}
	return src, nil
}

func (src *source) addFiles(files []build.File) error {
	if len(files) == 0 {
		return build.NotPreviewable("This project has no files to preview.")
	}
	if len(files) > maxFiles {
		return build.NotPreviewable("This project has more than %d files, too many to preview.", maxFiles)
	}
	total := 0
	for _, f := range files {
		p, ok := cleanPath(f.Path)
		if !ok {
			return build.NotPreviewable("The file path %q cannot be previewed.", f.Path)
		}
		if _, dup := src.files[p]; dup {
			return build.NotPreviewable("The file %s is given twice.", p)
		}
		total += len(f.Code)
		if total > maxSourceSize {
			return build.NotPreviewable("This project is larger than %d MB, too large to preview.", maxSourceSize>>20)
		}
		src.files[p] = f.Code
	}
	return nil
}

// cleanPath makes a project path relative to the project root; ok is false
// for a path that is empty or leaves the root.
func cleanPath(p string) (string, bool) {
	p = path.Clean("/" + strings.ReplaceAll(strings.TrimSpace(p), "\\", "/"))
	p = strings.TrimPrefix(p, "/")
	if p == "" || p == "." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

func (src *source) findEntry(explicit string) (string, error) {
	if explicit != "" {
		p, ok := cleanPath(explicit)
		if _, exists := src.files[p]; !ok || !exists {
			return "", build.Failed([]build.Message{{Text: fmt.Sprintf("The entry %q is not one of the project's files.", explicit)}})
		}
		return p, nil
	}
	files := make([]codeblock.File, 0, len(src.files))
	for _, p := range slices.Sorted(maps.Keys(src.files)) {
		files = append(files, codeblock.File{Path: p})
	}
	if entry, ok := codeblock.Entry(files); ok {
		return entry, nil
	}
	return "", build.Failed([]build.Message{{Text: "The project has no entry file: add src/main.tsx, src/App.tsx or index.html, or name the entry."}})
}

// resolveRef resolves a reference from a project file (an import or an
// HTML src) to a project file, trying the usual extensions and index files.
// Root-absolute ("/src/x") and "@/x" (src/x) references are project paths.
func (src *source) resolveRef(importer, ref string) (string, bool) {
	var base string
	switch {
	case strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "../") || ref == "." || ref == "..":
		base = path.Join(path.Dir(importer), ref)
	case strings.HasPrefix(ref, "/"):
		base = path.Clean(ref)[1:]
	case strings.HasPrefix(ref, "@/"):
		base = path.Join("src", ref[2:])
	default:
		return "", false
	}
	base = strings.TrimPrefix(base, "/")
	if base == "" || base == "." || strings.HasPrefix(base, "../") {
		return "", false
	}
	candidates := []string{base}
	// TypeScript ESM code imports "./x.js" for the file x.ts.
	if stem, ok := strings.CutSuffix(base, ".js"); ok {
		candidates = append(candidates, stem+".ts", stem+".tsx")
	}
	for _, ext := range resolveExtensions {
		candidates = append(candidates, base+ext)
	}
	for _, ext := range resolveExtensions {
		candidates = append(candidates, base+"/index"+ext)
	}
	for _, c := range candidates {
		if _, ok := src.files[c]; ok {
			return c, true
		}
	}
	return "", false
}

var resolveExtensions = []string{".tsx", ".ts", ".jsx", ".js", ".mjs", ".json", ".css"}

var (
	jsxHint         = regexp.MustCompile(`</[A-Za-z]|/>`)
	reactHint       = regexp.MustCompile(`from\s*["']react["']|require\(\s*["']react["']\s*\)|</[A-Za-z]|/>`)
	reactImport     = regexp.MustCompile(`from\s*["']react["']|require\(\s*["']react["']\s*\)`)
	selfMounting    = regexp.MustCompile(`\bcreateRoot\s*\(|\bhydrateRoot\s*\(|\bReactDOM\s*\.\s*render\s*\(`)
	componentExport = regexp.MustCompile(`\bexport\s+default\s+(?:async\s+)?(?:function|class)\s+[A-Z]`)
	defaultExport   = regexp.MustCompile(`\bexport\s+default\b|\bexport\s*\{[^}]*\bas\s+default\b`)
	componentDecl   = regexp.MustCompile(`(?m)^(?:export\s+)?(?:async\s+)?function\s*\*?\s*([A-Z][\w$]*)|^(?:export\s+)?class\s+([A-Z][\w$]*)|^(?:export\s+)?(?:const|let|var)\s+([A-Z][\w$]*)\s*(?::[^=\n]+)?=\s*(?:async\s+)?(?:\(|function\b|(?:React\s*\.\s*)?(?:memo|forwardRef)\b|[a-z_$][\w$]*\s*=>)`)
)

// looksLikeJSX reports whether TypeScript code holds JSX, so that it needs
// the TSX loader.
func looksLikeJSX(code string) bool { return jsxHint.MatchString(code) }

// looksLikeComponent reports whether an entry is a React component module,
// whose page needs React even if the code never imports it. (Code with JSX
// imports React's JSX runtime anyway.)
func looksLikeComponent(code string) bool {
	return reactImport.MatchString(code) || componentExport.MatchString(code)
}

// mounts reports whether any file mounts React itself (createRoot ...), in
// which case the page must not mount a component too.
func (src *source) mounts() bool {
	for _, code := range src.files {
		if selfMounting.MatchString(code) {
			return true
		}
	}
	return false
}

// withDefaultExport returns React code that declares its component without
// exporting it with a default export appended, so that the page can mount it:
// App if declared, else the last capitalised function or class. Appending
// keeps every line number of the original code.
func withDefaultExport(code string) string {
	if !reactHint.MatchString(code) || defaultExport.MatchString(code) {
		return code
	}
	var name string
	for _, m := range componentDecl.FindAllStringSubmatch(code, -1) {
		n := m[1] + m[2] + m[3]
		if strings.ToUpper(n) == n {
			continue // a CONSTANT, not a component
		}
		name = n
		if n == "App" {
			break
		}
	}
	if name == "" {
		return code
	}
	return code + "\n;export default " + name + ";\n"
}

// tailwindClass matches a string that reads like Tailwind utility classes.
var tailwindClass = regexp.MustCompile(`(?:^|[\s"'\x60{])(?:[a-z0-9-]+:)*-?(?:bg|text|border|rounded|shadow|p[xytrbl]?|m[xytrbl]?|w|h|size|min-w|min-h|max-w|max-h|gap|space-[xy]|grid-cols|col-span|flex|items|justify|font|tracking|leading|ring|opacity|inset|top|left|right|bottom|z|translate-[xy]|scale|rotate|transition|duration|ease|cursor|overflow|from|to|via|divide|outline|place|self|content|order|aspect|object|line-clamp|backdrop|blur)-[a-z0-9/.\[\]#%-]+`)

// usesTailwind reports whether the sources use Tailwind utility classes.
func usesTailwind(codes ...string) bool {
	n := 0
	for _, code := range codes {
		n += len(tailwindClass.FindAllStringIndex(code, 3))
		if n >= 3 {
			return true
		}
	}
	return false
}
