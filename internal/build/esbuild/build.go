package esbuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/metrics"
)

// Options configure a Builder.
type Options struct {
	// PackagesDir is the node_modules directory of the curated package set,
	// installed by `npm ci --prefix web` (so web/node_modules).
	PackagesDir string
	// Cache stores finished pages; nil uses a MemoryCache.
	Cache Cache
	// Metrics receives a record of every build (nil: none).
	Metrics metrics.Sink
}

// Builder builds previews. It is safe for concurrent use. It prepares what
// builds share (vendor chunks, the icon index, the Tailwind runtime) once, on
// first use or in Warm, and keeps it for its lifetime; vendor chunks are read
// from VendorDir when an earlier process saved them there.
type Builder struct {
	cache         Cache
	metrics       metrics.Sink
	vendor        *vendor
	lock          string       // package lock hash, part of every key
	runtime       inlineScript // runtime/page.js, the first script of a page
	runtimeDigest string
	esbuild       atomic.Int64
}

// New returns a Builder for the package set in opts.PackagesDir.
func New(opts Options) (*Builder, error) {
	if opts.PackagesDir == "" {
		return nil, errors.New("new builder: no packages directory")
	}
	dir, err := filepath.Abs(opts.PackagesDir)
	if err != nil {
		return nil, fmt.Errorf("new builder: %w", err)
	}
	lock, err := lockHash(dir)
	if err != nil {
		return nil, fmt.Errorf("new builder: %w", err)
	}
	cache := opts.Cache
	if cache == nil {
		cache = &MemoryCache{}
	}
	digest := runtimeDigest()
	return &Builder{
		cache:         cache,
		metrics:       opts.Metrics,
		vendor:        newVendor(dir, lock, digest),
		lock:          lock,
		runtime:       newInlineScript(pageJS),
		runtimeDigest: digest,
	}, nil
}

// Build returns the preview of req, from the Cache when an identical request
// was built before. What the source caused (code that does not build, a
// language no browser runs) is an *agent.Error: build.Failed or
// build.NotPreviewable. Each build leaves a metrics record: how long it
// took, and how it ended.
func (b *Builder) Build(ctx context.Context, req build.Request) (build.Result, error) {
	start := time.Now()
	res, err := b.build(ctx, req, start)
	rec := metrics.New(metrics.Build, b.metrics, start)
	rec.Function, rec.Outcome = Function, outcome(res, err)
	rec.Set(metrics.Builds, 1)
	rec.Flag(metrics.BuildFailed, metrics.Failed(metrics.BuildOutcomes, rec.Outcome))
	rec.Since(metrics.BuildDuration, time.Now())
	rec.Emit()
	return res, err
}

// Function is the routes table's name of the build function: the function
// dimension of every build's metrics, wherever the builder runs.
const Function = "build"

// errCache marks a build that failed reading or writing its Cache.
var errCache = errors.New("build cache")

// outcome is how a build that returned res and err ended, a value of
// metrics.BuildOutcomes.
func outcome(res build.Result, err error) string {
	switch {
	case err == nil && res.Cached:
		return metrics.BuildCacheHit
	case err == nil:
		return metrics.BuildBuilt
	case agent.IsCode(err, agent.BuildFailed):
		return metrics.BuildSourceError
	case agent.IsCode(err, agent.NotPreviewable):
		return metrics.BuildNotPreviewable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return metrics.BuildTimeout
	case errors.Is(err, errCache):
		return metrics.BuildCacheError
	}
	return metrics.BuildInternal
}

func (b *Builder) build(ctx context.Context, req build.Request, start time.Time) (build.Result, error) {
	src, err := parseRequest(req)
	if err != nil {
		return build.Result{}, err
	}
	key := b.key(src)

	if data, ok, err := b.cache.Get(ctx, manifestKey(key)); err != nil {
		return build.Result{}, fmt.Errorf("build %s: read %w: %w", key, errCache, err)
	} else if ok {
		var res build.Result
		if err := json.Unmarshal(data, &res); err != nil {
			return build.Result{}, fmt.Errorf("build %s: decode manifest: %w", key, err)
		}
		res.Cached = true
		res.DurationMS = millis(time.Since(start))
		return res, nil
	}

	if err := ctx.Err(); err != nil {
		return build.Result{}, fmt.Errorf("build %s: %w", key, err)
	}
	p, err := b.render(src)
	if err != nil {
		return build.Result{}, err
	}
	res := build.Result{
		Key:          key,
		ContentHash:  build.ContentHash(p.html),
		Size:         len(p.html),
		ScriptHashes: p.scriptHashes,
		Packages:     p.packages,
		Warnings:     p.warnings,
	}
	manifest, err := json.Marshal(res)
	if err != nil {
		return build.Result{}, fmt.Errorf("build %s: encode manifest: %w", key, err)
	}
	// The page goes first: a manifest in the cache means its page is there.
	if err := b.cache.Put(ctx, build.PageKey(key), p.html); err != nil {
		return build.Result{}, fmt.Errorf("build %s: store the page in the %w: %w", key, errCache, err)
	}
	if err := b.cache.Put(ctx, manifestKey(key), manifest); err != nil {
		return build.Result{}, fmt.Errorf("build %s: store the manifest in the %w: %w", key, errCache, err)
	}
	res.DurationMS = millis(time.Since(start))
	return res, nil
}

// Warm prepares what builds share (the vendor chunks, the icon index and the
// Tailwind runtime), so that a Lambda can do it in its init phase instead of
// in its first request. Without Warm, each is prepared on first use.
// Vendor chunks are saved in VendorDir for later processes when it is
// writable; cmd/prebuild runs Warm at build time so that the Lambda ships them.
func (b *Builder) Warm() error {
	all := make([]int, len(chunks))
	for i := range all {
		all[i] = i
	}
	if _, err := b.vendor.chunks(all, b.countESBuild); err != nil {
		return err
	}
	if _, err := b.vendor.iconIndex(); err != nil {
		return err
	}
	_, err := b.vendor.tailwindRuntime()
	return err
}

// VendorDir is where the Builder keeps its vendor chunks for later processes:
// a directory inside the package set, specific to its lock and runtime.
func (b *Builder) VendorDir() string { return b.vendor.saved }

// countESBuild records one esbuild invocation (tests check that a cached
// build makes none).
func (b *Builder) countESBuild() { b.esbuild.Add(1) }

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
