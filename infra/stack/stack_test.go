package stack_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/zocket/agent/infra/stack"
	"github.com/zocket/agent/routes"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func requireNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH: the CDK needs it")
		}
		t.Skip("node is not on PATH: the CDK needs it")
	}
}

// stubCode is a deployment package of one placeholder file.
func stubCode(t *testing.T) func(routes.Function) awslambda.Code {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("stub"), 0o755); err != nil {
		t.Fatal(err)
	}
	return func(routes.Function) awslambda.Code { return awslambda.Code_FromAsset(jsii.String(dir), nil) }
}

func TestNewRejects(t *testing.T) {
	requireNode(t)
	grant := func(r routes.Resource, action string) []routes.Grant {
		return []routes.Grant{{Resource: r, Actions: []string{action}}}
	}
	tests := []struct {
		name string
		fns  []routes.Function
		want string
	}{
		{"a resource the stack does not know", []routes.Function{{Name: "x", Grants: grant("queue", "sqs:SendMessage")}}, `unknown resource "queue"`},
		{"invoking a build function that is not there", []routes.Function{{Name: "x", Grants: grant(routes.BuildFunc, "lambda:InvokeFunction")}}, `no "build"`},
		{"two streaming URLs", []routes.Function{
			{Name: "a", Method: "POST", Path: "/a", StreamURL: true},
			{Name: "b", Method: "POST", Path: "/b", StreamURL: true},
		}, "second streaming Function URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stack.New(awscdk.NewApp(nil), "Test", stack.Props{Functions: tt.fns, Code: stubCode(t)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %s", err, tt.want)
			}
		})
	}
	if _, err := stack.New(awscdk.NewApp(nil), "Test", stack.Props{}); err == nil {
		t.Error("a stack without code accepted")
	}
}

// TestDataOutlivesTheStack checks what the parity test cannot see (the
// template parser keeps no deletion policies): deleting or replacing the
// stack keeps the table and the bucket.
func TestDataOutlivesTheStack(t *testing.T) {
	requireNode(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	st, err := stack.New(app, "Test", stack.Props{
		Functions: []routes.Function{{Name: "health", Method: "GET", Path: "/health"}},
		Code:      stubCode(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(*app.Synth(nil).GetStackArtifact(st.ArtifactId()).TemplateFullPath())
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct{ DeletionPolicy, UpdateReplacePolicy string }
	}
	if err := json.Unmarshal(data, &tpl); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"Table", "Bucket"} {
		if got := tpl.Resources[id]; got.DeletionPolicy != "Retain" || got.UpdateReplacePolicy != "Retain" {
			t.Errorf("%s: deletion policy %q, update replace policy %q, want Retain", id, got.DeletionPolicy, got.UpdateReplacePolicy)
		}
	}
}
