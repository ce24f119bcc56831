package contract_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/contract"
)

// answer is a handler that writes a canned response with an X-Request-Id.
func answer(status int, contentType, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-0123456789")
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

const (
	health    = `{"status":"ok","timestamp":"2025-01-01T00:00:00.000Z","version":"dev","checks":{"dynamodb":"ok"}}`
	me        = `{"user":{"id":"u","email":"a@example.com","username":"ada","credits":3,"createdAt":"2025-01-01T00:00:00.000Z","updatedAt":"2025-01-01T00:00:00.000Z"}}`
	envelope  = `{"error":"Not found","message":"No route for GET /nope.","code":"not_found","requestId":"req-0123456789"}`
	metadata  = "id: 0.1\nevent: metadata\ndata: {\"type\":\"metadata\",\"data\":{\"conversationId\":\"c\",\"messageId\":\"m\",\"userMessageId\":\"u\",\"title\":\"t\"}}\n\n"
	chunk     = "id: 5.1\nevent: chunk\ndata: {\"type\":\"chunk\",\"data\":{\"text\":\"hello\"}}\n\n"
	complete  = "id: 5.2\nevent: complete\ndata: {\"type\":\"complete\",\"data\":{\"reason\":\"completed\",\"messageId\":\"m\",\"usage\":{\"promptTokens\":1,\"outputTokens\":2},\"title\":\"t\",\"credits\":3}}\n\n"
	done      = "data: [DONE]\n\n"
	sseHeader = "text/event-stream; charset=utf-8"
)

// TestCheck: what the document describes passes, and each kind of
// departure from it is a mismatch that says what is wrong.
func TestCheck(t *testing.T) {
	c, err := contract.Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		h                  http.Handler
		want               []string // in the mismatches, in order; none: no mismatch
	}{
		{"documented", "GET", "/health", answer(200, "application/json", health), nil},
		{"a HEAD, as its GET without the body", "HEAD", "/health", answer(200, "application/json", ""), nil},
		{"a HEAD of an undocumented status", "HEAD", "/health", answer(418, "application/json", ""), []string{"418"}},
		{"an undocumented status", "GET", "/health", answer(418, "application/json", health), []string{"418"}},
		{"a body off its schema", "GET", "/health", answer(200, "application/json", `{"status":"ok"}`), []string{"timestamp"}},
		{"a field of the wrong type", "GET", "/health", answer(200, "application/json", strings.Replace(health, `"dev"`, `7`, 1)), []string{"version"}},
		{"a moment that is not a date-time", "GET", "/api/auth/me", answer(200, "application/json", strings.Replace(me, "2025-01-01T00:00:00.000Z", "yesterday", 1)), []string{"date-time"}},
		{"a moment as documented", "GET", "/api/auth/me", answer(200, "application/json", me), nil},
		{"a null where an array is", "GET", "/api/artifacts/01a24ee4-5674-7a0f-99eb-ce2335d40e7e/project", answer(200, "application/json", `{"entry":"App.tsx","files":null}`), []string{"files"}},
		{"an error code its status does not stand for there", "GET", "/health", answer(500, "application/json", strings.Replace(envelope, "not_found", "conflict", 1)), []string{"code"}},
		{"an error code of another status", "GET", "/api/auth/me", answer(401, "application/json", envelope), []string{"code"}},
		{"an undocumented media type", "GET", "/health", answer(200, "text/plain", "ok"), []string{"text/plain"}},
		{"no X-Request-Id", "GET", "/health", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, health)
		}), []string{"X-Request-Id"}},
		{"a gateway's own answer", "GET", "/nope", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Apigw-Requestid", "abc")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			io.WriteString(w, `{"message":"Not Found"}`)
		}), nil},
		{"the router's 404", "GET", "/nope", answer(404, "application/json; charset=utf-8", envelope), nil},
		{"no route, and not the 404", "GET", "/nope", answer(200, "application/json", `{}`), []string{"not the router's 404"}},
		{"a wrong method is no route", "DELETE", "/health", answer(405, "application/json", envelope), []string{"405"}},
		{"a stream as documented", "POST", "/api/chat/send", answer(200, sseHeader, metadata+": ping\n\n"+chunk+complete+done), nil},
		{"an event off its schema", "POST", "/api/chat/send", answer(200, sseHeader, strings.Replace(metadata, `"title":"t"`, `"title":1`, 1)+done), []string{"title"}},
		{"an unknown event type", "POST", "/api/chat/send", answer(200, sseHeader, "id: 0.1\nevent: thought\ndata: {\"type\":\"thought\",\"data\":{}}\n\n"), []string{"thought"}},
		{"an event name that is not its type", "POST", "/api/chat/send", answer(200, sseHeader, strings.Replace(chunk, "event: chunk", "event: message", 1)), []string{`event: "message"`}},
		{"an id off its pattern", "POST", "/api/chat/send", answer(200, sseHeader, strings.Replace(chunk, "id: 5.1", "id: 05.1", 1)), []string{"does not match"}},
		{"ids that do not grow", "POST", "/api/chat/send", answer(200, sseHeader, chunk+chunk), []string{"ids grow"}},
		{"an event without id", "POST", "/api/chat/send", answer(200, sseHeader, strings.Replace(chunk, "id: 5.1\n", "", 1)), []string{"no id"}},
		{"an error without id", "POST", "/api/chat/send", answer(200, sseHeader, "event: error\ndata: {\"type\":\"error\",\"data\":{\"error\":\"Stream error: gone\",\"code\":\"internal\"}}\n\n"+done), nil},
		{"a comment that is not a ping", "POST", "/api/chat/send", answer(200, sseHeader, ": hello\n\n"+done), []string{"comment"}},
		{"an event after [DONE]", "POST", "/api/chat/send", answer(200, sseHeader, done+chunk), []string{"follows data: [DONE]"}},
		{"an event cut short", "POST", "/api/chat/send", answer(200, sseHeader, chunk[:20]), []string{"inside an event"}},
		{"a stream where the document has none", "GET", "/health", answer(200, sseHeader, chunk), []string{"text/event-stream"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			h := c.Handler(tt.h, func(m contract.Mismatch) {
				mu.Lock()
				got = append(got, m.String())
				mu.Unlock()
			})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			all := strings.Join(got, "\n")
			if len(tt.want) == 0 && len(got) > 0 {
				t.Errorf("mismatches:\n%s", all)
			}
			if len(tt.want) > 0 && len(got) == 0 {
				t.Errorf("no mismatch, want one saying %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("mismatches do not say %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestHandlerStreams: the checks leave a stream a stream: each event
// reaches the client when the handler flushes it, before the handler ends.
func TestHandlerStreams(t *testing.T) {
	c, err := contract.Default()
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	srv := httptest.NewServer(c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-0123456789")
		w.Header().Set("Content-Type", sseHeader)
		w.WriteHeader(200)
		io.WriteString(w, metadata)
		http.NewResponseController(w).Flush()
		<-release
		io.WriteString(w, done)
	}), func(m contract.Mismatch) { t.Errorf("%v", m) }))
	defer srv.Close()
	before := contract.Totals()
	resp, err := http.Post(srv.URL+"/api/chat/send", "application/json", strings.NewReader(`{"message":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	got := make(chan string, 1)
	go func() {
		line, _ := rd.ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		if line != "id: 0.1\n" {
			t.Errorf("first line %q", line)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the flushed event did not reach the client while the handler waited")
	}
	close(release)
	io.Copy(io.Discard, rd)
	resp.Body.Close()
	srv.Close() // the handler has returned, and its response was checked
	after := contract.Totals()
	if after.Events-before.Events != 1 || after.Responses-before.Responses != 1 {
		t.Errorf("counted %d events and %d responses, want 1 and 1", after.Events-before.Events, after.Responses-before.Responses)
	}
}

// TestHandlerClientGone: a client that leaves before any answer (a browser
// abandoning a navigation) gets none, and there is nothing to check: the
// handler that returns without writing is not a 200 with no body.
func TestHandlerClientGone(t *testing.T) {
	c, err := contract.Default()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	srv := httptest.NewServer(c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		<-r.Context().Done() // as an origin whose caller gave up
	}), func(m contract.Mismatch) { t.Errorf("%v", m) }))
	defer srv.Close()
	req, err := http.NewRequest("GET", srv.URL+"/api/auth/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req = req.WithContext(ctx)
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the request was answered")
	}
	<-done
	srv.Close() // the handler has returned and finished
}
