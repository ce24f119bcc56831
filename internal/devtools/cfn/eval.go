package cfn

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Values are what a template's intrinsic functions evaluate to in one
// deployment of it.
type Values struct {
	// Parameters are the parameters' values, as ParameterValues gives them:
	// strings, or []any for the list types.
	Parameters map[string]any
	// Refs are what Ref returns for a resource (its name or id) and for the
	// pseudo parameters (AWS::Region, ...). Ref AWS::NoValue needs none.
	Refs map[string]any
	// Attributes are what Fn::GetAtt returns, by "Logical.Attribute".
	Attributes map[string]any
	// SSM reads a parameter for a {{resolve:ssm:name}} reference: its
	// value, whether it is a SecureString, and whether it exists. Nil: a
	// dynamic reference is an error.
	SSM func(name string) (value string, secure, ok bool)
}

// NoValue is what Ref AWS::NoValue evaluates to: Eval drops a map entry or
// list element that evaluates to it, and gives it back only for v itself.
type NoValue struct{}

// Evaluator evaluates the intrinsic functions of one template (Ref,
// Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split, Fn::Select, Fn::If,
// Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition) and SSM dynamic
// references, against Values. What it cannot evaluate (another intrinsic,
// a name without a value) is an error that names it, never an empty string.
type Evaluator struct {
	values     Values
	conditions map[string]any
	evaluated  map[string]bool
}

// NewEvaluator evaluates the values of t (its conditions) with v.
func NewEvaluator(t *Template, v Values) *Evaluator {
	return &Evaluator{values: v, conditions: t.Conditions, evaluated: map[string]bool{}}
}

// Eval evaluates v, a value of the template; path (Resources.X.Properties)
// names it in errors.
func (e *Evaluator) Eval(path string, v any) (any, error) {
	switch v := v.(type) {
	case string:
		return e.dynamic(path, v)
	case []any:
		out := make([]any, 0, len(v))
		for i, x := range v {
			y, err := e.Eval(fmt.Sprintf("%s[%d]", path, i), x)
			if err != nil {
				return nil, err
			}
			if _, drop := y.(NoValue); !drop {
				out = append(out, y)
			}
		}
		return out, nil
	case map[string]any:
		if fn, arg, ok := Intrinsic(v); ok {
			return e.intrinsic(path+"."+fn, fn, arg)
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			y, err := e.Eval(path+"."+k, x)
			if err != nil {
				return nil, err
			}
			if _, drop := y.(NoValue); !drop {
				out[k] = y
			}
		}
		return out, nil
	}
	return v, nil // numbers, booleans, null
}

// String evaluates v to a string (a number or a boolean as CloudFormation
// prints it).
func (e *Evaluator) String(path string, v any) (string, error) {
	x, err := e.Eval(path, v)
	if err != nil {
		return "", err
	}
	return AsString(path, x)
}

// Strings evaluates v to a list of strings; a single string is a list of
// one and nothing an empty list, as in an IAM statement.
func (e *Evaluator) Strings(path string, v any) ([]string, error) {
	x, err := e.Eval(path, v)
	if err != nil {
		return nil, err
	}
	xs, ok := x.([]any)
	switch {
	case x == nil:
		xs = nil
	case !ok:
		xs = []any{x}
	}
	out := make([]string, 0, len(xs))
	for i, y := range xs {
		s, err := AsString(fmt.Sprintf("%s[%d]", path, i), y)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// AsString is an evaluated scalar as a string: numbers and booleans as
// CloudFormation prints them.
func AsString(path string, x any) (string, error) {
	switch x := x.(type) {
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("%s: want a string, got %v (%T)", path, x, x)
}

// Intrinsic tells whether v is an intrinsic function ({"Ref": ...},
// {"Condition": ...} or {"Fn::Name": ...}) and which, with its argument.
func Intrinsic(v any) (fn string, arg any, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, a, true
		}
	}
	return "", nil, false
}

func (e *Evaluator) intrinsic(path, fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s: want a name, got %v", path, arg)
		}
		return e.ref(path, name)
	case "Fn::GetAtt":
		var parts []string
		switch a := arg.(type) {
		case string:
			res, attr, _ := strings.Cut(a, ".")
			parts = []string{res, attr}
		case []any:
			for _, p := range a {
				s, err := e.String(path, p)
				if err != nil {
					return nil, err
				}
				parts = append(parts, s)
			}
		}
		if len(parts) != 2 {
			return nil, fmt.Errorf("%s: want [Resource, Attribute], got %v", path, arg)
		}
		return e.getAtt(path, parts[0], parts[1])
	case "Fn::Sub":
		return e.sub(path, arg)
	case "Fn::Join":
		a, err := args(path, arg, 2)
		if err != nil {
			return nil, err
		}
		sep, err := e.String(path, a[0])
		if err != nil {
			return nil, err
		}
		xs, err := e.list(path, a[1])
		if err != nil {
			return nil, err
		}
		return strings.Join(xs, sep), nil
	case "Fn::Split":
		a, err := args(path, arg, 2)
		if err != nil {
			return nil, err
		}
		sep, err := e.String(path, a[0])
		if err != nil {
			return nil, err
		}
		s, err := e.String(path, a[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Select":
		a, err := args(path, arg, 2)
		if err != nil {
			return nil, err
		}
		is, err := e.String(path, a[0])
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, fmt.Errorf("%s: index %q: %w", path, is, err)
		}
		x, err := e.Eval(path, a[1])
		if err != nil {
			return nil, err
		}
		xs, ok := x.([]any)
		if !ok || i < 0 || i >= len(xs) {
			return nil, fmt.Errorf("%s: no element %d in %v", path, i, x)
		}
		return xs[i], nil
	case "Fn::If":
		a, err := args(path, arg, 3)
		if err != nil {
			return nil, err
		}
		name, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("%s: want a condition name, got %v", path, a[0])
		}
		c, err := e.condition(path, name)
		if err != nil {
			return nil, err
		}
		if c {
			return e.Eval(path+"[1]", a[1])
		}
		return e.Eval(path+"[2]", a[2])
	case "Condition":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s: want a condition name, got %v", path, arg)
		}
		return e.condition(path, name)
	case "Fn::Equals":
		a, err := args(path, arg, 2)
		if err != nil {
			return nil, err
		}
		x, err := e.String(path, a[0])
		if err != nil {
			return nil, err
		}
		y, err := e.String(path, a[1])
		if err != nil {
			return nil, err
		}
		return x == y, nil
	case "Fn::Not", "Fn::And", "Fn::Or":
		a, ok := arg.([]any)
		if !ok || len(a) == 0 || fn == "Fn::Not" && len(a) != 1 {
			return nil, fmt.Errorf("%s: want a list of conditions, got %v", path, arg)
		}
		var vals []bool
		for i, c := range a {
			x, err := e.Eval(fmt.Sprintf("%s[%d]", path, i), c)
			if err != nil {
				return nil, err
			}
			b, ok := x.(bool)
			if !ok {
				return nil, fmt.Errorf("%s: want a condition, got %v", path, x)
			}
			vals = append(vals, b)
		}
		switch fn {
		case "Fn::Not":
			return !vals[0], nil
		case "Fn::And":
			return !slices.Contains(vals, false), nil
		}
		return slices.Contains(vals, true), nil
	}
	return nil, fmt.Errorf("%s: %s is not supported", path, fn)
}

// args is the n arguments of an intrinsic function.
func args(path string, arg any, n int) ([]any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != n {
		return nil, fmt.Errorf("%s: want %d arguments, got %v", path, n, arg)
	}
	return a, nil
}

// list evaluates v to a list of strings.
func (e *Evaluator) list(path string, v any) ([]string, error) {
	x, err := e.Eval(path, v)
	if err != nil {
		return nil, err
	}
	if _, ok := x.([]any); !ok {
		return nil, fmt.Errorf("%s: want a list, got %v", path, x)
	}
	return e.Strings(path, x)
}

func (e *Evaluator) ref(path, name string) (any, error) {
	if name == "AWS::NoValue" {
		return NoValue{}, nil
	}
	if v, ok := e.values.Parameters[name]; ok {
		return v, nil
	}
	if v, ok := e.values.Refs[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("%s: Ref %s: no parameter or resource of that name has a value", path, name)
}

func (e *Evaluator) getAtt(path, res, attr string) (any, error) {
	if v, ok := e.values.Attributes[res+"."+attr]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("%s: Fn::GetAtt %s.%s has no value", path, res, attr)
}

// Condition evaluates the template's condition name.
func (e *Evaluator) Condition(name string) (bool, error) {
	return e.condition("Conditions", name)
}

func (e *Evaluator) condition(path, name string) (bool, error) {
	if v, ok := e.evaluated[name]; ok {
		return v, nil
	}
	def, ok := e.conditions[name]
	if !ok {
		return false, fmt.Errorf("%s: no condition %s", path, name)
	}
	x, err := e.Eval("Conditions."+name, def)
	if err != nil {
		return false, err
	}
	b, ok := x.(bool)
	if !ok {
		return false, fmt.Errorf("Conditions.%s: want a boolean, got %v", name, x)
	}
	e.evaluated[name] = b
	return b, nil
}

var subVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub evaluates Fn::Sub: "${Name}" is a parameter, a resource's Ref or a
// pseudo parameter, "${Resource.Attribute}" a Fn::GetAtt, "${!Literal}"
// the literal "${Literal}"; the list form adds variables of its own.
func (e *Evaluator) sub(path string, arg any) (any, error) {
	tmpl, isString := arg.(string)
	vars := map[string]string{}
	if !isString {
		a, err := args(path, arg, 2)
		if err != nil {
			return nil, err
		}
		s, ok := a[0].(string)
		m, ok2 := a[1].(map[string]any)
		if !ok || !ok2 {
			return nil, fmt.Errorf("%s: want [string, {variables}], got %v", path, arg)
		}
		tmpl = s
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v, err := e.String(path+"."+k, m[k])
			if err != nil {
				return nil, err
			}
			vars[k] = v
		}
	}
	var firstErr error
	out := subVariable.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-1]
		if literal, ok := strings.CutPrefix(name, "!"); ok {
			return "${" + literal + "}"
		}
		if v, ok := vars[name]; ok {
			return v
		}
		var x any
		var err error
		if res, attr, ok := strings.Cut(name, "."); ok {
			x, err = e.getAtt(path, res, attr)
		} else {
			x, err = e.ref(path, name)
		}
		var s string
		if err == nil {
			s, err = AsString(path, x)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return s
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return e.dynamic(path, out)
}

var dynamicRef = regexp.MustCompile(`\{\{resolve:([a-z-]+):([^}]*)\}\}`)

// dynamic replaces the SSM dynamic references in s ({{resolve:ssm:name}},
// with an optional :version), as CloudFormation does when it deploys: a
// missing parameter fails the deployment, and so does a SecureString read
// through ssm (CloudFormation reads those only through ssm-secure, and only
// for a few resource types).
func (e *Evaluator) dynamic(path, s string) (any, error) {
	if !strings.Contains(s, "{{resolve:") {
		return s, nil
	}
	var firstErr error
	out := dynamicRef.ReplaceAllStringFunc(s, func(m string) string {
		parts := dynamicRef.FindStringSubmatch(m)
		service, name := parts[1], parts[2]
		if i := strings.LastIndexByte(name, ':'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		fail := func(err error) string {
			if firstErr == nil {
				firstErr = err
			}
			return ""
		}
		if service != "ssm" {
			return fail(fmt.Errorf("%s: dynamic reference %s: only resolve:ssm is supported", path, m))
		}
		if e.values.SSM == nil {
			return fail(fmt.Errorf("%s: dynamic reference %s: no parameter store", path, m))
		}
		v, secure, ok := e.values.SSM(name)
		switch {
		case !ok:
			return fail(fmt.Errorf("%s: dynamic reference %s: parameter %s does not exist (create it before deploying)", path, m, name))
		case secure:
			return fail(fmt.Errorf("%s: dynamic reference %s: %s is a SecureString, which {{resolve:ssm:...}} cannot read", path, m, name))
		}
		return v
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// ParameterValues are t's parameters with their defaults, overridden by
// given; a parameter without either, an unknown one, or a value outside
// AllowedValues or not of the parameter's type is an error, as in a
// deployment. List types give []any.
func ParameterValues(t *Template, given map[string]string) (map[string]any, error) {
	out := map[string]any{}
	for name := range given {
		if _, ok := t.Parameters[name]; !ok {
			return nil, fmt.Errorf("parameter %s: the template has no such parameter", name)
		}
	}
	for name, def := range t.Parameters {
		p, _ := def.(map[string]any)
		v, ok := given[name]
		if !ok {
			d, ok := p["Default"]
			if !ok {
				return nil, fmt.Errorf("parameter %s has no default: give it a value", name)
			}
			var err error
			if v, err = AsString("Parameters."+name+".Default", d); err != nil {
				return nil, err
			}
		}
		if allowed, ok := p["AllowedValues"].([]any); ok {
			var as []string
			for _, a := range allowed {
				s, _ := AsString(name, a)
				as = append(as, s)
			}
			if !slices.Contains(as, v) {
				return nil, fmt.Errorf("parameter %s: %q is not one of %v", name, v, as)
			}
		}
		switch typ, _ := p["Type"].(string); typ {
		case "Number":
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("parameter %s: %q is not a number", name, v)
			}
			out[name] = v
		case "CommaDelimitedList", "List<Number>":
			var xs []any
			for _, x := range strings.Split(v, ",") {
				xs = append(xs, strings.TrimSpace(x))
			}
			out[name] = xs
		case "String", "":
			out[name] = v
		default:
			return nil, fmt.Errorf("parameter %s: type %s is not supported", name, typ)
		}
	}
	return out, nil
}
