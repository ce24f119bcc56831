// Package parity reduces the service's two deployment templates, SAM's
// template.yaml and the CloudFormation the CDK app synthesizes, to the same
// facts in the routes table's terms, so a test can show that both describe
// one system.
//
// SAM declares much implicitly: a function's role from its Policies, its API
// route from an HttpApi event, its Function URL from FunctionUrlConfig, the
// settings every function shares from Globals. The CDK declares each as a
// resource of its own (AWS::IAM::Role and ::Policy, AWS::ApiGatewayV2::Route
// and ::Integration, AWS::Lambda::Url). Both are read into a System: per
// function its routes, memory, timeout, platform, environment, IAM grants
// (action on a symbolic resource) and Function URL; the table, bucket, API,
// parameters and outputs. Intrinsic functions are resolved to one spelling
// (!GetAtt Table.Arn, !Sub "${Table.Arn}" and a Fn::Join of the same parts
// all read "${Table.Arn}"), and lists compare as sets.
package parity

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/routes"
)

// System is what both templates must agree on.
type System struct {
	Functions  map[string]Function // by logical ID
	Table      map[string]string   // property → canonical JSON
	Bucket     map[string]string   // property → canonical JSON
	API        map[string]string   // "Cors", "Stage", "Throttling" → canonical JSON
	Parameters map[string]string   // name → canonical Type, Default, AllowedValues
	Conditions map[string]string   // name → canonical expression
	Outputs    map[string]string   // name → canonical value
	// Declared are the resources both templates write at the CloudFormation
	// level (CloudFront's): logical ID → canonical type and properties.
	Declared map[string]string
}

// declaredTypes are the resource types that both templates write out in
// full, compared property by property.
var declaredTypes = []string{"AWS::CloudFront::Distribution", "AWS::CloudFront::Function"}

// Function is what a template says of one Lambda function.
type Function struct {
	Routes   []string          // API Gateway routes, "GET /health", sorted
	Memory   int               // MB
	Timeout  int               // seconds
	Platform string            // canonical runtime, architectures, handler, logging
	Env      map[string]string // variable → canonical value
	Grants   []string          // "action on resource", resource symbolic, sorted
	URL      string            // canonical Function URL (auth, invoke mode, CORS); empty for none
	Reserved string            // canonical ReservedConcurrentExecutions; empty for none
}

// Resources maps the canonical spelling of each ARN the templates grant
// access to onto the routes table's name for it.
var Resources = map[string]routes.Resource{
	"${Table.Arn}":                   routes.Table,
	"${Table.Arn}/index/*":           routes.TableIndexes,
	"${Bucket.Arn}":                  routes.Bucket,
	"${Bucket.Arn}/code-artifacts/*": routes.CodeObjects,
	"${Bucket.Arn}/builds/*":         routes.BuildObjects,
	"${Bucket.Arn}/exports/*":        routes.ExportObjects,
	"${BuildFunction.Arn}":           routes.BuildFunc,
	"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${JwtSecretParameterName}":    routes.JWTSecret,
	"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${GeminiApiKeyParameterName}": routes.GeminiKey,
	"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${OriginVerifyParameterName}": routes.OriginVerify,
}

// basicExecutionRole is the managed policy SAM gives every generated role
// and the CDK every function role: logs only.
const basicExecutionRole = "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

// platformKeys are the function properties that make up Function.Platform.
var platformKeys = []string{"Runtime", "Architectures", "Handler", "LoggingConfig"}

// FromSAM reads a SAM template.
func FromSAM(t *cfn.Template) (System, error) {
	s := newSystem(t)
	globals, _ := t.Globals["Function"].(map[string]any)
	for id, res := range t.Resources {
		var err error
		switch res.Type {
		case "AWS::Serverless::Function":
			s.Functions[id], err = samFunction(globals, res.Properties)
		case "AWS::Serverless::HttpApi":
			p := res.Properties
			s.API["Cors"], s.API["Stage"], s.API["Throttling"] = Canonical(p["CorsConfiguration"]), Canonical(p["StageName"]), throttling(p["DefaultRouteSettings"])
		case "AWS::ApiGatewayV2::Api", "AWS::Lambda::Function":
			err = fmt.Errorf("declare it as a SAM resource (AWS::Serverless::*)")
		}
		if err != nil {
			return System{}, fmt.Errorf("template.yaml %s: %w", id, err)
		}
	}
	return s, s.finish(t)
}

func samFunction(globals, props map[string]any) (Function, error) {
	p := maps.Clone(globals)
	if p == nil {
		p = map[string]any{}
	}
	maps.Copy(p, props)
	f := Function{Memory: number(p["MemorySize"]), Timeout: number(p["Timeout"]), Platform: platform(p), Env: map[string]string{}, Reserved: reserved(p)}
	for _, vars := range []any{globals["Environment"], props["Environment"]} {
		v, _ := vars.(map[string]any)
		env, _ := v["Variables"].(map[string]any)
		for k, val := range env {
			f.Env[k] = Canonical(val)
		}
	}
	events, _ := p["Events"].(map[string]any)
	for name, ev := range events {
		ev, _ := ev.(map[string]any)
		ep, _ := ev["Properties"].(map[string]any)
		if ev["Type"] != "HttpApi" {
			return Function{}, fmt.Errorf("event %s: type %v is not compared", name, ev["Type"])
		}
		f.Routes = append(f.Routes, fmt.Sprintf("%v %v", ep["Method"], ep["Path"]))
	}
	policies, _ := p["Policies"].([]any)
	for _, pol := range policies {
		switch pol := pol.(type) {
		case string: // a managed policy by name
			f.Grants = append(f.Grants, "managed policy "+pol)
		case map[string]any:
			stmts, ok := pol["Statement"].([]any)
			if !ok {
				return Function{}, fmt.Errorf("policy %s: write it as a Statement (SAM policy templates are not compared)", Canonical(pol))
			}
			grants, err := statements(stmts)
			if err != nil {
				return Function{}, err
			}
			f.Grants = append(f.Grants, grants...)
		}
	}
	if u, ok := p["FunctionUrlConfig"].(map[string]any); ok {
		f.URL = functionURL(u)
	}
	return f.sorted(), nil
}

// FromCDK reads a template the CDK synthesized.
func FromCDK(t *cfn.Template) (System, error) {
	s := newSystem(t)
	delete(s.Parameters, "BootstrapVersion") // the CDK's check of its bootstrap stack
	roles := map[string]string{}             // role logical ID → function logical ID
	for id, res := range t.Resources {
		if res.Type == "AWS::Lambda::Function" {
			p := res.Properties
			f := Function{Memory: number(p["MemorySize"]), Timeout: number(p["Timeout"]), Platform: platform(p), Env: map[string]string{}, Reserved: reserved(p)}
			env, _ := p["Environment"].(map[string]any)
			vars, _ := env["Variables"].(map[string]any)
			for k, v := range vars {
				f.Env[k] = Canonical(v)
			}
			s.Functions[id] = f
			roles[arnOwner(p["Role"])] = id
		}
	}
	integrations := map[string]string{} // integration logical ID → function logical ID
	for id, res := range t.Resources {
		p := res.Properties
		switch res.Type {
		case "AWS::ApiGatewayV2::Integration":
			if p["IntegrationType"] != "AWS_PROXY" || p["PayloadFormatVersion"] != "2.0" {
				return System{}, fmt.Errorf("CDK %s: want an AWS_PROXY integration with payload format 2.0, as the events in events/", id)
			}
			integrations["integrations/${"+id+"}"] = arnOwner(p["IntegrationUri"])
		case "AWS::Lambda::Url":
			fn := arnOwner(p["TargetFunctionArn"])
			f, ok := s.Functions[fn]
			if !ok {
				return System{}, fmt.Errorf("CDK %s: Function URL of unknown function %s", id, fn)
			}
			f.URL = functionURL(p)
			s.Functions[fn] = f
		case "AWS::IAM::Role":
			fn, ok := roles[id]
			if !ok {
				continue
			}
			f := s.Functions[fn]
			arns, _ := p["ManagedPolicyArns"].([]any)
			for _, arn := range arns {
				if c := Canonical(arn); c != basicExecutionRole {
					f.Grants = append(f.Grants, "managed policy "+c)
				}
			}
			inline, _ := p["Policies"].([]any)
			for _, pol := range inline {
				pol, _ := pol.(map[string]any)
				if err := f.addDocument(pol["PolicyDocument"]); err != nil {
					return System{}, fmt.Errorf("CDK %s: %w", id, err)
				}
			}
			s.Functions[fn] = f
		case "AWS::IAM::Policy":
			attached, _ := p["Roles"].([]any)
			for _, r := range attached {
				fn, ok := roles[strings.Trim(Canonical(r), "${}")]
				if !ok {
					return System{}, fmt.Errorf("CDK %s: policy on a role of no function: %s", id, Canonical(r))
				}
				f := s.Functions[fn]
				if err := f.addDocument(p["PolicyDocument"]); err != nil {
					return System{}, fmt.Errorf("CDK %s: %w", id, err)
				}
				s.Functions[fn] = f
			}
		case "AWS::ApiGatewayV2::Api":
			s.API["Cors"] = Canonical(p["CorsConfiguration"])
		case "AWS::ApiGatewayV2::Stage":
			s.API["Stage"], s.API["Throttling"] = Canonical(p["StageName"]), throttling(p["DefaultRouteSettings"])
		}
	}
	for id, res := range t.Resources {
		if res.Type != "AWS::ApiGatewayV2::Route" {
			continue
		}
		fn, ok := integrations[Canonical(res.Properties["Target"])]
		if !ok {
			return System{}, fmt.Errorf("CDK %s: route to %s, not a Lambda integration", id, Canonical(res.Properties["Target"]))
		}
		f := s.Functions[fn]
		f.Routes = append(f.Routes, fmt.Sprint(res.Properties["RouteKey"]))
		s.Functions[fn] = f
	}
	for id, f := range s.Functions {
		s.Functions[id] = f.sorted()
	}
	return s, s.finish(t)
}

// reserved is a function's reserved concurrency, canonical; "" for none.
func reserved(props map[string]any) string {
	if v, ok := props["ReservedConcurrentExecutions"]; ok {
		return Canonical(v)
	}
	return ""
}

func newSystem(t *cfn.Template) System {
	s := System{Functions: map[string]Function{}, API: map[string]string{}, Parameters: map[string]string{}, Conditions: map[string]string{}, Outputs: map[string]string{}, Declared: map[string]string{}}
	for id, res := range t.Resources {
		if slices.Contains(declaredTypes, res.Type) {
			s.Declared[id] = Canonical(map[string]any{"Type": res.Type, "Properties": res.Properties})
		}
	}
	for name, c := range t.Conditions {
		s.Conditions[name] = Canonical(c)
	}
	for name, p := range t.Parameters {
		p, _ := p.(map[string]any)
		s.Parameters[name] = Canonical(map[string]any{"Type": p["Type"], "Default": p["Default"], "AllowedValues": p["AllowedValues"]})
	}
	for name, o := range t.Outputs {
		o, _ := o.(map[string]any)
		s.Outputs[name] = Canonical(o["Value"])
	}
	return s
}

// finish reads the table and the bucket, of which there must be one each.
func (s *System) finish(t *cfn.Template) error {
	var err error
	if s.Table, err = single(t, "AWS::DynamoDB::Table"); err != nil {
		return err
	}
	s.Bucket, err = single(t, "AWS::S3::Bucket")
	return err
}

func single(t *cfn.Template, typ string) (map[string]string, error) {
	var out map[string]string
	for id, res := range t.Resources {
		if res.Type != typ {
			continue
		}
		if out != nil {
			return nil, fmt.Errorf("two resources of type %s (%s and another)", typ, id)
		}
		out = map[string]string{}
		for k, v := range res.Properties {
			out[k] = Canonical(v)
		}
	}
	if out == nil {
		return nil, fmt.Errorf("no resource of type %s", typ)
	}
	return out, nil
}

func (f *Function) addDocument(doc any) error {
	d, _ := doc.(map[string]any)
	stmts, ok := d["Statement"].([]any)
	if !ok {
		return fmt.Errorf("policy document without statements: %s", Canonical(doc))
	}
	grants, err := statements(stmts)
	f.Grants = append(f.Grants, grants...)
	return err
}

// statements turns IAM statements into "action on resource" grants.
func statements(stmts []any) ([]string, error) {
	var grants []string
	for _, st := range stmts {
		st, _ := st.(map[string]any)
		if st["Effect"] != "Allow" || st["Condition"] != nil || st["NotAction"] != nil || st["NotResource"] != nil {
			return nil, fmt.Errorf("statement %s: only plain Allow statements are compared", Canonical(st))
		}
		for _, r := range list(st["Resource"]) {
			res, ok := Resources[Canonical(r)]
			name := string(res)
			if !ok {
				name = "unknown resource " + Canonical(r)
			}
			for _, a := range list(st["Action"]) {
				grants = append(grants, fmt.Sprintf("%v on %s", a, name))
			}
		}
	}
	return grants, nil
}

func (f Function) sorted() Function {
	slices.Sort(f.Routes)
	slices.Sort(f.Grants)
	return f
}

func platform(p map[string]any) string {
	m := map[string]any{}
	for _, k := range platformKeys {
		m[k] = p[k]
	}
	return Canonical(m)
}

func functionURL(p map[string]any) string {
	return Canonical(map[string]any{"AuthType": p["AuthType"], "InvokeMode": p["InvokeMode"], "Cors": p["Cors"]})
}

func throttling(routeSettings any) string {
	rs, _ := routeSettings.(map[string]any)
	return Canonical(map[string]any{"ThrottlingBurstLimit": rs["ThrottlingBurstLimit"], "ThrottlingRateLimit": rs["ThrottlingRateLimit"]})
}

// arnOwner is the logical ID of the resource whose ARN v is.
func arnOwner(v any) string {
	return strings.TrimSuffix(strings.TrimPrefix(Canonical(v), "${"), ".Arn}")
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func number(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// Canonical spells a template value one way: intrinsic functions that build
// strings (Ref, Fn::GetAtt, Fn::Sub without variables, Fn::Join, Fn::Split)
// become "${...}" strings, lists are sorted, and the result is JSON.
func Canonical(v any) string {
	if s, ok := resolve(v).(string); ok {
		return s
	}
	data, _ := json.Marshal(resolve(v)) // plain maps, slices and scalars
	return string(data)
}

func resolve(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if s, ok := intrinsic(v); ok {
			return s
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			if x != nil {
				out[k] = resolve(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = resolve(x)
		}
		slices.SortFunc(out, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return cmp.Compare(string(ja), string(jb))
		})
		return out
	}
	return v
}

// intrinsic resolves a string-valued intrinsic function to its "${...}"
// spelling.
func intrinsic(m map[string]any) (string, bool) {
	if len(m) != 1 {
		return "", false
	}
	for name, arg := range m {
		switch name {
		case "Ref":
			return fmt.Sprintf("${%v}", arg), true
		case "Fn::GetAtt":
			if parts, ok := arg.([]any); ok && len(parts) == 2 {
				return fmt.Sprintf("${%v.%v}", parts[0], parts[1]), true
			}
		case "Fn::Sub":
			if s, ok := arg.(string); ok {
				return s, true
			}
		case "Fn::Join":
			parts, ok := arg.([]any)
			if !ok || len(parts) != 2 {
				return "", false
			}
			items, ok := parts[1].([]any)
			if !ok {
				return "", false
			}
			strs := make([]string, len(items))
			for i, it := range items {
				s, ok := resolve(it).(string)
				if !ok {
					return "", false
				}
				strs[i] = s
			}
			return strings.Join(strs, fmt.Sprint(parts[0])), true
		case "Fn::Split":
			if parts, ok := arg.([]any); ok && len(parts) == 2 {
				if src, ok := resolve(parts[1]).(string); ok {
					return fmt.Sprintf("split(%q, %s)", parts[0], src), true
				}
			}
		}
	}
	return "", false
}

// Diff lists how b differs from a, naming each side as labelled, or nothing
// when they describe the same system.
func Diff(a, b System, labelA, labelB string) []string {
	var out []string
	mismatch := func(what string, x, y any) {
		out = append(out, fmt.Sprintf("%s: %s has %v, %s has %v", what, labelA, x, labelB, y))
	}
	for _, id := range keys(a.Functions, b.Functions) {
		fa, inA := a.Functions[id]
		fb, inB := b.Functions[id]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("function %s: only in %s", id, labelB))
			continue
		case !inB:
			out = append(out, fmt.Sprintf("function %s: only in %s", id, labelA))
			continue
		}
		if !slices.Equal(fa.Routes, fb.Routes) {
			mismatch(id+" routes", fa.Routes, fb.Routes)
		}
		if fa.Memory != fb.Memory {
			mismatch(id+" memory", fa.Memory, fb.Memory)
		}
		if fa.Timeout != fb.Timeout {
			mismatch(id+" timeout", fa.Timeout, fb.Timeout)
		}
		if fa.Platform != fb.Platform {
			mismatch(id+" runtime, architecture, handler or logging", fa.Platform, fb.Platform)
		}
		if fa.URL != fb.URL {
			mismatch(id+" Function URL", orNone(fa.URL), orNone(fb.URL))
		}
		if fa.Reserved != fb.Reserved {
			mismatch(id+" reserved concurrency", orNone(fa.Reserved), orNone(fb.Reserved))
		}
		out = append(out, diffMap(id+" environment variable", fa.Env, fb.Env, labelA, labelB)...)
		for _, g := range fa.Grants {
			if !slices.Contains(fb.Grants, g) {
				out = append(out, fmt.Sprintf("%s grant %q: only in %s", id, g, labelA))
			}
		}
		for _, g := range fb.Grants {
			if !slices.Contains(fa.Grants, g) {
				out = append(out, fmt.Sprintf("%s grant %q: only in %s", id, g, labelB))
			}
		}
	}
	out = append(out, diffMap("table property", a.Table, b.Table, labelA, labelB)...)
	out = append(out, diffMap("bucket property", a.Bucket, b.Bucket, labelA, labelB)...)
	out = append(out, diffMap("HTTP API", a.API, b.API, labelA, labelB)...)
	out = append(out, diffMap("parameter", a.Parameters, b.Parameters, labelA, labelB)...)
	out = append(out, diffMap("condition", a.Conditions, b.Conditions, labelA, labelB)...)
	out = append(out, diffMap("resource", a.Declared, b.Declared, labelA, labelB)...)
	out = append(out, diffMap("output", a.Outputs, b.Outputs, labelA, labelB)...)
	return out
}

func diffMap(what string, a, b map[string]string, labelA, labelB string) []string {
	var out []string
	for _, k := range keys(a, b) {
		va, inA := a[k]
		vb, inB := b[k]
		if inA != inB || va != vb {
			out = append(out, fmt.Sprintf("%s %s: %s has %s, %s has %s", what, k, labelA, orNone(va), labelB, orNone(vb)))
		}
	}
	return out
}

func keys[V any](a, b map[string]V) []string {
	all := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			all = append(all, k)
		}
	}
	slices.Sort(all)
	return all
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
