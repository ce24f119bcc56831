// Command infra is the service's CDK app: it synthesizes the stack of
// package stack (the same system as ../template.yaml) into a cloud assembly
// whose function code is the arm64 binaries of `make build`. Run it with
// `make synth`, or with the CDK CLI from this directory (cdk.json).
//
// Context: buildDir (default ../build) is where the binaries are;
// stackName (default ai-coding-agent-cdk) is the CloudFormation stack name.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/zocket/agent/infra/stack"
	"github.com/zocket/agent/routes"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	buildDir := contextString(app, "buildDir", "../build")
	if missing := missingBinaries(buildDir); len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "infra: no bootstrap for %v under %s: run `make build` first (`make synth` does)\n", missing, buildDir)
		os.Exit(1)
	}
	_, err := stack.New(app, "AiCodingAgent", stack.Props{
		StackProps: awscdk.StackProps{StackName: jsii.String(contextString(app, "stackName", "ai-coding-agent-cdk"))},
		Code:       stack.AssetsIn(buildDir),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
	app.Synth(nil)
}

// contextString is the CDK context value key (-c key=value), or def.
func contextString(app awscdk.App, key, def string) string {
	if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
		return v
	}
	return def
}

// missingBinaries lists the functions with no bootstrap under dir.
func missingBinaries(dir string) []string {
	var missing []string
	for _, f := range routes.All() {
		if _, err := os.Stat(filepath.Join(dir, f.Name, "bootstrap")); err != nil {
			missing = append(missing, f.Name)
		}
	}
	return missing
}
