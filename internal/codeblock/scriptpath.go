package codeblock

import (
	"path"
	"strings"
)

// This file infers the file of a JavaScript-family block that names none
// from the imports that tie it to the files other blocks of the reply named.

// pathFromImports returns the path of the file a pathless script part p
// is, among the files of the reply's project (whose relative specifiers
// imports holds by path), when imports tie it to them:
// p imports one of them with a "./" specifier (from src/Countdown.jsx,
// "./hooks/useInterval" is src/hooks/useInterval.js), or one of them
// imports p's name (src/App.jsx importing "./Countdown"). Each tie puts p
// in a directory; p is the file named after its module name (see
// moduleName) in the one directory all its ties agree on. It returns ""
// when p has no module name, no tie, ties to several directories, or
// would be a file it imports.
func pathFromImports(p *scriptPart, files []File, imports map[string][]string) string {
	name := moduleName(p)
	if name == "" {
		return ""
	}
	dirs := map[string]bool{}
	var imported []string
	for _, spec := range localSpecifiers(p) {
		rel, ok := strings.CutPrefix(spec, "./")
		if rel = CleanPath(rel); !ok || rel == "" {
			continue
		}
		for _, f := range files {
			if dir, ok := importingDir(f.Path, rel); ok {
				dirs[dir] = true
				imported = append(imported, f.Path)
			}
		}
	}
	for _, f := range files {
		for _, spec := range imports[f.Path] {
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				continue
			}
			if target := path.Join(path.Dir(f.Path), spec); path.Base(target) == name && CleanPath(target) == target {
				dirs[path.Dir(target)] = true
			}
		}
	}
	if len(dirs) != 1 {
		return ""
	}
	var dir string
	for d := range dirs {
		dir = d
	}
	file := fileNamed(dir, name, p.block.Language, files)
	for _, f := range imported {
		if f == file {
			return ""
		}
	}
	return file
}

// moduleName returns the name a script part's file takes: the name of its
// default export when that is a function or a class it declares, else the
// name of the one value it exports when that is a function or a class.
func moduleName(p *scriptPart) string {
	if p.def.form != noDefault {
		if p.callable[p.def.name] {
			return p.def.name
		}
		return ""
	}
	if len(p.exports) == 1 && p.callable[p.exports[0]] {
		return p.exports[0]
	}
	return ""
}

// localSpecifiers returns the relative module specifiers a script part
// imports or requires ("./utils/slugify", "../api").
func localSpecifiers(p *scriptPart) []string {
	var out []string
	for _, imp := range p.imports {
		if strings.HasPrefix(imp.module, ".") {
			out = append(out, imp.module)
		}
	}
	for _, r := range p.requires {
		_, arg, _ := strings.Cut(r, "require(")
		if m, _, ok := readString(strings.TrimSpace(arg)); ok && strings.HasPrefix(m, ".") {
			out = append(out, m)
		}
	}
	return out
}

// importingDir returns the directory from which the relative path rel
// (a "./" specifier without its "./") names the project file f: f itself
// ("./App.css"), f without its script extension ("./hooks/useInterval"),
// or f as a directory's index script ("./components" for
// components/index.js). The top directory is ".".
func importingDir(f, rel string) (string, bool) {
	names := []string{f}
	if languageFamily(languageForPath(f)) == "javascript" {
		base := strings.TrimSuffix(f, path.Ext(f))
		names = append(names, base)
		if d, b := path.Split(base); b == "index" && d != "" {
			names = append(names, strings.TrimSuffix(d, "/"))
		}
	}
	for _, n := range names {
		if n == rel {
			return ".", true
		}
		if d, ok := strings.CutSuffix(n, "/"+rel); ok {
			return d, true
		}
	}
	return "", false
}

// fileNamed returns the path of the script called name in dir: the file
// of the project there with that name and a script extension, else name
// with the extension of language.
func fileNamed(dir, name, language string, files []File) string {
	want := path.Join(dir, name+"."+Extension(language))
	other := ""
	for _, f := range files {
		if f.Path == want {
			return want
		}
		if other == "" && path.Dir(f.Path) == dir && strings.TrimSuffix(path.Base(f.Path), path.Ext(f.Path)) == name && languageFamily(languageForPath(f.Path)) == "javascript" {
			other = f.Path
		}
	}
	if other != "" {
		return other
	}
	return want
}
