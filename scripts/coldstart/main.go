// Command coldstart measures every function's cold start and size, against
// an aws-lambda-go hello world built in the same run (`make
// bench-coldstart`).
//
// Cold start is the time from the invoke that makes the Runtime Interface
// Emulator start the function's process to the function's first response,
// each run in a fresh emulator and process, binaries built for this
// machine. The request is one the function's router turns away (404), or
// an empty build request for the build function, so the number is the
// start-up (runtime, configuration, AWS clients, the function's own setup)
// and not the work of a request. Size is the stripped linux/arm64 binary
// that Lambda runs.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/zocket/agent/internal/lambdatest"
	"github.com/zocket/agent/internal/llm/geminitest"
	"github.com/zocket/agent/internal/localaws"
	"github.com/zocket/agent/routes"
)

// baseline is the hello world's row name.
const baseline = "hello-world (aws-lambda-go)"

// probe is an HTTP request no function serves.
var probe = events.APIGatewayV2HTTPRequest{
	Version: "2.0", RawPath: "/__coldstart",
	RequestContext: events.APIGatewayV2HTTPRequestContext{
		Stage: "$default",
		HTTP:  events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/__coldstart"},
	},
}

func main() {
	rie := flag.String("rie", "", "path of aws-lambda-rie")
	runs := flag.Int("runs", 10, "cold starts per function (the median is shown)")
	flag.Parse()
	if *rie == "" || *runs < 1 {
		log.Fatal("usage: coldstart -rie PATH [-runs N]")
	}
	if err := run(*rie, *runs); err != nil {
		log.Fatal(err)
	}
}

func run(rie string, runs int) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	host, arm := filepath.Join(tmp, "host")+"/", filepath.Join(tmp, "arm64")+"/"
	log.Print("building every function and the hello world, for this machine and for linux/arm64")
	for _, b := range []struct{ out, arch string }{{host, ""}, {arm, "arm64"}} {
		for _, pkg := range []string{"./functions/...", "./scripts/coldstart/hello"} {
			if err := lambdatest.Build(ctx, ".", pkg, b.out, b.arch); err != nil {
				return err
			}
		}
	}
	env, stop, err := environment()
	if err != nil {
		return err
	}
	defer stop()

	names := []string{"hello"}
	for _, f := range routes.All() {
		names = append(names, f.Name)
	}
	type row struct {
		name   string
		median time.Duration
		size   int64
	}
	var rows []row
	for _, name := range names {
		event, err := probeFor(name)
		if err != nil {
			return err
		}
		times := make([]time.Duration, runs)
		for i := range times {
			if times[i], err = coldStart(ctx, rie, filepath.Join(host, name), env, event); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		slices.Sort(times)
		info, err := os.Stat(filepath.Join(arm, name))
		if err != nil {
			return err
		}
		rows = append(rows, row{name, times[len(times)/2], info.Size()})
		log.Printf("%s: median %v of %d", name, times[len(times)/2], runs)
	}

	base := rows[0]
	fmt.Printf("\nCold start under the Runtime Interface Emulator (process start to first response, median of %d, %s) and stripped linux/arm64 size:\n\n", runs, hostName())
	fmt.Println("| function | cold start (ms) | × hello-world | size (MiB) | × hello-world |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, r := range rows {
		name := r.name
		if name == "hello" {
			name = baseline
		}
		fmt.Printf("| %s | %.1f | %.2f | %.1f | %.1f |\n", name, ms(r.median), ms(r.median)/ms(base.median),
			float64(r.size)/(1<<20), float64(r.size)/float64(base.size))
	}
	fmt.Println("\nPublished anchor (maxday/lambda-perf, provided.al2023 arm64): Go ≈ 43 ms median init, Node.js 20 ≈ 131 ms.")
	return nil
}

// coldStart starts a fresh emulator for bootstrap and times its first
// invoke, which starts the function's process.
func coldStart(ctx context.Context, rie, bootstrap string, env []string, event []byte) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	e, err := lambdatest.StartEmulator(ctx, rie, bootstrap, env)
	if err != nil {
		return 0, err
	}
	defer e.Close()
	start := time.Now()
	payload, err := e.Invoke(ctx, event)
	elapsed := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%w\n%s", err, e.Logs())
	}
	if err := checkRejected(filepath.Base(bootstrap), payload); err != nil {
		return 0, err
	}
	return elapsed, nil
}

// checkRejected makes sure an HTTP function answered the probe with its
// router's 404, so that what was timed is start-up and not a request.
func checkRejected(name string, payload []byte) error {
	f, ok := routes.ByName(name)
	if !ok || f.Path == "" && !f.StreamURL {
		return nil
	}
	var status int
	if f.StreamURL {
		p, _, err := lambdatest.SplitStreamed(payload)
		if err != nil {
			return err
		}
		status = p.StatusCode
	} else {
		var r events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(payload, &r); err != nil {
			return fmt.Errorf("decode %s: %w", payload, err)
		}
		status = r.StatusCode
	}
	if status != 404 {
		return fmt.Errorf("the probe got %d, want the router's 404: %.300s", status, payload)
	}
	return nil
}

// probeFor is the request each function is started with.
func probeFor(name string) ([]byte, error) {
	if f, ok := routes.ByName(name); ok && f.Path == "" && !f.StreamURL {
		return []byte(`{}`), nil // the build function: a request it rejects
	}
	return json.Marshal(probe)
}

// environment is what every function reads: a local DynamoDB and S3, a
// fake model, secrets given directly (no SSM), and addresses for the build
// function that nothing calls.
func environment() ([]string, func(), error) {
	stack, err := localaws.Start(localaws.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, err
	}
	gemini := geminitest.New()
	home, err := os.MkdirTemp("", "coldstart-home-")
	if err != nil {
		return nil, nil, err
	}
	packages, err := filepath.Abs("web/node_modules")
	if err != nil {
		return nil, nil, err
	}
	stop := func() {
		gemini.Close()
		stack.Close(context.Background())
		os.RemoveAll(home)
	}
	return []string{
		"HOME=" + home,
		"AWS_REGION=us-east-1",
		"TABLE_NAME=coldstart",
		"S3_BUCKET_NAME=coldstart",
		"DYNAMODB_ENDPOINT=" + stack.DynamoURL,
		"S3_ENDPOINT=" + stack.S3URL,
		"JWT_SECRET=coldstart-secret-coldstart-secret-coldstart",
		"GEMINI_API_KEY=coldstart",
		"GEMINI_BASE_URL=" + gemini.URL(),
		"BUILD_FUNCTION_NAME=function",
		"LAMBDA_ENDPOINT=http://127.0.0.1:9",
		"BUILD_PACKAGES_DIR=" + packages,
		// A benchmark replays its events many times: no abuse limits.
		"MAX_CONCURRENT_TURNS=0", "TURNS_PER_MINUTE=0", "REGISTRATIONS_PER_HOUR=0",
	}, stop, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// hostName describes the machine the numbers come from.
func hostName() string {
	return fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
}
