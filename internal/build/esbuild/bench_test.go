package esbuild_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/build/esbuild"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/timing"
)

// The benchmarks build every component in testdata/components and report the
// median milliseconds of a build (median-ms) and the page size (page-bytes).
// Caches (vendor chunks, icon index, Tailwind runtime) belong to a Builder:
// BenchmarkBuildFirst uses a new Builder per build in a warm process;
// BenchmarkBuildFirstProcess starts a new process per build.

// BenchmarkBuildWarm builds each component on a warm Builder, changing the
// source every time so that nothing comes from the cache.
func BenchmarkBuildWarm(b *testing.B) {
	bl, _ := newBuilder(b)
	if err := bl.Warm(); err != nil {
		b.Fatal(err)
	}
	for _, name := range componentNames(b) {
		b.Run(name, func(b *testing.B) {
			code := component(b, name)
			var times []time.Duration
			size := 0
			n := 0
			for b.Loop() {
				n++
				start := time.Now()
				res, err := bl.Build(context.Background(), build.Request{Language: languageOf(name), Code: code + "\n// " + strconv.Itoa(n)})
				if err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
				size = res.Size
			}
			b.ReportMetric(timing.Milliseconds(timing.Percentile(times, 50)), "median-ms")
			b.ReportMetric(float64(size), "page-bytes")
		})
	}
}

// BenchmarkBuildCached builds each component again: the answer comes from
// the Cache.
func BenchmarkBuildCached(b *testing.B) {
	bl, _ := newBuilder(b)
	for _, name := range componentNames(b) {
		b.Run(name, func(b *testing.B) {
			req := build.Request{Language: languageOf(name), Code: component(b, name)}
			if _, err := bl.Build(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				res, err := bl.Build(context.Background(), req)
				if err != nil || !res.Cached {
					b.Fatalf("cached=%v err=%v", res.Cached, err)
				}
				times = append(times, time.Since(start))
			}
			b.ReportMetric(timing.Milliseconds(timing.Percentile(times, 50)), "median-ms")
		})
	}
}

// BenchmarkBuildFirst makes a new Builder for every build: "prebuilt" reads
// the vendor chunks that an earlier process saved (as the Lambda reads those
// cmd/prebuild made), "unprepared" bundles them first.
func BenchmarkBuildFirst(b *testing.B) {
	dir := apitest.RequirePackages(b)
	if bl, _ := newBuilder(b); bl.Warm() != nil {
		b.Fatal("warm")
	}
	for _, prepared := range []bool{true, false} {
		for _, name := range componentNames(b) {
			b.Run(firstName(prepared, name), func(b *testing.B) {
				req := build.Request{Language: languageOf(name), Code: component(b, name)}
				var times []time.Duration
				for b.Loop() {
					start := time.Now()
					bl, err := esbuild.New(esbuild.Options{PackagesDir: dir})
					if err != nil {
						b.Fatal(err)
					}
					if !prepared {
						bl.ForgetSavedChunks()
					}
					if _, err := bl.Build(context.Background(), req); err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(start))
				}
				b.ReportMetric(timing.Milliseconds(timing.Percentile(times, 50)), "median-ms")
			})
		}
	}
}

func firstName(prepared bool, name string) string {
	if prepared {
		return "prebuilt/" + name
	}
	return "unprepared/" + name
}

// BenchmarkBuildFirstProcess runs each build in a new process (this test
// binary, see firstBuildChild): first-ms is the time from New to
// the built page, process-ms adds starting the process.
func BenchmarkBuildFirstProcess(b *testing.B) {
	apitest.RequirePackages(b)
	for _, prepared := range []bool{true, false} {
		for _, name := range []string{"counter.tsx", "chart-dashboard.tsx"} {
			b.Run(firstName(prepared, name), func(b *testing.B) {
				benchmarkFirstProcess(b, name, prepared)
			})
		}
	}
}

func benchmarkFirstProcess(b *testing.B, name string, prepared bool) {
	var first, total []time.Duration
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command(os.Args[0], "-test.run=^TestFirstBuildInProcess$", "-test.v")
		cmd.Env = append(os.Environ(), "BUILD_FIRST_COMPONENT="+name, "BUILD_FIRST_PREPARED="+strconv.FormatBool(prepared))
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		total = append(total, time.Since(start))
		_, after, ok := strings.Cut(string(out), "first-build-us=")
		us, err := strconv.Atoi(strings.Fields(after + " ")[0])
		if !ok || err != nil {
			b.Fatalf("no first-build-us in output: %s", out)
		}
		first = append(first, time.Duration(us)*time.Microsecond)
	}
	b.ReportMetric(timing.Milliseconds(timing.Percentile(first, 50)), "first-ms")
	b.ReportMetric(timing.Milliseconds(timing.Percentile(total, 50)), "process-ms")
}

// firstBuildChild is BenchmarkBuildFirstProcess's child process (see
// TestMain): it times the first build of a new process.
func firstBuildChild(name string) error {
	code, err := os.ReadFile(filepath.Join("testdata", "components", name))
	if err != nil {
		return err
	}
	start := time.Now()
	bl, err := esbuild.New(esbuild.Options{PackagesDir: apitest.PackagesDir()})
	if err != nil {
		return err
	}
	if os.Getenv("BUILD_FIRST_PREPARED") == "false" {
		bl.ForgetSavedChunks()
	}
	if _, err := bl.Build(context.Background(), build.Request{Language: languageOf(name), Code: string(code)}); err != nil {
		return err
	}
	fmt.Printf("first-build-us=%d\n", time.Since(start).Microseconds())
	return nil
}
