// Package schema checks CloudFormation templates against a published
// specification of the resource types: the JSON Schemas that goformation
// (github.com/awslabs/goformation/v7/schema) generates from the AWS
// CloudFormation Resource Specification, with SAM's AWS::Serverless::* types
// and Globals for SAM templates and AWS::CDK::Metadata for the CDK's. A
// property the spec does not know (a misspelling), a value of the wrong JSON
// type (a string where a list goes) and a missing required property are
// reported with their path in the template; so are unknown resource types
// and malformed template sections.
//
// goformation rather than rain (github.com/aws-cloudformation/rain): rain
// embeds the newer registry schemas, but in an internal package, with no
// validator and nothing for SAM; goformation exports its schemas as Go
// strings, for each of the three kinds of template, and is tested with the
// validator used here (github.com/xeipuuv/gojsonschema).
//
// What it cannot check: the value of an intrinsic function (Ref, Fn::*),
// which only CloudFormation evaluates, so an error at or inside one is not
// reported; and, since the resource specification has no value constraints,
// enumerations and patterns of property values. Where goformation's last
// release (v7.14.9, generated 2024-04-27) lags what CloudFormation and SAM
// accept, patches below add what is missing, each with its reason.
package schema

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	goschema "github.com/awslabs/goformation/v7/schema"
	"github.com/xeipuuv/gojsonschema"
)

// Spec is the kind of template, which picks the schema.
type Spec int

const (
	// CloudFormation is a plain template.
	CloudFormation Spec = iota
	// SAM is a template with Transform AWS::Serverless-2016-10-31.
	SAM
	// CDK is a template the CDK synthesized.
	CDK
)

func (s Spec) String() string {
	switch s {
	case CloudFormation:
		return "CloudFormation"
	case SAM:
		return "SAM"
	case CDK:
		return "CDK"
	}
	return fmt.Sprintf("Spec(%d)", int(s))
}

// Problem is one way a template departs from the spec.
type Problem struct {
	Path    string // dotted, from the template's root: Resources.Table.Properties
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Check reports how doc, a template as cfn.Decode reads it (intrinsic
// functions in their long forms), departs from spec. The error is for a
// schema that cannot be built.
func Check(doc map[string]any, spec Spec) ([]Problem, error) {
	c, err := compiled(spec)
	if err != nil {
		return nil, err
	}
	var problems []Problem
	if resources, ok := doc["Resources"].(map[string]any); ok {
		for _, id := range slices.Sorted(maps.Keys(resources)) {
			res, _ := resources[id].(map[string]any)
			typ, _ := res["Type"].(string)
			if typ != "" && !c.types[typ] && !strings.HasPrefix(typ, "Custom::") {
				problems = append(problems, Problem{"Resources." + id + ".Type", fmt.Sprintf("unknown resource type %s", typ)})
			}
		}
	}
	result, err := c.schema.Validate(gojsonschema.NewGoLoader(doc))
	if err != nil {
		return nil, fmt.Errorf("validate against the %s schema: %w", spec, err)
	}
	return append(problems, report(doc, result.Errors())...), nil
}

// summaries are the errors that only say a combination failed; the
// errors of the failing branch come with them.
var summaries = map[string]bool{
	"number_any_of": true, "number_one_of": true, "number_all_of": true,
	"condition_then": true, "condition_else": true,
}

// report turns the validator's errors into problems: none at or inside an
// intrinsic function, and a failed combination only when no error of its
// branch (reported or not) says more.
func report(doc map[string]any, errs []gojsonschema.ResultError) []Problem {
	type located struct {
		path []string
		err  gojsonschema.ResultError
	}
	var all []located
	for _, e := range errs {
		// Split on a byte no key holds: keys may contain dots.
		path := strings.Split(e.Context().String("\x00"), "\x00")[1:] // after "(root)"
		all = append(all, located{path, e})
	}
	var problems []Problem
	for _, l := range all {
		if underIntrinsic(doc, l.path) {
			continue
		}
		if summaries[l.err.Type()] && slices.ContainsFunc(all, func(o located) bool {
			return !summaries[o.err.Type()] && hasPrefix(o.path, l.path)
		}) {
			continue
		}
		p := Problem{Path: strings.Join(l.path, "."), Message: l.err.Description()}
		if p.Path == "" {
			p.Path = "(root)"
		}
		if !slices.Contains(problems, p) {
			problems = append(problems, p)
		}
	}
	slices.SortFunc(problems, func(a, b Problem) int { return strings.Compare(a.String(), b.String()) })
	return problems
}

// underIntrinsic tells whether the value at path, or one that holds it, is
// an intrinsic function.
func underIntrinsic(doc any, path []string) bool {
	v := doc
	for i := 0; ; i++ {
		if isIntrinsic(v) {
			return true
		}
		if i == len(path) {
			return false
		}
		switch c := v.(type) {
		case map[string]any:
			v = c[path[i]]
		case []any:
			var n int
			if _, err := fmt.Sscan(path[i], &n); err != nil || n < 0 || n >= len(c) {
				return false
			}
			v = c[n]
		default:
			return false
		}
	}
}

// isIntrinsic tells whether v is {"Ref": ...} or {"Fn::Name": ...}.
func isIntrinsic(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

func hasPrefix(path, prefix []string) bool {
	return len(path) >= len(prefix) && slices.Equal(path[:len(prefix)], prefix)
}

// compiledSchema is a spec's schema, ready to validate, and the resource
// types it knows.
type compiledSchema struct {
	schema *gojsonschema.Schema
	types  map[string]bool
}

var cache = map[Spec]func() (compiledSchema, error){
	CloudFormation: sync.OnceValues(func() (compiledSchema, error) { return compile(CloudFormation, goschema.CloudformationSchema) }),
	SAM:            sync.OnceValues(func() (compiledSchema, error) { return compile(SAM, goschema.SamSchema) }),
	CDK:            sync.OnceValues(func() (compiledSchema, error) { return compile(CDK, goschema.CdkSchema) }),
}

func compiled(spec Spec) (compiledSchema, error) {
	f, ok := cache[spec]
	if !ok {
		return compiledSchema{}, fmt.Errorf("unknown spec %v", spec)
	}
	return f()
}

// compile patches goformation's schema and builds it. Resources are
// dispatched on their Type (goformation matches each against every type
// with anyOf, which reports nothing useful when none matches).
func compile(spec Spec, src string) (compiledSchema, error) {
	var root map[string]any
	if err := json.Unmarshal([]byte(src), &root); err != nil {
		return compiledSchema{}, fmt.Errorf("parse the %s schema: %w", spec, err)
	}
	defs, _ := root["definitions"].(map[string]any)
	if defs == nil {
		return compiledSchema{}, fmt.Errorf("the %s schema has no definitions", spec)
	}
	for _, p := range patches {
		if p.samOnly && spec != SAM {
			continue
		}
		if err := p.apply(root, defs); err != nil {
			return compiledSchema{}, fmt.Errorf("%s schema, patch %q: %w", spec, p.name, err)
		}
	}

	// Two levels, the service (AWS::DynamoDB) then the type, since each
	// branch costs a validation.
	types := map[string]bool{}
	services := map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		enum, _ := dig(defs, name, "properties", "Type", "enum").([]any)
		if len(enum) != 1 || enum[0] != name {
			continue // a property type, or CustomResource (matched by pattern)
		}
		types[name] = true
		service := name[:strings.LastIndex(name, "::")]
		services[service] = append(services[service], name)
	}
	dispatch := []any{map[string]any{ // Custom::Name, by pattern
		"if":   map[string]any{"required": []any{"Type"}, "properties": map[string]any{"Type": map[string]any{"pattern": "^Custom::"}}},
		"then": ref("CustomResource"),
	}}
	for _, service := range slices.Sorted(maps.Keys(services)) {
		var byType []any
		for _, name := range services[service] {
			byType = append(byType, ifType([]string{name}, ref(name)))
		}
		dispatch = append(dispatch, ifType(services[service], map[string]any{"allOf": byType}))
	}
	resources, _ := dig(root, "properties", "Resources").(map[string]any)
	pattern, _ := resources["patternProperties"].(map[string]any)
	if len(pattern) != 1 {
		return compiledSchema{}, fmt.Errorf("the %s schema's Resources are not one pattern of logical IDs", spec)
	}
	for k := range pattern {
		pattern[k] = map[string]any{"type": "object", "required": []any{"Type"}, "allOf": dispatch}
	}

	s, err := gojsonschema.NewSchemaLoader().Compile(gojsonschema.NewGoLoader(root))
	if err != nil {
		return compiledSchema{}, fmt.Errorf("compile the %s schema: %w", spec, err)
	}
	return compiledSchema{schema: s, types: types}, nil
}

// ifType is a schema that applies then to a resource whose Type is one of
// types.
func ifType(types []string, then map[string]any) map[string]any {
	enum := make([]any, len(types))
	for i, t := range types {
		enum[i] = t
	}
	return map[string]any{
		"if":   map[string]any{"required": []any{"Type"}, "properties": map[string]any{"Type": map[string]any{"enum": enum}}},
		"then": then,
	}
}

// dig is the value at keys under m, or nil.
func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// object is the map at keys under m, or an error naming them.
func object(m map[string]any, keys ...string) (map[string]any, error) {
	o, ok := dig(m, keys...).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no object at %s", strings.Join(keys, "."))
	}
	return o, nil
}

// addProperty adds a property the schema lacks to the object schema at
// keys; it fails once the schema has it, so the patch goes when goformation
// catches up.
func addProperty(m map[string]any, name string, schema any, keys ...string) error {
	o, err := object(m, append(keys, "properties")...)
	if err != nil {
		return err
	}
	if _, ok := o[name]; ok {
		return fmt.Errorf("%s already has %s: drop the patch", strings.Join(keys, "."), name)
	}
	o[name] = schema
	return nil
}

func ref(def string) map[string]any { return map[string]any{"$ref": "#/definitions/" + def} }

// patches bring goformation's schemas in line with what CloudFormation and
// SAM accept.
var patches = []struct {
	name    string
	samOnly bool
	apply   func(root, defs map[string]any) error
}{
	// Rules is an optional section of any template (the CDK writes
	// CheckBootstrapVersion there); the spec's root lacks it.
	{"Rules section", false, func(root, _ map[string]any) error {
		return addProperty(root, "Rules", map[string]any{"type": "object"})
	}},
	// A Number parameter's Default may be a JSON number (the CDK writes
	// it so, and a YAML 20 is one); the spec allows only strings.
	{"numeric parameter defaults", false, func(_, defs map[string]any) error {
		def, err := object(defs, "Parameter", "properties", "Default")
		if err != nil {
			return err
		}
		def["type"] = []any{"string", "number"}
		return nil
	}},
	// Added to AWS::Lambda::Permission after the spec was generated: the
	// CDK sets it on the permission of a Function URL with AuthType NONE.
	{"Lambda permission InvokedViaFunctionUrl", false, func(_, defs map[string]any) error {
		return addProperty(defs, "InvokedViaFunctionUrl", map[string]any{"type": "boolean"}, "AWS::Lambda::Permission", "properties", "Properties")
	}},
	// SAM passes LoggingConfig to AWS::Lambda::Function, on a function and
	// in Globals; goformation's SAM spec lacks it. The spec leaves
	// Globals.Function open; closing it makes a misspelling there an error
	// too (and is why LoggingConfig must be added).
	{"SAM LoggingConfig", true, func(root, defs map[string]any) error {
		if err := addProperty(defs, "LoggingConfig", ref("AWS::Lambda::Function.LoggingConfig"), "AWS::Serverless::Function", "properties", "Properties"); err != nil {
			return err
		}
		if err := addProperty(root, "LoggingConfig", ref("AWS::Lambda::Function.LoggingConfig"), "properties", "Globals", "properties", "Function"); err != nil {
			return err
		}
		globals, err := object(root, "properties", "Globals", "properties", "Function")
		if err != nil {
			return err
		}
		globals["additionalProperties"] = false
		return nil
	}},
	// SAM passes FunctionUrlConfig.Cors to AWS::Lambda::Url's Cors (lists
	// of origins, methods and headers); goformation's SAM spec gives it a
	// REST API's Cors (strings, AllowOrigin).
	{"SAM FunctionUrlConfig.Cors", true, func(_, defs map[string]any) error {
		props, err := object(defs, "AWS::Serverless::Function.FunctionUrlConfig", "properties")
		if err != nil {
			return err
		}
		if _, err := object(defs, "AWS::Lambda::Url.Cors"); err != nil {
			return err
		}
		props["Cors"] = ref("AWS::Lambda::Url.Cors")
		return nil
	}},
	// A function's event is checked against the event type its Type names
	// (HttpApi: HttpApiEvent), where the spec takes any event type that
	// fits (anyOf), which reports nothing useful when an intrinsic
	// function or a mistake makes none fit.
	{"SAM events by Type", true, func(_, defs map[string]any) error {
		event, err := object(defs, "AWS::Serverless::Function.EventSource")
		if err != nil {
			return err
		}
		props, err := object(event, "properties")
		if err != nil {
			return err
		}
		branches, _ := dig(props, "Properties", "anyOf").([]any)
		var names, dispatch []any
		for _, b := range branches {
			r, _ := dig(b.(map[string]any), "$ref").(string)
			name, ok := strings.CutPrefix(r, "#/definitions/AWS::Serverless::Function.")
			if name, ok = strings.CutSuffix(name, "Event"); !ok {
				return fmt.Errorf("event type %q", r)
			}
			names = append(names, name)
			dispatch = append(dispatch, map[string]any{
				"if":   map[string]any{"properties": map[string]any{"Type": map[string]any{"enum": []any{name}}}},
				"then": map[string]any{"properties": map[string]any{"Properties": map[string]any{"$ref": r}}},
			})
		}
		if len(names) == 0 {
			return fmt.Errorf("no event types")
		}
		props["Properties"] = map[string]any{"type": "object"}
		props["Type"] = map[string]any{"type": "string", "enum": names}
		event["allOf"] = dispatch
		return nil
	}},
}
