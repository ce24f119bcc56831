package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFunctionsLinkNoTooling lists what the Lambda functions link: no
// package of internal/devtools (the local stand-ins, proofs and test
// helpers), nor the deployment's description (deploy), ships in a Lambda.
func TestFunctionsLinkNoTooling(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/zocket/agent/functions/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	tooling := []string{"github.com/zocket/agent/internal/devtools/", "github.com/zocket/agent/deploy"}
	product := 0
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, tooling[0]) || pkg == tooling[1] || strings.HasPrefix(pkg, tooling[1]+"/") {
			t.Errorf("a function links %s", pkg)
		}
		if strings.HasPrefix(pkg, "github.com/zocket/agent/internal/") {
			product++
		}
	}
	if product == 0 {
		t.Fatalf("go list found no package of the product:\n%s", out)
	}
}
