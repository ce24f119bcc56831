package esbuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/zocket/agent/internal/build"
)

// Options configure a Builder.
type Options struct {
	// PackagesDir is the node_modules directory of the curated package set,
	// installed by `npm ci --prefix web` (so web/node_modules).
	PackagesDir string
	// Cache stores finished pages; nil uses a MemoryCache.
	Cache Cache
}

// Builder builds previews. It is safe for concurrent use. It prepares what
// builds share (vendor chunks, the icon index, the Tailwind runtime) once, on
// first use or in Warm, and keeps it for its lifetime; vendor chunks are read
// from VendorDir when an earlier process saved them there.
type Builder struct {
	cache         Cache
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
		vendor:        newVendor(dir, lock, digest),
		lock:          lock,
		runtime:       newInlineScript(pageJS),
		runtimeDigest: digest,
	}, nil
}

// Build returns the preview of req, from the Cache when an identical request
// was built before. What the source caused (code that does not build, a
// language no browser runs) is an *agent.Error: build.Failed or
// build.NotPreviewable.
func (b *Builder) Build(ctx context.Context, req build.Request) (build.Result, error) {
	start := time.Now()
	src, err := parseRequest(req)
	if err != nil {
		return build.Result{}, err
	}
	key := b.key(src)

	if data, ok, err := b.cache.Get(ctx, manifestKey(key)); err != nil {
		return build.Result{}, fmt.Errorf("build %s: read cache: %w", key, err)
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
		return build.Result{}, fmt.Errorf("build %s: store page: %w", key, err)
	}
	if err := b.cache.Put(ctx, manifestKey(key), manifest); err != nil {
		return build.Result{}, fmt.Errorf("build %s: store manifest: %w", key, err)
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
