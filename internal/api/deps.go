package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/zocket/agent/internal/apperr"
	"github.com/zocket/agent/internal/artifacts"
	"github.com/zocket/agent/internal/auth"
	"github.com/zocket/agent/internal/awsconn"
	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/buildrpc"
	"github.com/zocket/agent/internal/chat"
	"github.com/zocket/agent/internal/config"
	"github.com/zocket/agent/internal/conversations"
	"github.com/zocket/agent/internal/health"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/password"
	"github.com/zocket/agent/internal/store"
	"github.com/zocket/agent/internal/token"
)

// Deps are the clients and settings handlers use, built once per cold start
// (or once per devserver) and shared by every request.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	Store  *store.Store
	Blob   *blob.Store
	Signer *token.Signer
	Hasher *password.Hasher
	// Builder builds previews: the build Lambda when BUILD_FUNCTION_NAME is
	// set; local hosts (devserver, tests) set an in-process one.
	Builder buildrpc.Builder
	Now     func() time.Time
}

// Options adjust NewDeps (tests count DynamoDB calls with a middleware).
type Options struct {
	DynamoOptions []func(*dynamodb.Options)
}

// NewDeps builds the AWS clients for cfg. It makes no network calls. Without
// a JWT secret there is no Signer: only routes that need none may be served.
func NewDeps(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*Deps, error) {
	awsCfg, err := awsconn.Load(ctx, cfg.Region, awsconn.Endpoints{DynamoDB: cfg.DynamoEndpoint, S3: cfg.S3Endpoint, Lambda: cfg.LambdaEndpoint})
	if err != nil {
		return nil, fmt.Errorf("deps: %w", err)
	}
	var signer *token.Signer
	if len(cfg.JWTSecret) > 0 {
		if err := cfg.RequireSecret(); err != nil {
			return nil, err
		}
		signer = token.NewSigner(cfg.JWTSecret, cfg.JWTTTL)
	}
	blobs := blob.New(awsconn.S3(awsCfg, cfg.S3Endpoint), cfg.BucketName)
	var builder buildrpc.Builder
	if cfg.BuildFunction != "" {
		builder = buildrpc.Remote{Client: awsconn.Lambda(awsCfg, cfg.LambdaEndpoint), Function: cfg.BuildFunction}
	}
	return &Deps{
		Config:  cfg,
		Log:     log,
		Store:   store.New(awsconn.DynamoDB(awsCfg, cfg.DynamoEndpoint, opts.DynamoOptions...), cfg.TableName),
		Blob:    blobs,
		Signer:  signer,
		Builder: builder,
		Hasher:  password.NewHasher(password.OWASP),
		Now:     time.Now,
	}, nil
}

func (d *Deps) auth() *auth.Service {
	return &auth.Service{
		Users: d.Store, Tokens: d.Signer, Hasher: d.Hasher,
		DefaultCredits: d.Config.DefaultCredits, Throttle: auth.DefaultThrottle, Now: d.Now,
	}
}

func (d *Deps) presenter() *artifacts.Presenter {
	return &artifacts.Presenter{Blob: d.Blob, Tokens: d.Signer, PublicURL: d.Config.PublicURL}
}

func (d *Deps) conversations() *conversations.Service {
	return &conversations.Service{
		Store: d.Store, Blobs: d.Blob, Artifacts: d.presenter(),
		Cursors: conversations.NewCursors(d.Config.JWTSecret), CodePrefix: d.Config.CodePrefix, Now: d.Now,
	}
}

func (d *Deps) artifacts() *artifacts.Service {
	return &artifacts.Service{
		Store: d.Store, Blobs: d.Blob, Presenter: d.presenter(), CodePrefix: d.Config.CodePrefix,
		Builder: d.Builder, Tokens: d.Signer, FrameAncestors: d.Config.CORSOrigins,
	}
}

// chat builds the chat service with its model client (only the chat
// functions build one: the other binaries do not link the Gemini SDK).
func (d *Deps) chat() (*chat.Service, error) {
	if d.Config.GeminiAPIKey == "" {
		return nil, fmt.Errorf("no model: set GEMINI_API_KEY (or GEMINI_API_KEY_PARAM in Lambda)")
	}
	model, err := llm.New(context.Background(), llm.Config{APIKey: d.Config.GeminiAPIKey, Model: d.Config.GeminiModel, BaseURL: d.Config.GeminiBaseURL})
	if err != nil {
		return nil, err
	}
	return &chat.Service{
		Store: d.Store, Blobs: d.Blob, Model: model, Artifacts: d.presenter(),
		Builder: chatBuilder{d.artifacts()}, CodePrefix: d.Config.CodePrefix, Now: d.Now,
	}, nil
}

// chatBuilder builds the artifacts of a reply as they are saved.
type chatBuilder struct{ svc *artifacts.Service }

func (b chatBuilder) BuildArtifact(ctx context.Context, a store.Artifact) (chat.BuildResult, error) {
	res, err := b.svc.BuildArtifact(ctx, a)
	if err != nil {
		e := apperr.From(err)
		errs := []string{e.Message}
		for _, d := range e.Details {
			errs = append(errs, fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Text))
		}
		return chat.BuildResult{ArtifactID: a.ID, Errors: errs, Warnings: []string{}}, nil
	}
	warnings := make([]string, 0, len(res.Warnings))
	for _, w := range res.Warnings {
		warnings = append(warnings, w.String())
	}
	return chat.BuildResult{Success: true, ArtifactID: a.ID, BundleSize: res.Size, BuildTime: int64(res.DurationMS), Errors: []string{}, Warnings: warnings}, nil
}

func (d *Deps) health() http.Handler {
	return &health.Handler{
		Version: d.Config.Version,
		Checks:  map[string]health.Pinger{"dynamodb": d.Store, "s3": d.Blob},
		Now:     d.Now,
	}
}
