// Package cfn is the one reader of CloudFormation templates in the
// repository's tooling. It reads a template (SAM's template.yaml, or the
// JSON the CDK synthesizes) into plain Go values, turning the YAML short
// forms of intrinsic functions (!Ref, !Sub, !GetAtt, ...) into their long
// JSON forms, so both kinds of template read as the same data; and it
// evaluates those intrinsic functions, the parameters and the conditions
// against the values one deployment gives them (Evaluator). The local
// cloud runs a template with it, the IAM proof reads policies with it, and
// the CDK app's tests read what the CDK synthesized with it.
package cfn

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Template is a parsed template.
type Template struct {
	Parameters map[string]any      `json:"Parameters"`
	Conditions map[string]any      `json:"Conditions"`
	Globals    map[string]any      `json:"Globals"`
	Resources  map[string]Resource `json:"Resources"`
	Outputs    map[string]any      `json:"Outputs"`
}

// Resource is one resource of a template.
type Resource struct {
	Type                string         `json:"Type"`
	Condition           string         `json:"Condition"`
	Properties          map[string]any `json:"Properties"`
	Metadata            map[string]any `json:"Metadata"`
	DeletionPolicy      string         `json:"DeletionPolicy"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy"`
}

// ReadFile reads the template in file (YAML or JSON).
func ReadFile(file string) (*Template, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	tpl, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return tpl, nil
}

// Parse reads YAML (or JSON, which is YAML) into a Template.
func Parse(data []byte) (*Template, error) {
	v, err := Decode(data)
	if err != nil {
		return nil, err
	}
	// Round-trip through JSON to fill the typed fields.
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode template: %w", err)
	}
	var t Template
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("decode template: %w", err)
	}
	return &t, nil
}

// Decode reads YAML (or JSON) into the whole document as maps, slices and
// scalars (numbers as float64), with intrinsic functions in their long
// forms: what a template says, section by section and attribute by
// attribute, where Parse keeps only what Template has fields for.
func Decode(data []byte) (map[string]any, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("parse template: empty document")
	}
	v, err := convert(root.Content[0])
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: the document is a %T, not a mapping", v)
	}
	return m, nil
}

// convert turns a YAML node into maps, slices and scalars.
func convert(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.AliasNode:
		return convert(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := convert(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		v = scalar(n)
	default:
		return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}
	return intrinsic(n, v)
}

func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return float64(i)
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	case "!!null":
		return nil
	}
	return n.Value
}

// intrinsic wraps v in the long form of a short-form tag such as !Ref.
func intrinsic(n *yaml.Node, v any) (any, error) {
	tag := n.Tag
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") {
		return v, nil
	}
	name := strings.TrimPrefix(tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			resource, attr, _ := strings.Cut(s, ".")
			return map[string]any{"Fn::GetAtt": []any{resource, attr}}, nil
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	case "Sub", "Join", "Split", "Select", "If", "Equals", "And", "Or", "Not",
		"FindInMap", "GetAZs", "ImportValue", "Base64", "Cidr", "Length", "ToJsonString":
		return map[string]any{"Fn::" + name: v}, nil
	}
	return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, tag)
}
