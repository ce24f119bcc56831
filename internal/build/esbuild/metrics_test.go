package esbuild_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/build/esbuild"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/emfproof"
	"github.com/zocket/agent/internal/metrics"
)

// brokenCache fails every read.
type brokenCache struct{ esbuild.MemoryCache }

func (*brokenCache) Get(context.Context, string) ([]byte, bool, error) {
	return nil, false, errors.New("S3 is down")
}

// TestBuildMetrics: every build leaves a record of how it ended and how
// long it took; only a failure of the builder's own counts as failed.
func TestBuildMetrics(t *testing.T) {
	var logs bytes.Buffer
	sink := metrics.NewEMF(&logs, "", "")
	dir := apitest.RequirePackages(t)
	b, err := esbuild.New(esbuild.Options{PackagesDir: dir, Metrics: sink})
	if err != nil {
		t.Fatal(err)
	}
	broken, err := esbuild.New(esbuild.Options{PackagesDir: dir, Cache: &brokenCache{}, Metrics: sink})
	if err != nil {
		t.Fatal(err)
	}
	counter := build.Request{Language: "tsx", Code: component(t, "counter.tsx")}
	for _, step := range []struct {
		b   *esbuild.Builder
		req build.Request
	}{
		{b, counter},
		{b, counter},
		{b, build.Request{Language: "tsx", Code: "export default function App() { return <div> }"}},
		{b, build.Request{Language: "python", Code: "print(1)"}},
		{broken, counter},
	} {
		_, _ = step.b.Build(context.Background(), step.req)
	}
	series, err := emfproof.Read(strings.Split(logs.String(), "\n"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	outcomes := []string{metrics.BuildBuilt, metrics.BuildCacheHit, metrics.BuildSourceError, metrics.BuildNotPreviewable, metrics.BuildCacheError}
	for _, o := range outcomes {
		dims := map[string]string{"service": metrics.DefaultService, "outcome": o}
		if got := emfproof.Values(series, "Builds", dims); len(got) != 1 {
			t.Errorf("Builds{outcome=%s} = %v, want one", o, got)
		}
		if got := emfproof.Values(series, "BuildDuration", dims); len(got) != 1 || got[0] < 0 {
			t.Errorf("BuildDuration{outcome=%s} = %v", o, got)
		}
	}
	failed := emfproof.Values(series, "BuildFailed", map[string]string{"service": metrics.DefaultService})
	if want := []float64{0, 0, 0, 0, 1}; len(failed) != len(want) || failed[0]+failed[1]+failed[2]+failed[3] != 0 || failed[4] != 1 {
		t.Errorf("BuildFailed = %v, want %v", failed, want)
	}
}
