// Command template prints the CloudFormation template the CDK app
// synthesizes (with stub function code), for tools that check the deployed
// shape against it: `make test-cloud` proves every AWS call against its IAM
// policies as it does against template.yaml's.
package main

import (
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"

	"github.com/zocket/agent/infra/stack"
)

func main() {
	data, err := stack.Template()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "template:", err)
		os.Exit(1)
	}
	os.Stdout.Write(data)
}
