package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/zocket/agent/internal/artifacts"
	"github.com/zocket/agent/internal/artifactview"
	"github.com/zocket/agent/internal/auth"
	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/conversations"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/internal/store"
	"github.com/zocket/agent/internal/usage"
)

// Deps are the clients and settings handlers use, built once per cold start
// (or once per devserver) and shared by every request.
type Deps struct {
	Config settings.Config
	Log    *slog.Logger
	Store  *store.Store
	Blob   *blob.Store
	Signer *auth.Signer
	// Sessions authenticates tokens: they verify, and their session was not
	// ended since (nil without a Signer).
	Sessions *auth.Sessions
	Hasher   *auth.Hasher
	// Builder builds previews: the build Lambda when BUILD_FUNCTION_NAME is
	// set; local hosts (devserver, tests) set an in-process one.
	Builder build.Builder
	// ZipLimits bound the conversation's ZIP export.
	ZipLimits conversations.ZipLimits
	Now       func() time.Time
	// Metrics receives the records of requests, turns and builds (nil:
	// none are kept).
	Metrics metrics.Sink
	// Function is the routes table's name of the Lambda function serving
	// these routes; empty, each route is served as its own function (the
	// devserver, the tests). It is the metrics' function dimension.
	Function string
}

// Options adjust NewDeps (tests count DynamoDB calls with a middleware).
type Options struct {
	DynamoOptions []func(*dynamodb.Options)
	// APIOptions are SDK middleware for every AWS client (a test's
	// injected latency).
	APIOptions []func(*middleware.Stack) error
	// AWS is the configuration the clients are built from, when the caller
	// has loaded it already (nil: NewDeps loads it).
	AWS *aws.Config
	// Metrics is Deps.Metrics.
	Metrics metrics.Sink
}

// NewDeps builds the AWS clients for cfg. It makes no network calls. Without
// a JWT secret there is no Signer: only routes that need none may be served.
func NewDeps(ctx context.Context, cfg settings.Config, log *slog.Logger, opts Options) (*Deps, error) {
	var awsCfg aws.Config
	if opts.AWS != nil {
		awsCfg = *opts.AWS
	} else {
		var err error
		if awsCfg, err = settings.LoadAWS(ctx, cfg.Region, settings.Endpoints{DynamoDB: cfg.DynamoEndpoint, S3: cfg.S3Endpoint, Lambda: cfg.LambdaEndpoint}); err != nil {
			return nil, fmt.Errorf("deps: %w", err)
		}
	}
	awsCfg.APIOptions = append(slices.Clone(awsCfg.APIOptions), opts.APIOptions...)
	var signer *auth.Signer
	if len(cfg.JWTSecret) > 0 {
		if err := cfg.RequireSecret(); err != nil {
			return nil, err
		}
		signer = auth.NewSigner(cfg.JWTSecret, cfg.JWTTTL)
	}
	blobs := blob.New(settings.S3Client(awsCfg, cfg.S3Endpoint), cfg.BucketName)
	var builder build.Builder
	if cfg.BuildFunction != "" {
		builder = build.Remote{Client: settings.LambdaClient(awsCfg, cfg.LambdaEndpoint), Function: cfg.BuildFunction}
	}
	st := store.New(settings.DynamoDBClient(awsCfg, cfg.DynamoEndpoint, opts.DynamoOptions...), cfg.TableName)
	var sessions *auth.Sessions
	if signer != nil {
		sessions = &auth.Sessions{Signer: signer, Users: st, CacheTTL: cfg.SessionCacheTTL}
	}
	return &Deps{
		Config:    cfg,
		Log:       log,
		Store:     st,
		Blob:      blobs,
		Signer:    signer,
		Sessions:  sessions,
		Builder:   builder,
		Hasher:    auth.NewHasher(auth.OWASP),
		ZipLimits: conversations.DefaultZipLimits,
		Now:       time.Now,
		Metrics:   opts.Metrics,
	}, nil
}

func (d *Deps) auth() *auth.Service {
	return &auth.Service{
		Users: d.Store, Tokens: d.Signer, Sessions: d.Sessions, Hasher: d.Hasher,
		DefaultCredits: d.Config.DefaultCredits, Throttle: auth.DefaultThrottle,
		RegistrationsPerHour: d.Config.RegistrationsPerHour, SessionMaxAge: d.Config.SessionMaxAge, Now: d.Now,
	}
}

// Presenter renders artifacts for responses.
func (d *Deps) Presenter() *artifactview.Presenter {
	return &artifactview.Presenter{Blob: d.Blob, Tokens: d.Signer, PublicURL: d.Config.PublicURL, APIURL: d.Config.APIURL}
}

func (d *Deps) conversations() *conversations.Service {
	return &conversations.Service{
		Store: d.Store, Blobs: d.Blob, Artifacts: d.Presenter(), Pages: d.Artifacts(), Zip: d.ZipLimits,
		Cursors: conversations.NewCursors(d.Config.JWTSecret), CodePrefix: d.Config.CodePrefix, Now: d.Now,
	}
}

func (d *Deps) usage() *usage.Service { return &usage.Service{Store: d.Store, Now: d.Now} }

// Artifacts is the artifact service.
func (d *Deps) Artifacts() *artifacts.Service {
	return &artifacts.Service{
		Store: d.Store, Blobs: d.Blob, Presenter: d.Presenter(), CodePrefix: d.Config.CodePrefix,
		Builder: d.Builder, Sessions: d.Sessions, FrameAncestors: d.Config.CORSOrigins,
	}
}

func (d *Deps) health() http.Handler {
	return &healthHandler{
		version: d.Config.Version,
		checks:  map[string]pinger{"dynamodb": d.Store, "s3": d.Blob},
		now:     d.Now,
	}
}
