package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zocket/agent/deploy"
	"github.com/zocket/agent/routes"
)

const root = ".."

// TestTemplateIsCurrent fails while template.yaml is not what `make
// template` writes from the routes table and this package: CI runs it, so
// a change to either that was not rendered does not land.
func TestTemplateIsCurrent(t *testing.T) {
	s, err := deploy.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.SAM()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		g, w := line(gotLines, i), line(wantLines, i)
		if g != w {
			t.Fatalf("template.yaml is stale: run `make template`.\nline %d is\n\t%s\nwant\n\t%s", i+1, g, w)
		}
	}
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of file)"
}

func TestNewRejects(t *testing.T) {
	grant := func(r routes.Resource, action string) []routes.Grant {
		return []routes.Grant{{Resource: r, Actions: []string{action}}}
	}
	tests := []struct {
		name string
		fns  []routes.Function
		want string
	}{
		{"a resource it does not know", []routes.Function{{Name: "x", Grants: grant("queue", "sqs:SendMessage")}}, `unknown resource "queue"`},
		{"invoking a build function that is not there", []routes.Function{{Name: "x", Grants: grant(routes.BuildFunc, "lambda:InvokeFunction")}}, `no "build"`},
		{"a setting it has no value for", []routes.Function{{Name: "x", Settings: []string{"NOPE"}}}, "no value for NOPE"},
		{"two streaming URLs", []routes.Function{
			{Name: "a", Method: "POST", Path: "/a", StreamURL: true},
			{Name: "b", Method: "POST", Path: "/b", StreamURL: true},
		}, "second streaming Function URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := deploy.New(tt.fns)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %s", err, tt.want)
			}
		})
	}
}

// TestEveryFunctionIsBuilt checks that functions/ and the routes table
// name the same functions, that each main starts its own, and that the
// Makefile's target `sam build` runs for it (build-<LogicalId>) builds its
// directory.
func TestEveryFunctionIsBuilt(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, ok := routes.ByName(d.Name()); !ok {
			t.Errorf("functions/%s is not in the routes table", d.Name())
		}
	}
	var targets []string
	for _, f := range routes.All() {
		targets = append(targets, "build-"+f.LogicalID())
		main, err := os.ReadFile(filepath.Join(root, "functions", f.Name, "main.go"))
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
		} else if (f.Path != "" || f.StreamURL) && !strings.Contains(string(main), fmt.Sprintf("%q", f.Name)) {
			t.Errorf("functions/%s/main.go does not start its own function", f.Name)
		}
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not on PATH")
	}
	cmd := exec.Command("make", append([]string{"-n", "ARTIFACTS_DIR=/artifacts"}, targets...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n: %v\n%s", err, out)
	}
	for _, f := range routes.All() {
		if want := "-o /artifacts/bootstrap ./functions/" + f.Name + "\n"; !strings.Contains(string(out), want) {
			t.Errorf("make build-%s does not build functions/%s", f.LogicalID(), f.Name)
		}
	}
}
