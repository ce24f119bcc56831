// Command memory measures every function at several Lambda memory sizes
// (`make bench-memory`), the way Lambda Power Tuning does in an account:
// duration, peak memory and cost per size, to choose each function's
// MemoryMB in the routes table from numbers.
//
// Each function's real bootstrap (built for this machine) runs under the
// Runtime Interface Emulator in a local account (localaws.Account: DynamoDB,
// S3, Parameter Store and a fake Gemini), with the environment a deployment
// gives it, invoked with its events/ file as package lambdatest replays it:
// once cold, then warm. Lambda gives a function CPU in proportion to its memory (1,769
// MB is one vCPU); here the emulator and the function run in a CPU cgroup
// whose CFS quota is that share of one CPU. Peak RSS is the function
// process's VmHWM over all its invokes. The functions it calls (the build
// function) and the local services run at full speed, as they would
// elsewhere in AWS.
//
// Events that use up what they act on get a fresh one per invoke, made
// outside the timing by the other functions at full speed: a new email for
// register, a new user for a password change and a logout, a new
// conversation or artifact for the deletions; the build function gets
// new code each time, so that it builds instead of finding its cache.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/lambdatest"
	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/devtools/timing"
	"github.com/zocket/agent/routes"
)

// Lambda's arm64 prices in us-east-1 (aws.amazon.com/lambda/pricing, as
// listed since arm64's launch in 2021 and still in 2025): per GB-second of
// the first 6 billion each month, and per request.
const (
	pricePerGBSecond = 0.0000133334
	pricePerRequest  = 0.20 / 1e6
)

// Placeholders of the events/ files (see lambdatest.EventValues).
const (
	tokenPlaceholder        = "REPLACE_WITH_A_TOKEN_FROM_LOGIN"
	conversationPlaceholder = "REPLACE_WITH_A_CONVERSATION_ID"
	artifactPlaceholder     = "REPLACE_WITH_AN_ARTIFACT_ID"
)

// zipExport is the row of the ZIP export of chat-send's conversation (the
// events/ file asks for Markdown, which deflates nothing).
const zipExport = "conversations-export?format=zip"

type options struct {
	rie, bootstraps, events string
	sizes                   []int
	warm                    int
	period                  time.Duration
	only                    []string
}

func main() {
	var o options
	var sizes, only string
	flag.StringVar(&o.rie, "rie", "", "path of aws-lambda-rie")
	flag.StringVar(&o.bootstraps, "bootstraps", "build/lambda-test", "directory of the functions' bootstraps, built for this machine")
	flag.StringVar(&o.events, "events", "events", "directory of the sample events")
	flag.StringVar(&sizes, "sizes", "128,256,512,1024,1769", "memory sizes in MB, comma-separated")
	flag.IntVar(&o.warm, "warm", 5, "warm invokes per function and size, after the cold one (the median is shown)")
	flag.DurationVar(&o.period, "period", 100*time.Millisecond, "CFS period of the CPU quota")
	flag.StringVar(&only, "only", "", "measure only these functions, comma-separated")
	flag.Parse()
	for s := range strings.SplitSeq(sizes, ",") {
		mb, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || mb < 128 || mb > 10240 {
			log.Fatalf("-sizes: %q is not a Lambda memory size", s)
		}
		o.sizes = append(o.sizes, mb)
	}
	if only != "" {
		o.only = strings.Split(only, ",")
	}
	if o.rie == "" || o.warm < 1 {
		log.Fatal("usage: memory -rie PATH [-bootstraps DIR] [-sizes 128,256,...] [-warm N] [-only f,g]")
	}
	if err := run(context.Background(), o); err != nil {
		log.Fatal(err)
	}
}

// sample is one function at one memory size.
type sample struct {
	memoryMB  int
	cold      time.Duration
	warm      []time.Duration // sorted
	peakRSS   int64
	throttled time.Duration // total over the invokes
}

func (s sample) median() time.Duration { return timing.Percentile(s.warm, 50) }

// cost is the price of a million warm invokes: the median duration, billed
// by the millisecond rounded up, at this memory size, and the requests.
func (s sample) cost() float64 {
	ms := math.Ceil(float64(s.median()) / float64(time.Millisecond))
	return 1e6 * (float64(s.memoryMB)/1024*ms/1000*pricePerGBSecond + pricePerRequest)
}

func run(ctx context.Context, o options) error {
	if _, _, err := cgroupRoot(); err != nil {
		return err
	}
	b, err := newBench(ctx, o)
	if err != nil {
		return err
	}
	defer b.close()
	names, err := lambdatest.EventFiles(o.events)
	if err != nil {
		return err
	}
	log.Print("replaying the events once at full speed, for the state the measured invokes use")
	if err := b.prime(ctx, names); err != nil {
		return err
	}
	rows := slices.Insert(names, slices.Index(names, "conversations-export")+1, zipExport)
	if o.only != nil {
		rows = slices.DeleteFunc(rows, func(n string) bool { return !slices.Contains(o.only, n) })
	}
	results := map[string][]sample{}
	for _, name := range rows {
		for _, mb := range o.sizes {
			s, err := b.measure(ctx, name, mb)
			if err != nil {
				return fmt.Errorf("%s at %d MB: %w", name, mb, err)
			}
			log.Printf("%s at %d MB: cold %v, warm median %v, peak RSS %.1f MiB", name, mb, s.cold, s.median(), mib(s.peakRSS))
			results[name] = append(results[name], s)
		}
	}
	report(os.Stdout, o, rows, results)
	return nil
}

// bench is the local account, the functions that make state at full
// speed, and what the replay has learnt.
type bench struct {
	o                options
	acct             *localaws.Account
	helpers          map[string]*lambdatest.Emulator // full-speed functions, by name
	values           *lambdatest.EventValues
	userID           string
	chatConversation string // chat-send's conversation, with an artifact
	seq              int    // for unique emails and code
}

func newBench(ctx context.Context, o options) (*bench, error) {
	// The offline model answers at once: what is timed is the function's
	// own work per chunk, not a model's pace. A benchmark replays its
	// events many times: credits for every turn.
	acct, err := localaws.StartAccount(ctx, localaws.AccountOptions{
		Name: "bench-memory", PackagesDir: "web/node_modules", Vars: map[string]string{"DEFAULT_CREDITS": "1000000"},
	})
	if err != nil {
		return nil, err
	}
	b := &bench{o: o, acct: acct, helpers: map[string]*lambdatest.Emulator{}, values: lambdatest.NewEventValues(acct.Store)}
	build, err := b.helper(ctx, "build")
	if err != nil {
		b.close()
		return nil, err
	}
	acct.Lambda = build.URL()
	return b, nil
}

func (b *bench) close() {
	for _, h := range b.helpers {
		h.Close()
	}
	b.acct.Close()
}

// environ is the whole environment of function name.
func (b *bench) environ(name string) []string {
	f, _ := routes.ByName(name)
	return b.acct.Environ(f)
}

// helper is function name running at full speed, started at its first use.
func (b *bench) helper(ctx context.Context, name string) (*lambdatest.Emulator, error) {
	if h, ok := b.helpers[name]; ok {
		return h, nil
	}
	h, err := lambdatest.StartEmulator(ctx, b.o.rie, filepath.Join(b.o.bootstraps, name), b.environ(name))
	if err != nil {
		return nil, err
	}
	b.helpers[name] = h
	return h, nil
}

// call invokes a full-speed function and checks that it answered with want.
func (b *bench) call(ctx context.Context, name string, event []byte, want int) (lambdatest.Response, error) {
	h, err := b.helper(ctx, name)
	if err != nil {
		return lambdatest.Response{}, err
	}
	payload, err := h.Invoke(ctx, event)
	if err != nil {
		return lambdatest.Response{}, fmt.Errorf("%s: %w\n%s", name, err, h.Logs())
	}
	f, _ := routes.ByName(name)
	resp, err := lambdatest.Decode(f, payload)
	if err == nil && resp.Status != want {
		err = fmt.Errorf("%s answered %d %.500s, want %d", name, resp.Status, resp.Body, want)
	}
	return resp, err
}

// prime replays the events at full speed, as the emulator test does, but
// for the deletions and the calls that end the session, whose measured
// invokes get fresh things to act on.
func (b *bench) prime(ctx context.Context, names []string) error {
	for _, name := range names {
		if consumes(name) {
			continue
		}
		event, err := b.values.Event(b.o.events, name)
		if err != nil {
			return err
		}
		resp, err := b.call(ctx, name, event, wantStatus(name))
		if err != nil {
			return err
		}
		if err := lambdatest.CheckAnswer(name, resp.Status, resp.Body); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := b.values.Learn(ctx, name, resp.Body); err != nil {
			return err
		}
		var out struct {
			User struct{ ID string }
			Data struct{ ConversationID string }
		}
		_ = json.Unmarshal([]byte(resp.Body), &out)
		switch name {
		case "auth-login":
			b.userID = out.User.ID
		case "chat-send":
			b.chatConversation = out.Data.ConversationID
		}
	}
	if b.userID == "" || b.chatConversation == "" {
		return fmt.Errorf("the replay gave no user (%q) or no chat conversation (%q)", b.userID, b.chatConversation)
	}
	return nil
}

// consumes reports whether an event uses up what it acts on.
func consumes(name string) bool {
	f, _ := routes.ByName(name)
	return f.Method == "DELETE" || name == "auth-password" || name == "auth-logout"
}

// wantStatus is the status the replay expects of a function (0 for one
// behind no HTTP route).
func wantStatus(name string) int {
	if i := slices.IndexFunc(lambdatest.ReplaySteps, func(s lambdatest.ReplayStep) bool { return s.Function == name }); i >= 0 {
		return lambdatest.ReplaySteps[i].Status
	}
	if f, _ := routes.ByName(name); f.Path != "" || f.StreamURL {
		return 200
	}
	return 0
}

// event is row name's event for one invoke, with fresh things where the
// event uses them up.
func (b *bench) event(ctx context.Context, name string) ([]byte, error) {
	b.seq++
	v := b.values
	switch name {
	case zipExport:
		event, err := v.With(conversationPlaceholder, b.chatConversation).Event(b.o.events, "conversations-export")
		return []byte(strings.ReplaceAll(string(event), "markdown", "zip")), err
	case "auth-register":
		event, err := v.Event(b.o.events, name)
		s := strings.ReplaceAll(string(event), "sam-user@example.com", fmt.Sprintf("bench-%d@example.com", b.seq))
		return []byte(strings.ReplaceAll(s, "sam_user", fmt.Sprintf("bench_%d", b.seq))), err
	case "auth-password", "auth-logout":
		token, err := b.freshUser(ctx)
		if err != nil {
			return nil, err
		}
		v = v.With(tokenPlaceholder, token)
	case "conversations-delete":
		id := uuid.Must(uuid.NewV7()).String()
		c := agent.Conversation{ID: id, UserID: b.userID, Title: "To delete", CreatedAt: time.Now()}
		if err := b.acct.Store.CreateConversation(ctx, c); err != nil {
			return nil, err
		}
		v = v.With(conversationPlaceholder, id)
	case "artifacts-delete":
		id, err := b.freshArtifact(ctx)
		if err != nil {
			return nil, err
		}
		v = v.With(artifactPlaceholder, id)
	case "build":
		event, err := v.Event(b.o.events, name)
		if err != nil {
			return nil, err
		}
		var req map[string]any
		if err := json.Unmarshal(event, &req); err != nil {
			return nil, err
		}
		req["code"] = fmt.Sprintf("// build %d\n%s", b.seq, req["code"]) // a cache miss
		return json.Marshal(req)
	}
	return v.Event(b.o.events, name)
}

// freshUser registers a new user at full speed and returns its token.
func (b *bench) freshUser(ctx context.Context) (string, error) {
	event, err := b.event(ctx, "auth-register")
	if err != nil {
		return "", err
	}
	resp, err := b.call(ctx, "auth-register", event, 201)
	if err != nil {
		return "", err
	}
	var out struct{ Token string }
	if json.Unmarshal([]byte(resp.Body), &out) != nil || out.Token == "" {
		return "", fmt.Errorf("register answered no token: %.300s", resp.Body)
	}
	return out.Token, nil
}

// freshArtifact has chat-send write a new artifact at full speed.
func (b *bench) freshArtifact(ctx context.Context) (string, error) {
	event, err := b.values.Event(b.o.events, "chat-send")
	if err != nil {
		return "", err
	}
	resp, err := b.call(ctx, "chat-send", event, 200)
	if err != nil {
		return "", err
	}
	var out struct {
		Data struct{ Artifacts []struct{ ID string } }
	}
	if json.Unmarshal([]byte(resp.Body), &out) != nil || len(out.Data.Artifacts) == 0 {
		return "", fmt.Errorf("chat-send wrote no artifact: %.300s", resp.Body)
	}
	return out.Data.Artifacts[0].ID, nil
}

// measure runs row name's function in a fresh emulator limited to the CPU
// of memoryMB: one cold invoke, then b.o.warm warm ones, each after a full
// CFS period so that none starts on a quota the one before used up.
func (b *bench) measure(ctx context.Context, name string, memoryMB int) (sample, error) {
	fn, _, _ := strings.Cut(name, "?")
	f, _ := routes.ByName(fn)
	limit, err := newCPULimit(memoryMB, b.o.period)
	if err != nil {
		return sample{}, err
	}
	defer limit.remove()
	// The size the emulator reports to the function, as Lambda does: its
	// soft memory limit (settings.LimitMemory) follows it.
	env := append(b.environ(fn), "AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(memoryMB))
	e, err := lambdatest.StartEmulator(ctx, b.o.rie, filepath.Join(b.o.bootstraps, fn), env)
	if err != nil {
		return sample{}, err
	}
	defer e.Close()
	if err := limit.add(e.Pid()); err != nil {
		return sample{}, err
	}
	s := sample{memoryMB: memoryMB}
	for i := range 1 + b.o.warm {
		event, err := b.event(ctx, name)
		if err != nil {
			return sample{}, err
		}
		time.Sleep(b.o.period)
		invokeCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		start := time.Now()
		payload, err := e.Invoke(invokeCtx, event)
		elapsed := time.Since(start)
		cancel()
		if err != nil {
			return sample{}, fmt.Errorf("%w\n%s", err, e.Logs())
		}
		resp, err := lambdatest.Decode(f, payload)
		if err != nil {
			return sample{}, err
		}
		if want := wantStatus(fn); resp.Status != want {
			return sample{}, fmt.Errorf("answered %d %.500s, want %d\n%s", resp.Status, resp.Body, want, e.Logs())
		}
		if i == 0 {
			s.cold = elapsed
		} else {
			s.warm = append(s.warm, elapsed)
		}
	}
	slices.Sort(s.warm)
	pid, err := childOf(e.Pid())
	if err != nil {
		return sample{}, err
	}
	if s.peakRSS, err = peakRSS(pid); err != nil {
		return sample{}, err
	}
	s.throttled = limit.throttled()
	return s, nil
}

// report prints one Lambda Power Tuning style table per function, then the
// summary: each function's configured size against the others.
func report(w *os.File, o options, rows []string, results map[string][]sample) {
	ms := timing.Milliseconds
	fmt.Fprintf(w, "\nEach function's events/ file under the Runtime Interface Emulator, CPU limited by a cgroup CFS quota of memory/%d MB of one CPU (period %v); %s.\n", lambdaFullCPUMB, o.period, hostName())
	fmt.Fprintf(w, "Duration: the invoke's round trip, median of %d warm invokes (cold: the first, process start included). Cost: a million warm invokes, arm64 us-east-1 ($%.10f per GB-s, billed per ms rounded up, $0.20 per million requests). ◀: the routes table's MemoryMB.\n", o.warm, pricePerGBSecond)
	for _, name := range rows {
		fn, _, _ := strings.Cut(name, "?")
		f, _ := routes.ByName(fn)
		samples := results[name]
		cheapest := slices.MinFunc(samples, func(a, b sample) int { return cmp.Compare(a.cost(), b.cost()) })
		fmt.Fprintf(w, "\n%s (configured %d MB)\n\n", name, f.Memory())
		fmt.Fprintln(w, "| memory (MB) | vCPU | cold (ms) | warm median (ms) | warm min–max (ms) | peak RSS (MiB) | RSS / memory | throttled (ms) | $ per 1M | |")
		fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
		for _, s := range samples {
			mark := ""
			if s.memoryMB == f.Memory() {
				mark = "◀"
			}
			if s.memoryMB == cheapest.memoryMB {
				mark = strings.TrimSpace(mark + " cheapest")
			}
			fmt.Fprintf(w, "| %d | %.2f | %.0f | %.1f | %.1f–%.1f | %.1f | %.0f%% | %.0f | %.2f | %s |\n",
				s.memoryMB, vCPUs(s.memoryMB), ms(s.cold), ms(s.median()), ms(s.warm[0]), ms(s.warm[len(s.warm)-1]),
				mib(s.peakRSS), 100*float64(s.peakRSS)/float64(int64(s.memoryMB)<<20), ms(s.throttled), s.cost(), mark)
		}
	}
	fmt.Fprintf(w, "\nSummary: warm median ms / $ per million invokes at each size; **bold** is the routes table's MemoryMB; peak RSS is the largest over the sizes.\n\n")
	head, rule := "| function |", "|---|"
	for _, mb := range o.sizes {
		head += fmt.Sprintf(" %d MB |", mb)
		rule += "---:|"
	}
	fmt.Fprintln(w, head+" peak RSS (MiB) | MemoryMB |")
	fmt.Fprintln(w, rule+"---:|---:|")
	for _, name := range rows {
		fn, _, _ := strings.Cut(name, "?")
		f, _ := routes.ByName(fn)
		line := "| " + name + " |"
		var peak int64
		for _, s := range results[name] {
			cell := fmt.Sprintf("%.0f / %.2f", ms(s.median()), s.cost())
			if s.memoryMB == f.Memory() {
				cell = "**" + cell + "**"
			}
			line += " " + cell + " |"
			peak = max(peak, s.peakRSS)
		}
		fmt.Fprintf(w, "%s %.0f | %d |\n", line, mib(peak), f.Memory())
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// hostName describes the machine the numbers come from.
func hostName() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		model = cmp.Or(field(string(data), "model name"), model)
		model = strings.TrimSpace(strings.TrimPrefix(model, ":"))
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model, runtime.Version())
}
