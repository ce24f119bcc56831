package codeblock

import (
	"path"
	"strings"
)

// maxLanguageLen bounds the length of a language name taken from an info
// string; longer words are not languages and become "text".
const maxLanguageLen = 32

// CanonicalLanguage returns the canonical, lower-case name of a fence
// language or file-type word: "ts" becomes "typescript", "sh" becomes
// "bash", "" becomes "text". Unknown names are kept in lower case when they
// look like a language name and become "text" otherwise, so the result is
// always safe to store and show.
func CanonicalLanguage(s string) string {
	l := asciiLower(strings.TrimSpace(s))
	l = strings.TrimPrefix(l, "language-")
	l = strings.TrimPrefix(l, ".")
	if c, ok := knownLanguage(l); ok {
		return c
	}
	if !isLanguageWord(l) {
		return "text"
	}
	return l
}

// knownLanguage maps an alias, already in lower case, to its canonical
// language name.
func knownLanguage(l string) (string, bool) {
	switch l {
	case "", "text", "txt", "plain", "plaintext", "none", "output", "console-output", "log":
		return "text", true
	case "js", "javascript", "node", "nodejs", "mjs", "cjs", "ecmascript":
		return "javascript", true
	case "ts", "typescript", "mts", "cts":
		return "typescript", true
	case "jsx", "react":
		return "jsx", true
	case "tsx":
		return "tsx", true
	case "py", "python", "python3", "py3", "python2", "gyp":
		return "python", true
	case "sh", "shell", "bash", "zsh", "console", "terminal", "shellscript", "shell-session", "shellsession", "sh-session", "cmd", "ksh", "fish":
		return "bash", true
	case "ps", "ps1", "powershell", "pwsh":
		return "powershell", true
	case "html", "htm", "xhtml", "html5":
		return "html", true
	case "css", "css3":
		return "css", true
	case "scss", "sass", "less", "stylus":
		return l, true
	case "json", "jsonc", "json5":
		return "json", true
	case "go", "golang":
		return "go", true
	case "sql", "postgresql", "postgres", "psql", "pgsql", "mysql", "sqlite", "plsql", "tsql":
		return "sql", true
	case "md", "markdown", "mdown", "mkd":
		return "markdown", true
	case "mdx":
		return "mdx", true
	case "yml", "yaml":
		return "yaml", true
	case "toml", "ini", "xml", "svg", "graphql", "vue", "svelte", "astro", "prisma", "proto", "java", "swift", "php", "dart", "scala", "lua", "r", "julia", "zig", "nim", "elixir", "erlang", "clojure", "haskell", "ocaml", "perl", "groovy", "terraform", "hcl", "nginx", "solidity", "wasm", "latex", "csv", "diff":
		return l, true
	case "protobuf":
		return "proto", true
	case "gql":
		return "graphql", true
	case "c", "h":
		return "c", true
	case "c++", "cpp", "cxx", "cc", "hpp", "hxx", "hh":
		return "cpp", true
	case "c#", "cs", "csharp", "dotnet":
		return "csharp", true
	case "f#", "fs", "fsharp":
		return "fsharp", true
	case "rb", "ruby":
		return "ruby", true
	case "rs", "rust":
		return "rust", true
	case "kt", "kts", "kotlin":
		return "kotlin", true
	case "objc", "objective-c", "objectivec", "obj-c":
		return "objectivec", true
	case "pl", "pm":
		return "perl", true
	case "hs":
		return "haskell", true
	case "ex", "exs":
		return "elixir", true
	case "erl":
		return "erlang", true
	case "clj", "cljs":
		return "clojure", true
	case "ml":
		return "ocaml", true
	case "tf":
		return "terraform", true
	case "dockerfile", "docker", "containerfile":
		return "dockerfile", true
	case "makefile", "make", "mk", "mak":
		return "makefile", true
	case "env", "dotenv":
		return "dotenv", true
	case "patch", "udiff":
		return "diff", true
	case "tex":
		return "latex", true
	case "vb", "vbnet", "vb.net":
		return "vbnet", true
	}
	return "", false
}

// isLanguageWord reports whether l, in lower case, has the shape of a
// language name: ASCII letters, digits and a few marks, starting with a
// letter or digit.
func isLanguageWord(l string) bool {
	if l == "" || len(l) > maxLanguageLen {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '+' || c == '#' || c == '-' || c == '_' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// Extension returns the usual file extension, without a dot, for a
// language: "tsx", "ts", "py", "sh", "md", "txt" and so on. Languages
// without a customary extension get "txt".
func Extension(language string) string {
	switch l := CanonicalLanguage(language); l {
	case "text":
		return "txt"
	case "javascript":
		return "js"
	case "typescript":
		return "ts"
	case "python":
		return "py"
	case "bash":
		return "sh"
	case "powershell":
		return "ps1"
	case "markdown":
		return "md"
	case "yaml":
		return "yml"
	case "csharp":
		return "cs"
	case "fsharp":
		return "fs"
	case "ruby":
		return "rb"
	case "rust":
		return "rs"
	case "kotlin":
		return "kt"
	case "objectivec":
		return "m"
	case "perl":
		return "pl"
	case "haskell":
		return "hs"
	case "elixir":
		return "ex"
	case "erlang":
		return "erl"
	case "clojure":
		return "clj"
	case "ocaml":
		return "ml"
	case "terraform":
		return "tf"
	case "latex":
		return "tex"
	case "dotenv":
		return "env"
	case "makefile":
		return "mk"
	case "vbnet":
		return "vb"
	case "graphql":
		return "graphql"
	default:
		if len(l) <= 10 && !strings.ContainsFunc(l, func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') }) {
			return l
		}
		return "txt"
	}
}

// Slug returns a safe file name stem for an artifact titled title: the
// title's ASCII letters, digits, dots and underscores, every other run of
// characters one dash, at most 80 characters, never empty nor a hidden
// file's.
func Slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range title {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 80 {
			break
		}
	}
	if name := strings.Trim(b.String(), "-._"); name != "" {
		return name
	}
	return "artifact"
}

// FileName returns the name of an artifact titled title whose code is in
// language, for its download and its object in S3: its Slug, ending in the
// language's Extension.
func FileName(title, language string) string {
	name := Slug(title)
	if ext := "." + Extension(language); !strings.EqualFold(path.Ext(name), ext) {
		name += ext
	}
	return name
}

// languageForExt returns the canonical language of a file extension given
// without its dot, or "" when the extension is not one of a source file.
func languageForExt(ext string) string {
	switch e := asciiLower(ext); e {
	case "tsx", "jsx", "html", "css", "scss", "sass", "less", "json", "go", "sql", "toml", "xml", "svg", "vue", "svelte", "astro", "prisma", "proto", "java", "swift", "php", "dart", "scala", "lua", "zig", "nim", "graphql", "csv", "diff":
		return e
	case "md", "mdx":
		return CanonicalLanguage(e)
	case "htm":
		return "html"
	case "js", "mjs", "cjs":
		return "javascript"
	case "ts", "mts", "cts":
		return "typescript"
	case "py", "pyw":
		return "python"
	case "sh", "bash", "zsh":
		return "bash"
	case "ps1":
		return "powershell"
	case "yml", "yaml":
		return "yaml"
	case "txt":
		return "text"
	case "ini", "cfg", "conf":
		return "ini"
	case "c", "h", "cpp", "cc", "cxx", "hpp", "cs", "fs", "rb", "rs", "kt", "kts", "ex", "exs", "erl", "clj", "hs", "pl", "ml", "tf", "tex", "env", "gql":
		return CanonicalLanguage(e)
	case "m":
		return "objectivec"
	case "r":
		return "r"
	}
	return ""
}

// languageForPath returns the canonical language of a file path from its
// base name or extension, or "" when it is not recognised.
func languageForPath(p string) string {
	base := path.Base(p)
	switch {
	case base == "Dockerfile" || strings.HasPrefix(base, "Dockerfile."):
		return "dockerfile"
	case base == "Makefile" || base == "GNUmakefile":
		return "makefile"
	case base == ".env" || strings.HasPrefix(base, ".env."):
		return "dotenv"
	case base == ".gitignore" || base == ".dockerignore" || base == ".npmrc" || base == ".nvmrc":
		return "text"
	}
	i := strings.LastIndexByte(base, '.')
	if i <= 0 || i == len(base)-1 {
		return ""
	}
	return languageForExt(base[i+1:])
}

// displayName returns how a language is written in a title.
func displayName(language string) string {
	switch l := CanonicalLanguage(language); l {
	case "javascript":
		return "JavaScript"
	case "typescript":
		return "TypeScript"
	case "python":
		return "Python"
	case "bash":
		return "Bash"
	case "powershell":
		return "PowerShell"
	case "html", "css", "scss", "json", "sql", "yaml", "xml", "svg", "jsx", "tsx", "toml", "php", "csv", "mdx":
		return strings.ToUpper(l)
	case "cpp":
		return "C++"
	case "csharp":
		return "C#"
	case "fsharp":
		return "F#"
	case "graphql":
		return "GraphQL"
	case "objectivec":
		return "Objective-C"
	case "dotenv":
		return "Env"
	case "text":
		return "Text"
	default:
		return strings.ToUpper(l[:1]) + l[1:]
	}
}

// asciiLower lowers ASCII letters only, so byte offsets in the result are
// offsets in s.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
