package esbuild_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/build/esbuild"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/settings"
)

// TestBuildEvent replays events/build.json through the build Lambda's
// handler with pages kept in S3 (the local stand-in): built once, then
// answered from the cache by a second builder, as another Lambda instance.
func TestBuildEvent(t *testing.T) {
	dir := apitest.RequirePackages(t)
	ctx := context.Background()
	cfg, err := settings.LoadAWS(ctx, "us-east-1", settings.Endpoints{S3: apitest.S3Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	blobs := blob.New(settings.S3Client(cfg, apitest.S3Endpoint()), "esbuild-test")
	if err := blobs.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../../events/build.json")
	if err != nil {
		t.Fatal(err)
	}
	var req build.Request
	if err := json.Unmarshal(data, &req); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i, wantCached := range []bool{false, true} {
		b, err := esbuild.New(esbuild.Options{PackagesDir: dir, Cache: esbuild.S3Cache{Blob: blobs}})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := esbuild.Handler(b, log)(ctx, req)
		if err != nil || resp.Result == nil {
			t.Fatalf("instance %d: %+v, %v", i, resp, err)
		}
		if resp.Result.Cached != wantCached || resp.Result.Size == 0 {
			t.Errorf("instance %d: cached %v size %d", i, resp.Result.Cached, resp.Result.Size)
		}
		page, err := blobs.Get(ctx, build.PageKey(resp.Result.Key))
		if err != nil || len(page) != resp.Result.Size {
			t.Errorf("page in S3: %d bytes, %v", len(page), err)
		}
	}
	b, _ := esbuild.New(esbuild.Options{PackagesDir: dir})
	resp, err := esbuild.Handler(b, log)(ctx, build.Request{Language: "python", Code: "print(1)"})
	if err != nil || resp.Error == nil || resp.Error.Code != agent.NotPreviewable {
		t.Errorf("python: %+v, %v", resp, err)
	}
}
