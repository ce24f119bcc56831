package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/routes"
)

// Defaults of Options.
const (
	DefaultStackName    = "ai-coding-agent-local"
	DefaultRegion       = "us-east-1"
	DefaultAccount      = "123456789012"
	DefaultMaxInstances = 10
)

// SetupAccessKeyID signs the calls the stack makes itself, as CloudFormation
// would: creating the table and the bucket.
const SetupAccessKeyID = "LOCALCLOUDSETUP"

// Options configures Start.
type Options struct {
	// Template is the stack to run (template.yaml, parsed by package cfn).
	Template *cfn.Template
	// Bootstrap returns the path of a function's bootstrap binary, built for
	// this machine, from the function's logical ID (see BootstrapDir).
	Bootstrap func(logicalID string) (string, error)
	// Parameters override the template parameters' defaults.
	Parameters map[string]string
	// SSM are the parameters the stack expects in Parameter Store before it
	// is deployed (the JWT secret, the model's key, the origin's value).
	SSM []SSMParameter
	// Env adds variables to every function's environment: what a deployment
	// provides beside the template (the model's endpoint, the preview
	// package set, which the build function's package ships in AWS).
	Env map[string]string
	// Listen gives fixed addresses ("127.0.0.1:3001") to what serves the
	// stack's URLs, by logical ID: the HttpApi, the Distribution, a function
	// with a FunctionUrlConfig. Others listen on free 127.0.0.1 ports.
	Listen map[string]string
	// MaxInstances caps the instances of a function without reserved
	// concurrency (DefaultMaxInstances); past it invocations are throttled.
	MaxInstances int
	// StackName, Region and Account name the stack's resources (defaults
	// above).
	StackName, Region, Account string
	// DataDir keeps the table's items and the bucket's objects across
	// restarts when set (see localaws); empty means memory only.
	DataDir string
	// Wrap, when set, puts a handler in front of each local AWS endpoint:
	// service is localaws.ServiceDynamoDB, ServiceS3, ServiceLambda or
	// ServiceSSM. Callers are told apart by their credentials, which differ
	// per function (Function.AccessKeyID).
	Wrap func(service string, h http.Handler) http.Handler
	// Front, when set, puts a handler in front of what serves each of the
	// stack's URLs, by logical ID: the HttpApi, the Distribution, a
	// function with a FunctionUrlConfig. A test checks there what a client
	// receives (the scenario checks every answer against the OpenAPI
	// document).
	Front func(logicalID string, h http.Handler) http.Handler
	// Logs receives the functions' output and the fronts' errors, each line
	// prefixed with its source; nil discards them.
	Logs io.Writer
}

// SSMParameter is a parameter the stack reads from Parameter Store.
type SSMParameter struct {
	// NameParameter is the template parameter that holds the parameter's
	// name, such as JwtSecretParameterName.
	NameParameter string
	Value         string
	Secure        bool // a SecureString
}

// Function is one function of the running stack.
type Function struct {
	LogicalID string // in the template: AuthMeFunction
	Name      string // as deployed: <stack>-AuthMeFunction
	// AccessKeyID is the access key in the function's environment: its
	// calls to DynamoDB, S3, Lambda and SSM are signed with it.
	AccessKeyID string
	Routes      []string // its HttpApi routes: "GET /api/auth/me"
	URL         string   // its Function URL, if it has one
	// LogGroup is where its lines go: its LoggingConfig.LogGroup, or
	// Lambda's /aws/lambda/<name>.
	LogGroup string
}

// Cloud is a running local stack.
type Cloud struct {
	// Outputs are the template's outputs, with the local URLs in place of
	// AWS's: Url (the distribution), ApiUrl, StreamUrl, TableName, ...
	Outputs map[string]string
	// URL is the distribution's URL, APIURL the HTTP API's ("" without one).
	URL, APIURL string
	// Endpoints are the local AWS endpoints the functions use.
	Endpoints settings.Endpoints
	// TableName and BucketName are the names of the table and the bucket.
	TableName, BucketName string
	// SSM is the local Parameter Store.
	SSM *localaws.SSM

	functions []Function
	pools     map[string]*pool // by logical ID
	servers   []*http.Server
	aws       *localaws.Stack
	home      string
	logs      *logSink
	closeOnce sync.Once
}

// BootstrapDir finds bootstraps as `go build -o dir/ ./functions/...`
// leaves them: dir/<name>, where <name> is the function's directory under
// functions/, known from the routes table by its logical ID.
func BootstrapDir(dir string) func(logicalID string) (string, error) {
	return func(logicalID string) (string, error) {
		for _, f := range routes.All() {
			if f.LogicalID() == logicalID {
				path := filepath.Join(dir, f.Name)
				if _, err := os.Stat(path); err != nil {
					return "", fmt.Errorf("function %s: no bootstrap: %w", logicalID, err)
				}
				return path, nil
			}
		}
		return "", fmt.Errorf("function %s is in no entry of the routes table", logicalID)
	}
}

// Start runs the stack of opts.Template: the local AWS endpoints with the
// table and the bucket, one pool of processes per function, and the HTTP
// API, Function URLs and distribution in front of them. It fails on
// anything of the template it cannot run as AWS would.
func Start(ctx context.Context, opts Options) (*Cloud, error) {
	if opts.Template == nil || opts.Bootstrap == nil {
		return nil, errors.New("localcloud: Template and Bootstrap are required")
	}
	if opts.StackName == "" {
		opts.StackName = DefaultStackName
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Account == "" {
		opts.Account = DefaultAccount
	}
	if opts.MaxInstances <= 0 {
		opts.MaxInstances = DefaultMaxInstances
	}
	wrap := opts.Wrap
	if wrap == nil {
		wrap = func(_ string, h http.Handler) http.Handler { return h }
	}
	front := opts.Front
	if front == nil {
		front = func(_ string, h http.Handler) http.Handler { return h }
	}
	c := &Cloud{Outputs: map[string]string{}, pools: map[string]*pool{}, logs: &logSink{out: opts.Logs}}
	ok := false
	defer func() {
		if !ok {
			c.Close()
		}
	}()

	// Parameter Store first: the template's dynamic references read it.
	c.SSM = localaws.NewSSM()
	c.SSM.Region, c.SSM.Account = opts.Region, opts.Account
	params, err := cfn.ParameterValues(opts.Template, opts.Parameters)
	if err != nil {
		return nil, err
	}
	for _, p := range opts.SSM {
		name, ok := params[p.NameParameter].(string)
		if !ok || name == "" {
			return nil, fmt.Errorf("SSM parameter named by %s: the template has no such parameter", p.NameParameter)
		}
		c.SSM.Put(name, p.Value, p.Secure)
	}
	st, err := readStack(opts.Template, stackConfig{
		name: opts.StackName, region: opts.Region, account: opts.Account, parameters: opts.Parameters,
		ssm: func(name string) (string, bool, bool) {
			v, ok := c.SSM.Value(name)
			return v, c.SSM.Secure(name), ok
		},
	})
	if err != nil {
		return nil, err
	}

	// The listeners, so that every address is known before anything runs.
	listen := func(id string) (net.Listener, error) {
		addr := opts.Listen[id]
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		return ln, nil
	}
	lns := map[string]net.Listener{}
	addrs := map[string]string{} // AWS domain → local address
	for id, domain := range st.hosts {
		ln, err := listen(id)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, err
		}
		lns[id] = ln
		addrs[domain] = ln.Addr().String()
	}
	for id := range opts.Listen {
		if _, ok := lns[id]; !ok {
			return nil, fmt.Errorf("Listen: %s serves no URL of the template", id)
		}
	}
	local := localizer(addrs)

	// The AWS endpoints.
	if c.aws, err = localaws.Start(localaws.Options{DataDir: opts.DataDir, Table: tableName(st), Log: slog.New(slog.DiscardHandler), Wrap: wrap}); err != nil {
		return nil, err
	}
	c.Endpoints = settings.Endpoints{DynamoDB: c.aws.DynamoURL, S3: c.aws.S3URL}
	invoke := &invokeAPI{pools: map[string]*pool{}, logf: c.logf("Lambda")}
	if c.Endpoints.Lambda, err = c.serve(nil, wrap(localaws.ServiceLambda, invoke)); err != nil {
		return nil, err
	}
	if c.Endpoints.SSM, err = c.serve(nil, wrap(localaws.ServiceSSM, c.SSM)); err != nil {
		return nil, err
	}
	if err := c.createResources(ctx, st, opts); err != nil {
		return nil, err
	}

	// The functions.
	if c.home, err = os.MkdirTemp("", "localcloud-home-"); err != nil {
		return nil, err
	}
	for _, fn := range st.functions {
		for k := range fn.env {
			if slices.Contains(reservedVariables, k) || strings.HasPrefix(k, "AWS_LAMBDA_") {
				return nil, fmt.Errorf("function %s: %s is a variable Lambda reserves", fn.logicalID, k)
			}
			fn.env[k] = local(fn.env[k])
		}
		bin, err := opts.Bootstrap(fn.logicalID)
		if err != nil {
			return nil, err
		}
		if bin, err = filepath.Abs(bin); err != nil {
			return nil, err
		}
		max := opts.MaxInstances
		if fn.reserved >= 0 {
			max = fn.reserved
		}
		key, secret, token := functionCredentials(opts.StackName, fn.logicalID)
		env := c.environ(fn, opts, bin, key, secret, token)
		p := newPool(fn, bin, env, max, c.logs)
		c.pools[fn.logicalID] = p
		invoke.pools[fn.name] = p
		info := Function{LogicalID: fn.logicalID, Name: fn.name, AccessKeyID: key, LogGroup: fn.logGroup}
		for _, rt := range fn.routes {
			info.Routes = append(info.Routes, rt.key())
		}
		c.functions = append(c.functions, info)
	}

	// The fronts.
	if st.api != nil {
		api, err := newAPIFront(st.api, opts.Account, c.pools, st.functions, c.logf(st.api.logicalID))
		if err != nil {
			return nil, err
		}
		if _, err := c.serve(lns[st.api.logicalID], front(st.api.logicalID, api)); err != nil {
			return nil, err
		}
		c.APIURL = "http://" + addrs[st.api.domain]
	}
	for i, fn := range st.functions {
		if fn.url == nil {
			continue
		}
		u := &urlFront{spec: fn.url, pool: c.pools[fn.logicalID], logf: c.logf(fn.url.logicalID), now: time.Now}
		if _, err := c.serve(lns[fn.logicalID], front(fn.logicalID, u)); err != nil {
			return nil, err
		}
		c.functions[i].URL = "http://" + addrs[fn.url.domain] + "/"
	}
	if st.dist != nil {
		for _, o := range st.dist.origins {
			for j, h := range o.headers {
				o.headers[j][1] = local(h[1])
			}
		}
		cdn, err := newCDNFront(st.dist, addrs, c.logf(st.dist.logicalID), c.logs.writer(st.dist.logicalID))
		if err != nil {
			return nil, err
		}
		if _, err := c.serve(lns[st.dist.logicalID], front(st.dist.logicalID, cdn)); err != nil {
			return nil, err
		}
		c.URL = "http://" + addrs[st.dist.domain]
	}
	for k, v := range st.outputs {
		c.Outputs[k] = local(v)
	}
	ok = true
	return c, nil
}

// createResources creates the table (from the template's definition of it)
// and the bucket.
func (c *Cloud) createResources(ctx context.Context, st *stack, opts Options) error {
	cfg := aws.Config{
		Region:      opts.Region,
		Credentials: credentials.NewStaticCredentialsProvider(SetupAccessKeyID, "local", ""),
	}
	if st.table != nil {
		c.TableName = st.table.name
		in, err := createTableInput(st.table)
		if err != nil {
			return err
		}
		db := settings.DynamoDBClient(cfg, c.Endpoints.DynamoDB)
		_, err = db.CreateTable(ctx, in)
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return fmt.Errorf("create table %s: %w", st.table.name, err)
		}
		if opts.DataDir != "" {
			if _, err := c.aws.Restore(ctx); err != nil {
				return err
			}
		}
	}
	if st.bucket != "" {
		c.BucketName = st.bucket
		_, err := settings.S3Client(cfg, c.Endpoints.S3).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(st.bucket)})
		if err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") && !strings.Contains(err.Error(), "BucketAlreadyExists") {
			return fmt.Errorf("create bucket %s: %w", st.bucket, err)
		}
	}
	return nil
}

// createTableInput is the CreateTable call of the template's table: its
// keys, attributes, indexes and billing mode, whose CloudFormation names
// are the API's. What it leaves out (TTL, backups, encryption) is not
// emulated.
func createTableInput(t *tableSpec) (*dynamodb.CreateTableInput, error) {
	keep := map[string]any{}
	for _, k := range []string{"AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "BillingMode", "ProvisionedThroughput"} {
		if v, ok := t.properties[k]; ok {
			keep[k] = v
		}
	}
	raw, err := json.Marshal(keep)
	if err != nil {
		return nil, err
	}
	in := &dynamodb.CreateTableInput{}
	if err := json.Unmarshal(raw, in); err != nil {
		return nil, fmt.Errorf("table %s: %w", t.logicalID, err)
	}
	in.TableName = aws.String(t.name)
	if in.BillingMode == "" {
		in.BillingMode = types.BillingModeProvisioned
	}
	return in, nil
}

func tableName(st *stack) string {
	if st.table == nil {
		return ""
	}
	return st.table.name
}

// environ is the whole environment of a function's processes: what Lambda
// sets, the template's variables, the local endpoints, then opts.Env.
func (c *Cloud) environ(fn *function, opts Options, bin, key, secret, token string) []string {
	vars := map[string]string{
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"HOME":                            c.home, // no shared AWS configuration
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                filepath.Dir(bin),
		"AWS_REGION":                      opts.Region,
		"AWS_DEFAULT_REGION":              opts.Region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_FUNCTION_NAME":        fn.name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.memoryMB),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       fn.logGroup,
		"AWS_ACCESS_KEY_ID":               key,
		"AWS_SECRET_ACCESS_KEY":           secret,
		"AWS_SESSION_TOKEN":               token,
		"DYNAMODB_ENDPOINT":               c.Endpoints.DynamoDB,
		"S3_ENDPOINT":                     c.Endpoints.S3,
		"LAMBDA_ENDPOINT":                 c.Endpoints.Lambda,
		"SSM_ENDPOINT":                    c.Endpoints.SSM,
	}
	for k, v := range fn.env {
		vars[k] = v
	}
	for k, v := range opts.Env {
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// functionCredentials are a function's own: an access key, a secret and a session
// token, stable for the stack and different for every function, as each
// function has its own role in AWS.
func functionCredentials(stackName, logicalID string) (key, secret, token string) {
	return "ASIA" + strings.ToUpper(shortID(stackName, logicalID+"/key", 16)),
		shortID(stackName, logicalID+"/secret", 40),
		"local-session-" + shortID(stackName, logicalID+"/token", 40)
}

// localizer replaces the stack's AWS domains by the local addresses that
// serve them, and https by http (the local stack has no TLS).
func localizer(addrs map[string]string) func(string) string {
	var pairs []string
	for domain, addr := range addrs {
		pairs = append(pairs, "https://"+domain, "http://"+addr)
	}
	for domain, addr := range addrs {
		pairs = append(pairs, domain, addr)
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}

// serve serves h on ln (a new 127.0.0.1 listener when nil) until Close and
// returns its URL.
func (c *Cloud) serve(ln net.Listener, h http.Handler) (string, error) {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return "", err
		}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	c.servers = append(c.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// logf is a logger for the fronts' errors, into the logs.
func (c *Cloud) logf(source string) func(format string, args ...any) {
	w := c.logs.writer(source)
	return func(format string, args ...any) {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// Functions describes the stack's functions.
func (c *Cloud) Functions() []Function { return slices.Clone(c.functions) }

// LogGroups are the lines the functions wrote so far, by log group, each
// group's in the order they were written.
func (c *Cloud) LogGroups() map[string][]LogEvent {
	c.logs.mu.Lock()
	defer c.logs.mu.Unlock()
	out := make(map[string][]LogEvent, len(c.logs.groups))
	for g, events := range c.logs.groups {
		out[g] = slices.Clone(events)
	}
	return out
}

// Instances reports how many processes of the function called logicalID
// are running now, and how many were started in all.
func (c *Cloud) Instances(logicalID string) (running, started int) {
	p, ok := c.pools[logicalID]
	if !ok {
		return 0, 0
	}
	return p.instances()
}

// Close stops the fronts, the functions and the local AWS endpoints.
func (c *Cloud) Close() error {
	var errs []error
	c.closeOnce.Do(func() {
		for _, srv := range c.servers {
			errs = append(errs, srv.Close())
		}
		var wg sync.WaitGroup
		for _, p := range c.pools {
			wg.Go(p.close)
		}
		wg.Wait()
		if c.aws != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			errs = append(errs, c.aws.Close(ctx))
			cancel()
		}
		if c.home != "" {
			errs = append(errs, os.RemoveAll(c.home))
		}
	})
	return errors.Join(errs...)
}
