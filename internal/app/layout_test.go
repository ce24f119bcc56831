package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFunctionsLinkNoTooling lists what the Lambda functions link: no
// package of internal/devtools (the local stand-ins, proofs and test
// helpers, the OpenAPI generator), nor the deployment's description
// (deploy), nor the OpenAPI libraries (the openapi function serves the
// document package api embeds), ships in a Lambda.
func TestFunctionsLinkNoTooling(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/zocket/agent/functions/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	tooling := []string{"github.com/zocket/agent/internal/devtools/", "github.com/zocket/agent/deploy",
		"github.com/invopop/jsonschema", "github.com/pb33f/"}
	product := 0
	for _, pkg := range strings.Fields(string(out)) {
		for _, tool := range tooling {
			if pkg == tool || strings.HasSuffix(tool, "/") && strings.HasPrefix(pkg, tool) || strings.HasPrefix(pkg, tool+"/") {
				t.Errorf("a function links %s", pkg)
			}
		}
		if strings.HasPrefix(pkg, "github.com/zocket/agent/internal/") {
			product++
		}
	}
	if product == 0 {
		t.Fatalf("go list found no package of the product:\n%s", out)
	}
}
