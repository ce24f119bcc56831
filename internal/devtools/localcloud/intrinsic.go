package localcloud

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// noValue is what !Ref AWS::NoValue resolves to: the property is dropped.
type noValue struct{}

// resolver evaluates the intrinsic functions of a template with the local
// stack's values: parameters, the names and attributes of its resources,
// conditions, and SSM dynamic references. An intrinsic it does not know is
// an error, never an empty string.
type resolver struct {
	params     map[string]any    // parameter values: strings, or []any for lists
	conditions map[string]any    // the template's condition definitions
	refs       map[string]any    // !Ref of resources and pseudo parameters
	attrs      map[string]string // !GetAtt Resource.Attribute
	// ssm reads a parameter for a {{resolve:ssm:...}} reference: its value
	// and whether it is a SecureString.
	ssm func(name string) (value string, secure bool, ok bool)

	evaluated map[string]bool // conditions evaluated so far
}

// resolve evaluates v (a property value of the template) at path, for error
// messages.
func (r *resolver) resolve(path string, v any) (any, error) {
	switch v := v.(type) {
	case string:
		return r.dynamic(path, v)
	case []any:
		out := make([]any, 0, len(v))
		for i, e := range v {
			x, err := r.resolve(fmt.Sprintf("%s[%d]", path, i), e)
			if err != nil {
				return nil, err
			}
			if _, drop := x.(noValue); !drop {
				out = append(out, x)
			}
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(path, k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			x, err := r.resolve(path+"."+k, e)
			if err != nil {
				return nil, err
			}
			if _, drop := x.(noValue); !drop {
				out[k] = x
			}
		}
		return out, nil
	}
	return v, nil // numbers, booleans, null
}

// str resolves v to a string (numbers as CloudFormation prints them).
func (r *resolver) str(path string, v any) (string, error) {
	x, err := r.resolve(path, v)
	if err != nil {
		return "", err
	}
	return scalarString(path, x)
}

// list resolves v to a list of strings.
func (r *resolver) list(path string, v any) ([]string, error) {
	x, err := r.resolve(path, v)
	if err != nil {
		return nil, err
	}
	xs, ok := x.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a list, got %v", path, x)
	}
	out := make([]string, 0, len(xs))
	for i, e := range xs {
		s, err := scalarString(fmt.Sprintf("%s[%d]", path, i), e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func scalarString(path string, x any) (string, error) {
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

func (r *resolver) intrinsic(path, fn string, arg any) (any, error) {
	path += "." + fn
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s: want a name, got %v", path, arg)
		}
		return r.ref(path, name)
	case "Fn::GetAtt":
		var parts []string
		switch a := arg.(type) {
		case string:
			res, attr, _ := strings.Cut(a, ".")
			parts = []string{res, attr}
		case []any:
			for _, p := range a {
				s, err := r.str(path, p)
				if err != nil {
					return nil, err
				}
				parts = append(parts, s)
			}
		}
		if len(parts) != 2 {
			return nil, fmt.Errorf("%s: want [Resource, Attribute], got %v", path, arg)
		}
		return r.getAtt(path, parts[0], parts[1])
	case "Fn::Sub":
		return r.sub(path, arg)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("%s: want [delimiter, list], got %v", path, arg)
		}
		sep, err := r.str(path, a[0])
		if err != nil {
			return nil, err
		}
		xs, err := r.list(path, a[1])
		if err != nil {
			return nil, err
		}
		return strings.Join(xs, sep), nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("%s: want [delimiter, string], got %v", path, arg)
		}
		sep, err := r.str(path, a[0])
		if err != nil {
			return nil, err
		}
		s, err := r.str(path, a[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("%s: want [index, list], got %v", path, arg)
		}
		is, err := r.str(path, a[0])
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, fmt.Errorf("%s: index %q: %w", path, is, err)
		}
		x, err := r.resolve(path, a[1])
		if err != nil {
			return nil, err
		}
		xs, ok := x.([]any)
		if !ok || i < 0 || i >= len(xs) {
			return nil, fmt.Errorf("%s: index %d out of %v", path, i, x)
		}
		return xs[i], nil
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, fmt.Errorf("%s: want [condition, then, else], got %v", path, arg)
		}
		name, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("%s: want a condition name, got %v", path, a[0])
		}
		c, err := r.condition(path, name)
		if err != nil {
			return nil, err
		}
		if c {
			return r.resolve(path+"[1]", a[1])
		}
		return r.resolve(path+"[2]", a[2])
	case "Condition":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s: want a condition name, got %v", path, arg)
		}
		return r.condition(path, name)
	case "Fn::Equals":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("%s: want two values, got %v", path, arg)
		}
		x, err := r.str(path, a[0])
		if err != nil {
			return nil, err
		}
		y, err := r.str(path, a[1])
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
			x, err := r.resolve(fmt.Sprintf("%s[%d]", path, i), c)
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
	return nil, fmt.Errorf("%s: the intrinsic %s is not supported by the local stack", path, fn)
}

func (r *resolver) ref(path, name string) (any, error) {
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	if v, ok := r.refs[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("%s: !Ref %s: no such parameter, or a resource the local stack has no name for", path, name)
}

func (r *resolver) getAtt(path, res, attr string) (any, error) {
	if v, ok := r.attrs[res+"."+attr]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("%s: !GetAtt %s.%s is not supported by the local stack", path, res, attr)
}

func (r *resolver) condition(path, name string) (bool, error) {
	if r.evaluated == nil {
		r.evaluated = map[string]bool{}
	}
	if v, ok := r.evaluated[name]; ok {
		return v, nil
	}
	def, ok := r.conditions[name]
	if !ok {
		return false, fmt.Errorf("%s: no condition %s", path, name)
	}
	x, err := r.resolve("Conditions."+name, def)
	if err != nil {
		return false, err
	}
	b, ok := x.(bool)
	if !ok {
		return false, fmt.Errorf("Conditions.%s: want a boolean, got %v", name, x)
	}
	r.evaluated[name] = b
	return b, nil
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub evaluates Fn::Sub: "${Name}" is a parameter, a resource's !Ref or a
// pseudo parameter, "${Resource.Attribute}" a !GetAtt, "${!Literal}" the
// literal "${Literal}"; the list form adds variables of its own.
func (r *resolver) sub(path string, arg any) (any, error) {
	var tmpl string
	vars := map[string]string{}
	switch a := arg.(type) {
	case string:
		tmpl = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("%s: want [string, {variables}], got %v", path, arg)
		}
		s, ok := a[0].(string)
		m, ok2 := a[1].(map[string]any)
		if !ok || !ok2 {
			return nil, fmt.Errorf("%s: want [string, {variables}], got %v", path, arg)
		}
		tmpl = s
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := r.str(path+"."+k, m[k])
			if err != nil {
				return nil, err
			}
			vars[k] = v
		}
	default:
		return nil, fmt.Errorf("%s: want a string, got %v", path, arg)
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		if v, ok := vars[name]; ok {
			return v
		}
		var x any
		var err error
		if res, attr, ok := strings.Cut(name, "."); ok {
			x, err = r.getAtt(path, res, attr)
		} else {
			x, err = r.ref(path, name)
		}
		if err == nil {
			var s string
			s, err = scalarString(path, x)
			x = s
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return ""
		}
		return x.(string)
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return r.dynamic(path, out)
}

var dynamicRef = regexp.MustCompile(`\{\{resolve:([a-z-]+):([^}]*)\}\}`)

// dynamic replaces the SSM dynamic references in s ({{resolve:ssm:name}},
// with an optional :version), as CloudFormation does when it deploys: a
// missing parameter fails the deployment, and so does a SecureString read
// through ssm (CloudFormation reads those only through ssm-secure, and only
// for a few resource types).
func (r *resolver) dynamic(path, s string) (any, error) {
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
			return fail(fmt.Errorf("%s: dynamic reference %s: only resolve:ssm is supported by the local stack", path, m))
		}
		if r.ssm == nil {
			return fail(fmt.Errorf("%s: dynamic reference %s: no parameter store", path, m))
		}
		v, secure, ok := r.ssm(name)
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
