// Package deploy is the service's deployment, described once: the
// functions of the routes table (github.com/zocket/agent/routes) with
// their routes, sizes, environment and IAM statements, and what the table
// cannot hold (the parameters, the DynamoDB table, the S3 bucket, the HTTP
// API, the CloudFront distribution and its function, the outputs). Two
// renderers read it: SAM writes template.yaml (`make template`), and the
// CDK app in infra/ builds its stack from it.
//
// Values are CloudFormation's own: property names as the resource types
// spell them, and intrinsic functions in their long JSON form (Ref, GetAtt,
// Sub, ...), so a renderer passes them on as they are. The resources either
// renderer writes as they are go in Stack.Resources; only what SAM and the
// CDK each declare in their own way (a function with its role, route and
// URL; the HTTP API and its stage) has a type of its own here.
//
// What the deployment gains goes in here once, and both templates have it
// without a change to either renderer: a resource per function (its log
// group, with its retention) is a Resource that New adds for each
// function, with a property of the function pointing at it (the
// LoggingConfig.LogGroup in Function.Properties, merged with the defaults'
// LoggingConfig as SAM merges Globals: FunctionProperties); the alert topic,
// the alarms and the dashboard are Resources (logs.go, alarms.go,
// dashboard.go), and a behavior of the distribution is a value in
// distribution's properties.
package deploy

import (
	"fmt"
	"maps"
	"slices"

	"github.com/zocket/agent/routes"
)

// Stack is the whole deployment.
type Stack struct {
	Description string
	Parameters  []Parameter
	Conditions  []Condition
	// Function is what every function has (SAM's Globals), in
	// AWS::Lambda::Function's terms: runtime, architecture, handler, size,
	// logging, and the environment every function reads.
	Function FunctionDefaults
	API      API
	// Resources are written by both renderers as they are, in this order.
	Resources []Resource
	Functions []Function
	Outputs   []Output

	alarms    []Alarm
	dashboard []Widget
}

// Parameter is a template parameter.
type Parameter struct {
	Name, Type    string
	Default       any // a string, or a number for Type Number
	AllowedValues []string
	Description   string
}

// Condition is a named condition of the template.
type Condition struct {
	Name       string
	Expression any // Fn::Not, Fn::Equals, ...
}

// Resource is a CloudFormation resource both renderers write as it is.
type Resource struct {
	LogicalID, Type string
	// Retain keeps the resource when the stack deletes or replaces it
	// (DeletionPolicy and UpdateReplacePolicy Retain).
	Retain bool
	// Condition names the condition the resource exists under ("" for
	// always).
	Condition  string
	Properties map[string]any
	Comment    string // what it is for, above it in template.yaml
}

// Output is a stack output.
type Output struct {
	Name, Description string
	Value             any
}

// FunctionDefaults are the properties every function has.
type FunctionDefaults struct {
	Properties  map[string]any // Runtime, Architectures, Handler, MemorySize, Timeout, LoggingConfig
	Environment map[string]any // variable → value
}

// API is the HTTP API: the stage, its throttling and CORS, in
// AWS::ApiGatewayV2's terms (SAM's HttpApi takes the same).
type API struct {
	LogicalID            string
	StageName            string
	DefaultRouteSettings map[string]any
	CorsConfiguration    map[string]any
}

// Function is one function of the routes table, deployed.
type Function struct {
	routes.Function
	LogicalID string
	// Properties are those that differ from FunctionDefaults (MemorySize,
	// Timeout, ReservedConcurrentExecutions).
	Properties  map[string]any
	Environment map[string]any // beyond FunctionDefaults.Environment
	Statements  []Statement    // the role's policy, one per grant
	// Route is the HTTP API route ("GET", "/health"); empty for none.
	Method, Path string
	// URL are the properties of its Function URL (AWS::Lambda::Url:
	// AuthType, InvokeMode, Cors); nil for none.
	URL map[string]any
}

// Statement allows actions on a resource.
type Statement struct {
	Actions  []string
	Resource any
}

// URLLogicalID is the logical ID of f's Function URL, as SAM names it.
func (f Function) URLLogicalID() string { return f.LogicalID + "Url" }

// Long forms of the intrinsic functions the description uses.

// Ref is the value of a parameter, or a resource's name or id.
func Ref(name string) map[string]any { return map[string]any{"Ref": name} }

// GetAtt is an attribute of a resource.
func GetAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

// Sub substitutes ${Name} and ${Resource.Attribute} in s.
func Sub(s string) map[string]any { return map[string]any{"Fn::Sub": s} }

// Split splits a string at sep.
func Split(sep string, v any) map[string]any { return map[string]any{"Fn::Split": []any{sep, v}} }

// Select is the i-th element of a list.
func Select(i int, list any) map[string]any { return map[string]any{"Fn::Select": []any{i, list}} }

// If is then when the condition holds, otherwise els.
func If(condition string, then, els any) map[string]any {
	return map[string]any{"Fn::If": []any{condition, then, els}}
}

// Equals holds when a and b are the same string.
func Equals(a, b any) map[string]any { return map[string]any{"Fn::Equals": []any{a, b}} }

// Not holds when c does not.
func Not(c any) map[string]any { return map[string]any{"Fn::Not": []any{c}} }

// NoValue removes the property it is the value of.
var NoValue = Ref("AWS::NoValue")

// strs is xs as a template list.
func strs(xs ...string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// New describes the deployment of fns (routes.All() when nil). It fails
// when a function grants a resource it does not know, needs a setting it
// has no value for, invokes the build function and there is none, or when
// more than one function asks for a streaming Function URL.
func New(fns []routes.Function) (*Stack, error) {
	if fns == nil {
		fns = routes.All()
	}
	s := &Stack{
		Description: description,
		Parameters:  parameters,
		Conditions:  conditions(),
		Function:    functionDefaults(),
		API:         api(),
		Resources:   []Resource{table(), bucket()},
	}
	hasBuild := slices.ContainsFunc(fns, func(f routes.Function) bool { return f.Name == buildFunction })
	var stream *Function
	for _, rf := range fns {
		f, err := function(rf, hasBuild)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", rf.Name, err)
		}
		if f.URL != nil {
			if stream != nil {
				return nil, fmt.Errorf("function %s: a second streaming Function URL needs its own origin and output", rf.Name)
			}
			stream = &f
		}
		s.Functions = append(s.Functions, f)
	}
	if stream != nil {
		s.Resources = append(s.Resources, forwardHost(), distribution(*stream))
	}
	for _, f := range s.Functions {
		s.Resources = append(s.Resources, logGroup(f))
	}
	s.alarms = alarms(s.Functions)
	if err := checkAlarms(s.alarms); err != nil {
		return nil, err
	}
	s.Resources = append(s.Resources, alerting()...)
	for _, a := range s.alarms {
		s.Resources = append(s.Resources, alarmResource(a))
	}
	s.dashboard = dashboard(s.alarms, s.Functions)
	for _, w := range s.dashboard {
		for _, q := range w.Queries {
			if q.Metric == nil {
				continue
			}
			if err := q.Metric.check(); err != nil {
				return nil, fmt.Errorf("dashboard widget %q: %w", w.Title, err)
			}
		}
	}
	board, err := dashboardResource(s.dashboard, s.Functions)
	if err != nil {
		return nil, err
	}
	s.Resources = append(s.Resources, board)
	s.Outputs = outputs(stream)
	return s, nil
}

// FunctionProperties are f's properties as a deployment has them: the
// defaults, with f's own merged in as SAM merges Globals (a map property
// merged key by key, any other replaced), which the CDK app does too.
func (s *Stack) FunctionProperties(f Function) map[string]any {
	return merge(s.Function.Properties, f.Properties)
}

// merge is base with over's values: maps merged recursively, anything else
// replaced.
func merge(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	for k, v := range over {
		b, bok := out[k].(map[string]any)
		o, ook := v.(map[string]any)
		if bok && ook {
			out[k] = merge(b, o)
			continue
		}
		out[k] = v
	}
	return out
}

// function is rf deployed: its properties beyond the defaults, its
// environment, a statement per grant, and its route or Function URL.
func function(rf routes.Function, hasBuild bool) (Function, error) {
	f := Function{Function: rf, LogicalID: rf.LogicalID(), Properties: map[string]any{}, Environment: map[string]any{}}
	f.Properties["LoggingConfig"] = map[string]any{"LogGroup": Ref(f.LogGroupID())}
	if rf.Memory() != routes.DefaultMemoryMB {
		f.Properties["MemorySize"] = rf.Memory()
	}
	if rf.Timeout() != routes.DefaultTimeoutS {
		f.Properties["Timeout"] = rf.Timeout()
	}
	if p := rf.ReservedConcurrency; p != "" {
		if p != routes.ChatReservedConcurrency {
			return Function{}, fmt.Errorf("reserved concurrency from parameter %q, which the template does not have", p)
		}
		f.Properties["ReservedConcurrentExecutions"] = If(chatReservedSet, Ref(p), NoValue)
	}
	for _, name := range rf.Environment() {
		v, ok := settings[name]
		if !ok {
			return Function{}, fmt.Errorf("no value for %s", name)
		}
		if name == "BUILD_FUNCTION_NAME" && !hasBuild {
			return Function{}, fmt.Errorf("it invokes the build function, and the table has no %q", buildFunction)
		}
		f.Environment[name] = v
	}
	for _, g := range rf.Grants {
		arn, ok := arns[g.Resource]
		if !ok {
			return Function{}, fmt.Errorf("unknown resource %q", g.Resource)
		}
		if g.Resource == routes.BuildFunc && !hasBuild {
			return Function{}, fmt.Errorf("grant on the build function, and the table has no %q", buildFunction)
		}
		f.Statements = append(f.Statements, Statement{Actions: slices.Clone(g.Actions), Resource: arn})
	}
	switch {
	case rf.StreamURL:
		f.URL = streamURL(rf)
	case rf.Path != "":
		f.Method, f.Path = rf.Method, rf.Path
	}
	return f, nil
}
