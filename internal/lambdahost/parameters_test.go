package lambdahost_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/lambdahost"
)

// TestSetupReadsParameters starts the chat function, which needs all three
// secrets, from Parameter Store: each named parameter is read once, and a
// missing one fails the start naming it.
func TestSetupReadsParameters(t *testing.T) {
	params := localaws.NewSSM()
	params.Put("/t/jwt", "a-jwt-secret-of-at-least-32-bytes-0123456789", true)
	params.Put("/t/gemini", "gemini-key", true)
	params.Put("/t/origin", "origin-value", false)
	var mu sync.Mutex
	var read []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		read = append(read, string(body))
		mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		params.ServeHTTP(w, r)
	}))
	defer srv.Close()

	vars := map[string]string{
		"SSM_ENDPOINT":         srv.URL,
		"DYNAMODB_ENDPOINT":    "http://127.0.0.1:9", // never called at start-up
		"S3_ENDPOINT":          "http://127.0.0.1:9",
		"BUILD_FUNCTION_NAME":  "build",
		"LAMBDA_ENDPOINT":      "http://127.0.0.1:9",
		"JWT_SECRET_PARAM":     "/t/jwt",
		"GEMINI_API_KEY_PARAM": "/t/gemini",
		"ORIGIN_VERIFY_PARAM":  "/t/origin",
	}
	ctx := context.Background()
	if _, err := lambdahost.Setup(ctx, "chat-send", chatapp.Constructors(), io.Discard, func(k string) string { return vars[k] }); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, body := range read {
		for _, n := range []string{"/t/jwt", "/t/gemini", "/t/origin"} {
			if strings.Contains(body, `"`+n+`"`) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	if want := []string{"/t/gemini", "/t/jwt", "/t/origin"}; !slices.Equal(names, want) {
		t.Errorf("read %v, want each of %v once", names, want)
	}

	vars["GEMINI_API_KEY_PARAM"] = "/t/missing"
	_, err := lambdahost.Setup(ctx, "chat-send", chatapp.Constructors(), io.Discard, func(k string) string { return vars[k] })
	if err == nil || !strings.Contains(err.Error(), "/t/missing") || !strings.Contains(err.Error(), "GEMINI_API_KEY") {
		t.Errorf("err = %v, want it to name the missing parameter and its variable", err)
	}
}
