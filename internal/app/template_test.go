package app_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/routes"
)

const root = "../.."

// samResources maps how template.yaml spells a resource to the routes
// table's name for it.
var samResources = map[string]routes.Resource{
	`{"Fn::GetAtt":["Table","Arn"]}`:               routes.Table,
	`{"Fn::Sub":"${Table.Arn}/index/*"}`:           routes.TableIndexes,
	`{"Fn::GetAtt":["Bucket","Arn"]}`:              routes.Bucket,
	`{"Fn::Sub":"${Bucket.Arn}/code-artifacts/*"}`: routes.CodeObjects,
	`{"Fn::Sub":"${Bucket.Arn}/builds/*"}`:         routes.BuildObjects,
	`{"Fn::Sub":"${Bucket.Arn}/exports/*"}`:        routes.ExportObjects,
	`{"Fn::GetAtt":["BuildFunction","Arn"]}`:       routes.BuildFunc,
	`{"Fn::Sub":"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${JwtSecretParameterName}"}`:    routes.JWTSecret,
	`{"Fn::Sub":"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${GeminiApiKeyParameterName}"}`: routes.GeminiKey,
	`{"Fn::Sub":"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${OriginVerifyParameterName}"}`: routes.OriginVerify,
}

// templateFunction is what the test reads of one function in template.yaml.
type templateFunction struct {
	route     string
	memory    int
	timeout   int
	env       []string
	grants    []string // "action on resource", sorted
	makefiled bool
	urlMode   string // the Function URL's invoke mode, if it has one
	reserved  string // the parameter its reserved concurrency comes from, if any
}

func readTemplate(t *testing.T) map[string]templateFunction {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	globals, _ := tpl.Globals["Function"].(map[string]any)
	out := map[string]templateFunction{}
	for id, res := range tpl.Resources {
		if res.Type != "AWS::Serverless::Function" {
			continue
		}
		p := res.Properties
		tf := templateFunction{memory: num(p["MemorySize"], globals["MemorySize"]), timeout: num(p["Timeout"], globals["Timeout"])}
		tf.makefiled = res.Metadata["BuildMethod"] == "makefile"
		if u, ok := p["FunctionUrlConfig"].(map[string]any); ok {
			tf.urlMode, _ = u["InvokeMode"].(string)
		}
		if rc, ok := p["ReservedConcurrentExecutions"]; ok {
			// !If [<Param>Set, !Ref <Param>, !Ref AWS::NoValue]: reserved
			// only when the parameter is given.
			ifArgs, _ := rc.(map[string]any)["Fn::If"].([]any)
			if len(ifArgs) == 3 {
				ref, _ := ifArgs[1].(map[string]any)["Ref"].(string)
				none, _ := ifArgs[2].(map[string]any)["Ref"].(string)
				if ifArgs[0] == ref+"Set" && none == "AWS::NoValue" {
					tf.reserved = ref
				}
			}
			if tf.reserved == "" {
				t.Errorf("%s: ReservedConcurrentExecutions %v, want !If [<Param>Set, !Ref <Param>, !Ref AWS::NoValue]", id, rc)
			}
		}
		if events, ok := p["Events"].(map[string]any); ok {
			for _, ev := range events {
				ev := ev.(map[string]any)
				if ev["Type"] == "HttpApi" {
					ep := ev["Properties"].(map[string]any)
					tf.route = fmt.Sprintf("%s %s", ep["Method"], ep["Path"])
				}
			}
		}
		if env, ok := p["Environment"].(map[string]any); ok {
			for k := range env["Variables"].(map[string]any) {
				tf.env = append(tf.env, k)
			}
		}
		slices.Sort(tf.env)
		pols, _ := p["Policies"].([]any)
		for _, pol := range pols {
			stmts, _ := pol.(map[string]any)["Statement"].([]any)
			for _, st := range stmts {
				st := st.(map[string]any)
				resources, ok := st["Resource"].([]any)
				if !ok {
					resources = []any{st["Resource"]}
				}
				for _, r := range resources {
					key, _ := json.Marshal(r)
					name, ok := samResources[string(key)]
					if !ok {
						t.Errorf("%s: unknown resource %s", id, key)
					}
					for _, a := range st["Action"].([]any) {
						tf.grants = append(tf.grants, fmt.Sprintf("%s on %s", a, name))
					}
				}
			}
		}
		slices.Sort(tf.grants)
		out[id] = tf
	}
	return out
}

func num(v, def any) int {
	if f, ok := v.(float64); ok {
		return int(f)
	}
	if f, ok := def.(float64); ok {
		return int(f)
	}
	return 0
}

// TestTemplateMatchesRoutes checks that template.yaml, functions/, the
// Makefile's SAM targets and the routes table describe the same functions:
// routes, memory, timeout, environment and every IAM grant.
func TestTemplateMatchesRoutes(t *testing.T) {
	tpl := readTemplate(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range routes.All() {
		id := f.LogicalID()
		tf, ok := tpl[id]
		if !ok {
			t.Errorf("template.yaml has no %s for function %s", id, f.Name)
			continue
		}
		delete(tpl, id)
		var route string
		if f.Path != "" && !f.StreamURL {
			route = f.Method + " " + f.Path
		}
		if tf.route != route {
			t.Errorf("%s: template route %q, table %q", id, tf.route, route)
		}
		if want := map[bool]string{true: "RESPONSE_STREAM"}[f.StreamURL]; tf.urlMode != want {
			t.Errorf("%s: Function URL invoke mode %q, want %q", id, tf.urlMode, want)
		}
		if tf.reserved != f.ReservedConcurrency {
			t.Errorf("%s: reserved concurrency from parameter %q, table %q", id, tf.reserved, f.ReservedConcurrency)
		}
		if tf.memory != f.Memory() || tf.timeout != f.Timeout() {
			t.Errorf("%s: template memory/timeout %d/%d, table %d/%d", id, tf.memory, tf.timeout, f.Memory(), f.Timeout())
		}
		want := slices.Sorted(slices.Values(f.Environment()))
		if !slices.Equal(tf.env, want) {
			t.Errorf("%s: template environment %v, want %v", id, tf.env, want)
		}
		var grants []string
		for _, g := range f.Grants {
			for _, a := range g.Actions {
				grants = append(grants, fmt.Sprintf("%s on %s", a, g.Resource))
			}
		}
		slices.Sort(grants)
		if !slices.Equal(tf.grants, grants) {
			t.Errorf("%s: template grants\n  %s\ntable grants\n  %s", id, strings.Join(tf.grants, "\n  "), strings.Join(grants, "\n  "))
		}
		target := regexp.MustCompile(`(?m)sam_target,` + id + `,` + f.Name + `\)|^build-` + id + `:`)
		if !tf.makefiled || !target.Match(makefile) {
			t.Errorf("%s: needs BuildMethod makefile and a build-%s target in the Makefile", id, id)
		}
		main, err := os.ReadFile(filepath.Join(root, "functions", f.Name, "main.go"))
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
		} else if (f.Path != "" || f.StreamURL) && !strings.Contains(string(main), fmt.Sprintf("%q", f.Name)) {
			t.Errorf("functions/%s/main.go does not start its own function", f.Name)
		}
	}
	for id := range tpl {
		t.Errorf("template.yaml has %s, which the routes table does not", id)
	}
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, ok := routes.ByName(d.Name()); !ok {
			t.Errorf("functions/%s is not in the routes table", d.Name())
		}
	}
}
