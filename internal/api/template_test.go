package api_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zocket/agent/internal/api"
	"github.com/zocket/agent/internal/cfn"
)

const root = "../.."

// LogicalID is the template's name for a function directory: auth-me →
// AuthMeFunction.
func logicalID(function string) string {
	var b strings.Builder
	for _, part := range strings.Split(function, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Function"
}

// TestTemplateMatchesRouteTable checks that template.yaml, functions/, the
// Makefile's SAM targets and the route table describe the same functions
// and routes.
func TestTemplateMatchesRouteTable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}

	var templateRoutes, tableRoutes []string
	functions := map[string]bool{}
	for id, res := range tpl.Resources {
		if res.Type != "AWS::Serverless::Function" {
			continue
		}
		events, _ := res.Properties["Events"].(map[string]any)
		for _, ev := range events {
			ev := ev.(map[string]any)
			if ev["Type"] != "HttpApi" {
				continue
			}
			p := ev["Properties"].(map[string]any)
			templateRoutes = append(templateRoutes, fmt.Sprintf("%s %s %s", id, p["Method"], p["Path"]))
		}
		functions[id] = true
		if res.Metadata["BuildMethod"] == "makefile" && !regexp.MustCompile(`(?m)sam_target,`+id+`,`).Match(makefile) {
			t.Errorf("%s uses BuildMethod makefile but the Makefile has no build-%s target", id, id)
		}
	}
	for _, r := range api.Routes() {
		tableRoutes = append(tableRoutes, fmt.Sprintf("%s %s %s", logicalID(r.Function), r.Method, r.Path))
		if !functions[logicalID(r.Function)] {
			t.Errorf("route %s: template has no %s", r.Pattern(), logicalID(r.Function))
		}
		main, err := os.ReadFile(filepath.Join(root, "functions", r.Function, "main.go"))
		if err != nil {
			t.Errorf("route %s: %v", r.Pattern(), err)
		} else if !strings.Contains(string(main), fmt.Sprintf("%q", r.Function)) {
			t.Errorf("functions/%s/main.go does not start its own route", r.Function)
		}
	}
	slices.Sort(templateRoutes)
	slices.Sort(tableRoutes)
	if !slices.Equal(templateRoutes, tableRoutes) {
		t.Errorf("template routes and route table differ:\ntemplate: %q\ntable:    %q", templateRoutes, tableRoutes)
	}

	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !functions[logicalID(d.Name())] {
			t.Errorf("functions/%s is not in template.yaml", d.Name())
		}
	}
}
