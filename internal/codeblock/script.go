package codeblock

import (
	"slices"
	"strings"
)

// This file merges JavaScript and TypeScript blocks (with or without JSX)
// that belong to one file. It reads only what it needs, line by line: the
// top-level statements at column 0 that import, require, declare or export
// by default. Lines inside comments, strings and template literals are
// recognised so that their text is never taken for a statement.

// scriptPart is one JavaScript-family block read for merging.
type scriptPart struct {
	block      Block
	directives []string   // 'use client' and the like, from the prologue
	imports    []jsImport // import declarations, removed from body
	requires   []string   // whole-line require() declarations, removed from body
	body       []string   // the remaining lines
	names      []string   // top-level names the body declares
	component  string     // the first top-level declaration named like a component
	function   string     // the first top-level function or class
	def        jsDefault  // the default export, if any
	lines      []string   // significant body lines, to compare blocks
	react      bool
}

// jsDefault describes a module's default export.
type jsDefault struct {
	form defaultForm
	line int    // index in body
	name string // the exported name, when there is one
}

// defaultForm says whether and how a default export can be demoted to a
// plain declaration when another block's default export takes its place.
type defaultForm int

const (
	noDefault      defaultForm = iota
	defaultKeyword             // export default function|class Name: drop the keywords
	defaultName                // export default Name;: drop the line
	defaultFixed               // any other form: cannot be demoted
)

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

// readScript reads a JavaScript-family block for merging.
func readScript(b Block) *scriptPart {
	p := &scriptPart{block: b, react: isReact(b.Code)}
	lines := strings.Split(b.Code, "\n")
	code := jsCodeLines(lines)
	var bodyCode []bool
	prologue := true
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		t := strings.TrimSpace(line)
		if code[i] && line != "" && line[0] != ' ' && line[0] != '\t' {
			if prologue && isDirective(t) {
				p.directives = append(p.directives, t)
				continue
			}
			if strings.HasPrefix(line, "import") {
				if imp, n, ok := parseImport(lines[i:min(len(lines), i+maxImportLines)]); ok {
					p.imports = append(p.imports, imp)
					i += n - 1
					prologue = false
					continue
				}
			}
			if isRequireLine(t) {
				p.requires = append(p.requires, t)
				prologue = false
				continue
			}
		}
		if code[i] && t != "" && !strings.HasPrefix(t, "//") && !strings.HasPrefix(t, "/*") {
			prologue = false
		}
		p.body = append(p.body, line)
		bodyCode = append(bodyCode, code[i])
	}
	names := map[string]bool{}
	for i, line := range p.body {
		if !bodyCode[i] || line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if name, kind, ok := jsDeclaration(line); ok && !names[name] {
			names[name] = true
			p.names = append(p.names, name)
			if p.component == "" && kind != declType && isComponentName(name) {
				p.component = name
			}
			if p.function == "" && (kind == declFunction || kind == declClass) {
				p.function = name
			}
		}
		if p.def.form == noDefault {
			if d, ok := jsDefaultExport(line); ok {
				d.line = i
				p.def = d
			}
		}
	}
	p.lines = significantLines(p.body)
	return p
}

// isDirective reports whether a trimmed line is a directive such as
// 'use client' or "use strict".
func isDirective(t string) bool {
	t = strings.TrimSuffix(t, ";")
	if len(t) < 2 || (t[0] != '\'' && t[0] != '"') || t[len(t)-1] != t[0] {
		return false
	}
	switch t[1 : len(t)-1] {
	case "use client", "use server", "use strict":
		return true
	}
	return false
}

// jsCodeLines reports, for each line of JavaScript source, whether it starts
// in code rather than inside a block comment or a template literal. Regular
// expression literals are not recognised; a quote in one only affects the
// rest of its line.
func jsCodeLines(lines []string) []bool {
	const (
		inCode = iota
		inComment
		inTemplate
	)
	mode := inCode
	var braces []int // open braces inside each ${ } of a template literal
	out := make([]bool, len(lines))
	for n, line := range lines {
		out[n] = mode == inCode
	scan:
		for i := 0; i < len(line); i++ {
			c := line[i]
			next := byte(0)
			if i+1 < len(line) {
				next = line[i+1]
			}
			switch mode {
			case inComment:
				if c == '*' && next == '/' {
					mode = inCode
					i++
				}
			case inTemplate:
				switch {
				case c == '\\':
					i++
				case c == '`':
					mode = inCode
				case c == '$' && next == '{':
					braces = append(braces, 0)
					mode = inCode
					i++
				}
			default:
				switch {
				case c == '/' && next == '/':
					break scan
				case c == '/' && next == '*':
					mode = inComment
					i++
				case c == '\'' || c == '"':
					i++
					for i < len(line) && line[i] != c {
						if line[i] == '\\' {
							i++
						}
						i++
					}
				case c == '`':
					mode = inTemplate
				case c == '{' && len(braces) > 0:
					braces[len(braces)-1]++
				case c == '}' && len(braces) > 0:
					if braces[len(braces)-1] == 0 {
						braces = braces[:len(braces)-1]
						mode = inTemplate
					} else {
						braces[len(braces)-1]--
					}
				}
			}
		}
	}
	return out
}

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

// readIdent reads an identifier at the start of s.
func readIdent(s string) (string, string) {
	i := 0
	for i < len(s) && isIdentByte(s[i]) {
		i++
	}
	if i == 0 || (s[0] >= '0' && s[0] <= '9') {
		return "", s
	}
	return s[:i], s[i:]
}

// isIdent reports whether s is an ASCII identifier.
func isIdent(s string) bool {
	name, rest := readIdent(s)
	return name != "" && rest == ""
}

// isRequireLine reports whether a trimmed line is a whole CommonJS require
// declaration such as const fs = require('fs');.
func isRequireLine(t string) bool {
	kw, rest, ok := strings.Cut(t, " ")
	if !ok || (kw != "const" && kw != "let" && kw != "var") {
		return false
	}
	lhs, rhs, ok := strings.Cut(rest, "=")
	if !ok {
		return false
	}
	lhs = strings.TrimSpace(lhs)
	if !isIdent(lhs) && !(strings.HasPrefix(lhs, "{") && strings.HasSuffix(lhs, "}")) {
		return false
	}
	rhs = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rhs), ";"))
	arg, ok := strings.CutPrefix(rhs, "require(")
	if !ok {
		return false
	}
	arg, ok = strings.CutSuffix(arg, ")")
	if !ok {
		return false
	}
	_, after, ok := readString(strings.TrimSpace(arg))
	return ok && after == ""
}

// declKind is the kind of a top-level declaration.
type declKind int

const (
	declFunction declKind = iota
	declClass
	declVariable
	declType
)

// jsDeclaration reads the name a top-level line declares: a function,
// class, const, let, var, interface, type or enum, exported or not.
func jsDeclaration(line string) (string, declKind, bool) {
	s := line
	for _, prefix := range [...]string{"export ", "default ", "declare ", "async ", "abstract "} {
		s = strings.TrimLeft(strings.TrimPrefix(s, prefix), " \t")
	}
	kw, rest := readIdent(s)
	if rest == "" || (rest[0] != ' ' && rest[0] != '\t' && kw != "function") {
		return "", 0, false
	}
	var kind declKind
	switch kw {
	case "function":
		kind = declFunction
		rest = strings.TrimLeft(rest, " \t*")
	case "class":
		kind = declClass
	case "const", "let", "var":
		kind = declVariable
		if r, ok := strings.CutPrefix(strings.TrimLeft(rest, " \t"), "enum "); ok {
			kind, rest = declType, r
		}
	case "interface", "type", "enum":
		kind = declType
	default:
		return "", 0, false
	}
	name, _ := readIdent(strings.TrimLeft(rest, " \t"))
	if name == "" || name == "extends" || name == "implements" {
		return "", 0, false
	}
	return name, kind, true
}

// jsDefaultExport reads a top-level default export: export default followed
// by a named function or class or by a bare name, module.exports = ..., or
// export { X as default }.
func jsDefaultExport(line string) (jsDefault, bool) {
	t := strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(t, "export default "); ok {
		rest = strings.TrimSpace(rest)
		if name, kind, ok := jsDeclaration(rest); ok && (kind == declFunction || kind == declClass) {
			return jsDefault{form: defaultKeyword, name: name}, true
		}
		bare := strings.TrimSpace(strings.TrimSuffix(rest, ";"))
		if before, _, ok := strings.Cut(bare, "//"); ok {
			bare = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(before), ";"))
		}
		if isIdent(bare) {
			return jsDefault{form: defaultName, name: bare}, true
		}
		return jsDefault{form: defaultFixed, name: wrappedName(rest)}, true
	}
	if rest, ok := strings.CutPrefix(t, "module.exports"); ok && strings.HasPrefix(strings.TrimSpace(rest), "=") {
		name, _ := readIdent(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), "=")))
		return jsDefault{form: defaultFixed, name: name}, true
	}
	if rest, ok := strings.CutPrefix(t, "export {"); ok {
		inner, _, _ := strings.Cut(rest, "}")
		for _, item := range strings.Split(inner, ",") {
			if f := strings.Fields(item); len(f) == 3 && f[1] == "as" && f[2] == "default" {
				return jsDefault{form: defaultFixed, name: f[0]}, true
			}
		}
	}
	return jsDefault{}, false
}

// wrappedName returns Counter from an expression such as memo(Counter).
func wrappedName(expr string) string {
	_, inner, ok := strings.Cut(expr, "(")
	if !ok {
		return ""
	}
	name, rest := readIdent(strings.TrimSpace(inner))
	if !strings.HasPrefix(strings.TrimSpace(rest), ")") {
		return ""
	}
	return name
}

// isComponentName reports whether a name is written like a React component.
func isComponentName(name string) bool {
	return name != "" && name[0] >= 'A' && name[0] <= 'Z' && strings.ToUpper(name) != name
}

// isLocalModule reports whether an import specifier names a file of the
// project rather than a package.
func isLocalModule(m string) bool {
	return strings.HasPrefix(m, ".") || strings.HasPrefix(m, "/") || strings.HasPrefix(m, "@/") || strings.HasPrefix(m, "~/")
}

// scriptDialect reports whether two JavaScript-family languages can share a
// file: JavaScript with JSX, TypeScript with TSX.
func scriptDialect(lang string) string {
	switch lang {
	case "typescript", "tsx":
		return "typescript"
	default:
		return "javascript"
	}
}

// mergeScript returns the parts of a group after adding p, or false when p
// does not belong with them. Parts whose lines p repeats are replaced by p.
// p does not belong when it declares a name a remaining part declares, or
// when both export a default and p does not import the others' names from a
// local file (a second version, not a use of the first).
func mergeScript(parts []*scriptPart, p *scriptPart) ([]*scriptPart, bool) {
	kept, declared, ok := remainingParts(parts, p, func(q *scriptPart) ([]string, []string) { return q.lines, q.names })
	if !ok {
		return nil, false
	}
	if p.def.form != noDefault {
		for _, q := range kept {
			if q.def.form == noDefault {
				continue
			}
			if q.def.form == defaultFixed || !importsLocalName(p, declared) {
				return nil, false
			}
		}
	}
	return append(kept, p), true
}

// importsLocalName reports whether p imports, from a local module, a name
// declared by the parts it joins.
func importsLocalName(p *scriptPart, declared map[string]bool) bool {
	for _, imp := range p.imports {
		if !isLocalModule(imp.module) {
			continue
		}
		if declared[imp.def] {
			return true
		}
		for _, s := range imp.named {
			if declared[s.local] {
				return true
			}
		}
	}
	return false
}

// renderScript returns the code of a group of script parts. One part is its
// block's code unchanged. Several are joined into one module: directives
// first, then the imports merged per module, then the require declarations,
// then each part's remaining lines. Imports of names now declared in the
// file itself are dropped, and every default export but the last is
// demoted to a plain declaration.
func renderScript(parts []*scriptPart) string {
	if len(parts) == 1 {
		return parts[0].block.Code
	}
	declared := map[string]bool{}
	lastDefault := -1
	for i, p := range parts {
		for _, n := range p.names {
			declared[n] = true
		}
		if p.def.form != noDefault {
			lastDefault = i
		}
	}
	var directives, requires, bodies []string
	seen := map[string]bool{}
	var imports importSet
	for i, p := range parts {
		for _, d := range p.directives {
			if key := strings.Trim(strings.TrimSuffix(d, ";"), "'\""); !seen["directive "+key] {
				seen["directive "+key] = true
				directives = append(directives, d)
			}
		}
		for _, imp := range p.imports {
			imports.add(imp)
		}
		for _, r := range p.requires {
			if !seen["require "+r] {
				seen["require "+r] = true
				requires = append(requires, r)
			}
		}
		body := p.body
		if p.def.form != noDefault && i != lastDefault {
			body = demote(body, p.def)
		}
		if t := trimBlank(body); len(t) > 0 {
			bodies = append(bodies, strings.Join(t, "\n"))
		}
	}
	var sections []string
	if len(directives) > 0 {
		sections = append(sections, strings.Join(directives, "\n"))
	}
	head := imports.render(declared)
	head = append(head, requires...)
	if len(head) > 0 {
		sections = append(sections, strings.Join(head, "\n"))
	}
	sections = append(sections, bodies...)
	return strings.Join(sections, "\n\n")
}

// demote turns the default export of body into a plain declaration.
func demote(body []string, d jsDefault) []string {
	out := make([]string, 0, len(body))
	for i, line := range body {
		if i != d.line {
			out = append(out, line)
			continue
		}
		if d.form == defaultKeyword {
			out = append(out, strings.TrimLeft(strings.TrimPrefix(strings.TrimSpace(line), "export default "), " \t"))
		}
	}
	return out
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

// significantLines returns the trimmed non-blank lines of a body without
// trailing semicolons and commas, to compare blocks regardless of
// indentation and punctuation style.
func significantLines(body []string) []string {
	var out []string
	for _, line := range body {
		t := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line), ";,"))
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// repeats reports whether a later block's lines contain all of an earlier
// block's non-empty lines in order: the earlier block was an excerpt of the
// later one, which supersedes it.
func repeats(later, earlier []string) bool {
	if len(earlier) == 0 || len(earlier) > len(later) {
		return false
	}
	i := 0
	for _, line := range later {
		if line == earlier[i] {
			i++
			if i == len(earlier) {
				return true
			}
		}
	}
	return false
}

// trimBlank removes leading and trailing blank lines.
func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// scriptTitle names a group of script parts: the last default export's
// name, else the first component, else the first function or class.
func scriptTitle(parts []*scriptPart) string {
	for i := len(parts) - 1; i >= 0; i-- {
		if n := parts[i].def.name; n != "" {
			return n
		}
	}
	for _, p := range parts {
		if p.react && p.component != "" {
			return p.component
		}
	}
	for _, p := range parts {
		if p.function != "" {
			return p.function
		}
	}
	return ""
}
