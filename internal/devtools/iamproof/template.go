package iamproof

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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
	r := newReader(t, res)
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
	r := newReader(t, res)
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
				s, err := r.String("CDK "+id+" ManagedPolicyArns", arn)
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

// reader evaluates the intrinsic functions of one template with a
// Resolver's names.
type reader struct{ *cfn.Evaluator }

// newReader is t's evaluator with res's names: a logical ID or parameter
// gives Ref its value, a "Logical.Attribute" key gives Fn::GetAtt its, and
// the Arn of a named table, bucket or function is built from its name.
func newReader(t *cfn.Template, res Resolver) reader {
	v := cfn.Values{
		Refs:       map[string]any{"AWS::Partition": res.Partition, "AWS::Region": res.Region, "AWS::AccountId": res.ID},
		Attributes: map[string]any{},
	}
	for k, name := range res.Names {
		if strings.Contains(k, ".") {
			v.Attributes[k] = name
			continue
		}
		v.Refs[k] = name
		if _, set := res.Names[k+".Arn"]; set {
			continue
		}
		switch t.Resources[k].Type {
		case "AWS::DynamoDB::Table":
			v.Attributes[k+".Arn"] = res.tableARN(name)
		case "AWS::S3::Bucket":
			v.Attributes[k+".Arn"] = res.bucketARN(name)
		case "AWS::Serverless::Function", "AWS::Lambda::Function":
			v.Attributes[k+".Arn"] = res.functionARN(name, "")
		}
	}
	return reader{cfn.NewEvaluator(t, v)}
}

func (r reader) document(doc any, source string) ([]Statement, error) {
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

func (r reader) statement(v any, source string) (Statement, error) {
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
	if s.Actions, err = r.Strings(source+" Action", m["Action"]); err == nil {
		s.Resources, err = r.Strings(source+" Resource", m["Resource"])
	}
	if err != nil {
		return Statement{}, err
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
