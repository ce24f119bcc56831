package deploy

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// SAM renders the stack as a SAM template (template.yaml): the functions as
// AWS::Serverless::Function with the defaults in Globals, each built by
// the Makefile's build-<LogicalId> target, its policy inline and its route
// an HttpApi event; the API as AWS::Serverless::HttpApi; the rest as it is.
// Intrinsic functions take their short forms (!Ref, !Sub, ...).
func (s *Stack) SAM() ([]byte, error) {
	root := mapping()
	add(root, "AWSTemplateFormatVersion", scalar("2010-09-09"))
	add(root, "Transform", scalar("AWS::Serverless-2016-10-31"))
	add(root, "Description", scalar(s.Description))

	params := mapping()
	for _, p := range s.Parameters {
		m := mapping()
		add(m, "Type", scalar(p.Type))
		add(m, "Default", scalar(p.Default))
		if len(p.AllowedValues) > 0 {
			add(m, "AllowedValues", value(strs(p.AllowedValues...)))
		}
		if p.Description != "" {
			add(m, "Description", scalar(p.Description))
		}
		add(params, p.Name, m)
	}
	add(root, "Parameters", params)

	conds := mapping()
	for _, c := range s.Conditions {
		add(conds, c.Name, value(c.Expression))
	}
	add(root, "Conditions", conds)

	globals := maps.Clone(s.Function.Properties)
	globals["Environment"] = map[string]any{"Variables": s.Function.Environment}
	add(root, "Globals", value(map[string]any{"Function": globals}))

	res := mapping()
	api := mapping()
	add(api, "Type", scalar("AWS::Serverless::HttpApi"))
	add(api, "Properties", value(map[string]any{
		"StageName":            s.API.StageName,
		"DefaultRouteSettings": s.API.DefaultRouteSettings,
		"CorsConfiguration":    s.API.CorsConfiguration,
	}))
	add(res, s.API.LogicalID, api)
	for _, r := range s.Resources {
		m := mapping()
		add(m, "Type", scalar(r.Type))
		if r.Condition != "" {
			add(m, "Condition", scalar(r.Condition))
		}
		if r.Retain {
			add(m, "DeletionPolicy", scalar("Retain"))
			add(m, "UpdateReplacePolicy", scalar("Retain"))
		}
		add(m, "Properties", value(r.Properties))
		add(res, r.LogicalID, m)
		res.Content[len(res.Content)-2].HeadComment = wrap(r.Comment)
	}
	for _, f := range s.Functions {
		add(res, f.LogicalID, s.samFunction(f))
	}
	add(root, "Resources", res)

	outs := mapping()
	for _, o := range s.Outputs {
		m := mapping()
		if o.Description != "" {
			add(m, "Description", scalar(o.Description))
		}
		add(m, "Value", value(o.Value))
		add(outs, o.Name, m)
	}
	add(root, "Outputs", outs)

	// A blank line before each section from Parameters on, and between
	// resources.
	for _, m := range []*yaml.Node{root, res} {
		first := 2
		if m == root {
			first = 6
		}
		for i := first; i < len(m.Content); i += 2 {
			if m.Content[i].HeadComment == "" {
				m.Content[i].HeadComment = "\n"
			} else {
				m.Content[i].HeadComment = "\n" + m.Content[i].HeadComment
			}
		}
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("render template.yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render template.yaml: %w", err)
	}
	// The encoder writes the blank lines as empty comments, indented.
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		if l = strings.TrimRight(l, " "); strings.TrimSpace(l) == "#" {
			l = ""
		}
		lines[i] = l
	}
	return []byte(strings.Join(lines, "\n")), nil
}

const header = `# Generated from routes/routes.go and deploy/ by ` + "`make template`" + `; do not edit.
# A test (deploy.TestTemplateIsCurrent) fails while this file is stale.
`

// samFunction is f as an AWS::Serverless::Function.
func (s *Stack) samFunction(f Function) *yaml.Node {
	m := mapping()
	add(m, "Type", scalar("AWS::Serverless::Function"))
	add(m, "Metadata", value(map[string]any{"BuildMethod": "makefile"}))
	p := mapping()
	add(p, "CodeUri", scalar("."))
	for _, k := range slices.SortedFunc(maps.Keys(f.Properties), func(a, b string) int {
		return cmp.Or(slices.Index(sizes, b)-slices.Index(sizes, a), strings.Compare(a, b))
	}) {
		add(p, k, value(f.Properties[k]))
	}
	if len(f.Environment) > 0 {
		add(p, "Environment", value(map[string]any{"Variables": f.Environment}))
	}
	var stmts []any
	for _, st := range f.Statements {
		stmts = append(stmts, map[string]any{"Effect": "Allow", "Action": strs(st.Actions...), "Resource": st.Resource})
	}
	if len(stmts) > 0 { // none: the role only writes logs
		add(p, "Policies", value([]any{map[string]any{"Statement": stmts}}))
	}
	if f.Path != "" {
		add(p, "Events", value(map[string]any{"Api": map[string]any{
			"Type":       "HttpApi",
			"Properties": map[string]any{"ApiId": Ref(s.API.LogicalID), "Method": f.Method, "Path": f.Path},
		}}))
	}
	if f.URL != nil {
		add(p, "FunctionUrlConfig", value(f.URL))
	}
	add(m, "Properties", p)
	return m
}

// sizes are the function properties written first, in this order.
var sizes = []string{"Timeout", "MemorySize"}

// wrap turns text into a YAML comment's lines.
func wrap(text string) string {
	if text == "" {
		return ""
	}
	return "# " + strings.ReplaceAll(text, "\n", "\n# ")
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, scalar(key), v)
}

// scalar is a string, number or boolean node, quoted where YAML would read
// it as something else ("400", "").
func scalar(v any) *yaml.Node {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		panic(err) // only scalars come here
	}
	if s, ok := v.(string); ok && strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return &n
}

// keyOrder puts these keys first, in this order, and keyLast these last;
// the others go between them in alphabetical order.
var (
	keyOrder = []string{
		"Type", "Properties", "Id", "Name", "IndexName", "AttributeName", "PathPattern", "TargetOriginId",
		"HeaderName", "EventType", "Effect", "Action", "Resource", "Statement", "Enabled", "Comment",
	}
	keyLast = []string{"Origins", "DefaultCacheBehavior", "CacheBehaviors"}
)

// rank is where key k goes: keyOrder, then the rest, then keyLast.
func rank(k string) int {
	if i := slices.Index(keyOrder, k); i >= 0 {
		return i - len(keyOrder)
	}
	if i := slices.Index(keyLast, k); i >= 0 {
		return 1 + i
	}
	return 0
}

// value is a template value as a node: maps with their keys in keyOrder,
// lists of scalars on one line, intrinsic functions in their short forms.
func value(v any) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		if fn, arg, ok := intrinsic(v); ok {
			return shortForm(fn, arg)
		}
		keys := slices.SortedFunc(maps.Keys(v), func(a, b string) int {
			return cmp.Or(rank(a)-rank(b), strings.Compare(a, b))
		})
		m := mapping()
		for _, k := range keys {
			add(m, k, value(v[k]))
		}
		return m
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		flow := true
		for _, x := range v {
			c := value(x)
			custom := strings.HasPrefix(c.Tag, "!") && !strings.HasPrefix(c.Tag, "!!")
			flow = flow && c.Kind == yaml.ScalarNode && !custom && c.Style != yaml.LiteralStyle
			n.Content = append(n.Content, c)
		}
		if flow {
			n.Style = yaml.FlowStyle
		}
		return n
	}
	n := scalar(v)
	if s, ok := v.(string); ok {
		n.LineComment = notes[s]
	}
	return n
}

// intrinsic tells whether m is an intrinsic function, and which.
func intrinsic(m map[string]any) (string, any, bool) {
	if len(m) != 1 {
		return "", nil, false
	}
	for k, arg := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, arg, true
		}
	}
	return "", nil, false
}

// shortForm is an intrinsic function as YAML's tag: !Ref Name,
// !GetAtt Resource.Attribute, !Sub "...", !If [...].
func shortForm(fn string, arg any) *yaml.Node {
	tag := "!" + strings.TrimPrefix(fn, "Fn::")
	var n *yaml.Node
	if parts, ok := arg.([]any); ok && fn == "Fn::GetAtt" && len(parts) == 2 {
		n = scalar(fmt.Sprintf("%v.%v", parts[0], parts[1]))
	} else {
		n = value(arg)
	}
	n.Tag = tag
	if n.Kind == yaml.SequenceNode {
		n.Style = yaml.FlowStyle
	}
	return n
}
