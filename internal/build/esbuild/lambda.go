// The hosts of the builder: the build Lambda's main, and the same builder in
// process (Local) for the devserver and the tests. Only the build function
// and local hosts link esbuild; API functions reach it through build.Remote.

package esbuild

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/internal/settings"
)

// Local builds in this process, preparing the builder at its first build so
// that a devserver without the npm package set still serves everything else.
type Local struct {
	opts Options
	once sync.Once
	b    *Builder
	err  error
}

var _ build.Builder = (*Local)(nil)

// NewLocal returns a Local that will be New(opts).
func NewLocal(opts Options) *Local {
	return &Local{opts: opts}
}

// Build implements build.Builder.
func (l *Local) Build(ctx context.Context, req build.Request) (build.Result, error) {
	l.once.Do(func() {
		l.b, l.err = New(l.opts)
		if l.err != nil {
			l.err = fmt.Errorf("%w (install the preview packages with: npm ci --prefix web)", l.err)
		}
	})
	if l.err != nil {
		return build.Result{}, l.err
	}
	return l.b.Build(ctx, req)
}

// PackagesDir is the preview package set: configured when set, else
// web/node_modules beside the executable (how the build Lambda ships it),
// else under the working directory.
func PackagesDir(configured string) string {
	if configured != "" {
		return configured
	}
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Join(filepath.Dir(exe), "web", "node_modules")
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	return filepath.Join("web", "node_modules")
}

// S3Cache keeps built pages in S3, under the build.PageKey prefix that the
// bucket's lifecycle rule expires. It implements Cache.
type S3Cache struct {
	Blob *blob.Store
}

var _ Cache = S3Cache{}

// Get returns the object under key, or ok false when it is missing.
func (c S3Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	data, err := c.Blob.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// Put stores data under key, as HTML for pages.
func (c S3Cache) Put(ctx context.Context, key string, data []byte) error {
	ctype := "application/json"
	if len(key) > 5 && key[len(key)-5:] == ".html" {
		ctype = "text/html; charset=utf-8"
	}
	return c.Blob.Put(ctx, key, data, ctype)
}

// Start runs the build Lambda: the builder and its vendor chunks are ready
// before the first invocation (Lambda's init phase), each invocation builds
// one request (or finds it built in S3) and answers a build.Response.
func Start() {
	ctx := context.Background()
	log := httpapi.NewLogger(os.Stdout, slog.LevelInfo)
	settings.LimitMemory(os.Getenv)
	b, err := setup(ctx, os.Getenv)
	if err != nil {
		log.Error("init failed", "function", "build", "err", err)
		os.Exit(1)
	}
	lambda.Start(Handler(b, log))
}

// Handler is the build Lambda's handler over b: a build request in, a
// build.Response out. What the source caused (a failure, a language no
// browser runs) is data in the response; only the builder's own failure is
// a Lambda error.
func Handler(b *Builder, log *slog.Logger) func(context.Context, build.Request) (build.Response, error) {
	return func(ctx context.Context, req build.Request) (build.Response, error) {
		res, err := b.Build(ctx, req)
		resp := build.NewResponse(res, err)
		if resp.Error != nil && resp.Error.Code == agent.Internal {
			log.Error("build failed", "err", err)
			return resp, err
		}
		return resp, nil
	}
}

func setup(ctx context.Context, getenv func(string) string) (*Builder, error) {
	cfg, err := settings.Load(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := settings.LoadAWS(ctx, cfg.Region, settings.Endpoints{S3: cfg.S3Endpoint})
	if err != nil {
		return nil, err
	}
	blobs := blob.New(settings.S3Client(awsCfg, cfg.S3Endpoint), cfg.BucketName)
	b, err := New(Options{PackagesDir: PackagesDir(cfg.PackagesDir), Cache: S3Cache{Blob: blobs}, Metrics: metrics.EMFFromEnv(os.Stdout, getenv)})
	if err != nil {
		return nil, err
	}
	if err := b.Warm(); err != nil {
		return nil, fmt.Errorf("warm builder: %w", err)
	}
	return b, nil
}
