package llm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/llm"
)

const testKey = "test-key"

// guard bounds every wait of a test so that a bug fails it instead of
// hanging it; no assertion depends on it.
const guard = 5 * time.Second

func newServer(t *testing.T, opts ...geminitest.Option) *geminitest.Server {
	t.Helper()
	srv := geminitest.New(append([]geminitest.Option{geminitest.WithAPIKey(testKey)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

// newClient returns a client of srv with tiny backoff; edit changes its
// configuration first.
func newClient(t *testing.T, srv *geminitest.Server, edit ...func(*llm.Config)) *llm.Client {
	t.Helper()
	cfg := llm.Config{
		APIKey:     testKey,
		BaseURL:    srv.URL(),
		MaxRetries: 3,
		BaseDelay:  time.Millisecond,
		MaxDelay:   50 * time.Millisecond,
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := llm.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("llm.New: %v", err)
	}
	return c
}

func chat(text string) llm.Request {
	return llm.Request{
		System:   llm.SystemInstruction,
		Messages: []llm.Message{{Role: llm.RoleUser, Text: text}},
	}
}

// collect streams req and returns the deltas received with the result.
func collect(t *testing.T, c *llm.Client, req llm.Request) ([]string, llm.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	var deltas []string
	res, err := c.Stream(ctx, req, func(d string) error {
		deltas = append(deltas, d)
		return nil
	})
	return deltas, res, err
}

func TestStreamDeltasArriveInOrder(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
	}{
		{"one chunk", []string{"Hello."}},
		{"several chunks", []string{"Here is ", "a component:\n\n", "```tsx\nexport default function A() {}\n```", "\nDone."}},
		{"unicode", []string{"Grüße ", "和", "平 ", "🚀"}},
		{"empty chunks are skipped", []string{"a", "", "b", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(geminitest.Reply{Chunks: tt.chunks})
			c := newClient(t, srv)

			deltas, res, err := collect(t, c, chat("hi"))
			if err != nil {
				t.Fatalf("Stream: %v", err)
			}
			want := slices.DeleteFunc(slices.Clone(tt.chunks), func(s string) bool { return s == "" })
			if !slices.Equal(deltas, want) {
				t.Errorf("deltas = %q, want %q", deltas, want)
			}
			if got, want := res.Text, strings.Join(tt.chunks, ""); got != want {
				t.Errorf("Text = %q, want %q", got, want)
			}
			if got, want := res.FinishReason, "STOP"; got != want {
				t.Errorf("FinishReason = %q, want %q", got, want)
			}
			if res.Tokens.PromptTokens == 0 || res.Tokens.OutputTokens == 0 {
				t.Errorf("Tokens = %+v, want both counts set", res.Tokens)
			}
		})
	}
}

func TestStreamFirstDeltaArrivesWhileServerHoldsTheRest(t *testing.T) {
	srv := newServer(t)
	hold := make(chan struct{})
	srv.Enqueue(geminitest.Reply{Chunks: []string{"first", " second", " third"}, Hold: hold, HoldAfter: 1})
	c := newClient(t, srv)

	deltas := make(chan string, 3)
	type outcome struct {
		res llm.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := c.Stream(context.Background(), chat("hi"), func(d string) error {
			deltas <- d
			return nil
		})
		done <- outcome{res, err}
	}()

	select {
	case got := <-deltas:
		if want := "first"; got != want {
			t.Fatalf("first delta = %q, want %q", got, want)
		}
	case <-time.After(guard):
		t.Fatal("no delta arrived while the server held the later chunks")
	}
	select {
	case <-done:
		t.Fatal("Stream returned while the server still held chunks")
	default:
	}

	close(hold)
	var out outcome
	select {
	case out = <-done:
	case <-time.After(guard):
		t.Fatal("Stream did not finish after the chunks were released")
	}
	if out.err != nil {
		t.Fatalf("Stream: %v", out.err)
	}
	if got, want := out.res.Text, "first second third"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	tests := []struct {
		name         string
		first        geminitest.Reply
		wantAttempts int
	}{
		// The counts do not depend on which layer retries: 429 and 503 are
		// this package's, 500 the SDK's, and a cut connection the SDK's for
		// generate (the request fails) but ours for stream (the body fails).
		{"429 twice", geminitest.Reply{Fail: 429, FailTimes: 2}, 3},
		{"503 once", geminitest.Reply{Fail: 503, FailTimes: 1}, 2},
		{"500 three times", geminitest.Reply{Fail: 500, FailTimes: 3}, 4},
		{"connection cut before the first chunk", geminitest.Reply{Chunks: []string{"lost"}, Cut: true}, 2},
	}
	for _, tt := range tests {
		for _, stream := range []bool{true, false} {
			name := tt.name + "/generate"
			if stream {
				name = tt.name + "/stream"
			}
			t.Run(name, func(t *testing.T) {
				srv := newServer(t)
				first := tt.first
				if first.Fail != 0 {
					first.Chunks = []string{"recovered"}
					srv.Enqueue(first)
				} else {
					srv.Enqueue(first, geminitest.Reply{Chunks: []string{"recovered"}})
				}
				c := newClient(t, srv)

				var res llm.Result
				var err error
				if stream {
					_, res, err = collect(t, c, chat("hi"))
				} else {
					res, err = c.Generate(context.Background(), chat("hi"))
				}
				if err != nil {
					t.Fatalf("err = %v, want success after retries", err)
				}
				if got, want := res.Text, "recovered"; got != want {
					t.Errorf("Text = %q, want %q", got, want)
				}
				if got := len(srv.Requests()); got != tt.wantAttempts {
					t.Errorf("server saw %d attempts, want %d", got, tt.wantAttempts)
				}
			})
		}
	}
}

func TestPersistentFailuresRunOutOfRetries(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		maxRetries int
		wantKind   error
	}{
		{"429", 429, 2, llm.ErrRateLimited},
		{"503", 503, 1, llm.ErrUpstream},
		{"500 without retries", 500, -1, llm.ErrUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(geminitest.Reply{Fail: tt.status})
			c := newClient(t, srv, func(cfg *llm.Config) { cfg.MaxRetries = tt.maxRetries })

			_, _, err := collect(t, c, chat("hi"))
			if !errors.Is(err, tt.wantKind) {
				t.Fatalf("err = %v, want %v", err, tt.wantKind)
			}
			wantAttempts := 1 + max(tt.maxRetries, 0)
			var e *llm.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %T, want *llm.Error", err)
			}
			if e.Attempts != wantAttempts || e.Status != tt.status {
				t.Errorf("Attempts, Status = %d, %d, want %d, %d", e.Attempts, e.Status, wantAttempts, tt.status)
			}
			if got := len(srv.Requests()); got != wantAttempts {
				t.Errorf("server saw %d attempts, want %d", got, wantAttempts)
			}
		})
	}
}

func TestRetryHonoursTheServersDelay(t *testing.T) {
	t.Run("short hint is waited for", func(t *testing.T) {
		srv := newServer(t)
		const hint = 60 * time.Millisecond
		srv.Enqueue(geminitest.Reply{Fail: 429, FailTimes: 1, RetryAfter: hint, Chunks: []string{"ok"}})
		c := newClient(t, srv, func(cfg *llm.Config) { cfg.MaxDelay = time.Second })

		if _, _, err := collect(t, c, chat("hi")); err != nil {
			t.Fatalf("Stream: %v", err)
		}
		reqs := srv.Requests()
		if len(reqs) != 2 {
			t.Fatalf("server saw %d attempts, want 2", len(reqs))
		}
		if got := reqs[1].At.Sub(reqs[0].At); got < hint {
			t.Errorf("retried after %v, want at least the server's %v", got, hint)
		}
	})
	t.Run("hint longer than MaxDelay ends the retries", func(t *testing.T) {
		srv := newServer(t)
		srv.Enqueue(geminitest.Reply{Fail: 429, RetryAfter: 30 * time.Second})
		c := newClient(t, srv)

		_, _, err := collect(t, c, chat("hi"))
		var e *llm.Error
		if !errors.As(err, &e) || !errors.Is(err, llm.ErrRateLimited) {
			t.Fatalf("err = %v, want an *llm.Error of ErrRateLimited", err)
		}
		if got, want := e.RetryAfter, 30*time.Second; got != want {
			t.Errorf("RetryAfter = %v, want %v", got, want)
		}
		if got := len(srv.Requests()); got != 1 {
			t.Errorf("server saw %d attempts, want 1", got)
		}
	})
}

func TestFirstTokenRule(t *testing.T) {
	tests := []struct {
		name      string
		first     geminitest.Reply
		wantRetry bool
		wantText  string // the partial reply of the *llm.StreamError, when not retried
		wantErr   error
	}{
		{name: "cut before any chunk", first: geminitest.Reply{Chunks: []string{"lost"}, Cut: true}, wantRetry: true},
		{name: "cut after a chunk without text", first: geminitest.Reply{Chunks: []string{"", "lost"}, Cut: true, CutAfter: 1}, wantRetry: true},
		{name: "error event before any text", first: geminitest.Reply{Chunks: []string{"lost"}, Cut: true, CutWith: 500}, wantRetry: true},
		{name: "429 event before any text", first: geminitest.Reply{Chunks: []string{"lost"}, Cut: true, CutWith: 429}, wantRetry: true},
		{name: "cut after the first text", first: geminitest.Reply{Chunks: []string{"partial", "lost"}, Cut: true, CutAfter: 1},
			wantText: "partial", wantErr: llm.ErrUpstream},
		{name: "error event after the first text", first: geminitest.Reply{Chunks: []string{"partial", "lost"}, Cut: true, CutAfter: 1, CutWith: 503},
			wantText: "partial", wantErr: llm.ErrUpstream},
		{name: "429 event with a short wait after the first text", first: geminitest.Reply{Chunks: []string{"partial", "lost"}, Cut: true, CutAfter: 1, CutWith: 429, RetryAfter: time.Millisecond},
			wantText: "partial", wantErr: llm.ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(tt.first, geminitest.Reply{Chunks: []string{"recovered"}})
			c := newClient(t, srv)

			deltas, res, err := collect(t, c, chat("hi"))
			if tt.wantRetry {
				if err != nil {
					t.Fatalf("err = %v, want success after a retry", err)
				}
				if got, want := strings.Join(deltas, "|"), "recovered"; got != want || res.Text != want {
					t.Errorf("deltas, Text = %q, %q, want %q", got, res.Text, want)
				}
				if got := len(srv.Requests()); got != 2 {
					t.Errorf("server saw %d requests, want 2", got)
				}
				return
			}
			var se *llm.StreamError
			if !errors.As(err, &se) || !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want a *llm.StreamError of %v", err, tt.wantErr)
			}
			if got := strings.Join(deltas, ""); se.Text != tt.wantText || res.Text != tt.wantText || got != tt.wantText {
				t.Errorf("partial text = %q (result %q, deltas %q), want %q", se.Text, res.Text, got, tt.wantText)
			}
			if got := len(srv.Requests()); got != 1 {
				t.Errorf("server saw %d requests, want 1 (no retry after text)", got)
			}
		})
	}
}

func TestRetryAfterRule(t *testing.T) {
	const short, long = 60 * time.Millisecond, 30 * time.Second
	tests := []struct {
		name     string
		replies  []geminitest.Reply
		generate bool
		wantKind error // nil: success after one retry that waited at least short
	}{
		{name: "429 with a short wait", replies: []geminitest.Reply{{Fail: 429, FailTimes: 1, RetryAfter: short, Chunks: []string{"ok"}}}},
		{name: "429 with a short wait, generate", generate: true, replies: []geminitest.Reply{{Fail: 429, FailTimes: 1, RetryAfter: short, Chunks: []string{"ok"}}}},
		{name: "503 with a short wait", replies: []geminitest.Reply{{Fail: 503, FailTimes: 1, RetryAfter: short, Chunks: []string{"ok"}}}},
		{name: "429 event with a short wait before any text", replies: []geminitest.Reply{
			{Chunks: []string{"lost"}, Cut: true, CutWith: 429, RetryAfter: short}, {Chunks: []string{"ok"}}}},
		{name: "429 with a long wait", replies: []geminitest.Reply{{Fail: 429, RetryAfter: long}}, wantKind: llm.ErrRateLimited},
		{name: "429 with a long wait, generate", generate: true, replies: []geminitest.Reply{{Fail: 429, RetryAfter: long}}, wantKind: llm.ErrRateLimited},
		{name: "503 with a long wait", replies: []geminitest.Reply{{Fail: 503, RetryAfter: long}}, wantKind: llm.ErrUpstream},
		{name: "429 event with a long wait before any text", replies: []geminitest.Reply{
			{Chunks: []string{"lost"}, Cut: true, CutWith: 429, RetryAfter: long}}, wantKind: llm.ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(tt.replies...)
			// The backoff alone would wait at most a millisecond; only the
			// server's wait can make the retry wait longer.
			c := newClient(t, srv, func(cfg *llm.Config) { cfg.BaseDelay, cfg.MaxDelay = time.Millisecond, time.Second })

			var err error
			if tt.generate {
				_, err = c.Generate(context.Background(), chat("hi"))
			} else {
				_, _, err = collect(t, c, chat("hi"))
			}
			reqs := srv.Requests()
			if tt.wantKind == nil {
				if err != nil {
					t.Fatalf("err = %v, want success after a retry", err)
				}
				if len(reqs) != 2 {
					t.Fatalf("server saw %d requests, want 2", len(reqs))
				}
				if got := reqs[1].At.Sub(reqs[0].At); got < short {
					t.Errorf("retried after %v, want at least the server's %v", got, short)
				}
				return
			}
			var e *llm.Error
			if !errors.As(err, &e) || !errors.Is(err, tt.wantKind) {
				t.Fatalf("err = %v, want an *llm.Error of %v", err, tt.wantKind)
			}
			if e.RetryAfter != long || e.Attempts != 1 {
				t.Errorf("RetryAfter, Attempts = %v, %d, want %v, 1", e.RetryAfter, e.Attempts, long)
			}
			if len(reqs) != 1 {
				t.Errorf("server saw %d requests, want 1 (a wait above MaxDelay ends the retries)", len(reqs))
			}
		})
	}
}

func TestFailureAfterTheFirstDeltaIsAStreamError(t *testing.T) {
	tests := []struct {
		name     string
		reply    geminitest.Reply
		wantText string
		wantErr  error
	}{
		{"cut mid-stream", geminitest.Reply{Chunks: []string{"Hello", ", wor", "ld"}, Cut: true, CutAfter: 2}, "Hello, wor", llm.ErrUpstream},
		{"cut after the last chunk", geminitest.Reply{Chunks: []string{"a", "b"}, Cut: true, CutAfter: 2}, "ab", llm.ErrUpstream},
		{"reply blocked by safety", geminitest.Reply{Chunks: []string{"Sure, ", "here"}, FinishReason: "SAFETY"}, "Sure, here", llm.ErrBlocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(tt.reply, geminitest.Reply{Chunks: []string{"must not be fetched"}})
			c := newClient(t, srv)

			deltas, res, err := collect(t, c, chat("hi"))
			var se *llm.StreamError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *llm.StreamError", err)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if se.Text != tt.wantText || res.Text != tt.wantText || strings.Join(deltas, "") != tt.wantText {
				t.Errorf("partial text = %q (result %q, deltas %q), want %q", se.Text, res.Text, deltas, tt.wantText)
			}
			if se.Tokens.OutputTokens == 0 {
				t.Errorf("Tokens = %+v, want the tokens so far", se.Tokens)
			}
			if got := len(srv.Requests()); got != 1 {
				t.Errorf("server saw %d attempts, want 1 (no retry after a delta)", got)
			}
		})
	}
}

func TestDeltaCallbackErrorStopsTheStream(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(geminitest.Reply{Chunks: []string{"one", "two", "three"}})
	c := newClient(t, srv)
	errClientGone := errors.New("client gone")

	var deltas []string
	_, err := c.Stream(context.Background(), chat("hi"), func(d string) error {
		deltas = append(deltas, d)
		if len(deltas) == 2 {
			return errClientGone
		}
		return nil
	})
	var se *llm.StreamError
	if !errors.As(err, &se) || !errors.Is(err, errClientGone) {
		t.Fatalf("err = %v, want a *llm.StreamError wrapping the callback's error", err)
	}
	if got, want := se.Text, "onetwo"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

func TestCancelStopsTheStreamPromptly(t *testing.T) {
	srv := newServer(t)
	hold := make(chan struct{}) // never released: only the cancel can end the stream
	srv.Enqueue(geminitest.Reply{Chunks: []string{"partial", " never sent"}, Hold: hold, HoldAfter: 1})
	c := newClient(t, srv)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Stream(ctx, chat("hi"), func(string) error {
			cancel()
			return nil
		})
		done <- err
	}()

	select {
	case err := <-done:
		var se *llm.StreamError
		if !errors.As(err, &se) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want a *llm.StreamError of context.Canceled", err)
		}
		if got, want := se.Text, "partial"; got != want {
			t.Errorf("Text = %q, want %q", got, want)
		}
	case <-time.After(guard):
		t.Fatal("Stream did not return after its context was cancelled")
	}
}

func TestCancelStopsTheRetries(t *testing.T) {
	// 503 waits in this package's backoff, 500 in the SDK's.
	for _, status := range []int{503, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(geminitest.Reply{Fail: status})
			c := newClient(t, srv, func(cfg *llm.Config) {
				cfg.MaxRetries = 1000
				cfg.BaseDelay, cfg.MaxDelay = time.Second, time.Second
			})
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()

			_, err := c.Generate(ctx, chat("hi"))
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want context.DeadlineExceeded", err)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(geminitest.Reply{Chunks: []string{"Button ", "component"}})
	c := newClient(t, srv)

	req := chat("Write a title for: Create a React button component")
	req.System = "You write short titles."
	req.MaxOutputTokens = 32
	res, err := c.Generate(context.Background(), req)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if got, want := res.Text, "Button component"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got, want := res.FinishReason, "STOP"; got != want {
		t.Errorf("FinishReason = %q, want %q", got, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.Stream || got.Method != "generateContent" {
		t.Errorf("Method = %q (stream %v), want generateContent", got.Method, got.Stream)
	}
	if got.GenerationConfig.MaxOutputTokens == nil || *got.GenerationConfig.MaxOutputTokens != 32 {
		t.Errorf("maxOutputTokens = %v, want 32", got.GenerationConfig.MaxOutputTokens)
	}
}

func TestRequestCarriesSystemInstructionAndSettings(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv, func(cfg *llm.Config) { cfg.Model = "gemini-test-model" })

	req := llm.Request{
		System: llm.SystemInstruction,
		Messages: []llm.Message{
			{Role: llm.RoleModel, Text: "Summary so far."},
			{Role: llm.RoleUser, Text: "First question."},
			{Role: llm.RoleUser, Text: "Second question."},
			{Role: llm.RoleModel, Text: "An answer."},
			{Role: llm.RoleModel, Text: "   "},
			{Role: llm.RoleUser, Text: "Create a React button component"},
		},
	}
	if got, want := c.Model(), "gemini-test-model"; got != want {
		t.Errorf("Model() = %q, want %q", got, want)
	}
	if _, _, err := collect(t, c, req); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.Status != 200 {
		t.Fatalf("server answered %d: %s", got.Status, got.Error)
	}
	if got.SystemInstruction != llm.SystemInstruction {
		t.Errorf("systemInstruction = %q, want llm.SystemInstruction", got.SystemInstruction)
	}
	if got.Model != "gemini-test-model" || got.APIKey != testKey || !got.Stream {
		t.Errorf("model, key, stream = %q, %q, %v, want gemini-test-model, %q, true", got.Model, got.APIKey, got.Stream, testKey)
	}
	gc := got.GenerationConfig
	if gc.Temperature == nil || *gc.Temperature != 0.7 || gc.TopK == nil || *gc.TopK != 40 ||
		gc.TopP == nil || *gc.TopP != 0.95 || gc.MaxOutputTokens == nil || *gc.MaxOutputTokens != 8192 {
		t.Errorf("generationConfig = %s, want temperature 0.7, topK 40, topP 0.95, maxOutputTokens 8192", showConfig(gc))
	}
	wantContents := []geminitest.Content{
		{Role: "user", Text: "(Earlier messages of this conversation are omitted.)"},
		{Role: "model", Text: "Summary so far."},
		{Role: "user", Text: "First question.\n\nSecond question."},
		{Role: "model", Text: "An answer."},
		{Role: "user", Text: "Create a React button component"},
	}
	if !slices.Equal(got.Contents, wantContents) {
		t.Errorf("contents = %q, want %q", got.Contents, wantContents)
	}
}

func showConfig(gc geminitest.GenerationConfig) string {
	show := func(p any) string {
		switch p := p.(type) {
		case *float64:
			if p != nil {
				return fmt.Sprint(*p)
			}
		case *int:
			if p != nil {
				return fmt.Sprint(*p)
			}
		}
		return "missing"
	}
	return fmt.Sprintf("temperature %s, topK %s, topP %s, maxOutputTokens %s",
		show(gc.Temperature), show(gc.TopK), show(gc.TopP), show(gc.MaxOutputTokens))
}

func TestRejectedRequestsAreNotRetried(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv, func(cfg *llm.Config) { cfg.APIKey = "wrong-key" })

	for _, stream := range []bool{true, false} {
		var err error
		if stream {
			_, _, err = collect(t, c, chat("hi"))
		} else {
			_, err = c.Generate(context.Background(), chat("hi"))
		}
		var e *llm.Error
		if !errors.As(err, &e) || !errors.Is(err, llm.ErrRejected) {
			t.Fatalf("stream %v: err = %v, want an *llm.Error of ErrRejected", stream, err)
		}
		if e.Status != 400 || e.Attempts != 1 {
			t.Errorf("stream %v: Status, Attempts = %d, %d, want 400, 1", stream, e.Status, e.Attempts)
		}
	}
	if got := len(srv.Requests()); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
}

func TestBlockedPrompt(t *testing.T) {
	for _, stream := range []bool{true, false} {
		srv := newServer(t)
		srv.Enqueue(geminitest.Reply{BlockReason: "SAFETY"})
		c := newClient(t, srv)

		var err error
		if stream {
			_, _, err = collect(t, c, chat("something bad"))
		} else {
			_, err = c.Generate(context.Background(), chat("something bad"))
		}
		var e *llm.Error
		if !errors.As(err, &e) || !errors.Is(err, llm.ErrBlocked) {
			t.Fatalf("stream %v: err = %v, want an *llm.Error of ErrBlocked", stream, err)
		}
		if errors.As(err, new(*llm.StreamError)) {
			t.Errorf("stream %v: err = %v, want no *llm.StreamError before any text", stream, err)
		}
		if got, want := e.Reason, "SAFETY"; got != want {
			t.Errorf("stream %v: Reason = %q, want %q", stream, got, want)
		}
		if got := len(srv.Requests()); got != 1 {
			t.Errorf("stream %v: server saw %d attempts, want 1", stream, got)
		}
	}
}

func TestInvalidRequestsFailBeforeCallingTheModel(t *testing.T) {
	tests := []struct {
		name     string
		messages []llm.Message
	}{
		{"no messages", nil},
		{"only blank messages", []llm.Message{{Role: llm.RoleUser, Text: " \n"}}},
		{"ends with the model", []llm.Message{{Role: llm.RoleUser, Text: "q"}, {Role: llm.RoleModel, Text: "a"}}},
		{"unknown role", []llm.Message{{Role: "system", Text: "q"}}},
	}
	srv := newServer(t)
	c := newClient(t, srv)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := collect(t, c, llm.Request{Messages: tt.messages}); err == nil {
				t.Error("Stream succeeded, want an error")
			}
		})
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("server saw %d requests, want 0", got)
	}
}

func TestNewRequiresAnAPIKey(t *testing.T) {
	if _, err := llm.New(context.Background(), llm.Config{BaseURL: "http://127.0.0.1:1"}); err == nil {
		t.Error("New without an API key succeeded, want an error")
	}
}

func TestOfflineModelWritesAReactComponent(t *testing.T) {
	srv := newServer(t, geminitest.Offline())
	c := newClient(t, srv)

	deltas, res, err := collect(t, c, chat("Create a React button component"))
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if len(deltas) < 10 {
		t.Errorf("got %d deltas, want the reply streamed in small pieces", len(deltas))
	}
	for _, want := range []string{"offline model", "```tsx\n", "export default function Button()", "useState", "className="} {
		if !strings.Contains(res.Text, want) {
			t.Errorf("reply lacks %q:\n%s", want, res.Text)
		}
	}
}

func TestEstimateTokens(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"a", 1},
		{"abcd", 1},
		{"abcde", 2},
		{strings.Repeat("x", 400), 100},
		{"héllo", 1 + 1}, // four ASCII characters and one other
		{"和平", 2},
		{"🚀🚀", 2},
		{"\xff\xfe", 2},
	}
	for _, tt := range tests {
		if got := llm.EstimateTokens(tt.in); got != tt.want {
			t.Errorf("EstimateTokens(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestSystemInstructionSetsTheFencingRules(t *testing.T) {
	for _, want := range []string{"```tsx src/App.tsx", "language", "export default function", "Tailwind", "lucide-react", "recharts", "react-dom"} {
		if !strings.Contains(llm.SystemInstruction, want) {
			t.Errorf("SystemInstruction lacks %q", want)
		}
	}
}

func TestNewLeavesTheCallersHTTPClientAlone(t *testing.T) {
	srv := newServer(t)
	transport := &http.Transport{}
	hc := &http.Client{Transport: transport}
	c := newClient(t, srv, func(cfg *llm.Config) { cfg.HTTPClient = hc })

	if _, _, err := collect(t, c, chat("hi")); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if hc.Transport != transport {
		t.Error("New replaced the caller's HTTPClient.Transport")
	}
}
