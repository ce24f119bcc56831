// Command loadbench puts the devserver under many concurrent chat streams
// and reports what a turn costs it (`make bench-load`).
//
// It builds cmd/devserver and runs it as a process of its own on a fresh
// data directory, with the per-user limits off and unlimited credits, the
// offline model (the fake Gemini server, reached through the real genai
// SDK) and its pprof listener. It registers one user per stream, measures
// a few turns one at a time, then keeps -streams chat streams going for
// -duration: every client sends a message, reads the reply to its end and
// sends the next in the same conversation, all starting at once; a share of
// the streams (-drop) is cut by the client after its first text, as a
// closed tab would (the turn goes on on the server). It prints the time to
// the first text and to the end of the stream (p50, p99) and the
// devserver's CPU time per turn: its process CPU (user + system, from
// /proc) from the start of the phase until the server is idle again, over
// the turns started. -cpuprofile writes the server's CPU profile of the
// phase.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zocket/agent/internal/devtools/devproc"
	"github.com/zocket/agent/internal/devtools/timing"
)

// options are the command's flags.
type options struct {
	streams    int
	duration   time.Duration
	drop       float64
	sequential int
	message    string
	cpuprofile string
	devserver  string
	keep       bool
}

func main() {
	var o options
	flag.IntVar(&o.streams, "streams", 200, "concurrent chat streams")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "how long the clients keep starting turns")
	flag.Float64Var(&o.drop, "drop", 0.1, "share of streams the client cuts after the first text (0 to 1)")
	flag.IntVar(&o.sequential, "sequential", 10, "turns measured one at a time before the load")
	flag.StringVar(&o.message, "message", "Create a React counter component", "the message every turn sends (the offline model answers a component request with code: an artifact per turn)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write the devserver's CPU profile of the load phase to this file")
	flag.StringVar(&o.devserver, "devserver", "", "a devserver binary to run (default: build cmd/devserver)")
	flag.BoolVar(&o.keep, "keep", false, "keep the data directory and the devserver's log")
	flag.Parse()
	if o.streams < 1 || o.drop < 0 || o.drop > 1 || o.duration <= 0 {
		log.Fatal("usage: loadbench [-streams N] [-duration D] [-drop 0..1] [-sequential N] [-cpuprofile FILE]")
	}
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "loadbench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("data and log in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := o.devserver
	if bin == "" {
		bin = filepath.Join(dir, "devserver")
		build := exec.Command("go", "build", "-o", bin, "./cmd/devserver")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build devserver: %w", err)
		}
	}
	dev, err := devproc.Start(bin, dir, "/health")
	if err != nil {
		return err
	}
	srv := server{dev}
	defer srv.Stop()

	c := &client{base: srv.URL, http: &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: o.streams + 8,
		DisableCompression:  true,
	}}}
	fmt.Printf("devserver pid %d on %s (GOMAXPROCS %d on %d cores); registering %d users\n",
		srv.Pid, srv.URL, runtime.GOMAXPROCS(0), runtime.NumCPU(), o.streams)
	users, err := c.registerAll(o.streams)
	if err != nil {
		return err
	}

	if o.sequential > 0 {
		srv.settle()
		cpu0 := srv.cpu()
		var first, end []time.Duration
		conv := ""
		for range o.sequential {
			r := c.turn(context.Background(), users[0], &conv, o.message, false)
			if r.err != nil {
				return fmt.Errorf("sequential turn: %w", r.err)
			}
			first, end = append(first, r.first), append(end, r.end)
		}
		srv.settle()
		cpu := srv.cpu() - cpu0
		fmt.Printf("\none at a time: %d turns, first text p50 %s, end p50 %s, devserver CPU %.1f ms per turn\n",
			o.sequential, ms(timing.Percentile(first, 50)), ms(timing.Percentile(end, 50)), float64(cpu.Microseconds())/1000/float64(o.sequential))
	}

	srv.settle()
	var profile chan error
	if o.cpuprofile != "" {
		profile = make(chan error, 1)
		go func() { profile <- srv.profile(o.cpuprofile, o.duration) }()
	}
	cpu0, wall0 := srv.cpu(), time.Now()
	results := c.load(users, o)
	srv.settle()
	cpu, wall := srv.cpu()-cpu0, time.Since(wall0)
	report(results, o, cpu, wall)
	if profile != nil {
		if err := <-profile; err != nil {
			return err
		}
		fmt.Printf("CPU profile of the first %s: %s (go tool pprof -top %s)\n", o.duration, o.cpuprofile, o.cpuprofile)
	}
	return nil
}

// server is the devserver process, measured.
type server struct{ *devproc.Server }

// cpu is the process's CPU time so far, user and system, from
// /proc/<pid>/stat (in clock ticks of 10 ms).
func (s *server) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.Pid))
	if err != nil {
		log.Fatalf("devserver CPU: %v (loadbench needs Linux)", err)
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// settle waits until the server has used less than 2% of a core for half a
// second: turns whose clients left, and their titles, are done.
func (s *server) settle() {
	for last := s.cpu(); ; {
		time.Sleep(500 * time.Millisecond)
		now := s.cpu()
		if now-last <= 10*time.Millisecond {
			return
		}
		last = now
	}
}

// profile writes the server's CPU profile over d to file.
func (s *server) profile(file string, d time.Duration) error {
	secs := max(1, int((d+time.Second-1)/time.Second))
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.Debug, secs))
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("cpu profile: %s", resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// client speaks the API as the frontend does.
type client struct {
	base string
	http *http.Client
}

// registerAll creates n users, a few at a time (passwords are hashed with
// argon2id: registration is the costly request).
func (c *client) registerAll(n int) ([]string, error) {
	tokens := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tokens[i], errs[i] = c.register(i)
		})
	}
	wg.Wait()
	return tokens, errors.Join(errs...)
}

func (c *client) register(i int) (string, error) {
	body, _ := json.Marshal(map[string]string{
		"email": fmt.Sprintf("load%d@example.com", i), "username": fmt.Sprintf("load_%d", i), "password": "a good password",
	})
	resp, err := c.http.Post(c.base+"/api/auth/register", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("register: %s %v", resp.Status, err)
	}
	return out.Token, nil
}

// result is one turn as its client saw it.
type result struct {
	first, end time.Duration // to the first text, to [DONE] (0 when dropped)
	dropped    bool
	err        error
}

// turn sends message in *conv (a new conversation when empty, whose id it
// then sets) and reads the stream; drop cuts it after the first text.
func (c *client) turn(ctx context.Context, token string, conv *string, message string, drop bool) result {
	req := map[string]any{"message": message, "stream": true}
	if *conv != "" {
		req["conversationId"] = *conv
	}
	body, _ := json.Marshal(req)
	hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/chat/send", bytes.NewReader(body))
	hr.Header.Set("Authorization", "Bearer "+token)
	hr.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := c.http.Do(hr)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return result{err: fmt.Errorf("send: %s %s", resp.Status, b)}
	}
	var r result
	var event string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case line == "data: [DONE]":
			r.end = time.Since(start)
			return r
		case strings.HasPrefix(line, "data: "):
			var env struct {
				Data struct {
					ConversationID string `json:"conversationId"`
					Text           string `json:"text"`
					Error          string `json:"error"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(line[len("data: "):]), &env); err != nil {
				return result{err: fmt.Errorf("event %q: %w", line, err)}
			}
			switch {
			case event == "metadata" && *conv == "":
				*conv = env.Data.ConversationID
			case event == "error":
				return result{err: fmt.Errorf("error event: %s", env.Data.Error)}
			case event == "chunk" && env.Data.Text != "" && r.first == 0:
				r.first = time.Since(start)
				if drop {
					r.dropped = true
					return r // the deferred Close cuts the connection
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return result{err: err}
	}
	return result{err: errors.New("stream ended without [DONE]")}
}

// load runs one client per user for o.duration, all starting at once.
func (c *client) load(users []string, o options) []result {
	var mu sync.Mutex
	var all []result
	var wg sync.WaitGroup
	deadline := time.Now().Add(o.duration)
	for _, token := range users {
		wg.Go(func() {
			conv := ""
			var mine []result
			for time.Now().Before(deadline) {
				r := c.turn(context.Background(), token, &conv, o.message, rand.Float64() < o.drop)
				mine = append(mine, r)
				if r.dropped {
					conv = "" // a closed tab: the next turn opens a new conversation
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}

// report prints the load phase's figures.
func report(results []result, o options, cpu, wall time.Duration) {
	var first, end []time.Duration
	var dropped int
	var errs []error
	for _, r := range results {
		switch {
		case r.err != nil:
			errs = append(errs, r.err)
		case r.dropped:
			dropped++
			first = append(first, r.first)
		default:
			first, end = append(first, r.first), append(end, r.end)
		}
	}
	fmt.Printf("\n%d concurrent streams for %s (%.0f%% cut by the client after the first text), offline model\n",
		o.streams, o.duration, o.drop*100)
	fmt.Printf("turns: %d started, %d read to the end, %d cut, %d failed\n", len(results), len(end), dropped, len(errs))
	fmt.Printf("first text: p50 %s  p99 %s\n", ms(timing.Percentile(first, 50)), ms(timing.Percentile(first, 99)))
	fmt.Printf("end:        p50 %s  p99 %s\n", ms(timing.Percentile(end, 50)), ms(timing.Percentile(end, 99)))
	fmt.Printf("devserver CPU: %.1f s over %.1f s (%.2f cores), %.1f ms per turn\n",
		cpu.Seconds(), wall.Seconds(), cpu.Seconds()/wall.Seconds(), float64(cpu.Microseconds())/1000/float64(max(1, len(results))))
	for i, err := range errs {
		if i == 5 {
			fmt.Printf("  ... and %d more\n", len(errs)-5)
			break
		}
		fmt.Println("  error:", err)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }
