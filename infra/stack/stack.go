// Package stack defines the service's CloudFormation stack with the AWS CDK,
// generated from the routes table (github.com/zocket/agent/routes): the
// HTTP API, the DynamoDB table, the S3 bucket, and one Lambda function per
// row with the route, size, environment and least-privilege policy the row
// asks for. It declares the same system as template.yaml (SAM) and names
// the shared resources with the same logical IDs (Table, Bucket, HttpApi,
// <Name>Function, <Name>FunctionUrl), so the parity test can compare the
// two templates resource by resource.
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
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/zocket/agent/routes"
)

// buildFunction is the routes table's name of the function that
// routes.BuildFunc grants invoke.
const buildFunction = "build"

// Object prefixes in the bucket: artifact code (the default S3_CODE_PREFIX),
// build outputs and conversation exports (both expired by lifecycle rules).
const (
	codePrefix   = "code-artifacts/"
	buildPrefix  = "builds/"
	exportPrefix = "exports/"
)

// CORS settings shared by the HTTP API and the streaming Function URL; the
// allowed origins come from the CorsOrigins parameter.
var (
	corsHeaders       = []string{"Authorization", "Content-Type", "Last-Event-ID"}
	corsExposeHeaders = []string{"X-Request-Id", "Retry-After", "Content-Disposition"}
	corsMaxAge        = awscdk.Duration_Seconds(jsii.Number(600))
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

// parameters are the stack's CloudFormation parameters, named as in
// template.yaml.
type parameters struct {
	stage, jwtSecret, geminiKey, geminiModel, corsOrigins, defaultCredits  awscdk.CfnParameter
	registrationsPerHour, maxConcurrentTurns, turnsPerMinute, chatReserved awscdk.CfnParameter
	originVerify, publicURL                                                awscdk.CfnParameter
	chatReservedSet                                                        awscdk.CfnCondition
}

// builder holds what the functions refer to while the stack is built.
type builder struct {
	stack     awscdk.Stack
	api       awsapigatewayv2.HttpApi
	params    parameters
	origins   *[]*string
	table     awsdynamodb.Table
	bucket    awss3.Bucket
	functions map[string]awslambda.Function
}

// New adds the stack to scope. It fails when a row grants a resource the
// stack does not know, when a row invokes the build function and there is
// none, or when more than one row asks for a streaming Function URL.
func New(scope constructs.Construct, id string, props Props) (awscdk.Stack, error) {
	fns := props.Functions
	if fns == nil {
		fns = routes.All()
	}
	if props.Code == nil {
		return nil, fmt.Errorf("stack %s: Props.Code is required", id)
	}
	b := &builder{stack: awscdk.NewStack(scope, jsii.String(id), &props.StackProps), functions: map[string]awslambda.Function{}}
	b.params = b.addParameters()
	b.origins = awscdk.Fn_Split(jsii.String(","), b.params.corsOrigins.ValueAsString(), nil)
	b.table = b.addTable()
	b.bucket = b.addBucket()
	api := b.addAPI()
	b.api = api

	for _, f := range fns {
		b.functions[f.Name] = b.addFunction(f, props.Code(f))
	}
	var streamURL *string
	for _, f := range fns {
		fn := b.functions[f.Name]
		env, err := b.environment(f)
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(env)) { // a stable template
			fn.AddEnvironment(jsii.String(k), env[k], nil)
		}
		for _, g := range f.Grants {
			arn, err := b.arn(g.Resource)
			if err != nil {
				return nil, fmt.Errorf("function %s: %w", f.Name, err)
			}
			fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings(g.Actions...),
				Resources: &[]*string{arn},
			}))
		}
		switch {
		case f.StreamURL:
			if streamURL != nil {
				return nil, fmt.Errorf("function %s: a second streaming Function URL needs its own output", f.Name)
			}
			streamURL = b.addStreamURL(f, fn)
		case f.Path != "":
			api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
				Path:        jsii.String(f.Path),
				Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(f.Method)},
				Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(f.LogicalID()+"Integration"), fn, nil),
			})
		}
	}
	var distribution awscloudfront.CfnDistribution
	if streamURL != nil {
		distribution = b.addDistribution(api, streamURL)
	}
	b.addOutputs(api, streamURL, distribution)
	return b.stack, nil
}

func (b *builder) addParameters() parameters {
	str := func(id, def, desc string) awscdk.CfnParameter {
		p := &awscdk.CfnParameterProps{Type: jsii.String("String"), Default: jsii.String(def)}
		if desc != "" {
			p.Description = jsii.String(desc)
		}
		return awscdk.NewCfnParameter(b.stack, jsii.String(id), p)
	}
	// The validator takes a parameter named like a secret for one; it holds
	// the name of the SSM parameter, which is not secret.
	awscdk.Validations_Of(b.stack).Acknowledge(&awscdk.Acknowledgment{
		Id:     jsii.String("CloudFormation-Validate::W2509"),
		Reason: jsii.String("JwtSecretParameterName is the name of an SSM parameter, not the secret"),
	})
	number := func(name string, def float64, desc string) awscdk.CfnParameter {
		p := &awscdk.CfnParameterProps{Type: jsii.String("Number"), Default: jsii.Number(def)}
		if desc != "" {
			p.Description = jsii.String(desc)
		}
		return awscdk.NewCfnParameter(b.stack, jsii.String(name), p)
	}
	chatReserved := str(routes.ChatReservedConcurrency, "",
		"Reserved concurrency of each chat function; empty reserves none (a new account has 10 concurrent executions and no room to reserve any).")
	stage := awscdk.NewCfnParameter(b.stack, jsii.String("Stage"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), Default: jsii.String("dev"), AllowedValues: jsii.Strings("dev", "prod"),
	})
	return parameters{
		stage: stage,
		jwtSecret: str("JwtSecretParameterName", "/ai-coding-agent/dev/jwt-secret",
			"Name of an SSM SecureString (at least 32 bytes) holding the JWT secret. Create it before deploying; the functions read it at cold start."),
		geminiKey:   str("GeminiApiKeyParameterName", "/ai-coding-agent/dev/gemini-api-key", "Name of an SSM SecureString holding the Gemini API key."),
		geminiModel: str("GeminiModel", "gemini-2.5-flash", ""),
		originVerify: str("OriginVerifyParameterName", "/ai-coding-agent/dev/origin-verify",
			"Name of an SSM String parameter holding a random value (at least 32 characters) that CloudFront sends its origins in X-Origin-Verify: the functions trust the client address and host CloudFront forwards only with it. Create it before deploying."),
		publicURL: str("PublicUrl", "",
			"The URL clients reach the API at, for the links the API returns (a custom domain on the distribution); empty: the host each request came through (the distribution's domain, behind CloudFront)."),
		corsOrigins:          str("CorsOrigins", "http://localhost:3000,http://localhost:5173", ""),
		defaultCredits:       number("DefaultCredits", 20, ""),
		registrationsPerHour: number("RegistrationsPerHour", 20, "Accounts one client address may create per hour (0 for no limit)."),
		maxConcurrentTurns:   number("MaxConcurrentTurns", 3, "Replies one user may have in progress at once (0 for no limit)."),
		turnsPerMinute:       number("TurnsPerMinute", 20, "Replies one user may start per minute (0 for no limit)."),
		chatReserved:         chatReserved,
		chatReservedSet: awscdk.NewCfnCondition(b.stack, jsii.String("ChatReservedConcurrencySet"), &awscdk.CfnConditionProps{
			Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(chatReserved.ValueAsString(), jsii.String(""))),
		}),
	}
}

// addTable is the single table: the keys, GSI1 and TTL attribute that
// store.CreateTableInput declares, with point-in-time recovery.
func (b *builder) addTable() awsdynamodb.Table {
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	table := awsdynamodb.NewTable(b.stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:        str("PK"),
		SortKey:             str("SK"),
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String("expiresAt"),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:    awsdynamodb.TableEncryption_AWS_MANAGED,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String("GSI1"),
		PartitionKey:   str("GSI1PK"),
		SortKey:        str("GSI1SK"),
		ProjectionType: awsdynamodb.ProjectionType_INCLUDE,
		NonKeyAttributes: jsii.Strings("id", "userId", "title", "titleLower", "messageCount",
			"lastMessage", "activityAt", "createdAt", "updatedAt"),
	})
	table.Node().DefaultChild().(awsdynamodb.CfnTable).OverrideLogicalId(jsii.String("Table"))
	return table
}

// addBucket holds artifact code, build outputs and exports: private, encrypted,
// build outputs and exports expire, and browsers may GET presigned downloads.
func (b *builder) addBucket() awss3.Bucket {
	bucket := awss3.NewBucket(b.stack, jsii.String("Bucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules: &[]*awss3.LifecycleRule{
			{Id: jsii.String("expire-build-outputs"), Prefix: jsii.String(buildPrefix), Expiration: awscdk.Duration_Days(jsii.Number(30))},
			{Id: jsii.String("expire-exports"), Prefix: jsii.String(exportPrefix), Expiration: awscdk.Duration_Days(jsii.Number(1))},
			{Id: jsii.String("abort-incomplete-uploads"), AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1))},
		},
		Cors: &[]*awss3.CorsRule{{
			AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_GET, awss3.HttpMethods_HEAD},
			AllowedOrigins: b.origins,
			AllowedHeaders: jsii.Strings("*"),
			MaxAge:         jsii.Number(3600),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	bucket.Node().DefaultChild().(awss3.CfnBucket).OverrideLogicalId(jsii.String("Bucket"))
	return bucket
}

// addAPI is the HTTP API with CORS and a throttled $default stage.
func (b *builder) addAPI() awsapigatewayv2.HttpApi {
	api := awsapigatewayv2.NewHttpApi(b.stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: b.origins,
			AllowHeaders: jsii.Strings(corsHeaders...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{
				awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_POST, awsapigatewayv2.CorsHttpMethod_PUT,
				awsapigatewayv2.CorsHttpMethod_DELETE, awsapigatewayv2.CorsHttpMethod_OPTIONS,
			},
			ExposeHeaders: jsii.Strings(corsExposeHeaders...),
			MaxAge:        corsMaxAge,
		},
		CreateDefaultStage: jsii.Bool(false),
	})
	api.Node().DefaultChild().(awsapigatewayv2.CfnApi).OverrideLogicalId(jsii.String("HttpApi"))
	awsapigatewayv2.NewHttpStage(b.stack, jsii.String("HttpApiDefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle:   &awsapigatewayv2.ThrottleSettings{BurstLimit: jsii.Number(200), RateLimit: jsii.Number(100)},
	})
	return api
}

func (b *builder) addFunction(f routes.Function, code awslambda.Code) awslambda.Function {
	fn := awslambda.NewFunction(b.stack, jsii.String(f.LogicalID()), &awslambda.FunctionProps{
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  code,
		MemorySize:            jsii.Number(f.Memory()),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(f.Timeout())),
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
	})
	cfn := fn.Node().DefaultChild().(awslambda.CfnFunction)
	cfn.OverrideLogicalId(jsii.String(f.LogicalID()))
	if f.ReservedConcurrency == routes.ChatReservedConcurrency {
		cfn.AddPropertyOverride(jsii.String("ReservedConcurrentExecutions"), awscdk.Fn_ConditionIf(
			b.params.chatReservedSet.LogicalId(), b.params.chatReserved.ValueAsString(), awscdk.Aws_NO_VALUE()))
	}
	return fn
}

// streamMethods are the methods of the routes f streams.
func streamMethods(f routes.Function) *[]awslambda.HttpMethod {
	var out []awslambda.HttpMethod
	for _, g := range f.Served() {
		if m := awslambda.HttpMethod(g.Method); !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return &out
}

// addStreamURL serves f from a Function URL in RESPONSE_STREAM mode. The
// handler checks the JWT itself, so the URL has no IAM auth.
func (b *builder) addStreamURL(f routes.Function, fn awslambda.Function) *string {
	url := fn.AddFunctionUrl(&awslambda.FunctionUrlOptions{
		AuthType:   awslambda.FunctionUrlAuthType_NONE,
		InvokeMode: awslambda.InvokeMode_RESPONSE_STREAM,
		Cors: &awslambda.FunctionUrlCorsOptions{
			AllowedOrigins: b.origins,
			AllowedMethods: streamMethods(f),
			AllowedHeaders: jsii.Strings(corsHeaders...),
			ExposedHeaders: jsii.Strings(corsExposeHeaders...),
			MaxAge:         corsMaxAge,
		},
	})
	url.Node().DefaultChild().(awslambda.CfnUrl).OverrideLogicalId(jsii.String(f.LogicalID() + "Url"))
	return url.Url()
}

func (b *builder) addOutputs(api awsapigatewayv2.HttpApi, streamURL *string, distribution awscloudfront.CfnDistribution) {
	out := func(id, desc string, value *string) {
		p := &awscdk.CfnOutputProps{Value: value}
		if desc != "" {
			p.Description = jsii.String(desc)
		}
		awscdk.NewCfnOutput(b.stack, jsii.String(id), p)
	}
	if distribution != nil {
		out("Url", "The API's one URL (set it as the frontend's NEXT_PUBLIC_API_URL); chat streams through it",
			awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), distribution.AttrDomainName()}))
	}
	out("ApiUrl", "Base URL of the HTTP API (every route; chat answers in one buffered body there)", apiURL(api))
	if streamURL != nil {
		out("StreamUrl", "Function URL of the streaming chat (POST <StreamUrl>api/chat/send)", streamURL)
	}
	out("TableName", "", b.table.TableName())
	out("BucketName", "", b.bucket.BucketName())
}

// environment is what the function reads at cold start: the table and the
// settings every function gets, then what its grants and role call for.
func (b *builder) environment(f routes.Function) (map[string]*string, error) {
	p := b.params
	env := map[string]*string{
		"TABLE_NAME":   b.table.TableName(),
		"CORS_ORIGINS": p.corsOrigins.ValueAsString(),
		"VERSION":      p.stage.ValueAsString(),
		"GOGC":         jsii.String(routes.GCPercent),
	}
	for _, name := range f.Environment() {
		var v *string
		switch name {
		case "JWT_SECRET_PARAM":
			v = p.jwtSecret.ValueAsString()
		case "GEMINI_API_KEY_PARAM":
			v = p.geminiKey.ValueAsString()
		case "GEMINI_MODEL":
			v = p.geminiModel.ValueAsString()
		case "S3_BUCKET_NAME":
			v = b.bucket.BucketName()
		case "DEFAULT_CREDITS":
			v = p.defaultCredits.ValueAsString()
		case "ORIGIN_VERIFY_PARAM":
			v = p.originVerify.ValueAsString()
		case "PUBLIC_URL":
			v = p.publicURL.ValueAsString()
		case "API_URL":
			v = apiURL(b.api)
		case "REGISTRATIONS_PER_HOUR":
			v = p.registrationsPerHour.ValueAsString()
		case "MAX_CONCURRENT_TURNS":
			v = p.maxConcurrentTurns.ValueAsString()
		case "TURNS_PER_MINUTE":
			v = p.turnsPerMinute.ValueAsString()
		case "BUILD_FUNCTION_NAME":
			build, ok := b.functions[buildFunction]
			if !ok {
				return nil, fmt.Errorf("function %s invokes the build function, and the table has no %q", f.Name, buildFunction)
			}
			v = build.FunctionName()
		default:
			return nil, fmt.Errorf("function %s: no value for %s", f.Name, name)
		}
		env[name] = v
	}
	return env, nil
}

// arn is the ARN of a symbolic resource of the routes table, spelt so that
// it reads like template.yaml's once intrinsic functions are resolved.
func (b *builder) arn(r routes.Resource) (*string, error) {
	switch r {
	case routes.Table:
		return b.table.TableArn(), nil
	case routes.TableIndexes:
		return awscdk.Fn_Join(jsii.String(""), &[]*string{b.table.TableArn(), jsii.String("/index/*")}), nil
	case routes.Bucket:
		return b.bucket.BucketArn(), nil
	case routes.CodeObjects:
		return b.bucket.ArnForObjects(jsii.String(codePrefix + "*")), nil
	case routes.BuildObjects:
		return b.bucket.ArnForObjects(jsii.String(buildPrefix + "*")), nil
	case routes.ExportObjects:
		return b.bucket.ArnForObjects(jsii.String(exportPrefix + "*")), nil
	case routes.JWTSecret:
		return parameterARN(b.params.jwtSecret), nil
	case routes.GeminiKey:
		return parameterARN(b.params.geminiKey), nil
	case routes.OriginVerify:
		return parameterARN(b.params.originVerify), nil
	case routes.BuildFunc:
		build, ok := b.functions[buildFunction]
		if !ok {
			return nil, fmt.Errorf("grant on the build function, and the table has no %q", buildFunction)
		}
		return build.FunctionArn(), nil
	}
	return nil, fmt.Errorf("unknown resource %q", r)
}

// parameterARN is the ARN of the SSM parameter whose name (starting with a
// slash) the CloudFormation parameter p holds.
func parameterARN(p awscdk.CfnParameter) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":ssm:"), awscdk.Aws_REGION(),
		jsii.String(":"), awscdk.Aws_ACCOUNT_ID(), jsii.String(":parameter"), p.ValueAsString(),
	})
}

// apiURL is the HTTP API's base URL.
func apiURL(api awsapigatewayv2.HttpApi) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), api.ApiId(), jsii.String(".execute-api."), awscdk.Aws_REGION(),
		jsii.String("."), awscdk.Aws_URL_SUFFIX(),
	})
}

// The managed CloudFront policies the distribution uses: nothing cached,
// every viewer header but Host (API Gateway and Function URLs answer only
// their own) passed on.
const (
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// forwardHost is the viewer-request function that tells the origins the host
// the client used, for the links they return.
const forwardHost = `function handler(event) {
  var request = event.request;
  request.headers['x-forwarded-host'] = { value: request.headers.host.value };
  return request;
}
`

// addDistribution is the API's one URL: CloudFront sends the chat routes to
// the streaming Function URL and everything else to the HTTP API, with the
// origin's value that makes the functions trust what it forwards. It is
// written at the CloudFormation level to read as template.yaml does.
func (b *builder) addDistribution(api awsapigatewayv2.HttpApi, streamURL *string) awscloudfront.CfnDistribution {
	fn := awscloudfront.NewCfnFunction(b.stack, jsii.String("ForwardHostFunction"), &awscloudfront.CfnFunctionProps{
		Name:        awscdk.Fn_Join(jsii.String(""), &[]*string{awscdk.Aws_STACK_NAME(), jsii.String("-forward-host")}),
		AutoPublish: jsii.Bool(true),
		FunctionConfig: &awscloudfront.CfnFunction_FunctionConfigProperty{
			Comment: jsii.String("Tells the origins the host the client used, for the links they return."),
			Runtime: jsii.String("cloudfront-js-2.0"),
		},
		FunctionCode: jsii.String(forwardHost),
	})
	fn.OverrideLogicalId(jsii.String("ForwardHostFunction"))
	verify := &[]interface{}{&awscloudfront.CfnDistribution_OriginCustomHeaderProperty{
		HeaderName:  jsii.String("X-Origin-Verify"),
		HeaderValue: awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("{{resolve:ssm:"), b.params.originVerify.ValueAsString(), jsii.String("}}")}),
	}}
	methods := jsii.Strings("GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE")
	associations := &[]interface{}{&awscloudfront.CfnDistribution_FunctionAssociationProperty{
		EventType: jsii.String("viewer-request"), FunctionArn: fn.AttrFunctionMetadataFunctionArn(),
	}}
	var behaviors []interface{}
	for _, pattern := range routes.StreamPaths {
		behaviors = append(behaviors, &awscloudfront.CfnDistribution_CacheBehaviorProperty{
			PathPattern:    jsii.String(pattern),
			TargetOriginId: jsii.String("Stream"), ViewerProtocolPolicy: jsii.String("redirect-to-https"),
			AllowedMethods: methods, Compress: jsii.Bool(false),
			CachePolicyId: jsii.String(cachingDisabled), OriginRequestPolicyId: jsii.String(allViewerExceptHostHeader),
			FunctionAssociations: associations,
		})
	}
	d := awscloudfront.NewCfnDistribution(b.stack, jsii.String("Distribution"), &awscloudfront.CfnDistributionProps{
		DistributionConfig: &awscloudfront.CfnDistribution_DistributionConfigProperty{
			Enabled:     jsii.Bool(true),
			Comment:     jsii.String("AI coding agent API"),
			HttpVersion: jsii.String("http2and3"),
			PriceClass:  jsii.String("PriceClass_100"),
			Origins: &[]interface{}{
				&awscloudfront.CfnDistribution_OriginProperty{
					Id: jsii.String("Api"),
					DomainName: awscdk.Fn_Join(jsii.String(""), &[]*string{
						api.ApiId(), jsii.String(".execute-api."), awscdk.Aws_REGION(), jsii.String("."), awscdk.Aws_URL_SUFFIX(),
					}),
					CustomOriginConfig: &awscloudfront.CfnDistribution_CustomOriginConfigProperty{
						OriginProtocolPolicy: jsii.String("https-only"), OriginSslProtocols: jsii.Strings("TLSv1.2"),
					},
					OriginCustomHeaders: verify,
				},
				&awscloudfront.CfnDistribution_OriginProperty{
					Id:         jsii.String("Stream"),
					DomainName: awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), streamURL, nil)),
					CustomOriginConfig: &awscloudfront.CfnDistribution_CustomOriginConfigProperty{
						OriginProtocolPolicy: jsii.String("https-only"), OriginSslProtocols: jsii.Strings("TLSv1.2"),
						OriginReadTimeout: jsii.Number(60),
					},
					OriginCustomHeaders: verify,
				},
			},
			DefaultCacheBehavior: &awscloudfront.CfnDistribution_DefaultCacheBehaviorProperty{
				TargetOriginId: jsii.String("Api"), ViewerProtocolPolicy: jsii.String("redirect-to-https"),
				AllowedMethods: methods, Compress: jsii.Bool(false),
				CachePolicyId: jsii.String(cachingDisabled), OriginRequestPolicyId: jsii.String(allViewerExceptHostHeader),
				FunctionAssociations: associations,
			},
			CacheBehaviors: &behaviors,
		},
	})
	d.OverrideLogicalId(jsii.String("Distribution"))
	return d
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
