package esbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// iconIndex maps each name that lucide-react's barrel exports to the module
// that defines it, so that a build can import only the icons an artifact
// names (what Next.js calls optimizePackageImports).
type iconIndex struct {
	barrel  string                // the barrel module, used when the names are unknown
	exports map[string]iconExport // exported name → origin
	types   map[string]bool       // exported TypeScript types (LucideProps, ...)
}

type iconExport struct {
	file string // absolute path of the defining module
	name string // its export name there ("default" for an icon)
}

// exportList splits `export { a as B, C } from './x.mjs';` (or, without
// from, `export type { A, B };`) into its specifiers and module; ok is false
// for any other line. The barrel and the declaration file hold one statement
// a line, so a line scan reads them in a millisecond.
func exportList(line, prefix string) (specs []string, from string, ok bool) {
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return nil, "", false
	}
	list, rest, ok := strings.Cut(rest, "}")
	if !ok {
		return nil, "", false
	}
	if _, quoted, found := strings.Cut(rest, "from "); found && len(quoted) > 2 {
		if end := strings.IndexByte(quoted[1:], quoted[0]); end >= 0 {
			from = quoted[1 : end+1]
		}
	}
	return strings.Split(list, ","), from, true
}

// loadIconIndex reads lucide-react's ESM barrel.
func loadIconIndex(dir string) (*iconIndex, error) {
	barrel := filepath.Join(dir, "lucide-react", "dist", "esm", "lucide-react.mjs")
	data, err := os.ReadFile(barrel)
	if err != nil {
		return nil, fmt.Errorf("read lucide-react barrel: %w", err)
	}
	idx := &iconIndex{barrel: barrel, exports: make(map[string]iconExport, 8192)}
	base := filepath.Dir(barrel)
	for line := range strings.Lines(string(data)) {
		specs, from, ok := exportList(line, "export {")
		if !ok || from == "" {
			continue
		}
		file := filepath.Join(base, filepath.FromSlash(from))
		for _, spec := range specs {
			orig, name := splitSpecifier(spec)
			if name != "" {
				idx.exports[name] = iconExport{file: file, name: orig}
			}
		}
	}
	if len(idx.exports) == 0 {
		return nil, fmt.Errorf("read lucide-react barrel %s: no exports found", barrel)
	}
	decl, err := os.ReadFile(filepath.Join(dir, "lucide-react", "dist", "lucide-react.d.ts"))
	if err != nil {
		return nil, fmt.Errorf("read lucide-react types: %w", err)
	}
	idx.types = map[string]bool{}
	const typeExport = "export type {"
	for rest := string(decl); ; {
		at := strings.Index(rest, typeExport)
		if at < 0 {
			break
		}
		rest = rest[at:]
		specs, _, _ := exportList(rest, typeExport)
		rest = rest[len(typeExport):]
		for _, spec := range specs {
			if _, name := splitSpecifier(spec); name != "" {
				idx.types[name] = true
			}
		}
	}
	return idx, nil
}

// iconSource returns the source of an icon module, read once per Builder.
// Loading icons this way, rather than as files, spares esbuild from listing
// the 10,000 entries of their directory in every build.
func (v *vendor) iconSource(file string) (string, error) {
	if js, ok := v.iconFiles.Load(file); ok {
		return js.(string), nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read icon: %w", err)
	}
	v.iconFiles.Store(file, string(data))
	return string(data), nil
}

// iconIndex returns the lucide-react index, reading it on first use.
func (v *vendor) iconIndex() (*iconIndex, error) {
	v.iconsOnce.Do(func() { v.icons, v.iconsErr = loadIconIndex(v.dir) })
	return v.icons, v.iconsErr
}

// splitSpecifier splits `a as b` into ("a", "b") and `a` into ("a", "a");
// a `type` specifier yields empty names.
func splitSpecifier(spec string) (orig, name string) {
	f := strings.Fields(spec)
	switch {
	case len(f) == 0 || f[0] == "type":
		return "", ""
	case len(f) == 3 && f[1] == "as":
		return f[0], f[2]
	default:
		return f[0], f[0]
	}
}

var (
	// lucideNamed matches the static named imports and re-exports of
	// lucide-react: `import { A, B as C } from "lucide-react"`.
	lucideNamed = regexp.MustCompile(`(?:import|export)\s+(type\s+)?\{([^}]*)\}\s*from\s*["']lucide-react["']`)
	// lucideAny matches every mention of the specifier.
	lucideAny = regexp.MustCompile(`["']lucide-react["']`)
)

// iconModule returns the module that stands for lucide-react in one build:
// it re-exports only the names the sources import. ok is false when the
// sources use the package in a way a scan cannot follow (a namespace or
// dynamic import, the `icons` object), and the build must use the barrel.
func (idx *iconIndex) iconModule(sources []string) (js string, ok bool) {
	byFile := map[string][]string{}
	for _, src := range sources {
		named := lucideNamed.FindAllStringSubmatch(src, -1)
		if len(named) != len(lucideAny.FindAllStringIndex(src, -1)) {
			return "", false
		}
		for _, m := range named {
			if m[1] != "" {
				continue // import type { ... }
			}
			for _, spec := range strings.Split(m[2], ",") {
				orig, _ := splitSpecifier(spec)
				if orig == "" {
					continue
				}
				if orig == "icons" || orig == "default" {
					return "", false
				}
				e, known := idx.exports[orig]
				if !known {
					continue // esbuild reports the missing export at the import
				}
				clause := e.name + " as " + orig
				if !slices.Contains(byFile[e.file], clause) {
					byFile[e.file] = append(byFile[e.file], clause)
				}
			}
		}
	}
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	slices.Sort(files)
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "export { %s } from %s;\n", strings.Join(byFile[f], ", "), strconv.Quote(filepath.ToSlash(f)))
	}
	return b.String(), true
}

// unknownNames reports the names that code imports from lucide-react but the
// package does not export, each at its place in the code. (esbuild would let
// a TypeScript file import them as if they were types.)
func (idx *iconIndex) unknownNames(code string) []api.Message {
	var out []api.Message
	for _, m := range lucideNamed.FindAllStringSubmatchIndex(code, -1) {
		if m[2] >= 0 {
			continue // import type { ... }
		}
		start := m[4]
		for _, spec := range strings.Split(code[m[4]:m[5]], ",") {
			orig, _ := splitSpecifier(spec)
			if _, ok := idx.exports[orig]; orig != "" && !ok && !idx.types[orig] && orig != "icons" {
				at := start + strings.Index(spec, orig)
				out = append(out, api.Message{
					Text:     fmt.Sprintf("lucide-react has no icon or export named %q.", orig),
					Location: locate(code, at, len(orig)),
				})
			}
			start += len(spec) + 1
		}
	}
	return out
}

// locate returns the esbuild location of code[offset:offset+length].
func locate(code string, offset, length int) *api.Location {
	lineStart := strings.LastIndexByte(code[:offset], '\n') + 1
	lineEnd := strings.IndexByte(code[offset:], '\n')
	if lineEnd < 0 {
		lineEnd = len(code)
	} else {
		lineEnd += offset
	}
	return &api.Location{
		Line:     strings.Count(code[:offset], "\n") + 1,
		Column:   offset - lineStart,
		Length:   length,
		LineText: code[lineStart:lineEnd],
	}
}
