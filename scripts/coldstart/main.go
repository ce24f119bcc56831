// Command coldstart measures every function's cold start and size, against
// an aws-lambda-go hello world built in the same run (`make
// bench-coldstart`).
//
// Cold start is the time from the invoke that makes the Runtime Interface
// Emulator start the function's process to the function's answer to its
// own event: the events/ file lambdatest replays, in the same order, with
// the same placeholders and the same expected answer, so the number counts
// the start-up (runtime, configuration, the SSM reads, AWS clients, the
// function's own setup) and the first request's own work (its DynamoDB, S3
// and model calls). Each round replays every event, each function in a
// fresh emulator and process, on a table of its own; a first round warms
// the machine and is not counted. The binaries are built for this machine.
//
// The baseline (scripts/coldstart/hello) reads one SSM parameter at start
// and answers after one DynamoDB GetItem, as every function of the service
// at least does; it runs at the start and at the end of every round. The
// local SSM stand-in waits -ssm-delay before each answer, for functions
// and baseline alike. Size is the stripped linux/arm64 binary that Lambda
// runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/zocket/agent/internal/devtools/lambdatest"
	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/devtools/timing"
	"github.com/zocket/agent/routes"
)

// The goals: a function behind the HTTP API starts and answers within this
// many times the baseline, one that calls the model within chatGoal.
const (
	apiGoal  = 1.5
	chatGoal = 2.0
)

func main() {
	rie := flag.String("rie", "", "path of aws-lambda-rie")
	runs := flag.Int("runs", 10, "measured rounds: cold starts per function (the median is shown)")
	ssmDelay := flag.Duration("ssm-delay", 20*time.Millisecond, "the local SSM's wait before each answer: a GetParameter's round trip in AWS")
	flag.StringVar(&showLogs, "logs", "", "comma-separated functions whose logs (the emulator's INIT and REPORT lines, the access log) are printed after each cold start")
	flag.Parse()
	if *rie == "" || *runs < 1 {
		log.Fatal("usage: coldstart -rie PATH [-runs N] [-ssm-delay D]")
	}
	if err := run(*rie, *runs, *ssmDelay); err != nil {
		log.Fatal(err)
	}
}

// showLogs names the functions whose logs are printed (-logs).
var showLogs string

// outDir holds the binaries the benchmark builds.
const outDir = "build/coldstart"

func run(rie string, runs int, ssmDelay time.Duration) error {
	ctx := context.Background()
	// Kept between runs: go build relinks only the binaries that changed.
	host, arm := filepath.Join(outDir, "host")+"/", filepath.Join(outDir, "arm64")+"/"
	log.Print("building every function and the hello world, for this machine and for linux/arm64")
	for _, b := range []struct{ out, arch string }{{host, ""}, {arm, "arm64"}} {
		for _, pkg := range []string{"./functions/...", "./scripts/coldstart/hello"} {
			if err := lambdatest.Build(ctx, ".", pkg, b.out, b.arch); err != nil {
				return err
			}
		}
	}
	names, err := lambdatest.EventFiles("events")
	if err != nil {
		return err
	}
	acct, err := localaws.StartAccount(ctx, localaws.AccountOptions{Name: "coldstart", PackagesDir: "web/node_modules", SSMDelay: ssmDelay})
	if err != nil {
		return err
	}
	defer acct.Close()
	// The build function, warm, for the functions that invoke it.
	buildFn, _ := routes.ByName("build")
	build, err := lambdatest.StartEmulator(ctx, rie, filepath.Join(host, "build"), acct.Environ(buildFn))
	if err != nil {
		return err
	}
	defer build.Close()
	acct.Lambda = build.URL()

	times := map[string][]time.Duration{}
	for round := range runs + 1 {
		table := fmt.Sprintf("coldstart-%d", round)
		st, err := acct.Table(ctx, table)
		if err != nil {
			return err
		}
		values := lambdatest.NewEventValues(st)
		hello := func() error {
			env := append(acct.Vars(), "TABLE_NAME="+table, "JWT_SECRET_PARAM="+acct.Parameters["JWT_SECRET_PARAM"])
			d, _, err := coldStart(ctx, rie, filepath.Join(host, "hello"), env, []byte(`{}`))
			if round > 0 {
				times["hello"] = append(times["hello"], d)
			}
			return err
		}
		if err := hello(); err != nil {
			return fmt.Errorf("hello: %w", err)
		}
		for _, name := range names {
			f, _ := routes.ByName(name)
			event, err := values.Event("events", name)
			if err != nil {
				return err
			}
			d, payload, err := coldStart(ctx, rie, filepath.Join(host, name), append(acct.Environ(f), "TABLE_NAME="+table), event)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			got, err := lambdatest.Decode(f, payload)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := lambdatest.CheckAnswer(name, got.Status, got.Body); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := values.Learn(ctx, name, got.Body); err != nil {
				return err
			}
			if round > 0 {
				times[name] = append(times[name], d)
			}
		}
		if err := hello(); err != nil {
			return fmt.Errorf("hello: %w", err)
		}
		if round == 0 {
			log.Print("warm-up round done")
		} else {
			log.Printf("round %d of %d done", round, runs)
		}
	}
	return report(arm, runs, ssmDelay, names, times)
}

// report prints the table: each function's median, its ratio to the
// baseline's median, its arm64 size and whether it meets its goal.
func report(arm string, runs int, ssmDelay time.Duration, names []string, times map[string][]time.Duration) error {
	size := func(name string) (float64, error) {
		info, err := os.Stat(filepath.Join(arm, name))
		if err != nil {
			return 0, err
		}
		return float64(info.Size()) / (1 << 20), nil
	}
	base := timing.Percentile(times["hello"], 50)
	baseSize, err := size("hello")
	if err != nil {
		return err
	}
	fmt.Printf("\nCold start to the answer of the function's own events/ file, under the Runtime Interface Emulator (median of %d; the hello world: of %d), SSM answering after %v; %s; stripped linux/arm64 size:\n\n",
		runs, len(times["hello"]), ssmDelay, hostName())
	fmt.Println("| function | cold start (ms) | × hello world | size (MiB) | goal |")
	fmt.Println("|---|---:|---:|---:|---|")
	fmt.Printf("| hello world (aws-lambda-go; 1 SSM read, 1 GetItem) | %.1f | 1.00 | %.1f | |\n", timing.Milliseconds(base), baseSize)
	met, goals := 0, 0
	for _, name := range names {
		f, _ := routes.ByName(name)
		m := timing.Percentile(times[name], 50)
		mib, err := size(name)
		if err != nil {
			return err
		}
		ratio := timing.Milliseconds(m) / timing.Milliseconds(base)
		goal := "none (not behind the API)"
		if limit := goalOf(f); limit > 0 {
			goals++
			if ratio <= limit {
				met++
				goal = fmt.Sprintf("met (≤ %.1f×)", limit)
			} else {
				goal = fmt.Sprintf("**missed** (≤ %.1f×)", limit)
			}
		}
		fmt.Printf("| %s | %.1f | %.2f | %.1f | %s |\n", name, timing.Milliseconds(m), ratio, mib, goal)
	}
	fmt.Printf("\nGoal met by %d of %d functions.\n", met, goals)
	return nil
}

// goalOf is f's bound on its ratio to the baseline: chatGoal for a function
// that calls the model, apiGoal for the others behind the HTTP API or the
// Function URL, 0 (none) for the build function.
func goalOf(f routes.Function) float64 {
	switch {
	case f.NeedsModel():
		return chatGoal
	case f.Path != "" || f.StreamURL:
		return apiGoal
	}
	return 0
}

// coldStart starts a fresh emulator for bootstrap and times its first
// invoke, which starts the function's process, until its whole answer.
func coldStart(ctx context.Context, rie, bootstrap string, env []string, event []byte) (time.Duration, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	e, err := lambdatest.StartEmulator(ctx, rie, bootstrap, env)
	if err != nil {
		return 0, nil, err
	}
	defer e.Close()
	start := time.Now()
	payload, err := e.Invoke(ctx, event)
	elapsed := time.Since(start)
	if err != nil {
		return 0, nil, fmt.Errorf("%w\n%s", err, e.Logs())
	}
	if slices.Contains(strings.Split(showLogs, ","), filepath.Base(bootstrap)) {
		log.Printf("%s: %v\n%s", filepath.Base(bootstrap), elapsed, e.Logs())
	}
	return elapsed, payload, nil
}

// hostName describes the machine the numbers come from.
func hostName() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s)", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model)
}
