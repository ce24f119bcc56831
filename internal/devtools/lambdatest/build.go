package lambdatest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

// Build compiles the main package pkg (such as ./functions/health, relative
// to dir) into the executable out, the way `make build` builds a bootstrap:
// static (no cgo), without the RPC mode of aws-lambda-go, stripped. An
// empty goarch means this machine's architecture.
func Build(ctx context.Context, dir, pkg, out, goarch string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = dir
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", pkg, err, msg)
	}
	return nil
}
