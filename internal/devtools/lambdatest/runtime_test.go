package lambdatest_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/lambdatest"
)

// streamerEvent is a Function URL request for testdata/streamer.
const streamerEvent = `{"version":"2.0","rawPath":"/events","requestContext":{"domainName":"abc.lambda-url.us-east-1.on.aws","http":{"method":"GET","path":"/events"}},"isBase64Encoded":false}`

// buildStreamer compiles testdata/streamer, a lambdaurl function.
func buildStreamer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "streamer")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := lambdatest.Build(ctx, ".", "./testdata/streamer", bin, ""); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestStreamArrivesIncrementally reads the first event of a real lambdaurl
// binary while its handler is blocked: the handler cannot finish until the
// test opens the gate, which it does only after the event has arrived.
func TestStreamArrivesIncrementally(t *testing.T) {
	bin := buildStreamer(t)
	gate := make(chan struct{})
	gateSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-gate }))
	defer gateSrv.Close()
	defer close(gate)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := lambdatest.Stream(ctx, bin, []string{"GATE_URL=" + gateSrv.URL}, []byte(streamerEvent))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	if resp.StatusCode != http.StatusOK || resp.Headers["Content-Type"] != "text/event-stream" || resp.Headers["X-Path"] != "/events" {
		t.Errorf("prelude = %+v", resp.Prelude)
	}
	rd := bufio.NewReader(resp.Body)
	first, err := readEvent(rd)
	if err != nil {
		t.Fatalf("first event: %v (ctx: %v)\n%s", err, ctx.Err(), resp.Logs())
	}
	if first != "data: first\n\n" {
		t.Errorf("first event = %q", first)
	}
	select { // the handler is still waiting at the gate: it has not finished
	case gate <- struct{}{}:
	case <-ctx.Done():
		t.Fatalf("the handler never reached the gate\n%s", resp.Logs())
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

func TestStreamReportsFailures(t *testing.T) {
	bin := buildStreamer(t)
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
			resp, err := lambdatest.Stream(ctx, bin, []string{"STREAMER_MODE=" + tt.mode}, []byte(streamerEvent))
			var fe *lambdatest.FunctionError
			if !errors.As(err, &fe) || fe.Init != tt.wantInit || fe.Type != tt.wantType {
				if resp != nil {
					resp.Close()
				}
				t.Fatalf("err = %v, want a function error of type %s (init %v)", err, tt.wantType, tt.wantInit)
			}
		})
	}
	t.Run("crash", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		resp, err := lambdatest.Stream(ctx, bin, []string{"STREAMER_MODE=crash"}, []byte(streamerEvent))
		if fe := (*lambdatest.FunctionError)(nil); errors.As(err, &fe) && fe.Type == "Runtime.ExitError" {
			// The process ended before its first bytes left it: the
			// invocation fails as a whole, which is no clean end either.
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Close()
		if body, err := io.ReadAll(resp.Body); err == nil {
			t.Errorf("a stream cut by the function's exit ended cleanly: %q", body)
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
			p, body, err := lambdatest.SplitStreamed([]byte(tt.raw))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if p.StatusCode != tt.wantStatus || string(body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", p.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}
