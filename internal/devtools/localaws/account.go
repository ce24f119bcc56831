package localaws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/internal/store"
	"github.com/zocket/agent/routes"
)

// Account is a stand-in for the AWS account the functions are deployed in,
// for their real bootstraps run as processes of their own: DynamoDB and S3
// with a table and a bucket, Parameter Store holding the secrets, a fake
// Gemini, and the variables that point a process at them as a deployment
// would. Package lambdatest's tests, `make bench-coldstart` and `make
// bench-memory` run the functions in one.
type Account struct {
	Stack  *Stack
	Store  *store.Store       // the table
	SSM    *SSM               // the secrets, named by Parameters
	Gemini *geminitest.Server // takes the Gemini key in Parameter Store
	// Parameters names the secrets' parameters by the variable that holds
	// the name: JWT_SECRET_PARAM, GEMINI_API_KEY_PARAM, ORIGIN_VERIFY_PARAM.
	Parameters map[string]string
	// Lambda is the Invoke endpoint of the build function, for the
	// functions that invoke it (named "function", as the Runtime Interface
	// Emulator names its one); empty, they build in process.
	Lambda string

	aws  aws.Config
	vars []string
	ssm  *http.Server
	home string
}

// AccountOptions configures StartAccount.
type AccountOptions struct {
	// Name names the table, the bucket and the parameters' path.
	Name string
	// PackagesDir is the preview package set (web/node_modules) of the
	// build function, and of the functions that build in process.
	PackagesDir string
	// SSMDelay is Parameter Store's wait before each answer: a
	// GetParameter's round trip in AWS.
	SSMDelay time.Duration
	// Vars are more variables for every process; they win over the
	// account's.
	Vars map[string]string
}

// The secrets' values.
const (
	accountJWTSecret    = "local-account-jwt-secret-local-account-jwt-secret"
	accountGeminiKey    = "local-account-gemini-key"
	accountOriginVerify = "local-account-origin-verify"
)

// StartAccount starts the stand-ins on 127.0.0.1, with the table, the
// bucket and the parameters.
func StartAccount(ctx context.Context, opts AccountOptions) (_ *Account, err error) {
	a := &Account{Parameters: map[string]string{
		"JWT_SECRET_PARAM":     "/" + opts.Name + "/jwt-secret",
		"GEMINI_API_KEY_PARAM": "/" + opts.Name + "/gemini-api-key",
		"ORIGIN_VERIFY_PARAM":  "/" + opts.Name + "/origin-verify",
	}}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.Stack, err = Start(Options{Log: slog.New(slog.DiscardHandler)}); err != nil {
		return nil, err
	}
	if a.aws, err = settings.LoadAWS(ctx, settings.DefaultRegion, settings.Endpoints{DynamoDB: a.Stack.DynamoURL, S3: a.Stack.S3URL}); err != nil {
		return nil, err
	}
	if a.Store, err = a.Table(ctx, opts.Name); err != nil {
		return nil, err
	}
	if err := blob.New(settings.S3Client(a.aws, a.Stack.S3URL), opts.Name).EnsureBucket(ctx); err != nil {
		return nil, err
	}
	a.SSM = NewSSM()
	a.SSM.Delay = opts.SSMDelay
	a.SSM.Put(a.Parameters["JWT_SECRET_PARAM"], accountJWTSecret, true)
	a.SSM.Put(a.Parameters["GEMINI_API_KEY_PARAM"], accountGeminiKey, true)
	a.SSM.Put(a.Parameters["ORIGIN_VERIFY_PARAM"], accountOriginVerify, false)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a.ssm = &http.Server{Handler: a.SSM, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.ssm.Serve(ln) }()
	a.Gemini = geminitest.New(geminitest.WithAPIKey(accountGeminiKey))
	if a.home, err = os.MkdirTemp("", "local-account-home-"); err != nil {
		return nil, err
	}
	packages, err := filepath.Abs(opts.PackagesDir)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{
		// A HOME of its own: no shared AWS configuration is read.
		"HOME":       a.home,
		"AWS_REGION": settings.DefaultRegion,
		// Lambda gives every function its role's credentials in these.
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
		"TABLE_NAME":         opts.Name,
		"S3_BUCKET_NAME":     opts.Name,
		"DYNAMODB_ENDPOINT":  a.Stack.DynamoURL,
		"S3_ENDPOINT":        a.Stack.S3URL,
		"SSM_ENDPOINT":       "http://" + ln.Addr().String(),
		"GEMINI_BASE_URL":    a.Gemini.URL(),
		"BUILD_PACKAGES_DIR": packages,
		// The events are replayed many times from one address: no abuse
		// limits.
		"MAX_CONCURRENT_TURNS": "0", "TURNS_PER_MINUTE": "0", "REGISTRATIONS_PER_HOUR": "0",
	}
	maps.Copy(vars, opts.Vars)
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		a.vars = append(a.vars, k+"="+vars[k])
	}
	return a, nil
}

// Table creates another table called name (as the functions' table is
// made) and returns its store.
func (a *Account) Table(ctx context.Context, name string) (*store.Store, error) {
	st := store.New(settings.DynamoDBClient(a.aws, a.Stack.DynamoURL), name)
	if err := st.EnsureTable(ctx); err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	return st, nil
}

// Vars is what points a process at the account: region, credentials,
// endpoints, table and bucket, the model's URL, the package set, a HOME of
// its own, AccountOptions.Vars; no secret (see Environ).
func (a *Account) Vars() []string { return slices.Clone(a.vars) }

// Environ is f's whole environment as a deployment gives it: Vars, the
// GOGC of every function, the parameter variables f reads (and only those:
// a function reads every one it is given), and the build function if f
// invokes it and Lambda is set.
func (a *Account) Environ(f routes.Function) []string {
	env := append(a.Vars(), "GOGC="+routes.GCPercent)
	for _, v := range f.Environment() {
		if name, ok := a.Parameters[v]; ok {
			env = append(env, v+"="+name)
		}
	}
	if f.InvokesBuild() && a.Lambda != "" {
		env = append(env, "BUILD_FUNCTION_NAME=function", "LAMBDA_ENDPOINT="+a.Lambda)
	}
	return env
}

// Close stops the stand-ins and deletes the HOME.
func (a *Account) Close() error {
	var errs []error
	if a.Gemini != nil {
		a.Gemini.Close()
	}
	if a.ssm != nil {
		errs = append(errs, a.ssm.Close())
	}
	if a.Stack != nil {
		errs = append(errs, a.Stack.Close(context.Background()))
	}
	if a.home != "" {
		errs = append(errs, os.RemoveAll(a.home))
	}
	return errors.Join(errs...)
}
