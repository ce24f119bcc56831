// Package stack renders the service's deployment, as package deploy
// describes it (github.com/zocket/agent/deploy), with the AWS CDK: the same
// description template.yaml is rendered from, so the two templates share
// their parameters, conditions, resources, property values and logical IDs.
//
// Where SAM and the CDK each declare a thing in their own way, the CDK's
// constructs do it: a function with its code asset, role and policy; the
// HTTP API with its stage, routes, integrations and permissions; the
// Function URL with its permission. Their property values still come from
// the description, set on the constructs' CloudFormation resources as they
// are. Every other resource (the table, the bucket, the distribution and
// its function, the log groups, the alert topic, the alarms and the
// dashboard) is a CfnResource of the description's type and properties,
// under its condition.
package stack

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/zocket/agent/deploy"
	"github.com/zocket/agent/routes"
)

// Props configures New.
type Props struct {
	awscdk.StackProps
	// Functions are the rows to deploy; nil means routes.All().
	Functions []routes.Function
	// Code is a function's deployment package. AssetsIn serves the
	// binaries of `make build`.
	Code func(routes.Function) awslambda.Code
}

// AssetsIn returns the deployment packages under dir, one directory per
// function holding its bootstrap, as `make build` lays them out.
func AssetsIn(dir string) func(routes.Function) awslambda.Code {
	return func(f routes.Function) awslambda.Code {
		return awslambda.Code_FromAsset(jsii.String(filepath.Join(dir, f.Name)), nil)
	}
}

// New adds the stack of the functions' deployment to scope; it fails where
// deploy.New does.
func New(scope constructs.Construct, id string, props Props) (awscdk.Stack, error) {
	if props.Code == nil {
		return nil, fmt.Errorf("stack %s: Props.Code is required", id)
	}
	d, err := deploy.New(props.Functions)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", id, err)
	}
	st := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	// The validator takes a parameter named like a secret for one; it holds
	// the name of the SSM parameter, which is not secret.
	awscdk.Validations_Of(st).Acknowledge(&awscdk.Acknowledgment{
		Id:     jsii.String("CloudFormation-Validate::W2509"),
		Reason: jsii.String("JwtSecretParameterName is the name of an SSM parameter, not the secret"),
	})
	for _, p := range d.Parameters {
		props := &awscdk.CfnParameterProps{Type: jsii.String(p.Type), Default: p.Default}
		if len(p.AllowedValues) > 0 {
			props.AllowedValues = jsii.Strings(p.AllowedValues...)
		}
		if p.Description != "" {
			props.Description = jsii.String(p.Description)
		}
		awscdk.NewCfnParameter(st, jsii.String(p.Name), props)
	}
	conditions := map[string]awscdk.CfnCondition{}
	for _, c := range d.Conditions {
		expr, err := condition(c.Expression)
		if err != nil {
			return nil, fmt.Errorf("condition %s: %w", c.Name, err)
		}
		conditions[c.Name] = awscdk.NewCfnCondition(st, jsii.String(c.Name), &awscdk.CfnConditionProps{Expression: expr})
	}
	for _, r := range d.Resources {
		res := awscdk.NewCfnResource(st, jsii.String(r.LogicalID), &awscdk.CfnResourceProps{
			Type: jsii.String(r.Type), Properties: &r.Properties,
		})
		res.OverrideLogicalId(jsii.String(r.LogicalID))
		if r.Retain {
			res.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
		}
		if r.Condition != "" {
			c, ok := conditions[r.Condition]
			if !ok {
				return nil, fmt.Errorf("resource %s: no condition %s", r.LogicalID, r.Condition)
			}
			res.CfnOptions().SetCondition(c)
		}
	}
	api := addAPI(st, d.API)
	for _, f := range d.Functions {
		addFunction(st, d, f, api, props.Code(f.Function))
	}
	for _, o := range d.Outputs {
		p := &awscdk.CfnOutputProps{Value: awscdk.Token_AsString(o.Value, nil)}
		if o.Description != "" {
			p.Description = jsii.String(o.Description)
		}
		awscdk.NewCfnOutput(st, jsii.String(o.Name), p)
	}
	return st, nil
}

// addAPI is the HTTP API and its stage, with the description's CORS and
// throttling.
func addAPI(st awscdk.Stack, a deploy.API) awsapigatewayv2.HttpApi {
	api := awsapigatewayv2.NewHttpApi(st, jsii.String(a.LogicalID), &awsapigatewayv2.HttpApiProps{CreateDefaultStage: jsii.Bool(false)})
	cfn := api.Node().DefaultChild().(awsapigatewayv2.CfnApi)
	cfn.OverrideLogicalId(jsii.String(a.LogicalID))
	cfn.AddPropertyOverride(jsii.String("CorsConfiguration"), a.CorsConfiguration)
	stage := awsapigatewayv2.NewHttpStage(st, jsii.String(a.LogicalID+"DefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi: api, StageName: jsii.String(a.StageName), AutoDeploy: jsii.Bool(true),
	})
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).AddPropertyOverride(jsii.String("DefaultRouteSettings"), a.DefaultRouteSettings)
	return api
}

// addFunction is f: its properties and environment (the defaults, then its
// own), a policy statement per grant, and its route or Function URL.
func addFunction(st awscdk.Stack, d *deploy.Stack, f deploy.Function, api awsapigatewayv2.HttpApi, code awslambda.Code) {
	props := d.FunctionProperties(f)
	runtime, _ := props["Runtime"].(string)
	handler, _ := props["Handler"].(string)
	fn := awslambda.NewFunction(st, jsii.String(f.LogicalID), &awslambda.FunctionProps{
		Runtime: awslambda.NewRuntime(jsii.String(runtime), awslambda.RuntimeFamily_OTHER, nil),
		Handler: jsii.String(handler),
		Code:    code,
	})
	cfn := fn.Node().DefaultChild().(awslambda.CfnFunction)
	cfn.OverrideLogicalId(jsii.String(f.LogicalID))
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if k != "Runtime" && k != "Handler" {
			cfn.AddPropertyOverride(jsii.String(k), props[k])
		}
	}
	env := maps.Clone(d.Function.Environment)
	maps.Copy(env, f.Environment)
	for _, k := range slices.Sorted(maps.Keys(env)) { // a stable template
		fn.AddEnvironment(jsii.String(k), awscdk.Token_AsString(env[k], nil), nil)
	}
	for _, s := range f.Statements {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings(s.Actions...),
			Resources: &[]*string{awscdk.Token_AsString(s.Resource, nil)},
		}))
	}
	if f.Path != "" {
		api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(f.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(f.Method)},
			Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(f.LogicalID+"Integration"), fn, nil),
		})
	}
	if f.URL != nil {
		auth, _ := f.URL["AuthType"].(string)
		mode, _ := f.URL["InvokeMode"].(string)
		url := fn.AddFunctionUrl(&awslambda.FunctionUrlOptions{
			AuthType:   awslambda.FunctionUrlAuthType(auth),
			InvokeMode: awslambda.InvokeMode(mode),
		})
		cfnURL := url.Node().DefaultChild().(awslambda.CfnUrl)
		cfnURL.OverrideLogicalId(jsii.String(f.URLLogicalID()))
		for _, k := range slices.Sorted(maps.Keys(f.URL)) {
			if k != "AuthType" && k != "InvokeMode" {
				cfnURL.AddPropertyOverride(jsii.String(k), f.URL[k])
			}
		}
	}
}

// condition is a condition's expression as the CDK's: Fn::Not, Fn::And,
// Fn::Or of conditions, Fn::Equals of values (passed on as they are).
func condition(v any) (awscdk.ICfnConditionExpression, error) {
	m, _ := v.(map[string]any)
	if len(m) != 1 {
		return nil, fmt.Errorf("not a condition function: %v", v)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Fn::Equals":
			if len(args) == 2 {
				return awscdk.Fn_ConditionEquals(args[0], args[1]), nil
			}
		case "Fn::Not", "Fn::And", "Fn::Or":
			var conds []awscdk.ICfnConditionExpression
			for _, a := range args {
				c, err := condition(a)
				if err != nil {
					return nil, err
				}
				conds = append(conds, c)
			}
			switch {
			case fn == "Fn::Not" && len(conds) == 1:
				return awscdk.Fn_ConditionNot(conds[0]), nil
			case fn == "Fn::And" && len(conds) > 0:
				return awscdk.Fn_ConditionAnd(conds...), nil
			case fn == "Fn::Or" && len(conds) > 0:
				return awscdk.Fn_ConditionOr(conds...), nil
			}
		}
		return nil, fmt.Errorf("%s %v: not a condition the stack renders", fn, arg)
	}
	return nil, nil
}

// Template synthesizes the stack into its CloudFormation template (JSON),
// with a stub in place of every function's code: the assets' content does
// not reach the template. It starts Node (jsii); the caller calls
// jsii.Close when done with the CDK.
func Template() ([]byte, error) {
	dir, err := os.MkdirTemp("", "cdk-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	stub := filepath.Join(dir, "stub")
	if err := os.MkdirAll(stub, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(stub, "bootstrap"), []byte("stub"), 0o755); err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "cdk.out"))})
	st, err := New(app, "AiCodingAgent", Props{
		Code: func(routes.Function) awslambda.Code { return awslambda.Code_FromAsset(jsii.String(stub), nil) },
	})
	if err != nil {
		return nil, err
	}
	path := app.Synth(nil).GetStackArtifact(st.ArtifactId()).TemplateFullPath()
	return os.ReadFile(*path)
}
