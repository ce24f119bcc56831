package codeblock

import (
	"slices"
	"strings"
)

// This file parses JavaScript import declarations and merges them per
// module.

// jsImport is one import declaration.
type jsImport struct {
	module   string
	quote    byte
	semi     bool
	typeOnly bool // import type ...
	def      string
	ns       string
	named    []jsSpec
}

// jsSpec is one named import specifier.
type jsSpec struct {
	imported, local string
	typeOnly        bool // { type A }
}

// maxImportLines bounds how many lines one import declaration may span.
const maxImportLines = 100

// parseImport parses the import declaration that starts lines[0] and
// returns it with the number of lines it spans. It fails for anything it
// cannot merge safely: dynamic import(), import.meta, TypeScript's
// import x = require(), import attributes, or code after the declaration on
// its last line.
func parseImport(lines []string) (jsImport, int, bool) {
	var imp jsImport
	s := strings.Join(lines, "\n")
	rest := strings.TrimPrefix(s, "import")
	if rest == "" || !strings.ContainsRune(" \t{*'\"", rune(rest[0])) {
		return imp, 0, false
	}
	rest = strings.TrimLeft(rest, " \t\n")
	if rest != "" && (rest[0] == '\'' || rest[0] == '"') {
		module, after, ok := readString(rest)
		if !ok {
			return imp, 0, false
		}
		imp.module, imp.quote = module, rest[0]
		return finishImport(imp, s, after)
	}
	from := findFrom(rest)
	if from < 0 {
		return imp, 0, false
	}
	if !parseClause(&imp, rest[:from]) {
		return imp, 0, false
	}
	spec := strings.TrimLeft(rest[from+len("from"):], " \t\n")
	module, after, ok := readString(spec)
	if !ok {
		return imp, 0, false
	}
	imp.module, imp.quote = module, spec[0]
	return finishImport(imp, s, after)
}

// finishImport checks what follows an import's module specifier: an
// optional semicolon and an optional line comment up to the end of the line.
func finishImport(imp jsImport, s, after string) (jsImport, int, bool) {
	if imp.module == "" {
		return imp, 0, false
	}
	tail, _, _ := strings.Cut(after, "\n")
	t := strings.TrimLeft(tail, " \t")
	if strings.HasPrefix(t, ";") {
		imp.semi = true
		t = strings.TrimLeft(t[1:], " \t")
	}
	if t != "" && !strings.HasPrefix(t, "//") {
		return imp, 0, false
	}
	end := len(s) - len(after)
	return imp, strings.Count(s[:end], "\n") + 1, true
}

// findFrom returns the offset in an import clause of the keyword from that
// precedes the module specifier, or -1.
func findFrom(s string) int {
	for i := 0; i+4 <= len(s); {
		j := strings.Index(s[i:], "from")
		if j < 0 {
			return -1
		}
		j += i
		i = j + 4
		if j > 0 && isIdentByte(s[j-1]) {
			continue
		}
		after := strings.TrimLeft(s[i:], " \t\n")
		if after != "" && (after[0] == '\'' || after[0] == '"') {
			return j
		}
	}
	return -1
}

// readString reads a quoted string without escapes at the start of s and
// returns its content and what follows it.
func readString(s string) (string, string, bool) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", "", false
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", "", false
	}
	v := s[1 : 1+end]
	if strings.ContainsAny(v, "\\\n") {
		return "", "", false
	}
	return v, s[2+end:], true
}

// parseClause parses the bindings of an import declaration, between import
// and from.
func parseClause(imp *jsImport, clause string) bool {
	c := strings.TrimSpace(clause)
	if strings.ContainsAny(c, ";()=\"'`") {
		return false
	}
	if rest, ok := strings.CutPrefix(c, "type"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '{' || rest[0] == '*') {
		imp.typeOnly = true
		c = strings.TrimSpace(rest)
	}
	if c != "" && c[0] != '{' && c[0] != '*' {
		name, rest := readIdent(c)
		if name == "" {
			return false
		}
		imp.def = name
		c = strings.TrimSpace(rest)
		if c == "" {
			return true
		}
		if c[0] != ',' {
			return false
		}
		c = strings.TrimSpace(c[1:])
	}
	switch {
	case strings.HasPrefix(c, "*"):
		rest, ok := strings.CutPrefix(strings.TrimSpace(c[1:]), "as")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\n') {
			return false
		}
		name, tail := readIdent(strings.TrimSpace(rest))
		if name == "" || strings.TrimSpace(tail) != "" {
			return false
		}
		imp.ns = name
		return true
	case strings.HasPrefix(c, "{"):
		inner, tail, ok := strings.Cut(c[1:], "}")
		if !ok || strings.TrimSpace(tail) != "" {
			return false
		}
		return parseSpecs(imp, inner)
	}
	return false
}

// parseSpecs parses the named specifiers between the braces of an import.
func parseSpecs(imp *jsImport, inner string) bool {
	var b strings.Builder
	for _, line := range strings.Split(inner, "\n") {
		line, _, _ = strings.Cut(line, "//")
		b.WriteString(line)
		b.WriteByte(' ')
	}
	for _, item := range strings.Split(b.String(), ",") {
		f := strings.Fields(item)
		if len(f) == 0 {
			continue
		}
		var spec jsSpec
		if f[0] == "type" && len(f) > 1 && f[1] != "as" {
			spec.typeOnly = true
			f = f[1:]
		}
		switch {
		case len(f) == 1 && isIdent(f[0]):
			spec.imported, spec.local = f[0], f[0]
		case len(f) == 3 && f[1] == "as" && isIdent(f[0]) && isIdent(f[2]):
			spec.imported, spec.local = f[0], f[2]
		default:
			return false
		}
		imp.named = append(imp.named, spec)
	}
	return true
}

// isLocalModule reports whether an import specifier names a file of the
// project rather than a package.
func isLocalModule(m string) bool {
	return strings.HasPrefix(m, ".") || strings.HasPrefix(m, "/") || strings.HasPrefix(m, "@/") || strings.HasPrefix(m, "~/")
}

// importSet merges import declarations per module, in first-seen order.
type importSet struct {
	modules []*moduleImports
	index   map[string]*moduleImports
}

// moduleImports gathers the bindings imported from one module.
type moduleImports struct {
	module         string
	quote          byte
	semi           bool
	sideEffect     bool
	defaults       []string
	namespaces     []string
	named          []jsSpec
	typeDefaults   []string
	typeNamespaces []string
	typeNamed      []jsSpec
}

// add merges one import declaration.
func (s *importSet) add(imp jsImport) {
	if s.index == nil {
		s.index = map[string]*moduleImports{}
	}
	m := s.index[imp.module]
	if m == nil {
		m = &moduleImports{module: imp.module, quote: imp.quote, semi: imp.semi}
		s.index[imp.module] = m
		s.modules = append(s.modules, m)
	}
	if imp.def == "" && imp.ns == "" && imp.named == nil && !imp.typeOnly {
		m.sideEffect = true
		return
	}
	if imp.typeOnly {
		m.typeDefaults = appendUnique(m.typeDefaults, imp.def)
		m.typeNamespaces = appendUnique(m.typeNamespaces, imp.ns)
		m.typeNamed = addSpecs(m.typeNamed, imp.named)
		return
	}
	m.defaults = appendUnique(m.defaults, imp.def)
	m.namespaces = appendUnique(m.namespaces, imp.ns)
	m.named = addSpecs(m.named, imp.named)
}

// appendUnique appends a non-empty name not already in list.
func appendUnique(list []string, name string) []string {
	if name == "" || slices.Contains(list, name) {
		return list
	}
	return append(list, name)
}

// addSpecs merges specifiers, one per local name; a value import of a name
// wins over a type-only one.
func addSpecs(list []jsSpec, specs []jsSpec) []jsSpec {
next:
	for _, s := range specs {
		for i := range list {
			if list[i].local == s.local {
				if !s.typeOnly {
					list[i].typeOnly = false
				}
				continue next
			}
		}
		list = append(list, s)
	}
	return list
}

// render returns one import declaration per line. Bindings of a local
// module that the merged file itself declares are left out.
func (s *importSet) render(declared map[string]bool) []string {
	var out []string
	for _, m := range s.modules {
		local := isLocalModule(m.module)
		dropped := false
		keep := func(name string) bool {
			if local && declared[name] {
				dropped = true
				return false
			}
			return true
		}
		values := map[string]bool{} // local names bound so far, each bound once
		var defaults, namespaces []string
		var named []jsSpec
		for _, d := range m.defaults {
			if keep(d) && !values[d] {
				defaults = append(defaults, d)
				values[d] = true
			}
		}
		for _, n := range m.named {
			if keep(n.local) && !values[n.local] {
				named = append(named, n)
				values[n.local] = true
			}
		}
		for _, ns := range m.namespaces {
			if !values[ns] {
				namespaces = append(namespaces, ns)
				values[ns] = true
			}
		}
		var stmts []string
		if len(defaults) > 0 || len(named) > 0 || len(namespaces) > 0 {
			var first []string
			if len(defaults) > 0 {
				first = append(first, defaults[0])
				defaults = defaults[1:]
			}
			switch {
			case len(named) > 0:
				first = append(first, specList(named))
			case len(namespaces) > 0:
				first = append(first, "* as "+namespaces[0])
				namespaces = namespaces[1:]
			}
			stmts = append(stmts, m.statement("", strings.Join(first, ", ")))
			for _, d := range defaults {
				stmts = append(stmts, m.statement("", d))
			}
			for _, ns := range namespaces {
				stmts = append(stmts, m.statement("", "* as "+ns))
			}
		}
		var typeNamed []jsSpec
		for _, n := range m.typeNamed {
			if !values[n.local] && keep(n.local) {
				typeNamed = append(typeNamed, n)
			}
		}
		if len(typeNamed) > 0 {
			stmts = append(stmts, m.statement("type ", specList(typeNamed)))
		}
		for _, d := range m.typeDefaults {
			if !values[d] && keep(d) {
				stmts = append(stmts, m.statement("type ", d))
				values[d] = true
			}
		}
		for _, ns := range m.typeNamespaces {
			if !values[ns] {
				stmts = append(stmts, m.statement("type ", "* as "+ns))
				values[ns] = true
			}
		}
		if len(stmts) == 0 && m.sideEffect && !dropped {
			stmts = append(stmts, "import "+m.quoted()+m.end())
		}
		out = append(out, stmts...)
	}
	return out
}

// statement returns an import declaration of this module with a clause,
// with named specifiers one per line when the declaration is long.
func (m *moduleImports) statement(typ, clause string) string {
	line := "import " + typ + clause + " from " + m.quoted() + m.end()
	open := strings.Index(clause, "{ ")
	if len(line) <= maxImportWidth || open < 0 || !strings.HasSuffix(clause, " }") {
		return line
	}
	items := strings.Split(clause[open+2:len(clause)-2], ", ")
	clause = clause[:open] + "{\n  " + strings.Join(items, ",\n  ") + ",\n}"
	return "import " + typ + clause + " from " + m.quoted() + m.end()
}

// quoted returns the module specifier in its original quotes.
func (m *moduleImports) quoted() string {
	return string(m.quote) + m.module + string(m.quote)
}

// end returns the statement terminator in the module's original style.
func (m *moduleImports) end() string {
	if m.semi {
		return ";"
	}
	return ""
}

// maxImportWidth is the line width beyond which an import declaration's
// named specifiers go one per line.
const maxImportWidth = 80

// specList renders named specifiers in braces.
func specList(specs []jsSpec) string {
	items := make([]string, len(specs))
	for i, s := range specs {
		item := s.imported
		if s.local != s.imported {
			item += " as " + s.local
		}
		if s.typeOnly {
			item = "type " + item
		}
		items[i] = item
	}
	return "{ " + strings.Join(items, ", ") + " }"
}
