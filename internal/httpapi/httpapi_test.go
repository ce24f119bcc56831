package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/metrics"
)

func serve(t *testing.T, h http.Handler, req *http.Request) (*httptest.ResponseRecorder, string) {
	t.Helper()
	var logs bytes.Buffer
	rec := httptest.NewRecorder()
	httpapi.Chain(h, httpapi.NewLogger(&logs, nil), metrics.NewEMF(&logs, "", ""), httpapi.CORS{Origins: []string{"http://localhost:3000"}}, httpapi.Forwarded{Secret: originSecret}).ServeHTTP(rec, req)
	return rec, logs.String()
}

func TestCORS(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { httpapi.JSON(w, 200, map[string]bool{"ok": true}) })
	tests := []struct {
		name, method, origin, reqMethod string
		wantStatus                      int
		wantAllowOrigin                 string
		wantAllowMethods                bool
	}{
		{"preflight allowed", "OPTIONS", "http://localhost:3000", "POST", 204, "http://localhost:3000", true},
		{"preflight other origin", "OPTIONS", "https://evil.example", "POST", 204, "", false},
		{"simple allowed", "GET", "http://localhost:3000", "", 200, "http://localhost:3000", false},
		{"simple other origin", "GET", "https://evil.example", "", 200, "", false},
		{"no origin", "GET", "", "", 200, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/api/x", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.reqMethod != "" {
				req.Header.Set("Access-Control-Request-Method", tt.reqMethod)
				req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			}
			rec, _ := serve(t, ok, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.wantAllowOrigin {
				t.Errorf("Allow-Origin = %q, want %q", got, tt.wantAllowOrigin)
			}
			if got := rec.Header().Get("Access-Control-Allow-Methods") != ""; got != tt.wantAllowMethods {
				t.Errorf("Allow-Methods present = %v, want %v", got, tt.wantAllowMethods)
			}
			if tt.wantAllowMethods && rec.Header().Get("Access-Control-Allow-Headers") != httpapi.AllowedHeaders {
				t.Errorf("Allow-Headers = %q", rec.Header().Get("Access-Control-Allow-Headers"))
			}
		})
	}
}

func TestRecoverAndRequestID(t *testing.T) {
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	req := httptest.NewRequest("GET", "/api/x?token=secret-query-token", nil)
	req.Header.Set("X-Request-Id", "client-supplied-id-123")
	rec, logs := serve(t, boom, req)
	if rec.Code != 500 {
		t.Fatalf("status = %d", rec.Code)
	}
	var env struct{ Code, Message, RequestID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Code != "internal" || env.Message == "" {
		t.Fatalf("body = %s", rec.Body)
	}
	if strings.Contains(rec.Body.String(), "boom") {
		t.Error("panic value leaked to the client")
	}
	if got := rec.Header().Get("X-Request-Id"); got != "client-supplied-id-123" || env.RequestID != got {
		t.Errorf("request id = %q / %q", got, env.RequestID)
	}
	if !strings.Contains(logs, `"err":"panic: boom\n`) || !strings.Contains(logs, "client-supplied-id-123") || strings.Count(logs, `"level":"ERROR"`) != 1 {
		t.Errorf("panic not logged with request id: %s", logs)
	}
	if strings.Contains(logs, "secret-query-token") {
		t.Error("query string reached the log")
	}

	bad := httptest.NewRequest("GET", "/", nil)
	bad.Header.Set("X-Request-Id", "bad id with spaces\nand newline")
	rec, _ = serve(t, http.NotFoundHandler(), bad)
	if id := rec.Header().Get("X-Request-Id"); len(id) != 24 {
		t.Errorf("invalid incoming id not replaced: %q", id)
	}
}

func TestSilentHandlerAnswers200(t *testing.T) {
	rec, _ := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), httptest.NewRequest("POST", "/x", nil))
	if rec.Code != 200 {
		t.Errorf("status = %d, want 200 (a missing status becomes a 504 behind the Lambda adapter)", rec.Code)
	}
}

func TestErrorEnvelope(t *testing.T) {
	tests := []struct {
		err        error
		wantStatus int
		wantCode   string
		wantHeader string
	}{
		{agent.NewError(agent.NotFound, "Conversation not found."), 404, "not_found", ""},
		{&agent.Error{Code: agent.RateLimited, Message: "slow down", RetryAfter: 1500e6}, 429, "rate_limited", "2"},
		{agent.ValidationError(agent.Detail{Field: "title", Message: "is required"}), 400, "validation_error", ""},
		{agent.NewError(agent.CreditsExhausted, "You have exhausted your credits."), 403, "credits_exhausted", ""},
	}
	for _, tt := range tests {
		t.Run(tt.wantCode, func(t *testing.T) {
			rec, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { httpapi.Error(w, r, tt.err) }), httptest.NewRequest("GET", "/", nil))
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), `"code":"`+tt.wantCode+`"`) {
				t.Errorf("got %d %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.wantHeader {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantHeader)
			}
		})
	}
}

func TestLoggerRedacts(t *testing.T) {
	var buf bytes.Buffer
	httpapi.NewLogger(&buf, nil).Info("x", "password", "hunter22", "token", "abc.def.ghi", "Authorization", "Bearer xyz", "user", "ok")
	for _, secret := range []string{"hunter22", "abc.def.ghi", "Bearer xyz"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log contains %q: %s", secret, buf.String())
		}
	}
	if !strings.Contains(buf.String(), `"user":"ok"`) {
		t.Errorf("ordinary attribute lost: %s", buf.String())
	}
}

func TestErrorWithExtraFields(t *testing.T) {
	err := &agent.Error{Code: agent.BuildFailed, Message: "The code did not build.", Details: []agent.Detail{{Text: "x", File: "App.tsx", Line: 2}}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.ErrorWith(w, r, err, map[string]any{"success": false, "errors": []string{"a"}, "code": "overridden"})
	})
	rec, _ := serve(t, h, httptest.NewRequest("POST", "/", nil))
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 422 || got["success"] != false || got["code"] != "build_failed" || got["message"] != "The code did not build." {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	if d, _ := got["details"].([]any); len(d) != 1 {
		t.Errorf("details = %v", got["details"])
	}
	if e, _ := got["errors"].([]any); len(e) != 1 {
		t.Errorf("errors = %v", got["errors"])
	}
}

func TestErrorPage(t *testing.T) {
	err := &agent.Error{Code: agent.BuildFailed, Message: "Bad <b>code</b>", Details: []agent.Detail{{Text: "unexpected <", File: "App.tsx", Line: 3, Column: 4, LineText: "<div"}}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "sandbox")
		httpapi.ErrorPage(w, r, err)
	})
	tests := []struct {
		accept, wantType, wantBody string
	}{
		{"text/html,application/xhtml+xml", "text/html; charset=utf-8", "App.tsx:3:4: unexpected &lt;\n&lt;div</pre>"},
		{"application/json", "application/json; charset=utf-8", `"code":"build_failed"`},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Accept", tt.accept)
			rec, _ := serve(t, h, req)
			if rec.Code != 422 || rec.Header().Get("Content-Type") != tt.wantType || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("got %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if strings.Contains(rec.Body.String(), "<b>") {
				t.Error("message not escaped")
			}
			if rec.Header().Get("Content-Security-Policy") != "sandbox" {
				t.Error("the caller's headers were dropped")
			}
		})
	}
}

func TestServerErrorLoggedOnce(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.ErrorPage(w, r, errors.New("table is on fire"))
	})
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("X-Request-Id", "req-id-for-the-log")
	rec, logs := serve(t, h, req)
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "fire") {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	var failed int
	for line := range strings.Lines(logs) {
		if strings.Contains(line, `"msg":"request failed"`) {
			failed++
			if !strings.Contains(line, "req-id-for-the-log") || !strings.Contains(line, "table is on fire") {
				t.Errorf("log line lacks the request id or cause: %s", line)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d 'request failed' lines, want 1:\n%s", failed, logs)
	}
}

func TestDecode(t *testing.T) {
	type body struct {
		Email *string `json:"email"`
	}
	tests := []struct {
		name     string
		raw      string
		wantCode string // "" for success
	}{
		{"object", `{"email":"a@b.io"}`, ""},
		{"invalid UTF-8 in a value", "{\"email\":\"\xff\xfe@x.io\"}", "invalid_json"},
		{"invalid UTF-8 in a key", "{\"em\xc3\x28il\":\"a@b.io\"}", "invalid_json"},
		{"a cut multi-byte character", "{\"email\":\"caf\xc3\"}", "invalid_json"},
		{"escaped lone high surrogate", `{"email":"\ud800"}`, "invalid_json"},
		{"escaped lone low surrogate", `{"email":"\udc00"}`, "invalid_json"},
		{"high surrogate before text", `{"email":"\ud83dx"}`, "invalid_json"},
		{"high surrogate before another escape", `{"email":"\ud83d\u0041"}`, "invalid_json"},
		{"two high surrogates", `{"email":"\ud83d\ud83d\ude00"}`, "invalid_json"},
		{"a pair reversed", `{"email":"\ude00\ud83d"}`, "invalid_json"},
		{"lone surrogate in a key", `{"\udfff":"a@b.io"}`, "invalid_json"},
		{"surrogate pair", `{"email":"\ud83d\ude00"}`, ""},
		{"surrogate pair in capitals", `{"email":"a\uD83D\uDE00b"}`, ""},
		{"escaped backslash before u", `{"email":"\\ud800"}`, ""}, // the text \ud800, no escape
		{"escaped replacement character", `{"email":"\ufffd\u00e9"}`, ""},
		{"unknown field", `{"mail":"a@b.io"}`, "validation_error"},
		{"two objects", `{"email":"a"}{"email":"b"}`, "invalid_json"},
		{"not JSON", `email=a`, "invalid_json"},
		{"too large", `{"email":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`, "payload_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tt.raw))
			var dst body
			err := httpapi.Decode(httptest.NewRecorder(), req, &dst)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Decode = %v", err)
				}
				return
			}
			if e, ok := errors.AsType[*agent.Error](err); !ok || string(e.Code) != tt.wantCode {
				t.Errorf("Decode = %v, want %s", err, tt.wantCode)
			}
		})
	}
}

const originSecret = "the-origin-secret-of-the-distribution"

// TestForwarded sends what CloudFront forwards with and without its secret:
// only with it do the client's address and host replace the request's.
func TestForwarded(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.JSON(w, 200, map[string]string{"addr": r.RemoteAddr, "host": r.Host, "verify": r.Header.Get("X-Origin-Verify"), "viewer": r.Header.Get("CloudFront-Viewer-Address")})
	})
	tests := []struct {
		name               string
		header             map[string]string
		wantAddr, wantHost string
	}{
		{"through CloudFront", map[string]string{"X-Origin-Verify": originSecret, "CloudFront-Viewer-Address": "203.0.113.7:51234", "X-Forwarded-Host": "d111.cloudfront.net"}, "203.0.113.7:51234", "d111.cloudfront.net"},
		{"IPv6 viewer", map[string]string{"X-Origin-Verify": originSecret, "CloudFront-Viewer-Address": "2001:db8::1:443"}, "[2001:db8::1]:443", "api.example"},
		{"straight to the origin, spoofing", map[string]string{"CloudFront-Viewer-Address": "198.51.100.1:1", "X-Forwarded-Host": "evil.example"}, "192.0.2.1:1234", "api.example"},
		{"a wrong secret", map[string]string{"X-Origin-Verify": "guess", "CloudFront-Viewer-Address": "198.51.100.1:1"}, "192.0.2.1:1234", "api.example"},
		{"a host with a path", map[string]string{"X-Origin-Verify": originSecret, "X-Forwarded-Host": "evil.example/x"}, "192.0.2.1:1234", "api.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "http://api.example/x", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec, _ := serve(t, echo, req)
			var got map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got["addr"] != tt.wantAddr || got["host"] != tt.wantHost || got["verify"] != "" || got["viewer"] != "" {
				t.Errorf("got %v, want addr %s host %s and the headers removed", got, tt.wantAddr, tt.wantHost)
			}
		})
	}
}

// TestRequestMetrics: a request a route serves leaves one EMF record of its
// function and route, with its latency and whether it was a 4xx or a 5xx,
// after the access line; one no route serves leaves none.
func TestRequestMetrics(t *testing.T) {
	for _, tt := range []struct {
		status  int
		routed  bool
		want4xx string
		want5xx string
	}{
		{200, true, `"Http4xx":0`, `"Http5xx":0`},
		{404, true, `"Http4xx":1`, `"Http5xx":0`},
		{503, true, `"Http4xx":0`, `"Http5xx":1`},
		{200, false, "", ""},
	} {
		var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tt.status) })
		if tt.routed {
			h = httpapi.Route("artifacts-get", "GET /api/artifacts/{id}", h)
		}
		_, logs := serve(t, h, httptest.NewRequest("GET", "/api/artifacts/0192aa4e-7f11-7c3e-9a55-7b1e4c3d2a10", nil))
		lines := strings.Split(strings.TrimSpace(logs), "\n")
		if !tt.routed {
			if len(lines) != 1 || strings.Contains(logs, `"_aws"`) {
				t.Errorf("a request no route serves: %s", logs)
			}
			continue
		}
		if len(lines) != 2 || !strings.Contains(lines[0], `"msg":"request"`) {
			t.Fatalf("want the access line, then the record:\n%s", logs)
		}
		record := lines[1]
		for _, want := range []string{`"function":"artifacts-get"`, `"route":"GET /api/artifacts/{id}"`, `"Requests":1`, `"Latency":`, tt.want4xx, tt.want5xx} {
			if !strings.Contains(record, want) {
				t.Errorf("status %d: %s not in %s", tt.status, want, record)
			}
		}
		if strings.Contains(record, "0192aa4e") {
			t.Errorf("the path's id is in the record: %s", record)
		}
	}
}

// BenchmarkChain is the standard middleware around a handler that writes
// a small JSON answer, with and without the request's metrics: the
// difference is what the metrics cost a request.
func BenchmarkChain(b *testing.B) {
	h := httpapi.Route("auth-me", "GET /api/auth/me", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.JSON(w, 200, map[string]string{"id": "u"})
	}))
	log := httpapi.NewLogger(io.Discard, slog.LevelInfo)
	for _, bc := range []struct {
		name string
		sink metrics.Sink
	}{{"without metrics", nil}, {"with metrics", metrics.NewEMF(io.Discard, "", "")}} {
		b.Run(bc.name, func(b *testing.B) {
			chain := httpapi.Chain(h, log, bc.sink, httpapi.CORS{}, httpapi.Forwarded{})
			req := httptest.NewRequest("GET", "/api/auth/me", nil)
			b.ReportAllocs()
			for b.Loop() {
				chain.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
