package codeblock

import (
	"strings"
)

// This file reads JavaScript and TypeScript blocks (with or without JSX) for
// merging. It reads only what it needs, line by line: the top-level
// statements at column 0 that import, require, declare or export by
// default. Lines inside comments, strings and template literals are
// recognised so that their text is never taken for a statement. Imports
// are parsed in jsimport.go; the parts of a module are merged in
// scriptmerge.go.

// scriptPart is one JavaScript-family block read for merging.
type scriptPart struct {
	block      Block
	directives []string        // 'use client' and the like, from the prologue
	imports    []jsImport      // import declarations, removed from body
	requires   []string        // whole-line require() declarations, removed from body
	body       []string        // the remaining lines
	names      []string        // top-level names the body declares
	component  string          // the first top-level declaration named like a component
	exports    []string        // top-level values exported where they are declared
	callable   map[string]bool // top-level names of functions and classes
	function   string          // the first top-level function or class
	def        jsDefault       // the default export, if any
	lines      []string        // significant body lines, to compare blocks
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
			if kind != declType && strings.HasPrefix(line, "export ") && !strings.HasPrefix(line, "export default") {
				p.exports = append(p.exports, name)
			}
			if kind == declFunction || kind == declClass || (kind == declVariable && holdsFunction(line)) {
				if p.callable == nil {
					p.callable = map[string]bool{}
				}
				p.callable[name] = true
			}
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

// holdsFunction reports whether a top-level variable declaration's value is
// a function: an arrow function or a function expression, perhaps wrapped
// in memo or forwardRef ("const Card = ({ title }) => {",
// "export const Input = forwardRef(function Input(props, ref) {").
func holdsFunction(line string) bool {
	eq := -1
	for i := 1; i < len(line)-1; i++ {
		if line[i] == '=' && !strings.ContainsRune("=!<>", rune(line[i-1])) && line[i+1] != '=' && line[i+1] != '>' {
			eq = i
			break
		}
	}
	if eq < 0 {
		return false
	}
	v := strings.TrimSpace(line[eq+1:])
	for _, wrapper := range [...]string{"React.memo(", "React.forwardRef(", "memo(", "forwardRef("} {
		v = strings.TrimSpace(strings.TrimPrefix(v, wrapper))
	}
	if strings.HasPrefix(v, "function") || strings.HasPrefix(v, "async ") || strings.HasPrefix(v, "async(") || strings.HasPrefix(v, "(") {
		return true
	}
	name, rest := readIdent(v)
	return name != "" && strings.HasPrefix(strings.TrimSpace(rest), "=>")
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

// scriptLanguage returns the language of a module made of parts: TSX or JSX
// when a part is, else TypeScript or JavaScript.
func scriptLanguage(parts []*scriptPart) string {
	lang := parts[0].block.Language
	for _, p := range parts {
		switch l := p.block.Language; {
		case l == "tsx" || l == "jsx":
			return l
		case l == "typescript":
			lang = l
		}
	}
	return lang
}

// isBrowserScript reports whether JavaScript is a classic script for a
// page: not React, no module syntax, no Node.js require or process.
func isBrowserScript(code string) bool {
	if isReact(code) || strings.Contains(code, "require(") || strings.Contains(code, "module.exports") || strings.Contains(code, "process.") {
		return false
	}
	for _, line := range strings.Split(code, "\n") {
		if strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "export ") {
			return false
		}
	}
	return true
}

// isIdentByte reports whether c can be part of an ASCII identifier.
func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
