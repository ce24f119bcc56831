package codeblock

import (
	"slices"
	"strings"
)

// pythonPart is one Python block read for merging.
type pythonPart struct {
	block   Block
	imports []pyImport // top-level import statements, removed from body
	body    []string
	names   []string // top-level def and class names, and __main__ for a main guard
	class   string   // the first top-level class
	def     string   // the first top-level function other than main
	hasMain bool     // a top-level def main
	lines   []string // significant body lines, to compare blocks
}

// pyImport is one import statement: import a, b as c or from m import x.
type pyImport struct {
	from   string   // the module of a from-import, "" for import
	names  []pyName // the imported modules, or the names from the module
	future bool
}

// pyName is one imported name with its alias.
type pyName struct {
	name, alias string
}

// readPython reads a Python block for merging.
func readPython(b Block) *pythonPart {
	p := &pythonPart{block: b}
	lines := strings.Split(b.Code, "\n")
	code := pyCodeLines(lines)
	var top []bool
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if code[i] && (strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "from ")) {
			if imp, n, ok := parsePyImport(lines[i:min(len(lines), i+maxImportLines)]); ok {
				p.imports = append(p.imports, imp)
				i += n - 1
				continue
			}
		}
		p.body = append(p.body, line)
		top = append(top, code[i] && line != "" && line[0] != ' ' && line[0] != '\t')
	}
	seen := map[string]bool{}
	for i, line := range p.body {
		if !top[i] {
			continue
		}
		name, kind := pyDeclaration(line)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		p.names = append(p.names, name)
		switch {
		case kind == "class" && p.class == "":
			p.class = name
		case kind == "def" && name == "main":
			p.hasMain = true
		case kind == "def" && p.def == "":
			p.def = name
		}
	}
	p.lines = significantLines(p.body)
	return p
}

// pyDeclaration returns the name a top-level line defines and whether it is
// a "def" or a "class"; a main guard defines "__main__".
func pyDeclaration(line string) (string, string) {
	s := strings.TrimPrefix(line, "async ")
	for _, kw := range [...]string{"def", "class"} {
		if rest, ok := strings.CutPrefix(s, kw+" "); ok {
			name, _ := readIdent(strings.TrimSpace(rest))
			return name, kw
		}
	}
	if strings.HasPrefix(s, "if __name__") {
		return "__main__", "main"
	}
	return "", ""
}

// pyCodeLines reports, for each line of Python source, whether it starts in
// code rather than inside a triple-quoted string.
func pyCodeLines(lines []string) []bool {
	out := make([]bool, len(lines))
	open := ""
	for n, line := range lines {
		out[n] = open == ""
		for i := 0; i < len(line); i++ {
			c := line[i]
			if open != "" {
				if c == '\\' {
					i++
				} else if strings.HasPrefix(line[i:], open) {
					i += len(open) - 1
					open = ""
				}
				continue
			}
			if c == '#' {
				break
			}
			if c != '\'' && c != '"' {
				continue
			}
			if q := strings.Repeat(string(c), 3); strings.HasPrefix(line[i:], q) {
				open = q
				i += 2
				continue
			}
			for i++; i < len(line) && line[i] != c; i++ {
				if line[i] == '\\' {
					i++
				}
			}
		}
	}
	return out
}

// parsePyImport parses the import statement starting lines[0], with its
// continuation lines (parentheses or backslashes), and returns it with the
// number of lines it spans. Statements with semicolons or anything it does
// not understand are left in place.
func parsePyImport(lines []string) (pyImport, int, bool) {
	var imp pyImport
	var b strings.Builder
	n := 0
	paren := false
	for n < len(lines) {
		line := lines[n]
		n++
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if strings.Contains(line, "(") {
			paren = true
		}
		cont := strings.HasSuffix(line, "\\")
		b.WriteString(strings.TrimSuffix(line, "\\"))
		b.WriteByte(' ')
		if (paren && strings.Contains(line, ")")) || (!paren && !cont) {
			break
		}
		if n == len(lines) {
			return imp, 0, false
		}
	}
	s := strings.TrimSpace(b.String())
	if strings.ContainsAny(s, ";'\"") {
		return imp, 0, false
	}
	if rest, ok := strings.CutPrefix(s, "import "); ok {
		for _, item := range strings.Split(rest, ",") {
			name, ok := parsePyName(item, true)
			if !ok {
				return imp, 0, false
			}
			imp.names = append(imp.names, name)
		}
		return imp, n, len(imp.names) > 0
	}
	module, names, ok := strings.Cut(strings.TrimPrefix(s, "from "), " import ")
	module = strings.TrimSpace(module)
	if name := strings.TrimLeft(module, "."); !ok || (name != "" && !isDottedName(name)) || module == "" {
		return imp, 0, false
	}
	names = strings.TrimSpace(names)
	if strings.HasPrefix(names, "(") {
		inner, tail, ok := strings.Cut(names[1:], ")")
		if !ok || strings.TrimSpace(tail) != "" {
			return imp, 0, false
		}
		names = inner
	} else if strings.ContainsAny(names, "()") {
		return imp, 0, false
	}
	imp.from = module
	imp.future = module == "__future__"
	for _, item := range strings.Split(names, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		if strings.TrimSpace(item) == "*" {
			imp.names = append(imp.names, pyName{name: "*"})
			continue
		}
		name, ok := parsePyName(item, false)
		if !ok {
			return imp, 0, false
		}
		imp.names = append(imp.names, name)
	}
	return imp, n, len(imp.names) > 0
}

// parsePyName parses "name" or "name as alias"; dotted names are accepted
// for modules.
func parsePyName(item string, dotted bool) (pyName, bool) {
	f := strings.Fields(item)
	valid := isIdent
	if dotted {
		valid = isDottedName
	}
	switch {
	case len(f) == 1 && valid(f[0]):
		return pyName{name: f[0]}, true
	case len(f) == 3 && f[1] == "as" && valid(f[0]) && isIdent(f[2]):
		return pyName{name: f[0], alias: f[2]}, true
	}
	return pyName{}, false
}

// isDottedName reports whether s is a dotted module name such as os.path.
func isDottedName(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if !isIdent(part) {
			return false
		}
	}
	return true
}

// mergePython returns the parts of a group after adding p, or false when p
// defines a function or class (or main guard) that a remaining part
// defines: then it is another version, not a continuation. Parts whose
// lines p repeats are replaced by p.
func mergePython(parts []*pythonPart, p *pythonPart) ([]*pythonPart, bool) {
	kept, _, ok := remainingParts(parts, p, func(q *pythonPart) ([]string, []string) { return q.lines, q.names })
	if !ok {
		return nil, false
	}
	return append(kept, p), true
}

// renderPython returns the code of a group of Python parts: one part's code
// unchanged, or the imports of all parts merged and de-duplicated at the
// top (from __future__ first, then in first-seen order, one from-import
// per module) followed by each part's remaining lines.
func renderPython(parts []*pythonPart) string {
	if len(parts) == 1 {
		return parts[0].block.Code
	}
	declared := map[string]bool{}
	for _, p := range parts {
		for _, n := range p.names {
			declared[n] = true
		}
	}
	type fromImport struct {
		module string
		names  []pyName
	}
	type entry struct {
		plain pyName      // import name as alias
		from  *fromImport // or from module import names
	}
	var order, future []entry
	plain := map[pyName]bool{}
	froms := map[string]*fromImport{}
	var bodies []string
	for _, p := range parts {
		for _, imp := range p.imports {
			if imp.from == "" {
				for _, n := range imp.names {
					if !plain[n] {
						plain[n] = true
						order = append(order, entry{plain: n})
					}
				}
				continue
			}
			f := froms[imp.from]
			if f == nil {
				f = &fromImport{module: imp.from}
				froms[imp.from] = f
				if imp.future {
					future = append(future, entry{from: f})
				} else {
					order = append(order, entry{from: f})
				}
			}
			for _, n := range imp.names {
				if !slices.Contains(f.names, n) {
					f.names = append(f.names, n)
				}
			}
		}
		if t := trimBlank(p.body); len(t) > 0 {
			bodies = append(bodies, strings.Join(t, "\n"))
		}
	}
	var head []string
	for _, e := range append(future, order...) {
		if e.from == nil {
			head = append(head, "import "+pyNameString(e.plain))
			continue
		}
		local := strings.HasPrefix(e.from.module, ".")
		var names []string
		star := false
		for _, n := range e.from.names {
			switch {
			case n.name == "*":
				star = true
			case local && declared[bindingName(n)]:
			default:
				names = append(names, pyNameString(n))
			}
		}
		if star {
			head = append(head, "from "+e.from.module+" import *")
		}
		if len(names) > 0 {
			head = append(head, pyFromLine(e.from.module, names))
		}
	}
	sections := bodies
	if len(head) > 0 {
		sections = append([]string{strings.Join(head, "\n")}, bodies...)
	}
	return strings.Join(sections, "\n\n\n")
}

// pyNameString renders "name" or "name as alias".
func pyNameString(n pyName) string {
	if n.alias != "" {
		return n.name + " as " + n.alias
	}
	return n.name
}

// bindingName returns the name an import binds.
func bindingName(n pyName) string {
	if n.alias != "" {
		return n.alias
	}
	return n.name
}

// maxPythonWidth is the line width beyond which a from-import is wrapped.
const maxPythonWidth = 79

// pyFromLine renders a from-import, wrapped in parentheses when long.
func pyFromLine(module string, names []string) string {
	line := "from " + module + " import " + strings.Join(names, ", ")
	if len(line) <= maxPythonWidth {
		return line
	}
	return "from " + module + " import (\n    " + strings.Join(names, ",\n    ") + ",\n)"
}

// pythonTitle names a group of Python parts: the first class, else the first
// function other than main, else main.
func pythonTitle(parts []*pythonPart) string {
	for _, p := range parts {
		if p.class != "" {
			return p.class
		}
	}
	for _, p := range parts {
		if p.def != "" {
			return p.def
		}
	}
	for _, p := range parts {
		if p.hasMain {
			return "main"
		}
	}
	return ""
}
