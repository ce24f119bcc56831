package openapi

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/httpapi"
)

// componentPrefix is where the document keeps its named schemas.
const componentPrefix = "#/components/schemas/"

// schemas reflects Go types into components/schemas, each named after its
// type ("chat.Metadata", "agent.Role": its package's name and its own). A
// request body's type is reflected as the decoder reads it (fields it does
// not declare are refused: additionalProperties false; required only where
// a declaration says so); every other type as encoding/json writes it (a
// field without omitempty is always there; a pointer without omitempty may
// be null).
type schemas struct {
	request, response *jsonschema.Reflector
	components        map[string]*jsonschema.Schema
	types             map[string]reflect.Type
	requests          map[string]bool   // the components reflected as request bodies
	reflected         map[string]string // each component as reflected, JSON
}

func newSchemas() *schemas {
	s := &schemas{components: map[string]*jsonschema.Schema{}, types: map[string]reflect.Type{}, requests: map[string]bool{}, reflected: map[string]string{}}
	s.request = &jsonschema.Reflector{Anonymous: true, RequiredFromJSONSchemaTags: true, Namer: s.name, Mapper: enums}
	s.response = &jsonschema.Reflector{Anonymous: true, AllowAdditionalProperties: true, Namer: s.name, Mapper: enums}
	return s
}

// name is t's component name, or "" for a type that has none; two types of
// one name are an error Generate reports (a panic caught there).
func (s *schemas) name(t reflect.Type) string {
	if t.Name() == "" || t.PkgPath() == "" {
		return ""
	}
	name := path.Base(t.PkgPath()) + "." + t.Name()
	if prev, ok := s.types[name]; ok && prev != t {
		panic(fmt.Errorf("two types are named %s: %s and %s", name, prev.PkgPath(), t.PkgPath()))
	}
	s.types[name] = t
	return name
}

// enums are the schemas of the domain's string types whose values are a
// closed list.
func enums(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[agent.Role]():
		return enum(agent.Roles())
	case reflect.TypeFor[agent.ArtifactType]():
		return enum(agent.ArtifactTypes())
	case reflect.TypeFor[agent.Code]():
		return enum(httpapi.Codes())
	}
	return nil
}

func enum[T ~string](values []T) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "string"}
	for _, v := range values {
		s.Enum = append(s.Enum, string(v))
	}
	return s
}

// Ref reflects v's type into the components (a request body's when
// request) and returns a reference to it.
func (s *schemas) Ref(v any, request bool) *jsonschema.Schema {
	t := reflect.TypeOf(v)
	r := s.response
	if request {
		r = s.request
	}
	root := r.ReflectFromType(t)
	for name, def := range root.Definitions {
		s.add(name, def, request)
	}
	root.Definitions, root.Version = nil, ""
	rewriteRefs(root)
	return root
}

// add keeps def as the component name; a name reflected twice must come
// out the same.
func (s *schemas) add(name string, def *jsonschema.Schema, request bool) {
	rewriteRefs(def)
	raw, _ := json.Marshal(def)
	if prev, ok := s.reflected[name]; ok {
		if prev != string(raw) || s.requests[name] != request {
			panic(fmt.Errorf("%s is reflected two ways (as a request body and as a response?)", name))
		}
		return
	}
	s.components[name], s.reflected[name] = def, string(raw)
	s.requests[name] = request
	if !request {
		nullPointers(def, s.types[name])
	}
	timestamps(def)
}

// rewriteRefs points the references invopop writes into $defs at the
// components.
func rewriteRefs(s *jsonschema.Schema) {
	walk(s, func(s *jsonschema.Schema) {
		if name, ok := strings.CutPrefix(s.Ref, "#/$defs/"); ok {
			s.Ref = componentPrefix + name
		}
	})
}

// walk calls f on s and every schema within it.
func walk(s *jsonschema.Schema, f func(*jsonschema.Schema)) {
	if s == nil {
		return
	}
	f(s)
	for _, sub := range slices.Concat(s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems) {
		walk(sub, f)
	}
	for _, sub := range []*jsonschema.Schema{s.Not, s.If, s.Then, s.Else, s.Items, s.Contains, s.AdditionalProperties, s.PropertyNames, s.ContentSchema} {
		walk(sub, f)
	}
	for _, sub := range s.PatternProperties {
		walk(sub, f)
	}
	for _, sub := range s.DependentSchemas {
		walk(sub, f)
	}
	if s.Properties != nil {
		for p := s.Properties.Oldest(); p != nil; p = p.Next() {
			walk(p.Value, f)
		}
	}
}

// nullPointers lets the pointer fields of t that encoding/json writes even
// when nil (no omitempty) be null.
func nullPointers(s *jsonschema.Schema, t reflect.Type) {
	if t == nil || t.Kind() != reflect.Struct || s.Properties == nil {
		return
	}
	for _, f := range reflect.VisibleFields(t) {
		name, omit := jsonName(f)
		if name == "" || omit || f.Type.Kind() != reflect.Pointer {
			continue
		}
		if p, ok := s.Properties.Get(name); ok {
			s.Properties.Set(name, &jsonschema.Schema{OneOf: []*jsonschema.Schema{p, {Type: "null"}}})
		}
	}
}

// jsonName is the name encoding/json gives f, "" when it leaves f out, and
// whether a zero f is left out.
func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() || f.Anonymous {
		return "", false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	omit := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
	return name, omit
}

// timestamps marks the string properties named as moments (createdAt,
// expiresAt, ...) as date-times: the API writes every moment so
// (agent.FormatTime), and names every moment so.
func timestamps(s *jsonschema.Schema) {
	if s.Properties == nil {
		return
	}
	for p := s.Properties.Oldest(); p != nil; p = p.Next() {
		if strings.HasSuffix(p.Key, "At") && p.Value.Type == "string" {
			p.Value.Format = "date-time"
		}
	}
}

// Property returns the schema of the property of a component, failing when
// the type has no such field.
func (s *schemas) Property(v any, field string) (*jsonschema.Schema, error) {
	t := reflect.TypeOf(v)
	c, ok := s.components[s.name(t)]
	if !ok {
		return nil, fmt.Errorf("%s is not in the document", t)
	}
	p, ok := c.Properties.Get(field)
	if !ok {
		return nil, fmt.Errorf("%s has no field %q", t, field)
	}
	return p, nil
}

// Component returns the component of v's type.
func (s *schemas) Component(v any) (*jsonschema.Schema, error) {
	t := reflect.TypeOf(v)
	c, ok := s.components[s.name(t)]
	if !ok {
		return nil, fmt.Errorf("%s is not in the document", t)
	}
	return c, nil
}

// Named adds a schema that is not a Go type's (an event: a Go type's data
// under its name) and returns a reference to it.
func (s *schemas) Named(name string, def *jsonschema.Schema) *jsonschema.Schema {
	if strings.Contains(name, ".") {
		panic(fmt.Errorf("%s: only the components of Go types have a package in their name", name))
	}
	if _, ok := s.components[name]; ok {
		panic(fmt.Errorf("%s is added twice", name))
	}
	s.components[name] = def
	return &jsonschema.Schema{Ref: componentPrefix + name}
}
