package runtimeapi_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/lambdatest"
	"github.com/zocket/agent/internal/devtools/runtimeapi"
)

// streamerEvent is a Function URL request for testdata/streamer.
const streamerEvent = `{"version":"2.0","rawPath":"/events","requestContext":{"domainName":"abc.lambda-url.us-east-1.on.aws","http":{"method":"GET","path":"/events"}},"isBase64Encoded":false}`

// streamer is testdata/streamer, a lambdaurl function, built once by TestMain.
var streamer string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "runtimeapi-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		streamer = filepath.Join(dir, "streamer")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := lambdatest.Build(ctx, ".", "./testdata/streamer", streamer, ""); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}())
}

// instance is a streamer process under the Runtime API and the file that
// collects its output.
type instance struct {
	*runtimeapi.Instance
	logs string
}

func start(t *testing.T, timeout time.Duration, env ...string) instance {
	t.Helper()
	logs := filepath.Join(t.TempDir(), "log")
	out, err := os.Create(logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	inst, err := runtimeapi.Start(runtimeapi.Function{Name: "streamer", Bootstrap: streamer, Env: env, Timeout: timeout, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inst.Kill)
	return instance{inst, logs}
}

// Logs returns what the process has printed so far.
func (i instance) Logs() string {
	data, _ := os.ReadFile(i.logs)
	return string(data)
}

// invoke hands the instance streamerEvent and reads the prelude.
func (i instance) invoke(t *testing.T, ctx context.Context) (runtimeapi.Prelude, *bufio.Reader) {
	t.Helper()
	resp, err := i.Invoke(ctx, []byte(streamerEvent))
	if err != nil {
		t.Fatalf("%v\n%s", err, i.Logs())
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.ContentType != runtimeapi.HTTPIntegrationContentType {
		t.Fatalf("content type %q", resp.ContentType)
	}
	br := bufio.NewReader(resp.Body)
	p, err := runtimeapi.ReadPrelude(br)
	if err != nil {
		t.Fatalf("%v\n%s", err, i.Logs())
	}
	return p, br
}

// TestStreamArrivesIncrementally reads the first event of a real lambdaurl
// binary while its handler is blocked: the handler cannot finish until the
// test opens the gate, which it does only after the event has arrived.
func TestStreamArrivesIncrementally(t *testing.T) {
	gate := make(chan struct{})
	gateSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-gate }))
	defer gateSrv.Close()
	defer close(gate)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inst := start(t, 0, "GATE_URL="+gateSrv.URL)
	p, rd := inst.invoke(t, ctx)
	if p.StatusCode != http.StatusOK || p.Headers["Content-Type"] != "text/event-stream" || p.Headers["X-Path"] != "/events" {
		t.Errorf("prelude = %+v", p)
	}
	first, err := readEvent(rd)
	if err != nil {
		t.Fatalf("first event: %v (ctx: %v)\n%s", err, ctx.Err(), inst.Logs())
	}
	if first != "data: first\n\n" {
		t.Errorf("first event = %q", first)
	}
	select { // the handler is still waiting at the gate: it has not finished
	case gate <- struct{}{}:
	case <-ctx.Done():
		t.Fatalf("the handler never reached the gate\n%s", inst.Logs())
	}
	rest, err := io.ReadAll(rd)
	if err != nil || string(rest) != "data: second\n\n" {
		t.Errorf("rest = %q, %v", rest, err)
	}
}

// readEvent reads one server-sent event, up to its blank line.
func readEvent(rd *bufio.Reader) (string, error) {
	var ev strings.Builder
	for !strings.HasSuffix(ev.String(), "\n\n") {
		line, err := rd.ReadString('\n')
		ev.WriteString(line)
		if err != nil {
			return ev.String(), err
		}
	}
	return ev.String(), nil
}

// TestInvocationsInTurn has one instance answer two invocations, one after
// the other, as a warm Lambda instance does.
func TestInvocationsInTurn(t *testing.T) {
	gateSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer gateSrv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inst := start(t, 0, "GATE_URL="+gateSrv.URL)
	for n := range 2 {
		_, rd := inst.invoke(t, ctx)
		body, err := io.ReadAll(rd)
		if err != nil || string(body) != "data: first\n\ndata: second\n\n" {
			t.Fatalf("invocation %d: %q, %v\n%s", n, body, err, inst.Logs())
		}
		if !inst.WaitIdle() {
			t.Fatalf("invocation %d left the instance ended\n%s", n, inst.Logs())
		}
	}
}

func TestReportsFailures(t *testing.T) {
	tests := []struct {
		mode     string
		wantInit bool
		wantType string
	}{
		{"init-error", true, "Config.Missing"},
		{"exit-at-init", true, "Runtime.ExitError"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			inst := start(t, 0, "STREAMER_MODE="+tt.mode)
			resp, err := inst.Invoke(ctx, []byte(streamerEvent))
			var fe *runtimeapi.FunctionError
			if !errors.As(err, &fe) || fe.Init != tt.wantInit || fe.Type != tt.wantType {
				if resp != nil {
					resp.Body.Close()
				}
				t.Fatalf("err = %v, want a function error of type %s (init %v)", err, tt.wantType, tt.wantInit)
			}
			if inst.WaitIdle() {
				t.Error("the instance takes invocations after failing to start")
			}
		})
	}
	t.Run("crash", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		inst := start(t, 0, "STREAMER_MODE=crash")
		resp, err := inst.Invoke(ctx, []byte(streamerEvent))
		if fe := (*runtimeapi.FunctionError)(nil); errors.As(err, &fe) && fe.Type == "Runtime.ExitError" {
			// The process ended before its first bytes left it: the
			// invocation fails as a whole, which is no clean end either.
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if body, err := io.ReadAll(resp.Body); err == nil {
			t.Errorf("a stream cut by the function's exit ended cleanly: %q", body)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		gateSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer gateSrv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		inst := start(t, time.Second, "GATE_URL="+gateSrv.URL)
		_, rd := inst.invoke(t, ctx)
		_, err := io.ReadAll(rd)
		var fe *runtimeapi.FunctionError
		if !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
			t.Errorf("err = %v, want Sandbox.Timedout", err)
		}
		if inst.WaitIdle() {
			t.Error("the instance takes invocations after timing out: Lambda ends it")
		}
	})
}

func TestSplitStreamed(t *testing.T) {
	nul := strings.Repeat("\x00", 8)
	tests := []struct {
		name       string
		raw        string
		wantStatus int
		wantBody   string
		wantErr    bool
	}{
		{"prelude and body", `{"statusCode":201,"headers":{"A":"b"}}` + nul + "data: x\n\n", 201, "data: x\n\n", false},
		{"empty body", `{"statusCode":204}` + nul, 204, "", false},
		{"no separator", `{"statusCode":200}`, 0, "", true},
		{"bad prelude", `not json` + nul + "body", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, body, err := runtimeapi.SplitStreamed([]byte(tt.raw))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if p.StatusCode != tt.wantStatus || string(body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", p.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}
