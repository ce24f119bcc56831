package iamproof

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/zocket/agent/internal/devtools/cfn"
)

// Resolver gives a template's intrinsic functions the values they have in
// the deployed stack.
type Resolver struct {
	Account
	// Names maps logical IDs and parameters to what Ref returns: the
	// physical name of a table, bucket or function, a parameter's value. A
	// key "Logical.Attribute" gives a Fn::GetAtt its value; without one, the
	// Arn of a table, bucket or function is built from its name.
	Names map[string]string
}

// FromSAM reads each function's statements from a SAM template: the
// Statement lists of its Policies. Anything else that would change the
// role (managed policies, policy templates, an explicit Role, a permissions
// boundary) fails rather than being left out.
func FromSAM(t *cfn.Template, res Resolver) (Policies, error) {
	r := resolver{res, t}
	if g, ok := t.Globals["Function"].(map[string]any); ok && g["Policies"] != nil {
		return nil, fmt.Errorf("SAM Globals: Policies are not read")
	}
	p := Policies{}
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		props := t.Resources[id].Properties
		if t.Resources[id].Type != "AWS::Serverless::Function" {
			continue
		}
		for _, k := range []string{"Role", "PermissionsBoundary"} {
			if props[k] != nil {
				return nil, fmt.Errorf("SAM %s: %s is not read", id, k)
			}
		}
		p[id] = []Statement{}
		for i, pol := range asList(props["Policies"]) {
			source := fmt.Sprintf("SAM %s Policies[%d]", id, i)
			doc, ok := pol.(map[string]any)
			if !ok || doc["Statement"] == nil {
				return nil, fmt.Errorf("%s: only policy documents (a Statement list) are read, not %s", source, show(pol))
			}
			stmts, err := r.document(doc, source)
			if err != nil {
				return nil, err
			}
			p[id] = append(p[id], stmts...)
		}
	}
	return p, nil
}

// basicExecutionRole is the managed policy the CDK gives every function
// role: CloudWatch Logs only, which the recorder does not see.
const basicExecutionRole = ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

// FromCDK reads each function's statements from a template the CDK
// synthesized: the AWS::IAM::Policy (or ::ManagedPolicy) resources attached
// to its role and the role's inline policies. A managed policy other than
// AWSLambdaBasicExecutionRole, or a permissions boundary, fails.
func FromCDK(t *cfn.Template, res Resolver) (Policies, error) {
	r := resolver{res, t}
	p := Policies{}
	roles := map[string][]string{} // role logical ID → functions
	for id, rs := range t.Resources {
		if rs.Type != "AWS::Lambda::Function" {
			continue
		}
		role := arnOf(rs.Properties["Role"])
		if t.Resources[role].Type != "AWS::IAM::Role" {
			return nil, fmt.Errorf("CDK %s: its role %s is not an AWS::IAM::Role of the template", id, show(rs.Properties["Role"]))
		}
		roles[role] = append(roles[role], id)
		p[id] = []Statement{}
	}
	add := func(fns []string, doc any, source string) error {
		stmts, err := r.document(doc, source)
		for _, fn := range fns {
			p[fn] = append(p[fn], stmts...)
		}
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		props := t.Resources[id].Properties
		switch t.Resources[id].Type {
		case "AWS::IAM::Role":
			fns := roles[id]
			if len(fns) == 0 {
				continue
			}
			if props["PermissionsBoundary"] != nil {
				return nil, fmt.Errorf("CDK %s: PermissionsBoundary is not read", id)
			}
			for _, arn := range asList(props["ManagedPolicyArns"]) {
				s, err := r.str(arn)
				if err != nil || !strings.HasSuffix(s, basicExecutionRole) {
					return nil, fmt.Errorf("CDK %s: managed policy %s is not read", id, show(arn))
				}
			}
			for i, pol := range asList(props["Policies"]) {
				doc, _ := pol.(map[string]any)
				if err := add(fns, doc["PolicyDocument"], fmt.Sprintf("CDK %s Policies[%d]", id, i)); err != nil {
					return nil, err
				}
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			for _, role := range asList(props["Roles"]) {
				ref, _ := role.(map[string]any)
				name, _ := ref["Ref"].(string)
				if fns := roles[name]; len(fns) > 0 {
					if err := add(fns, props["PolicyDocument"], "CDK "+id); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return p, nil
}

// arnOf is the logical ID of the resource whose Arn v reads, or "".
func arnOf(v any) string {
	m, _ := v.(map[string]any)
	if parts, ok := m["Fn::GetAtt"].([]any); ok && len(parts) == 2 && parts[1] == "Arn" {
		id, _ := parts[0].(string)
		return id
	}
	return ""
}

// resolver evaluates the intrinsic functions of one template.
type resolver struct {
	Resolver
	t *cfn.Template
}

// errNoValue is what Ref AWS::NoValue evaluates to: the element is absent.
var errNoValue = errors.New("AWS::NoValue")

func (r resolver) document(doc any, source string) ([]Statement, error) {
	d, _ := doc.(map[string]any)
	if d["Statement"] == nil {
		return nil, fmt.Errorf("%s: a policy document without statements: %s", source, show(doc))
	}
	var out []Statement
	for i, st := range asList(d["Statement"]) {
		s, err := r.statement(st, fmt.Sprintf("%s Statement[%d]", source, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (r resolver) statement(v any, source string) (Statement, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Statement{}, fmt.Errorf("%s: not a statement: %s", source, show(v))
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != "Sid" && k != "Effect" && k != "Action" && k != "Resource" {
			return Statement{}, fmt.Errorf("%s: %s is not supported (only Sid, Effect, Action and Resource are): %s", source, k, show(m[k]))
		}
	}
	s := Statement{Source: source}
	if sid, _ := m["Sid"].(string); sid != "" {
		s.Source += " (" + sid + ")"
	}
	if s.Effect, _ = m["Effect"].(string); s.Effect != "Allow" && s.Effect != "Deny" {
		return Statement{}, fmt.Errorf("%s: Effect %s is neither Allow nor Deny", source, show(m["Effect"]))
	}
	var err error
	if s.Actions, err = r.list(m["Action"]); err == nil {
		s.Resources, err = r.list(m["Resource"])
	}
	if err != nil {
		return Statement{}, fmt.Errorf("%s: %w", source, err)
	}
	if len(s.Actions) == 0 || len(s.Resources) == 0 {
		return Statement{}, fmt.Errorf("%s: a statement needs an Action and a Resource", source)
	}
	for _, res := range s.Resources {
		if strings.Contains(res, "${") {
			return Statement{}, fmt.Errorf("%s: resource %s: policy variables are not supported", source, res)
		}
	}
	return s, nil
}

// list evaluates a value that is a list of strings, a single string, or a
// Fn::Split; AWS::NoValue elements are dropped.
func (r resolver) list(v any) ([]string, error) {
	if m, ok := v.(map[string]any); ok && m["Fn::Split"] != nil && len(m) == 1 {
		delim, src, err := pair("Fn::Split", m["Fn::Split"])
		if err != nil {
			return nil, err
		}
		s, err := r.str(src)
		return strings.Split(s, fmt.Sprint(delim)), err
	}
	var out []string
	for _, item := range asList(v) {
		s, err := r.str(item)
		if errors.Is(err, errNoValue) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// str evaluates a value that is a string.
func (r resolver) str(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	m, _ := v.(map[string]any)
	if len(m) != 1 {
		return "", fmt.Errorf("not a string: %s", show(v))
	}
	var fn string
	var arg any
	for fn, arg = range m {
	}
	switch fn {
	case "Ref":
		return r.ref(fmt.Sprint(arg))
	case "Fn::GetAtt": // [Logical, Attr] or "Logical.Attr"
		parts, err := r.list(arg)
		if len(parts) == 1 {
			parts = strings.SplitN(parts[0], ".", 2)
		}
		if err != nil || len(parts) != 2 {
			return "", fmt.Errorf("Fn::GetAtt %s: want [resource, attribute]", show(arg))
		}
		return r.getAtt(parts[0], parts[1])
	case "Fn::Sub":
		return r.sub(arg)
	case "Fn::Join":
		delim, items, err := pair(fn, arg)
		if err != nil {
			return "", err
		}
		list, err := r.list(items)
		return strings.Join(list, fmt.Sprint(delim)), err
	case "Fn::Select":
		index, items, err := pair(fn, arg)
		list, lerr := r.list(items)
		i, ierr := strconv.Atoi(fmt.Sprint(index))
		if err = errors.Join(err, lerr, ierr); err != nil || i < 0 || i >= len(list) {
			return "", fmt.Errorf("Fn::Select %s: no such element %v", show(arg), err)
		}
		return list[i], nil
	}
	return "", fmt.Errorf("%s is not supported: %s", fn, show(v))
}

// pair is the two arguments of an intrinsic function.
func pair(fn string, arg any) (any, any, error) {
	if args, ok := arg.([]any); ok && len(args) == 2 {
		return args[0], args[1], nil
	}
	return nil, nil, fmt.Errorf("%s %s: want two arguments", fn, show(arg))
}

func (r resolver) ref(name string) (string, error) {
	switch name {
	case "AWS::Partition":
		return r.Partition, nil
	case "AWS::Region":
		return r.Region, nil
	case "AWS::AccountId":
		return r.ID, nil
	case "AWS::NoValue":
		return "", errNoValue
	}
	if v, ok := r.Names[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("Ref %s: the resolver has no value for it", name)
}

func (r resolver) getAtt(id, attr string) (string, error) {
	if v, ok := r.Names[id+"."+attr]; ok {
		return v, nil
	}
	name, ok := r.Names[id]
	if ok && attr == "Arn" {
		switch r.t.Resources[id].Type {
		case "AWS::DynamoDB::Table":
			return r.tableARN(name), nil
		case "AWS::S3::Bucket":
			return r.bucketARN(name), nil
		case "AWS::Serverless::Function", "AWS::Lambda::Function":
			return r.functionARN(name, ""), nil
		}
	}
	return "", fmt.Errorf("Fn::GetAtt %s.%s: the resolver has no value for it", id, attr)
}

// subVariable is a ${...} of Fn::Sub.
var subVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub evaluates Fn::Sub: ${Name} is a Ref or a variable of the second
// form, ${Logical.Attr} a Fn::GetAtt, ${!Text} the literal ${Text}.
func (r resolver) sub(arg any) (string, error) {
	tmpl, _ := arg.(string)
	var vars map[string]any
	if t, v, err := pair("Fn::Sub", arg); err == nil {
		tmpl, _ = t.(string)
		vars, _ = v.(map[string]any)
	}
	var errs []error
	out := subVariable.ReplaceAllStringFunc(tmpl, func(match string) string {
		name := match[2 : len(match)-1]
		var val string
		var err error
		switch id, attr, dotted := strings.Cut(name, "."); {
		case strings.HasPrefix(name, "!"):
			return "${" + name[1:] + "}"
		case vars[name] != nil:
			val, err = r.str(vars[name])
		case dotted:
			val, err = r.getAtt(id, attr)
		default:
			val, err = r.ref(name)
		}
		errs = append(errs, err)
		return val
	})
	if err := errors.Join(errs...); err != nil {
		return "", fmt.Errorf("Fn::Sub %s: %w", show(arg), err)
	}
	return out, nil
}

// asList is v as a list: nil is empty, a single value a list of one.
func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// show is a template value as JSON, for error messages.
func show(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}
