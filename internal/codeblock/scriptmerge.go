package codeblock

import "strings"

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
